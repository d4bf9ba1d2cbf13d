/** Experiment loggers: where hyperparameters and metrics go (CSV, TensorBoard). */
export interface ExperimentLogger {
  readonly name: string;
  /** Folder this logger writes into (null when it writes nothing). */
  readonly logDir: string | null;
  logHyperparams(params: Record<string, unknown>): void;
  logMetrics(metrics: Record<string, number>, step: number): void;
  /** Writes buffered data. */
  save(): void;
  finalize(status: 'success' | 'failed' | 'interrupted'): void;
}

/** The `version_N` folder after the highest existing one (Lightning's versioning). */
import { readdirSync } from 'node:fs';
export function nextVersion(dir: string): number {
  let max = -1;
  try {
    for (const n of readdirSync(dir)) {
      const m = /^version_(\d+)$/.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
  } catch {
    /* no folder yet */
  }
  return max + 1;
}
