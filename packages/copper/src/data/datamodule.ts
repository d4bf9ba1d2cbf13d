/**
 * ImageFolderDataModule (Lightning's LightningDataModule for an image folder): prepares the data
 * (DVC checkout when the folder is tracked), splits it train/val/test with a seed, and hands out
 * loaders that share one pool of decoding workers.
 */
import { resolve } from 'node:path';
import { DataLoader, DecodePool } from './loader.js';
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
  /** Probability of a horizontal flip for training images. */
  hflip?: number;
  /** Random crop of the training images: [min, max] fraction of the area (null: off). */
  crop_scale?: [number, number] | null;
  mean?: number[];
  std?: number[];
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

export class ImageFolderDataModule {
  readonly hparams: Required<Omit<ImageFolderDataModuleOptions, 'classes' | 'crop_scale'>> & { classes: string[] | null; crop_scale: [number, number] | null };
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
      hflip: 0.5,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      dvc_checkout: true,
      allow_modified: false,
      ...opts,
      classes: opts.classes ?? null,
      crop_scale: opts.crop_scale ?? null,
      data_dir: resolve(opts.data_dir),
    };
    const nw = this.hparams.num_workers;
    if (!(Number.isInteger(nw) && nw >= 0)) throw new CopperError(`data.num_workers must be a non-negative integer, got ${nw}`);
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
      shuffle: train,
      seed: h.seed,
      hflip: train ? h.hflip : 0,
      cropScale: train ? h.crop_scale : null,
      mean: h.mean,
      std: h.std,
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
