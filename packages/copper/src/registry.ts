/**
 * The `_target_` names configs use, registered with @copper/hydra's instantiate: copper's classes
 * (`copper.models.ImageClassifier`, ...), torch optimizers and schedulers taking Python's
 * snake_case options (`torch.optim.Adam` with `weight_decay`), and the Lightning class paths of
 * lightning-hydra-template configs (`lightning.pytorch.callbacks.ModelCheckpoint`, ...).
 */
import * as torch from '@copper/torch';
import { registerTarget } from '@copper/hydra';
import { ImageFolderDataModule } from './data/datamodule.js';
import { ImageClassifier } from './models/classifier.js';
import { SimpleCNN, TinyResNet } from './models/nets.js';
import { builders as visionBuilders } from './models/torchvision.js';
import { Trainer } from './trainer/trainer.js';
import { ModelCheckpoint } from './callbacks/model-checkpoint.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { ModelSummary } from './callbacks/model-summary.js';
import { ProgressBar } from './callbacks/progress-bar.js';
import { LearningRateMonitor } from './callbacks/lr-monitor.js';
import { BackboneFinetuning } from './callbacks/backbone-finetuning.js';
import { CSVLogger } from './loggers/csv.js';
import { TensorBoardLogger } from './loggers/tensorboard.js';
import { CopperError } from './utils/errors.js';

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
  const classes: [string[], new (...a: any[]) => unknown][] = [
    [['copper.data.ImageFolderDataModule'], ImageFolderDataModule],
    [['copper.models.ImageClassifier'], ImageClassifier],
    [['copper.models.SimpleCNN'], SimpleCNN],
    [['copper.models.TinyResNet'], TinyResNet],
    [['copper.trainer.Trainer', 'lightning.pytorch.trainer.Trainer', 'lightning.Trainer', 'pytorch_lightning.Trainer'], Trainer],
    [['copper.callbacks.ModelCheckpoint', 'lightning.pytorch.callbacks.ModelCheckpoint'], ModelCheckpoint],
    [['copper.callbacks.EarlyStopping', 'lightning.pytorch.callbacks.EarlyStopping'], EarlyStopping],
    [['copper.callbacks.ModelSummary', 'lightning.pytorch.callbacks.RichModelSummary', 'lightning.pytorch.callbacks.ModelSummary'], ModelSummary],
    [['copper.callbacks.ProgressBar', 'lightning.pytorch.callbacks.RichProgressBar', 'lightning.pytorch.callbacks.TQDMProgressBar'], ProgressBar],
    [['copper.callbacks.LearningRateMonitor', 'lightning.pytorch.callbacks.LearningRateMonitor'], LearningRateMonitor],
    [['copper.callbacks.BackboneFinetuning', 'lightning.pytorch.callbacks.BackboneFinetuning', 'pytorch_lightning.callbacks.BackboneFinetuning'], BackboneFinetuning],
    [['copper.loggers.CSVLogger', 'lightning.pytorch.loggers.csv_logs.CSVLogger', 'lightning.pytorch.loggers.CSVLogger'], CSVLogger],
    [['copper.loggers.TensorBoardLogger', 'lightning.pytorch.loggers.tensorboard.TensorBoardLogger', 'lightning.pytorch.loggers.TensorBoardLogger'], TensorBoardLogger],
  ];
  for (const [names, cls] of classes) for (const n of names) registerTarget(n, cls as never, { isClass: true });
  // torchvision-compatible networks: copper.models.resnet18 or torchvision's own path
  for (const [name, fn] of Object.entries(visionBuilders)) {
    registerTarget(`copper.models.${name}`, fn as never);
    registerTarget(`torchvision.models.${name}`, fn as never);
  }

  registerTarget('torch.optim.Adam', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.Adam(params, camelKeys(o)));
  registerTarget('torch.optim.AdamW', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.AdamW(params, camelKeys(o)));
  registerTarget('torch.optim.SGD', (params: torch.Tensor[], o?: Record<string, unknown>) => new torch.optim.SGD(params, camelKeys(o) as { lr: number }));
  const S = torch.optim.lrScheduler;
  registerTarget('torch.optim.lr_scheduler.ReduceLROnPlateau', (opt: never, o?: Record<string, unknown>) => new S.ReduceLROnPlateau(opt, camelKeys(o)));
  registerTarget('torch.optim.lr_scheduler.StepLR', (opt: never, o: { step_size: number; gamma?: number }) => new S.StepLR(opt, o.step_size, o.gamma ?? 0.1));
  registerTarget('torch.optim.lr_scheduler.ExponentialLR', (opt: never, o: { gamma: number }) => new S.ExponentialLR(opt, o.gamma));
  registerTarget('torch.optim.lr_scheduler.CosineAnnealingLR', (opt: never, o: { T_max: number; eta_min?: number }) => new S.CosineAnnealingLR(opt, o.T_max, o.eta_min ?? 0));
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
