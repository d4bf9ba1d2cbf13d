/** LearningRateMonitor: logs each parameter group's learning rate (`lr-Adam`, `lr-SGD/pg1`...). */
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';

export class LearningRateMonitor extends Callback {
  readonly interval: 'epoch' | 'step';
  constructor(opts: { logging_interval?: 'epoch' | 'step' | null; log_momentum?: boolean } = {}) {
    super();
    this.interval = opts.logging_interval === 'step' ? 'step' : 'epoch';
  }

  private rates(trainer: Trainer): Record<string, number> {
    const opt = trainer.optimizerConfig?.optimizer;
    if (!opt) return {};
    const name = opt.constructor.name;
    const out: Record<string, number> = {};
    opt.paramGroups.forEach((g, i) => (out[opt.paramGroups.length > 1 ? `lr-${name}/pg${i + 1}` : `lr-${name}`] = g.lr));
    return out;
  }

  override onTrainEpochStart(trainer: Trainer, model: LightningModule): void {
    void model;
    if (this.interval !== 'epoch') return;
    for (const l of trainer.loggers) l.logMetrics(this.rates(trainer), trainer.globalStep);
  }
  override onTrainBatchEnd(trainer: Trainer, model: LightningModule): void {
    void model;
    if (this.interval !== 'step') return;
    const every = trainer.opts.log_every_n_steps ?? 50;
    if (trainer.globalStep % every === 0) for (const l of trainer.loggers) l.logMetrics(this.rates(trainer), trainer.globalStep);
  }
}
