/**
 * The infer task: loads a checkpoint once (the network is rebuilt from the config saved in it),
 * reads `img_path` (an image, a folder of images, or a glob such as 'dir/*.jpg'), runs them in
 * batches, and returns the top-k classes of each image with their probabilities; the CLI prints
 * them as `Class: Cat, Probability: 0.2012` (under the image's path when there are several).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@copper/torch';
import { instantiate } from '@copper/hydra';
import { loadImage } from '../data/image.js';
import { parseTransforms, type TransformSpec } from '../data/transforms.js';
import { LightningModule } from '../models/lightning-module.js';
import { disposeCheckpoint, loadCheckpoint } from '../trainer/checkpoint.js';
import { shortLoadError } from '../utils/load-error.js';
import { assertRegisteredTargets, registerModelTargets } from '../registry-models.js';
import { CopperError } from '../utils/errors.js';
import { opt, plainCfg, type Cfg } from './cfg.js';

/** The image files a folder holds (and inference reads). */
export const INFER_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

export interface Prediction {
  class: string;
  index: number;
  probability: number;
}

/** The top-k of one image, or why it could not be read. */
export interface ImagePredictions {
  path: string;
  predictions: Prediction[];
  /** Set when the image could not be read or decoded (predictions is then empty). */
  error?: string;
}

