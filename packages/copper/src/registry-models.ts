/**
 * The model-side `_target_`s (what a checkpoint's model config names): copper's networks and
 * ImageClassifier, torch optimizers and schedulers with Python's snake_case options. Kept apart
 * from the data/trainer/logger targets so copper_infer loads only what inference needs.
 */
import * as torch from '@copper/torch';
import { registerTarget } from '@copper/hydra';
import { ImageClassifier, type ImageClassifierOptions } from './models/classifier.js';
import { SimpleCNN, TinyResNet, type SimpleCNNOptions, type TinyResNetOptions } from './models/nets.js';
import { builders as visionBuilders } from './models/torchvision.js';
import { CopperError } from './utils/errors.js';

/**
 * The keys of an options interface, as a list: the `Record<keyof T, true>` literal must name every
 * key of T and nothing else, so adding an option to a class without listing it fails the build.
 */
export function keysOf<T>(all: Record<keyof Required<T>, true>): string[] {
  return Object.keys(all);
}

/** The keyword arguments each model-side target takes (a config key outside them fails, as Python's TypeError). */
export const MODEL_TARGET_KEYS = {
  classifier: keysOf<ImageClassifierOptions>({ net: true, optimizer: true, scheduler: true, scheduler_monitor: true, scheduler_interval: true, compile: true }),
  simpleCnn: keysOf<SimpleCNNOptions>({ in_channels: true, num_classes: true, channels: true, hidden: true, dropout: true }),
  tinyResnet: keysOf<TinyResNetOptions>({ in_channels: true, num_classes: true, widths: true, blocks: true }),
  // torchvision networks: the options each family's builder uses
  resnet: ['num_classes', 'weights', 'freeze'],
  mobilenetV3: ['num_classes', 'weights', 'freeze', 'dropout'],
  efficientnet: ['num_classes', 'weights', 'freeze', 'dropout', 'stochastic_depth_prob'],
  adam: ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize'],
  sgd: ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize'],
  plateau: ['mode', 'factor', 'patience', 'threshold', 'threshold_mode', 'cooldown', 'min_lr', 'eps'],
  stepLR: ['step_size', 'gamma'],
  exponentialLR: ['gamma'],
  cosineLR: ['T_max', 'eta_min'],
} satisfies Record<string, string[]>;

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function camelKeys(o: Record<string, unknown> = {}): Record<string, any> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[camel(k)] = v;
  return out;
}

let done = false;
export function registerModelTargets(): void {
  if (done) return;
  done = true;
  const K = MODEL_TARGET_KEYS;
  registerTarget('copper.models.ImageClassifier', ImageClassifier as never, { isClass: true, keys: K.classifier });
  registerTarget('copper.models.SimpleCNN', SimpleCNN as never, { isClass: true, keys: K.simpleCnn });
  registerTarget('copper.models.TinyResNet', TinyResNet as never, { isClass: true, keys: K.tinyResnet });
  // torchvision-compatible networks: copper.models.resnet18 or torchvision's own path
  for (const [name, fn] of Object.entries(visionBuilders)) {
    const keys = name.startsWith('resnet') ? K.resnet : name.startsWith('mobilenet') ? K.mobilenetV3 : K.efficientnet;
    registerTarget(`copper.models.${name}`, fn as never, { keys });
    registerTarget(`torchvision.models.${name}`, fn as never, { keys });
  }
  registerTarget('torch.optim.Adam', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.Adam(params, camelKeys(o)), { keys: K.adam });
  registerTarget('torch.optim.AdamW', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.AdamW(params, camelKeys(o)), { keys: K.adam });
  registerTarget('torch.optim.SGD', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.SGD(params, camelKeys(o) as { lr: number }), { keys: K.sgd });
  const S = torch.optim.lrScheduler;
  registerTarget('torch.optim.lr_scheduler.ReduceLROnPlateau', (opt: never, o?: Record<string, unknown>) => new S.ReduceLROnPlateau(opt, camelKeys(o)), { keys: K.plateau });
  registerTarget('torch.optim.lr_scheduler.StepLR', (opt: never, o: { step_size: number; gamma?: number }) => new S.StepLR(opt, o.step_size, o.gamma ?? 0.1), { keys: K.stepLR });
  registerTarget('torch.optim.lr_scheduler.ExponentialLR', (opt: never, o: { gamma: number }) => new S.ExponentialLR(opt, o.gamma), { keys: K.exponentialLR });
  registerTarget('torch.optim.lr_scheduler.CosineAnnealingLR', (opt: never, o: { T_max: number; eta_min?: number }) => new S.CosineAnnealingLR(opt, o.T_max, o.eta_min ?? 0), { keys: K.cosineLR });
}

/**
 * A model config read from a checkpoint file may only name registered targets (`copper.*`,
 * `torch.*`, ...): module paths such as './x.js#Net' would load code named by the file.
 */
export function assertRegisteredTargets(cfg: unknown, source: string, path = ''): void {
  if (Array.isArray(cfg)) {
    cfg.forEach((v, i) => assertRegisteredTargets(v, source, `${path}[${i}]`));
    return;
  }
  if (!cfg || typeof cfg !== 'object') return;
  for (const [k, v] of Object.entries(cfg as Record<string, unknown>)) {
    if (k === '_target_') {
      if (typeof v !== 'string' || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(v)) {
        throw new CopperError(`${source}: refusing _target_ ${JSON.stringify(v)} at ${path || '<root>'} (only registered copper/torch targets may come from a checkpoint)`);
      }
    } else assertRegisteredTargets(v, source, path ? `${path}.${k}` : k);
  }
}
