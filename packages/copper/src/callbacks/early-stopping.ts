/** EarlyStopping (Lightning's): stops when the monitored metric stops improving for `patience` checks. */
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';
import { CopperError } from '../utils/errors.js';

export interface EarlyStoppingOptions {
  monitor: string;
  min_delta?: number;
  patience?: number;
  verbose?: boolean;
  mode?: 'min' | 'max';
  strict?: boolean;
  check_finite?: boolean;
  stopping_threshold?: number | null;
  divergence_threshold?: number | null;
  check_on_train_epoch_end?: boolean | null;
  log_rank_zero_only?: boolean;
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly strict: boolean;
  readonly checkFinite: boolean;
  readonly stoppingThreshold: number | null;
  readonly divergenceThreshold: number | null;
  readonly verbose: boolean;
  waitCount = 0;
  best: number;
  stoppedEpoch = 0;
  stopReason: string | null = null;

  constructor(opts: EarlyStoppingOptions) {
    super();
    if (!opts?.monitor) throw new CopperError('early_stopping.monitor must name a logged metric');
    this.monitor = opts.monitor;
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new CopperError(`early_stopping.mode must be 'min' or 'max', got '${String(opts.mode)}'`);
    this.minDelta = Math.abs(opts.min_delta ?? 0) * (this.mode === 'min' ? -1 : 1);
    this.patience = opts.patience ?? 3;
    this.strict = opts.strict ?? true;
    this.checkFinite = opts.check_finite ?? true;
    this.stoppingThreshold = opts.stopping_threshold ?? null;
    this.divergenceThreshold = opts.divergence_threshold ?? null;
    this.verbose = opts.verbose === true;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private improved(v: number): boolean {
    return this.mode === 'min' ? v < this.best + this.minDelta : v > this.best + this.minDelta;
  }

  override onValidationEnd(trainer: Trainer, model: LightningModule): void {
    void model;
    if (trainer.sanityChecking || trainer.fastDevRun) return;
    const v = trainer.callbackMetrics[this.monitor];
    if (v === undefined) {
      if (this.strict) {
        throw new CopperError(`EarlyStopping could not find the monitored metric '${this.monitor}' (available: ${Object.keys(trainer.callbackMetrics).join(', ') || 'none'})`);
      }
      return;
    }
    let stop = false;
    let reason: string | null = null;
    const better = (a: number, b: number) => (this.mode === 'min' ? a < b : a > b);
    if (this.checkFinite && !Number.isFinite(v)) {
      stop = true;
      reason = `Monitored metric ${this.monitor} = ${v} is not finite.`;
    } else if (this.stoppingThreshold !== null && better(v, this.stoppingThreshold)) {
      stop = true;
      reason = `Stopping threshold reached: ${this.monitor} = ${v}.`;
    } else if (this.divergenceThreshold !== null && better(this.divergenceThreshold, v)) {
      stop = true;
      reason = `Divergence threshold reached: ${this.monitor} = ${v}.`;
    } else if (this.improved(v)) {
      this.best = v;
      this.waitCount = 0;
    } else {
      this.waitCount++;
      if (this.waitCount >= this.patience) {
        stop = true;
        reason = `Monitored metric ${this.monitor} did not improve in the last ${this.waitCount} records. Best score: ${this.best.toFixed(3)}.`;
      }
    }
    if (stop) {
      trainer.shouldStop = true;
      this.stoppedEpoch = trainer.currentEpoch;
      this.stopReason = reason;
      trainer.log(`Early stopping: ${reason}`);
    }
  }

  override stateDict(): Record<string, unknown> {
    return { wait_count: this.waitCount, stopped_epoch: this.stoppedEpoch, best_score: this.best, patience: this.patience };
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    this.waitCount = Number(sd.wait_count ?? 0);
    this.stoppedEpoch = Number(sd.stopped_epoch ?? 0);
    if (typeof sd.best_score === 'number') this.best = sd.best_score;
  }
}
