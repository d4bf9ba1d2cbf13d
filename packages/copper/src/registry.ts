/**
 * The `_target_` names configs use, registered with @copper/hydra's instantiate: copper's classes
 * (`copper.models.ImageClassifier`, ...), torch optimizers and schedulers taking Python's
 * snake_case options (`torch.optim.Adam` with `weight_decay`), and the Lightning class paths of
 * lightning-hydra-template configs (`lightning.pytorch.callbacks.ModelCheckpoint`, ...).
 */
import * as torch from '@copper/torch';
import { registerTarget } from '@copper/hydra';
import { ImageFolderDataModule, type ImageFolderDataModuleOptions } from './data/datamodule.js';
import { ImageClassifier, type ImageClassifierOptions } from './models/classifier.js';
import { SimpleCNN, TinyResNet, type SimpleCNNOptions, type TinyResNetOptions } from './models/nets.js';
import { Trainer, TRAINER_KEYS } from './trainer/trainer.js';
import { ModelCheckpoint, type ModelCheckpointOptions } from './callbacks/model-checkpoint.js';
import { EarlyStopping, type EarlyStoppingOptions } from './callbacks/early-stopping.js';
import { ModelSummary } from './callbacks/model-summary.js';
import { ProgressBar, type ProgressBarOptions } from './callbacks/progress-bar.js';
import { LearningRateMonitor } from './callbacks/lr-monitor.js';
import { CSVLogger, type CSVLoggerOptions } from './loggers/csv.js';
import { TensorBoardLogger, type TensorBoardLoggerOptions } from './loggers/tensorboard.js';
import { CopperError } from './utils/errors.js';

/**
 * The keys of an options interface, as a list: the `Record<keyof T, true>` literal must name every
 * key of T and nothing else, so adding an option to a class without listing it fails the build.
 */
function keysOf<T>(all: Record<keyof Required<T>, true>): string[] {
  return Object.keys(all);
}

/** The keyword arguments each target takes (a config key outside them fails, as Python's TypeError). */
export const TARGET_KEYS = {
  data: keysOf<ImageFolderDataModuleOptions>({
    data_dir: true, image_size: true, batch_size: true, num_workers: true, train_val_test_split: true, seed: true, hflip: true,
    crop_scale: true, mean: true, std: true, dvc_checkout: true, allow_modified: true, classes: true,
  }),
  classifier: keysOf<ImageClassifierOptions>({ net: true, optimizer: true, scheduler: true, scheduler_monitor: true, scheduler_interval: true, compile: true }),
  simpleCnn: keysOf<SimpleCNNOptions>({ in_channels: true, num_classes: true, channels: true, hidden: true, dropout: true }),
  tinyResnet: keysOf<TinyResNetOptions>({ in_channels: true, num_classes: true, widths: true, blocks: true }),
  trainer: [...TRAINER_KEYS],
  modelCheckpoint: keysOf<ModelCheckpointOptions>({
    dirpath: true, filename: true, monitor: true, verbose: true, save_last: true, save_top_k: true, mode: true, auto_insert_metric_name: true,
    save_weights_only: true, every_n_train_steps: true, train_time_interval: true, every_n_epochs: true, save_on_train_epoch_end: true,
  }),
  earlyStopping: keysOf<EarlyStoppingOptions>({
    monitor: true, min_delta: true, patience: true, verbose: true, mode: true, strict: true, check_finite: true, stopping_threshold: true,
    divergence_threshold: true, check_on_train_epoch_end: true, log_rank_zero_only: true,
  }),
  modelSummary: keysOf<NonNullable<ConstructorParameters<typeof ModelSummary>[0]>>({ max_depth: true }),
  progressBar: keysOf<ProgressBarOptions>({ refresh_rate: true, force: true, stream: true, leave: true }),
  lrMonitor: keysOf<NonNullable<ConstructorParameters<typeof LearningRateMonitor>[0]>>({ logging_interval: true, log_momentum: true }),
  csv: keysOf<CSVLoggerOptions>({ save_dir: true, name: true, version: true, prefix: true, flush_logs_every_n_steps: true }),
  tensorboard: keysOf<TensorBoardLoggerOptions>({ save_dir: true, name: true, version: true, log_graph: true, default_hp_metric: true, prefix: true }),
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
export function registerCopperTargets(): void {
  if (done) return;
  done = true;
  const K = TARGET_KEYS;
  const classes: [string[], new (...a: any[]) => unknown, string[]][] = [
    [['copper.data.ImageFolderDataModule'], ImageFolderDataModule, K.data],
    [['copper.models.ImageClassifier'], ImageClassifier, K.classifier],
    [['copper.models.SimpleCNN'], SimpleCNN, K.simpleCnn],
    [['copper.models.TinyResNet'], TinyResNet, K.tinyResnet],
    [['copper.trainer.Trainer', 'lightning.pytorch.trainer.Trainer', 'lightning.Trainer', 'pytorch_lightning.Trainer'], Trainer, K.trainer],
    [['copper.callbacks.ModelCheckpoint', 'lightning.pytorch.callbacks.ModelCheckpoint'], ModelCheckpoint, K.modelCheckpoint],
    [['copper.callbacks.EarlyStopping', 'lightning.pytorch.callbacks.EarlyStopping'], EarlyStopping, K.earlyStopping],
    [['copper.callbacks.ModelSummary', 'lightning.pytorch.callbacks.RichModelSummary', 'lightning.pytorch.callbacks.ModelSummary'], ModelSummary, K.modelSummary],
    [['copper.callbacks.ProgressBar', 'lightning.pytorch.callbacks.RichProgressBar', 'lightning.pytorch.callbacks.TQDMProgressBar'], ProgressBar, K.progressBar],
    [['copper.callbacks.LearningRateMonitor', 'lightning.pytorch.callbacks.LearningRateMonitor'], LearningRateMonitor, K.lrMonitor],
    [['copper.loggers.CSVLogger', 'lightning.pytorch.loggers.csv_logs.CSVLogger', 'lightning.pytorch.loggers.CSVLogger'], CSVLogger, K.csv],
    [['copper.loggers.TensorBoardLogger', 'lightning.pytorch.loggers.tensorboard.TensorBoardLogger', 'lightning.pytorch.loggers.TensorBoardLogger'], TensorBoardLogger, K.tensorboard],
  ];
  for (const [names, cls, keys] of classes) for (const n of names) registerTarget(n, cls as never, { isClass: true, keys });

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
