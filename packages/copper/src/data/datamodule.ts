/**
 * ImageFolderDataModule (Lightning's LightningDataModule for an image folder): prepares the data
 * (DVC checkout when the folder is tracked), splits it train/val/test with a seed, and hands out
 * loaders that share one pool of decoding workers. `channels` (1, 3 or 4) is what the network's
 * in_channels takes; `train_transforms`/`eval_transforms` are torchvision-named transform lists.
 */
import { resolve } from 'node:path';
import { checkTransformsSize, DataLoader, DecodePool } from './loader.js';
import { parseTransforms, type TransformSpec } from './transforms.js';
import { ImageFolder, splitSamples, type Sample } from './image-folder.js';
import { syncData, type DataVersionInfo } from './dvc-sync.js';
import { Rng } from '../utils/rng.js';
import { CopperError } from '../utils/errors.js';

export interface ImageFolderDataModuleOptions {
  data_dir: string;
  image_size?: number;
  batch_size?: number;
  num_workers?: number;
  train_val_test_split?: number[];
  seed?: number;
  /** Channels per image: 1 (grayscale), 3 (RGB; alpha dropped) or 4 (RGBA). Default 3. */
  channels?: number;
  /**
   * Training transforms, torchvision names: `[{RandomResizedCrop: {size: 64}}, {RandomHorizontalFlip: {p: 0.5}}]`.
   * Default: Resize to [image_size, image_size] and a horizontal flip with p 0.5.
   */
  train_transforms?: unknown[] | null;
  /** Validation/test (and inference) transforms. Default: Resize to [image_size, image_size]. */
  eval_transforms?: unknown[] | null;
  /** Normalization per channel (one value: the same for all), appended unless the transforms have a Normalize. */
  mean?: number[] | number;
  std?: number[] | number;
  /**
   * When the folder is tracked by DVC (`<folder>.dvc`): fetch it when it is absent altogether, and
   * check that it matches its .dvc file (default true). A folder that differs is never changed.
   */
  dvc_checkout?: boolean;
  /**
   * Train on a DVC-tracked folder that differs from its .dvc file (default false: refuse). The
   * run records that the data was not the committed version (its own hash and the .dvc hash).
   */
  allow_modified?: boolean;
  /** Classes in order (default: the sub-folder names, sorted). */
  classes?: string[] | null;
}

/** data.mean/data.std: one value per channel, or one value for all. */
function perChannel(v: unknown, c: number, k: 'mean' | 'std'): number[] {
  const vals = typeof v === 'number' ? [v] : Array.isArray(v) ? v.map(Number) : [NaN];
  if (!vals.length || vals.some((x) => !Number.isFinite(x)) || (k === 'std' && vals.some((x) => x === 0))) {
    throw new CopperError(`data.${k} must be ${k === 'std' ? 'non-zero numbers' : 'numbers'}, got ${JSON.stringify(v)}`);
  }
  if (vals.length === 1) return new Array(c).fill(vals[0]);
  if (vals.length !== c) throw new CopperError(`data.${k} has ${vals.length} values but data.channels is ${c}: give ${c} value${c === 1 ? '' : 's'} (one value is used for every channel)`);
  return vals;
}

export class ImageFolderDataModule {
  readonly hparams: Required<Omit<ImageFolderDataModuleOptions, 'classes' | 'mean' | 'std' | 'train_transforms' | 'eval_transforms'>> & {
    classes: string[] | null;
    mean: number[];
    std: number[];
    train_transforms: unknown[] | null;
    eval_transforms: unknown[] | null;
  };

  dataset: ImageFolder | null = null;
  train: Sample[] = [];
  val: Sample[] = [];
  test: Sample[] = [];
  dataVersion: DataVersionInfo | null = null;
  private pool: DecodePool | null = null;
  log: (m: string) => void = (m) => process.stderr.write(`[copper][INFO] ${m}\n`);

