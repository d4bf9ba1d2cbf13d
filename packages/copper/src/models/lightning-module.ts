/**
 * LightningModule: a model plus what it does in each step (trainingStep returns the loss;
 * validationStep/testStep log metrics), which optimizer it wants (configureOptimizers), and
 * hooks the Trainer calls. `log()` records a metric for the trainer to aggregate and send to the
 * loggers, the progress bar and the callbacks (ModelCheckpoint/EarlyStopping monitors).
 */
import * as torch from '@copper/torch';
import type { Batch } from '../data/loader.js';

export interface LogOptions {
  /** Show on the progress bar. */
  progBar?: boolean;
  /** Log the value of this step (default: true in training, false in validation/test). */
  onStep?: boolean;
  /** Log the epoch's mean (default: false in training, true in validation/test). */
  onEpoch?: boolean;
  /** Weight of the value in the epoch mean (default: the batch's size). */
  batchSize?: number;
  /** Under strategy=ddp: the epoch mean over every rank's images (default: this rank's). */
  syncDist?: boolean;
}

export interface LoggedValue {
  value: number;
  opts: LogOptions;
}

export type AnyOptimizer = torch.optim.Optimizer<{ lr: number }>;
export interface SchedulerLike {
  step(metric?: number): void;
  getLastLr(): number[];
  stateDict?(): Record<string, unknown>;
  loadStateDict?(sd: Record<string, unknown>): void;
}
export interface SchedulerConfig {
  scheduler: SchedulerLike;
  /** Step it every 'epoch' (default) or every optimizer 'step'. */
  interval?: 'epoch' | 'step';
  frequency?: number;
  /** Metric passed to step() (ReduceLROnPlateau). */
  monitor?: string;
}
export interface OptimizerConfig {
  optimizer: AnyOptimizer;
  lrScheduler?: SchedulerConfig | null;
}

export abstract class LightningModule extends torch.nn.Module {
  /** Saved in checkpoints as `hyper_parameters`. */
  hparams: Record<string, unknown> = {};
  /** @internal values logged during the current step */
  _logged = new Map<string, LoggedValue>();
  /** @internal which stage is running, for log() defaults */
  _stage: 'train' | 'val' | 'test' | 'predict' = 'train';
  /** @internal the current batch size, for log() weights */
  _batchSize = 1;

  log(name: string, value: number | torch.Tensor, opts: LogOptions = {}): void {
    const v = value instanceof torch.Tensor ? value.item() : value;
    const train = this._stage === 'train';
    this._logged.set(name, {
      value: v,
      opts: { onStep: opts.onStep ?? train, onEpoch: opts.onEpoch ?? !train, progBar: opts.progBar ?? false, batchSize: opts.batchSize ?? this._batchSize, syncDist: opts.syncDist ?? false },
    });
  }

  /** @internal set by the trainer under strategy=ddp */
  _allReduceSum: ((values: number[]) => number[]) | null = null;

  /** Each number summed over all processes (strategy=ddp; unchanged in one process). Every rank must call it. */
  allReduceSum(values: number[]): number[] {
    return this._allReduceSum ? this._allReduceSum(values) : [...values];
  }
  logDict(values: Record<string, number | torch.Tensor>, opts: LogOptions = {}): void {
    for (const [k, v] of Object.entries(values)) this.log(k, v, opts);
  }

  forward(x: torch.Tensor): torch.Tensor {
    void x;
    throw new Error(`${this.constructor.name} has no forward()`);
  }

  /** The loss of one training batch (the trainer runs backward and the optimizer). */
  abstract trainingStep(batch: Batch, batchIdx: number): torch.Tensor;
  validationStep(batch: Batch, batchIdx: number): void {
    void batch;
    void batchIdx;
  }
  testStep(batch: Batch, batchIdx: number): void {
    void batch;
    void batchIdx;
  }
  /** Class probabilities for a batch of images. */
  predictStep(x: torch.Tensor): torch.Tensor {
    return this.forward(x).softmax(-1);
  }
  abstract configureOptimizers(): OptimizerConfig;

  // hooks (no-ops by default)
  onFitStart(): void {}
  onTrainEpochStart(): void {}
  onTrainEpochEnd(): void {}
  onValidationEpochStart(): void {}
  onValidationEpochEnd(): void {}
  onTestEpochEnd(): void {}
}