export interface Predictor {
  classes: string[];
  predict(imgPath: string, topk?: number): Promise<Prediction[]>;
  /** Every image, `batchSize` at a time; an unreadable image gets `error` instead of failing the rest. */
  predictMany(imgPaths: string[], topk?: number, batchSize?: number): Promise<ImagePredictions[]>;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const isImage = (name: string) => !name.startsWith('.') && INFER_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

/** Image files under `dir` (sub-folders too), in sorted order. */
function imagesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && statSafe(p)?.isDirectory())) walk(p);
      else if (isImage(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

const GLOB_CHARS = /[*?[]/;

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a shell glob (`*`, `?`, `[...]`, `**` for any depth), in sorted order. */
export function globFiles(pattern: string): string[] {
  const abs = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  if (abs) segs.shift();
  const out: string[] = [];
  const step = (base: string, i: number) => {
    if (i === segs.length) {
      if (statSafe(base)?.isFile()) out.push(base);
      return;
    }
    const seg = segs[i]!;
    const join2 = (name: string) => (base === '.' && !abs ? name : join(base, name));
    if (seg === '**') {
      step(base, i + 1);
      let entries;
      try {
        entries = readdirSync(base, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (!e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && statSafe(join2(e.name))?.isDirectory()))) step(join2(e.name), i);
      return;
    }
    if (!GLOB_CHARS.test(seg)) {
      step(join2(seg), i + 1);
      return;
    }
    const re = segmentRegExp(seg);
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      return;
    }
    for (const n of names) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) step(join2(n), i + 1);
  };
  step(abs ? '/' : '.', 0);
  return [...new Set(out)].sort(byCodePoint);
}

/**
 * The images `imgPath` names: itself (a file), the images in a folder (sorted, sub-folders too),
 * or the files a glob matches. `single` is true for a plain file path.
 */
export function resolveImages(imgPath: string): { paths: string[]; single: boolean } {
  if (GLOB_CHARS.test(imgPath) && !statSafe(imgPath)) {
    const paths = globFiles(imgPath);
    if (!paths.length) throw new CopperError(`img_path '${imgPath}' matches no file`);
    return { paths, single: false };
  }
  const st = statSafe(imgPath);
  if (!st) throw new CopperError(`image ${imgPath} does not exist`);
  if (st.isDirectory()) {
    let paths: string[];
    try {
      paths = imagesIn(imgPath);
    } catch (e) {
      throw new CopperError(`cannot read folder ${imgPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!paths.length) throw new CopperError(`folder ${imgPath} has no ${INFER_EXTENSIONS.join('/')} images`);
    return { paths, single: false };
  }
  return { paths: [imgPath], single: true };
}

/** A model ready for inference from a checkpoint written by copper_train. */
export function loadPredictor(ckptPath: string, fallbackModelCfg?: unknown): Predictor {
  registerModelTargets();
  const ck = loadCheckpoint(ckptPath);
  try {
    const hp = (ck.hyper_parameters ?? {}) as Record<string, any>;
    const modelCfg = hp.model ?? plainCfg(fallbackModelCfg);
    if (!modelCfg || typeof modelCfg !== 'object' || !modelCfg._target_) throw new CopperError(`${ckptPath} does not record its model config (hyper_parameters.model); pass model=<name>`);
    if (hp.model) assertRegisteredTargets(hp.model, ckptPath);
    let model: LightningModule;
    try {
      model = instantiate<LightningModule>(modelCfg);
    } catch (e) {
      throw new CopperError(`cannot rebuild the model saved in ${ckptPath}: ${(e as Error).message}`);
    }
    try {
      model.loadStateDict(ck.state_dict as Record<string, torch.Tensor>);
    } catch (e) {
      throw new CopperError(`the weights in ${ckptPath} do not fit the model: ${shortLoadError(e)}`);
    }
    model.eval();
    const classes: string[] = Array.isArray(hp.classes) ? hp.classes.map(String) : [];
    const size = Number(hp.image_size ?? 64);
    const channels = Number(hp.channels ?? 3);
    const perChannel = (v: unknown): number[] => {
      const a = Array.isArray(v) ? v.map(Number) : [0.5];
      return a.length === 1 ? new Array(channels).fill(a[0]) : a;
    };
    // the transforms the model was validated with (data.eval_transforms), else a resize
    let transforms: TransformSpec[] = Array.isArray(hp.eval_transforms)
      ? parseTransforms(hp.eval_transforms, `${ckptPath}: eval_transforms`, channels)
      : [{ name: 'Resize', size: [size, size], interpolation: 'bilinear', max_size: null }];
    if (!transforms.some((t) => t.name === 'Normalize')) transforms = [...transforms, { name: 'Normalize', mean: perChannel(hp.mean), std: perChannel(hp.std) }];
    const pixels = channels * size * size;

    /** The image, decoded and transformed, into `buf` at `offset` (CHW floats; throws a CopperError naming it). */
    const load = async (imgPath: string, buf: Float32Array, offset: number): Promise<void> => {
      let bytes: Buffer;
      try {
        if (!statSync(imgPath).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        bytes = readFileSync(imgPath);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new CopperError(code === 'ENOENT' ? `image ${imgPath} does not exist` : `cannot read image ${imgPath} (${code ?? (e as Error).message})`);
      }
      let img;
      try {
        img = await loadImage(bytes, transforms, { channels, expect: [size, size] });
      } catch (e) {
        throw new CopperError(`cannot decode image ${imgPath}: ${(e as Error).message}`);
      }
      buf.set(img.data, offset);
    };

    /** Class probabilities of n images laid out in buf ([n, C, H, W] floats). */
    const probabilities = (buf: Float32Array, n: number): Float32Array[] => {
      const flat = torch.noGrad(() =>
        torch.tidy(() => {
          const x = torch.tensor(buf.subarray(0, n * pixels), { shape: [n, channels, size, size] });
          return model.predictStep(x).reshape(-1).toArray() as Float32Array;
        }),
      );
      const k = flat.length / n;
      return Array.from({ length: n }, (_, i) => flat.subarray(i * k, (i + 1) * k));
    };

    const topOf = (probs: Float32Array, topk: number): Prediction[] => {
      const k = Math.max(1, Math.min(topk, probs.length));
      return Array.from(probs, (p, i) => ({ index: i, probability: p, class: classes[i] ?? String(i) }))
        .sort((a, b) => b.probability - a.probability || a.index - b.index)
        .slice(0, k);
    };

    return {
      classes,
      async predict(imgPath: string, topk = 2): Promise<Prediction[]> {
        const buf = new Float32Array(pixels);
        await load(imgPath, buf, 0);
        return topOf(probabilities(buf, 1)[0]!, topk);
      },
      async predictMany(imgPaths: string[], topk = 2, batchSize = 32): Promise<ImagePredictions[]> {
        const bs = Math.max(1, Math.floor(batchSize));
        const out: ImagePredictions[] = [];
        const buf = new Float32Array(bs * pixels);
        for (let start = 0; start < imgPaths.length; start += bs) {
          const chunk = imgPaths.slice(start, start + bs);
          const ok: ImagePredictions[] = [];
          const results: ImagePredictions[] = [];
          for (const p of chunk) {
            const r: ImagePredictions = { path: p, predictions: [] };
            try {
              await load(p, buf, ok.length * pixels);
              ok.push(r);
            } catch (e) {
              r.error = (e as Error).message;
            }
            results.push(r);
          }
          if (ok.length) probabilities(buf, ok.length).forEach((probs, i) => (ok[i]!.predictions = topOf(probs, topk)));
          out.push(...results);
        }
        return out;
      },
    };
  } finally {
    disposeCheckpoint(ck);
  }
}

export function formatPrediction(p: Prediction): string {
  return `Class: ${p.class}, Probability: ${p.probability.toFixed(4)}`;
}

export interface InferResult {
  /** One entry per image, in order. */
  images: ImagePredictions[];
  /** img_path named one image file (the CLI prints its block without a header). */
  single: boolean;
}

function positiveInt(cfg: Cfg, key: string, dflt: number): number {
  const v = opt(cfg, key);
  const n = Number(v ?? dflt);
  if (!Number.isInteger(n) || n < 1) throw new CopperError(`${key} must be a positive integer, got ${v}`);
  return n;
}

export async function infer(cfg: Cfg): Promise<InferResult> {
  const ckpt = opt(cfg, 'ckpt_path');
  const img = opt(cfg, 'img_path');
  if (!ckpt || ckpt === '???') throw new CopperError('ckpt_path is required: copper_infer ckpt_path=<checkpoint.ckpt> img_path=<image, folder or glob>');
  if (!img || img === '???') throw new CopperError('img_path is required: copper_infer img_path=<image, folder or glob>');
  const topk = positiveInt(cfg, 'top_k', 2);
  const batchSize = positiveInt(cfg, 'batch_size', 32);
  const { paths, single } = resolveImages(String(img));
  const predictor = loadPredictor(String(ckpt), opt(cfg, 'model'));
  if (single) return { images: [{ path: paths[0]!, predictions: await predictor.predict(paths[0]!, topk) }], single };
  return { images: await predictor.predictMany(paths, topk, batchSize), single };
}
