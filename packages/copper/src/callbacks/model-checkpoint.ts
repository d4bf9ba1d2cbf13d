/**
 * ModelCheckpoint (Lightning's): after each epoch (every_n_epochs), saves `<dirpath>/<filename>.ckpt`
 * when the monitored metric is among the best `save_top_k` (or always without a monitor), deletes
 * checkpoints that fell out of the top k, and keeps `last.ckpt` with save_last. Filenames use
 * Lightning's template: 'epoch_{epoch:03d}' or '{epoch}-{val/acc:.2f}' (auto_insert_metric_name
 * writes 'epoch=3-val/acc=0.91' style names, with '/' replaced by '_').
 */
import { existsSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';
import { CopperError } from '../utils/errors.js';

export interface ModelCheckpointOptions {
  dirpath?: string | null;
  filename?: string | null;
  monitor?: string | null;
  verbose?: boolean;
  save_last?: boolean | null;
  save_top_k?: number;
  mode?: 'min' | 'max';
  auto_insert_metric_name?: boolean;
  save_weights_only?: boolean;
  every_n_train_steps?: number | null;
  train_time_interval?: unknown;
  every_n_epochs?: number | null;
  save_on_train_epoch_end?: boolean | null;
}

function formatNumber(v: number, spec: string | undefined): string {
  if (!spec) return Number.isInteger(v) ? String(v) : String(v);
  const m = /^(0?)(\d*)(?:\.(\d+))?([dfe]?)$/.exec(spec);
  if (!m) return String(v);
  const [, zero, width, prec, type] = m;
  let s = type === 'd' ? String(Math.round(v)) : prec !== undefined ? v.toFixed(Number(prec)) : type === 'e' ? v.toExponential() : String(v);
  if (width) s = s.padStart(Number(width), zero ? '0' : ' ');
  return s;
}

/** Lightning's checkpoint name formatting: '{epoch:03d}-{val/loss:.2f}'. */
export function formatCheckpointName(template: string, metrics: Record<string, number>, autoInsert: boolean): string {
  const name = template.replace(/\{([^{}:]+)(?::([^{}]+))?\}/g, (_, key: string, spec: string | undefined) => {
    const v = metrics[key];
    const val = v === undefined ? '0' : formatNumber(v, spec);
    return autoInsert ? `${key}=${val}` : val;
  });
  return name.replace(/\//g, '_');
}

export class ModelCheckpoint extends Callback {
  readonly dirpath: string | null;
  readonly filename: string;
  readonly monitor: string | null;
  readonly mode: 'min' | 'max';
  readonly saveTopK: number;
  readonly saveLast: boolean;
  readonly autoInsert: boolean;
  readonly weightsOnly: boolean;
  readonly everyNEpochs: number;
  readonly verbose: boolean;
  bestModelPath = '';
  bestModelScore: number | null = null;
  lastModelPath = '';
  /** path -> score of the kept top-k checkpoints */
  bestKModels: Record<string, number> = {};
  private warnedMissing = false;

  constructor(opts: ModelCheckpointOptions = {}) {
    super();
    this.dirpath = opts.dirpath ? resolve(opts.dirpath) : null;
    this.monitor = opts.monitor ?? null;
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new CopperError(`model_checkpoint.mode must be 'min' or 'max', got '${String(opts.mode)}'`);
    this.saveTopK = opts.save_top_k ?? 1;
    this.saveLast = opts.save_last === true;
    this.autoInsert = opts.auto_insert_metric_name ?? true;
    this.filename = opts.filename ?? (this.autoInsert ? '{epoch}-{step}' : 'epoch_{epoch:03d}');
    this.weightsOnly = opts.save_weights_only === true;
    this.everyNEpochs = opts.every_n_epochs ?? 1;
    this.verbose = opts.verbose === true;
  }

  dir(trainer: Trainer): string {
    return this.dirpath ?? join(trainer.logDir ?? trainer.defaultRootDir, 'checkpoints');
  }

  private better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b : a > b;
  }

  /** The trainer of the current fit (only rank 0 deletes files under strategy=ddp). */
  private trainer: Trainer | null = null;

  override onTrainEpochEnd(trainer: Trainer, model: LightningModule): void {
    void model;
    this.trainer = trainer;
    if (!trainer.checkpointingEnabled || trainer.sanityChecking) return;
    if (this.everyNEpochs < 1 || (trainer.currentEpoch + 1) % this.everyNEpochs !== 0) return;
    const metrics: Record<string, number> = { ...trainer.callbackMetrics, epoch: trainer.currentEpoch, step: trainer.globalStep };
    const dir = this.dir(trainer);
    if (this.saveTopK !== 0) {
      const path = join(dir, `${formatCheckpointName(this.filename, metrics, this.autoInsert)}.ckpt`);
      if (!this.monitor) {
        trainer.saveCheckpoint(path, this.weightsOnly);
        if (this.saveTopK === 1 && this.bestModelPath && this.bestModelPath !== path) this.remove(this.bestModelPath);
        this.bestModelPath = path;
      } else {
        const score = trainer.callbackMetrics[this.monitor];
        const missing = `ModelCheckpoint(monitor='${this.monitor}') could not find the monitored key in the logged metrics: ${Object.keys(trainer.callbackMetrics).join(', ') || '(none)'}`;
        if (score === undefined && trainer.validationHasRun) throw new CopperError(missing);
        if (score === undefined) {
          // as Lightning: only a warning while no validation has run (e.g. no validation split)
          if (!this.warnedMissing) trainer.log(`${missing} (no validation has run yet: no top-k checkpoint this epoch)`);
          this.warnedMissing = true;
        } else {
        const kept = Object.entries(this.bestKModels);
        const worst = kept.length ? kept.reduce((w, e) => (this.better(w[1], e[1]) ? e : w)) : null;
        const room = this.saveTopK < 0 || kept.length < this.saveTopK;
        if (Number.isFinite(score) && (room || (worst && this.better(score, worst[1])))) {
          trainer.saveCheckpoint(path, this.weightsOnly);
          if (!room && worst && worst[0] !== path) {
            delete this.bestKModels[worst[0]];
            this.remove(worst[0]);
          }
          this.bestKModels[path] = score;
          const best = Object.entries(this.bestKModels).reduce((b, e) => (this.better(e[1], b[1]) ? e : b));
          this.bestModelPath = best[0];
          this.bestModelScore = best[1];
          if (this.verbose) trainer.log(`Epoch ${trainer.currentEpoch}: '${this.monitor}' reached ${score.toFixed(5)}, saved ${path}`);
        } else if (this.verbose) trainer.log(`Epoch ${trainer.currentEpoch}: '${this.monitor}' was not in the top ${this.saveTopK}`);
        }
      }
    }
    if (this.saveLast) {
      const last = join(dir, 'last.ckpt');
      trainer.saveCheckpoint(last, this.weightsOnly);
      this.lastModelPath = last;
    }
  }

  private remove(path: string): void {
    if (this.trainer && !this.trainer.isGlobalZero) return;
    try {
      if (existsSync(path)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  }

  override stateDict(): Record<string, unknown> {
    return {
      monitor: this.monitor,
      best_model_score: this.bestModelScore,
      best_model_path: this.bestModelPath,
      last_model_path: this.lastModelPath,
      best_k_models: this.bestKModels,
      dirpath: this.dirpath,
    };
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    if (sd.monitor !== this.monitor) return;
    this.bestModelScore = (sd.best_model_score as number | null) ?? null;
    this.bestModelPath = String(sd.best_model_path ?? '');
    this.lastModelPath = String(sd.last_model_path ?? '');
    this.bestKModels = { ...((sd.best_k_models as Record<string, number>) ?? {}) };
  }
}
