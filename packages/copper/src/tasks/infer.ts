/**
 * The infer task: loads a checkpoint (the network is rebuilt from the config saved in it), reads
 * `img_path`, and returns the top-k classes with their probabilities; the CLI prints them as
 * `Class: Cat, Probability: 0.2012`.
 */
import { readFileSync, statSync } from 'node:fs';
import * as torch from '@copper/torch';
import { instantiate } from '@copper/hydra';
import { loadImage } from '../data/image.js';
import { parseTransforms, type TransformSpec } from '../data/transforms.js';
import { LightningModule } from '../models/lightning-module.js';
import { disposeCheckpoint, loadCheckpoint } from '../trainer/checkpoint.js';
import { shortLoadError } from '../trainer/trainer.js';
import { assertRegisteredTargets, registerCopperTargets } from '../registry.js';
import { CopperError } from '../utils/errors.js';
import { opt, plainCfg, type Cfg } from './common.js';

export interface Prediction {
  class: string;
  index: number;
  probability: number;
}

export interface Predictor {
  classes: string[];
  predict(imgPath: string, topk?: number): Promise<Prediction[]>;
}

/** A model ready for inference from a checkpoint written by copper_train. */
export function loadPredictor(ckptPath: string, fallbackModelCfg?: unknown): Predictor {
  registerCopperTargets();
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
    return {
      classes,
      async predict(imgPath: string, topk = 2): Promise<Prediction[]> {
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
        const probs = torch.noGrad(() =>
          torch.tidy(() => {
            const x = torch.tensor(img.data, { shape: [1, channels, img.h, img.w] });
            return Array.from(model.predictStep(x).reshape(-1).toArray() as Float32Array);
          }),
        );
        const k = Math.max(1, Math.min(topk, probs.length));
        return probs
          .map((p, i) => ({ index: i, probability: p, class: classes[i] ?? String(i) }))
          .sort((a, b) => b.probability - a.probability || a.index - b.index)
          .slice(0, k);
      },
    };
  } finally {
    disposeCheckpoint(ck);
  }
}

export function formatPrediction(p: Prediction): string {
  return `Class: ${p.class}, Probability: ${p.probability.toFixed(4)}`;
}

export async function infer(cfg: Cfg): Promise<Prediction[]> {
  const ckpt = opt(cfg, 'ckpt_path');
  const img = opt(cfg, 'img_path');
  if (!ckpt || ckpt === '???') throw new CopperError('ckpt_path is required: copper_infer ckpt_path=<checkpoint.ckpt> img_path=<image>');
  if (!img || img === '???') throw new CopperError('img_path is required: copper_infer img_path=<image>');
  const topk = Number(opt(cfg, 'topk') ?? 2);
  if (!Number.isInteger(topk) || topk < 1) throw new CopperError(`topk must be a positive integer, got ${cfg.topk}`);
  const predictor = loadPredictor(String(ckpt), opt(cfg, 'model'));
  return await predictor.predict(String(img), topk);
}
