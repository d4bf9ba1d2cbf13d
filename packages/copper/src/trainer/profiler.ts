/**
 * trainer.profiler (Lightning's SimpleProfiler / AdvancedProfiler names): wall time of every
 * hook, step and data fetch, by action, reported as a table at the end of fit and of test.
 * `simple`: mean, calls, total and share per action; `advanced` adds min/max/std per call.
 * Action names follow Lightning's: `[Callback]ModelCheckpoint.on_train_epoch_end`,
 * `[LightningModule]ImageClassifier.training_step`, `[_TrainingEpochLoop].train_dataloader_next`
 * (time waiting for the next batch: data loading), `run_training_epoch`, ...
 */
import { CopperError } from '../utils/errors.js';

export type ProfilerKind = 'simple' | 'advanced';

interface Stat {
  n: number;
  total: number;
  min: number;
  max: number;
  sumSq: number;
}

export function parseProfiler(v: unknown): ProfilerKind | null {
  if (v === null || v === undefined || v === false) return null;
  if (v === 'simple' || v === 'advanced') return v;
  throw new CopperError(`trainer.profiler must be simple or advanced (or null), got ${JSON.stringify(v)}`);
}

export class Profiler {
  private stats = new Map<string, Stat>();
  private t0 = performance.now();

  constructor(readonly kind: ProfilerKind) {}

  /** Starts timing `action`; call the returned function when it ends. */
  start(action: string): () => void {
    const t = performance.now();
    return () => this.record(action, (performance.now() - t) / 1000);
  }

  record(action: string, seconds: number): void {
    let s = this.stats.get(action);
    if (!s) this.stats.set(action, (s = { n: 0, total: 0, min: Infinity, max: 0, sumSq: 0 }));
    s.n++;
    s.total += seconds;
    s.sumSq += seconds * seconds;
    if (seconds < s.min) s.min = seconds;
    if (seconds > s.max) s.max = seconds;
  }

  time<T>(action: string, fn: () => T): T {
    const stop = this.start(action);
    try {
      return fn();
    } finally {
      stop();
    }
  }

  async timeAsync<T>(action: string, fn: () => T | Promise<T>): Promise<T> {
    const stop = this.start(action);
    try {
      return await fn();
    } finally {
      stop();
    }
  }

  /** The batches of `source`, with the wait for each one recorded as `action` (data loading). */
  async *batches<T>(source: AsyncIterable<T>, action: string): AsyncGenerator<T> {
    const it = source[Symbol.asyncIterator]();
    let done = false;
    try {
      for (;;) {
        const stop = this.start(action);
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        stop();
        yield r.value;
      }
    } finally {
      if (!done) await it.return?.();
    }
  }

  /** Clears what was recorded and restarts the total clock. */
  reset(): void {
    this.stats.clear();
    this.t0 = performance.now();
  }

  /** Lightning's report table: actions by total time, with the run's total first. */
  report(stage: string): string {
    const total = (performance.now() - this.t0) / 1000;
    const rows = [...this.stats.entries()].sort((a, b) => b[1].total - a[1].total);
    const calls = rows.reduce((n, [, s]) => n + s.n, 0);
    const advanced = this.kind === 'advanced';
    const head = ['Action', 'Mean duration (s)', 'Num calls', 'Total time (s)', 'Percentage %', ...(advanced ? ['Min (s)', 'Max (s)', 'Std (s)'] : [])];
    const fmt = (x: number) => x.toFixed(5);
    const body: string[][] = [['Total', '-', String(calls), fmt(total), '100 %', ...(advanced ? ['-', '-', '-'] : [])]];
    for (const [name, s] of rows) {
      const mean = s.total / s.n;
      const std = Math.sqrt(Math.max(0, s.sumSq / s.n - mean * mean));
      body.push([name, fmt(mean), String(s.n), fmt(s.total), `${((100 * s.total) / (total || 1)).toFixed(3)} %`, ...(advanced ? [fmt(s.min), fmt(s.max), fmt(std)] : [])]);
    }
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    const line = (r: string[]) => `|  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  |  ')}  |`;
    const rule = '-'.repeat(line(head).length);
    return [`${stage} Profiler Report`, '', rule, line(head), rule, line(body[0]!), rule, ...body.slice(1).map(line), rule].join('\n');
  }
}
