/**
 * ProgressBar: one line per loop on a TTY (epoch, batch i/n, images/s, the metrics the module
 * logs with progBar), redrawn at most every `refresh_rate` batches; prints nothing when stderr is
 * not a terminal (piped, CI) or with trainer.enable_progress_bar=false.
 */
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';

export interface ProgressBarOptions {
  refresh_rate?: number;
  /** Draw even when stderr is not a TTY (tests). */
  force?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  leave?: boolean;
}

export class ProgressBar extends Callback {
  /** Set by the CLIs' -q/--quiet. */
  static quiet = false;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private readonly refresh: number;
  private readonly force: boolean;
  private started = 0;
  private drawn = false;

  constructor(opts: ProgressBarOptions = {}) {
    super();
    this.stream = opts.stream ?? process.stderr;
    this.refresh = Math.max(1, opts.refresh_rate ?? 1);
    this.force = opts.force === true;
  }

  enabled(trainer: Trainer): boolean {
    return trainer.isGlobalZero && trainer.progressEnabled && !ProgressBar.quiet && (this.force || this.stream.isTTY === true);
  }

  private draw(trainer: Trainer, label: string, i: number, n: number, metrics: Record<string, number>): void {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? i / secs : 0;
    const width = 20;
    const done = n > 0 ? Math.round((i / n) * width) : 0;
    const bar = `[${'='.repeat(Math.max(0, done - 1))}${done > 0 ? (i === n ? '=' : '>') : ''}${' '.repeat(width - done)}]`;
    const m = Object.entries(metrics)
      .map(([k, v]) => `${k}=${v.toFixed(3)}`)
      .join(' ');
    let line = `${label} ${bar} ${i}/${n} ${rate.toFixed(1)} it/s ${m}`;
    const cols = this.stream.columns ?? 120;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
    void trainer;
  }

  private end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  override onTrainEpochStart(trainer: Trainer): void {
    this.started = Date.now();
  }
  override onTrainBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void model;
    if (!this.enabled(trainer)) return;
    const n = trainer.numTrainBatches;
    if ((batchIdx + 1) % this.refresh === 0 || batchIdx + 1 === n) {
      this.draw(trainer, `Epoch ${trainer.currentEpoch}`, batchIdx + 1, n, trainer.progressBarMetrics);
    }
  }
  override onTrainEpochEnd(trainer: Trainer): void {
    if (this.enabled(trainer)) this.end();
  }
  private evalStart = 0;
  override onValidationStart(trainer: Trainer): void {
    void trainer;
    this.evalStart = Date.now();
  }
  override onValidationBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void model;
    if (!this.enabled(trainer) || trainer.state.fn === 'fit') return;
    const s = this.started;
    this.started = this.evalStart;
    this.draw(trainer, 'Validation', batchIdx + 1, trainer.numValBatches, {});
    this.started = s;
  }
  override onValidationEnd(trainer: Trainer): void {
    if (this.enabled(trainer) && trainer.state.fn !== 'fit') this.end();
  }
  override onTestStart(trainer: Trainer): void {
    void trainer;
    this.started = Date.now();
  }
  override onTestBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void model;
    if (!this.enabled(trainer)) return;
    this.draw(trainer, 'Testing', batchIdx + 1, trainer.numTestBatches, {});
  }
  override onTestEnd(trainer: Trainer): void {
    if (this.enabled(trainer)) this.end();
  }
}
