/**
 * A progress line for long operations (add, checkout, push, pull): files, bytes, rate and ETA,
 * redrawn in place on stderr at most 10 times a second, and erased when done.
 *
 *   const p = progress('Adding', { quiet: out.quiet });   // no-op unless stderr is a TTY
 *   p.setTotal({ files: 24999, bytes: 850e6 });          // optional, for "n/N" and ETA
 *   p.advance(1, size);                                  // from any loop or worker callback
 *   p.done();                                            // erases the line
 *
 * It draws nothing when stderr is not a TTY, with -q, when CI is set, or when TERM=dumb, so
 * piped output and logs stay clean. `advance` is a plain function (no `this`), so it can be
 * handed to the library as its `onProgress(files, bytes)` callback:
 *
 *   await add(repo, targets, { onProgress: p.advance }); p.done();
 */
import { formatBytes } from '../errors.js';

export { formatBytes };

/** What a command drives; NO_PROGRESS when nobody watches. */
export interface ProgressReporter {
  setTotal(total: { files?: number; bytes?: number }): void;
  advance(files: number, bytes?: number): void;
  done(): void;
}

export const NO_PROGRESS: ProgressReporter = {
  setTotal() {},
  advance() {},
  done() {},
};

export interface ProgressOptions {
  quiet?: boolean;
  /** Where to draw (default process.stderr). */
  stream?: { isTTY?: boolean; columns?: number; write(s: string): unknown };
  /** Clock in ms (tests). */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** Minimum ms between redraws (default 100). */
  intervalMs?: number;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Is there a person watching stderr? */
export function progressEnabled(opts: ProgressOptions = {}): boolean {
  const env = opts.env ?? process.env;
  const stream = opts.stream ?? process.stderr;
  return !opts.quiet && !!stream.isTTY && !env.CI && env.TERM !== 'dumb';
}

export function progress(label: string, opts: ProgressOptions = {}): ProgressReporter {
  if (!progressEnabled(opts)) return NO_PROGRESS;
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? 100;
  const start = now();
  let files = 0;
  let bytes = 0;
  let totalFiles: number | undefined;
  let totalBytes: number | undefined;
  let last = -Infinity;
  let drawn = 0;
  let finished = false;

  const render = (): string => {
    const secs = Math.max((now() - start) / 1000, 1e-3);
    const parts = [`${label} ${files}${totalFiles !== undefined ? `/${totalFiles}` : ''} files`];
    if (bytes || totalBytes) {
      parts.push(`${formatBytes(bytes)}${totalBytes !== undefined ? `/${formatBytes(totalBytes)}` : ''}`);
      parts.push(`${formatBytes(bytes / secs)}/s`);
    } else {
      parts.push(`${(files / secs).toFixed(files / secs < 10 ? 1 : 0)} files/s`);
    }
    let eta: number | undefined;
    if (totalBytes && bytes > 0) eta = ((totalBytes - bytes) * secs) / bytes;
    else if (totalFiles && files > 0) eta = ((totalFiles - files) * secs) / files;
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
    return parts.join(', ');
  };

  const draw = (force = false) => {
    const t = now();
    if (!force && t - last < interval) return;
    last = t;
    let line = render();
    const width = (stream.columns && stream.columns > 0 ? stream.columns : 80) - 1;
    if (line.length > width) line = line.slice(0, width);
    stream.write(`\r${line}${' '.repeat(Math.max(0, drawn - line.length))}`);
    drawn = line.length;
  };

  return {
    setTotal(total) {
      if (total.files !== undefined) totalFiles = total.files;
      if (total.bytes !== undefined) totalBytes = total.bytes;
    },
    advance(f, b = 0) {
      if (finished) return;
      files += f;
      bytes += b;
      draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn) stream.write(`\r${' '.repeat(drawn)}\r`);
    },
  };
}