  constructor(opts: ImageFolderDataModuleOptions) {
    if (!opts || typeof opts.data_dir !== 'string' || !opts.data_dir) throw new CopperError('data.data_dir must be set to the image folder');
    this.hparams = {
      image_size: 64,
      batch_size: 32,
      num_workers: 0,
      train_val_test_split: [0.8, 0.1, 0.1],
      seed: 42,
      channels: 3,
      dvc_checkout: true,
      allow_modified: false,
      ...opts,
      mean: [],
      std: [],
      train_transforms: opts.train_transforms ?? null,
      eval_transforms: opts.eval_transforms ?? null,
      classes: opts.classes ?? null,
      data_dir: resolve(opts.data_dir),
    };
    const h = this.hparams;
    const nw = h.num_workers;
    if (!(Number.isInteger(nw) && nw >= 0)) throw new CopperError(`data.num_workers must be a non-negative integer, got ${nw}`);
    const c = h.channels;
    if (![1, 3, 4].includes(c)) throw new CopperError(`data.channels must be 1 (grayscale), 3 (RGB) or 4 (RGBA), got ${c}`);
    const S = h.image_size;
    if (!(Number.isInteger(S) && S > 0)) throw new CopperError(`data.image_size must be a positive integer, got ${S}`);
    h.mean = perChannel(opts.mean ?? 0.5, c, 'mean');
    h.std = perChannel(opts.std ?? 0.5, c, 'std');
    // checked now: a bad transform list is a config error before any image is read
    this.transforms('train');
    this.transforms('eval');
  }

  /**
   * The parsed transforms (Normalize with data.mean/std appended unless the list has its own),
   * from the current hparams (copper_eval sets the checkpoint's size, channels and statistics).
   */
  get trainTransforms(): TransformSpec[] {
    return this.transforms('train');
  }
  get evalTransforms(): TransformSpec[] {
    return this.transforms('eval');
  }
  private transforms(which: 'train' | 'eval'): TransformSpec[] {
    const h = this.hparams;
    const c = h.channels;
    if (![1, 3, 4].includes(c)) throw new CopperError(`data.channels must be 1 (grayscale), 3 (RGB) or 4 (RGBA), got ${c}`);
    const S = h.image_size;
    const name = `data.${which}_transforms`;
    const list = which === 'train' ? h.train_transforms : h.eval_transforms;
    const resize: TransformSpec = { name: 'Resize', size: [S, S], interpolation: 'bilinear', max_size: null };
    const parsed = list ? parseTransforms(list, name, c) : which === 'train' ? [resize, { name: 'RandomHorizontalFlip', p: 0.5 } as TransformSpec] : [resize];
    const out = parsed.some((t) => t.name === 'Normalize') ? parsed : [...parsed, { name: 'Normalize', mean: perChannel(h.mean, c, 'mean'), std: perChannel(h.std, c, 'std') } as TransformSpec];
    checkTransformsSize(out, [S, S], name);
    return out;
  }

  get classes(): string[] {
    return this.dataset?.classes ?? this.hparams.classes ?? [];
  }
  get numClasses(): number {
    return this.classes.length;
  }

  /** DVC checkout if tracked (prepare_data). */
  async prepareData(): Promise<void> {
    if (this.prepared) return;
    if (this.hparams.dvc_checkout) this.dataVersion = await syncData(this.hparams.data_dir, this.log, { allowModified: this.hparams.allow_modified === true });
    this.prepared = true;
  }
  private prepared = false;

  /** Scans and splits the folder (setup). */
  setup(): void {
    if (this.dataset) return;
    this.dataset = new ImageFolder(this.hparams.data_dir);
    if (this.hparams.classes && this.hparams.classes.join('\0') !== this.dataset.classes.join('\0')) {
      throw new CopperError(`data.classes [${this.hparams.classes.join(', ')}] do not match the folders in ${this.hparams.data_dir}: [${this.dataset.classes.join(', ')}]`);
    }
    const shuffled = new Rng(this.hparams.seed).shuffle(this.dataset.samples);
    [this.train, this.val, this.test] = splitSamples(this.dataset.samples, this.hparams.train_val_test_split, shuffled);
  }

  private getPool(): DecodePool | null {
    if (this.hparams.num_workers > 0 && !this.pool) this.pool = new DecodePool(this.hparams.num_workers);
    return this.pool;
  }

  private loader(samples: Sample[], train: boolean): DataLoader {
    const h = this.hparams;
    return new DataLoader(samples, {
      batchSize: h.batch_size,
      imageSize: h.image_size,
      channels: h.channels,
      shuffle: train,
      seed: h.seed,
      transforms: train ? this.trainTransforms : this.evalTransforms,
      transformsName: train ? 'data.train_transforms' : 'data.eval_transforms',
      pool: this.getPool(),
    });
  }

  trainDataloader(): DataLoader {
    return this.loader(this.train, true);
  }
  valDataloader(): DataLoader {
    return this.loader(this.val, false);
  }
  testDataloader(): DataLoader {
    return this.loader(this.test, false);
  }

  async teardown(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
