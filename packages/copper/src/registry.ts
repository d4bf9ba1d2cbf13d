/**
 * The `_target_` names configs use, registered with @copper/hydra's instantiate: copper's classes
 * (`copper.models.ImageClassifier`, ...), torch optimizers and schedulers taking Python's
 * snake_case options (`torch.optim.Adam` with `weight_decay`), and the Lightning class paths of
 * lightning-hydra-template configs (`lightning.pytorch.callbacks.ModelCheckpoint`, ...).
 */
import { registerTarget } from '@copper/hydra';
import { ImageFolderDataModule, type ImageFolderDataModuleOptions } from './data/datamodule.js';
import { Trainer, TRAINER_KEYS } from './trainer/trainer.js';
import { ModelCheckpoint, type ModelCheckpointOptions } from './callbacks/model-checkpoint.js';
import { EarlyStopping, type EarlyStoppingOptions } from './callbacks/early-stopping.js';
import { ModelSummary } from './callbacks/model-summary.js';
import { ProgressBar, type ProgressBarOptions } from './callbacks/progress-bar.js';
import { LearningRateMonitor } from './callbacks/lr-monitor.js';
import { BackboneFinetuning, type BackboneFinetuningOptions } from './callbacks/backbone-finetuning.js';
import { CSVLogger, type CSVLoggerOptions } from './loggers/csv.js';
import { TensorBoardLogger, type TensorBoardLoggerOptions } from './loggers/tensorboard.js';
import { keysOf, MODEL_TARGET_KEYS, registerModelTargets } from './registry-models.js';

export { assertRegisteredTargets, registerModelTargets } from './registry-models.js';

/** The keyword arguments each target takes (a config key outside them fails, as Python's TypeError). */
export const TARGET_KEYS = {
  data: keysOf<ImageFolderDataModuleOptions>({
    data_dir: true, image_size: true, batch_size: true, num_workers: true, train_val_test_split: true, seed: true, channels: true,
    train_transforms: true, eval_transforms: true, mean: true, std: true, dvc_checkout: true, allow_modified: true, classes: true,
  }),
  ...MODEL_TARGET_KEYS,
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
  backboneFinetuning: keysOf<BackboneFinetuningOptions>({
    unfreeze_backbone_at_epoch: true, lambda_func: true, backbone_initial_ratio_lr: true, backbone_initial_lr: true, should_align: true,
    initial_denom_lr: true, train_bn: true, verbose: true, rounding: true,
  }),
  csv: keysOf<CSVLoggerOptions>({ save_dir: true, name: true, version: true, prefix: true, flush_logs_every_n_steps: true }),
  tensorboard: keysOf<TensorBoardLoggerOptions>({ save_dir: true, name: true, version: true, log_graph: true, default_hp_metric: true, prefix: true, sub_dir: true }),
} satisfies Record<string, string[]>;

let done = false;
export function registerCopperTargets(): void {
  if (done) return;
  done = true;
  registerModelTargets();
  const K = TARGET_KEYS;
  const classes: [string[], new (...a: any[]) => unknown, string[]][] = [
    [['copper.data.ImageFolderDataModule'], ImageFolderDataModule, K.data],
    [['copper.trainer.Trainer', 'lightning.pytorch.trainer.Trainer', 'lightning.Trainer', 'pytorch_lightning.Trainer'], Trainer, K.trainer],
    [['copper.callbacks.ModelCheckpoint', 'lightning.pytorch.callbacks.ModelCheckpoint'], ModelCheckpoint, K.modelCheckpoint],
    [['copper.callbacks.EarlyStopping', 'lightning.pytorch.callbacks.EarlyStopping'], EarlyStopping, K.earlyStopping],
    [['copper.callbacks.ModelSummary', 'lightning.pytorch.callbacks.RichModelSummary', 'lightning.pytorch.callbacks.ModelSummary'], ModelSummary, K.modelSummary],
    [['copper.callbacks.ProgressBar', 'lightning.pytorch.callbacks.RichProgressBar', 'lightning.pytorch.callbacks.TQDMProgressBar'], ProgressBar, K.progressBar],
    [['copper.callbacks.LearningRateMonitor', 'lightning.pytorch.callbacks.LearningRateMonitor'], LearningRateMonitor, K.lrMonitor],
    [['copper.callbacks.BackboneFinetuning', 'lightning.pytorch.callbacks.BackboneFinetuning', 'pytorch_lightning.callbacks.BackboneFinetuning'], BackboneFinetuning, K.backboneFinetuning],
    [['copper.loggers.CSVLogger', 'lightning.pytorch.loggers.csv_logs.CSVLogger', 'lightning.pytorch.loggers.CSVLogger'], CSVLogger, K.csv],
    [['copper.loggers.TensorBoardLogger', 'lightning.pytorch.loggers.tensorboard.TensorBoardLogger', 'lightning.pytorch.loggers.TensorBoardLogger'], TensorBoardLogger, K.tensorboard],
  ];
  for (const [names, cls, keys] of classes) for (const n of names) registerTarget(n, cls as never, { isClass: true, keys });
}
