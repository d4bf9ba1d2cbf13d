/**
 * ImageClassifier: the LightningModule of the template (lightning-hydra-template's MNISTLitModule
 * for images): cross-entropy on `net`'s logits, train/val/test loss and accuracy, the best
 * validation accuracy so far (`val/acc_best`), optimizer and scheduler from (partial) configs.
 */
import * as torch from '@copper/torch';
import type { Batch } from '../data/loader.js';
import { LightningModule, type AnyOptimizer, type OptimizerConfig, type SchedulerLike } from './lightning-module.js';
import { MaxMetric, MeanMetric, correctCount } from './metrics.js';

export interface ImageClassifierOptions {
  net: torch.nn.Module;
  /** (params) => optimizer; a `_partial_: true` optimizer config. */
  optimizer?: ((params: torch.Tensor[]) => AnyOptimizer) | null;
  /** (optimizer) => scheduler; a `_partial_: true` scheduler config, or null. */
  scheduler?: ((optimizer: AnyOptimizer) => SchedulerLike) | null;
  /** Metric a ReduceLROnPlateau scheduler watches. */
  scheduler_monitor?: string;
  /** Scheduler step: 'epoch' or 'step'. */
  scheduler_interval?: 'epoch' | 'step';
  compile?: boolean;
}

export class ImageClassifier extends LightningModule {
  readonly net: torch.nn.Module;
  private readonly makeOptimizer: (params: torch.Tensor[]) => AnyOptimizer;
  private readonly makeScheduler: ((optimizer: AnyOptimizer) => SchedulerLike) | null;
  private readonly valAccBest = new MaxMetric();
  private readonly valAcc = new MeanMetric();

  constructor(private readonly opts: ImageClassifierOptions) {
    super();
    if (!opts || !(opts.net instanceof torch.nn.Module)) throw new Error('ImageClassifier: `net` must be a network (a config with a _target_)');
    this.net = opts.net;
    this.makeOptimizer = opts.optimizer ?? ((p) => new torch.optim.Adam(p, { lr: 1e-3 }) as unknown as AnyOptimizer);
    this.makeScheduler = opts.scheduler ?? null;
  }

  override forward(x: torch.Tensor): torch.Tensor {
    return this.net.forward(x);
  }

  private step(batch: Batch): { loss: torch.Tensor; correct: number; n: number } {
    const logits = this.forward(batch.x);
    const loss = torch.F.crossEntropy(logits, batch.y);
    return { loss, correct: correctCount(logits, batch.y), n: batch.y.shape[0]! };
  }

  override onTrainEpochStart(): void {
    this.valAcc.reset();
  }

  trainingStep(batch: Batch): torch.Tensor {
    const { loss, correct, n } = this.step(batch);
    this.log('train/loss', loss.item(), { onStep: false, onEpoch: true, progBar: true, syncDist: true });
    this.log('train/acc', correct / n, { onStep: false, onEpoch: true, progBar: true, syncDist: true });
    return loss;
  }

  override onValidationEpochStart(): void {
    this.valAcc.reset();
  }

  override validationStep(batch: Batch): void {
    torch.tidy(() => {
      const { loss, correct, n } = this.step(batch);
      this.valAcc.update(correct / n, n);
      this.log('val/loss', loss.item(), { progBar: true, syncDist: true });
      this.log('val/acc', correct / n, { progBar: true, syncDist: true });
    });
  }

  override onValidationEpochEnd(): void {
    // the accuracy over every process's images under strategy=ddp (torchmetrics syncs in compute())
    const [sum, weight] = this.allReduceSum([this.valAcc.sum, this.valAcc.weight]) as [number, number];
    const acc = weight ? sum / weight : NaN;
    if (!Number.isNaN(acc)) this.valAccBest.update(acc);
    if (this.valAccBest.value > -Infinity) this.log('val/acc_best', this.valAccBest.compute(), { progBar: true, onEpoch: true, onStep: false, batchSize: 1 });
  }

  /** Resets best-so-far tracking (after the sanity check, as the template's on_train_start). */
  override onFitStart(): void {
    this.valAccBest.reset();
  }

  /**
   * When set (copper_eval's predictions_file), each test sample's class index and the predicted
   * one are appended here, with the image's path.
   */
  testPredictions: Array<{ path: string; actual: number; predicted: number }> | null = null;

  override testStep(batch: Batch): void {
    torch.tidy(() => {
      const logits = this.forward(batch.x);
      const loss = torch.F.crossEntropy(logits, batch.y);
      const n = batch.y.shape[0]!;
      this.log('test/loss', loss.item(), { syncDist: true });
      this.log('test/acc', correctCount(logits, batch.y) / n, { syncDist: true });
      if (this.testPredictions) {
        const predicted = logits.argmax(-1).toArray();
        const actual = batch.y.toArray();
        for (let i = 0; i < n; i++) this.testPredictions.push({ path: batch.paths[i] ?? '', actual: Number(actual[i]), predicted: Number(predicted[i]) });
      }
    });
  }

  configureOptimizers(): OptimizerConfig {
    const optimizer = this.makeOptimizer(this.parameters());
    if (!this.makeScheduler) return { optimizer };
    return {
      optimizer,
      lrScheduler: { scheduler: this.makeScheduler(optimizer), monitor: this.opts.scheduler_monitor ?? 'val/loss', interval: this.opts.scheduler_interval ?? 'epoch', frequency: 1 },
    };
  }
}
