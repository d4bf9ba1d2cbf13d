/**
 * CSVLogger (Lightning's): `<save_dir>/<name>/version_<n>/metrics.csv` with one row per logging
 * call (columns: every metric name seen, sorted, `step` among them) and `hparams.yaml`.
 * Files are rewritten atomically when flushed.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dumpYaml } from '@copper/hydra';
import { nextVersion, type ExperimentLogger } from './logger.js';

export interface CSVLoggerOptions {
  save_dir: string;
  name?: string | null;
  version?: number | string | null;
  prefix?: string;
  flush_logs_every_n_steps?: number;
}

function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class CSVLogger implements ExperimentLogger {
  readonly name: string;
  readonly logDir: string;
  readonly version: string;
  private rows: Record<string, number>[] = [];
  private hparams: Record<string, unknown> = {};
  private readonly prefix: string;
  private readonly flushEvery: number;
  private sinceFlush = 0;

  constructor(opts: CSVLoggerOptions) {
    const saveDir = resolve(opts.save_dir);
    this.name = opts.name ?? '';
    const base = this.name ? join(saveDir, this.name) : saveDir;
    const v = opts.version ?? nextVersion(base);
    this.version = typeof v === 'number' ? `version_${v}` : String(v);
    this.logDir = join(base, this.version);
    this.prefix = opts.prefix ?? '';
    this.flushEvery = opts.flush_logs_every_n_steps ?? 100;
  }

  get metricsFile(): string {
    return join(this.logDir, 'metrics.csv');
  }

  logHyperparams(params: Record<string, unknown>): void {
    this.hparams = { ...this.hparams, ...params };
    mkdirSync(this.logDir, { recursive: true });
    atomicWrite(join(this.logDir, 'hparams.yaml'), dumpYaml(this.hparams));
  }

  logMetrics(metrics: Record<string, number>, step: number): void {
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) row[this.prefix ? `${this.prefix}-${k}` : k] = v;
    row.step = step;
    this.rows.push(row);
    if (++this.sinceFlush >= this.flushEvery) this.save();
  }

  save(): void {
    this.sinceFlush = 0;
    if (!this.rows.length) return;
    const keys = [...new Set(this.rows.flatMap((r) => Object.keys(r)))].sort();
    const lines = [keys.map(csvCell).join(',')];
    for (const r of this.rows) lines.push(keys.map((k) => csvCell(r[k])).join(','));
    mkdirSync(this.logDir, { recursive: true });
    atomicWrite(this.metricsFile, lines.join('\n') + '\n');
  }

  finalize(): void {
    this.save();
  }
}
