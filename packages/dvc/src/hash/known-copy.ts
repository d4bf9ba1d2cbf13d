/**
 * Copies of objects already known sound (their stamp unchanged since their bytes were last
 * hashed, or hashed by this process as they arrived), made by the native addon (native/copy.c
 * through fs/scan.ts copyStamped) in batches on this thread, yielding between batches so
 * progress and signals are seen. Used by a push to a local remote (sync/transfer.ts) and by
 * checkout copies (hash/pool.ts link). Whatever the addon leaves (a stamp that no longer
 * matches, a name already taken, any error) goes back to the caller's JavaScript path, which
 * hashes it or reports its own error.
 */
import { copyStamped, CopyStatus } from '../fs/scan.js';

/** Objects per native call. */
const BATCH = 1024;

/** True when the addon can make these copies. */
export const knownCopyAvailable = copyStamped !== undefined;

/** The four numbers per index of `at` taken from `all` (four per object). */
export function pick4(all: Float64Array, at: readonly number[]): Float64Array {
  const out = new Float64Array(at.length * 4);
  at.forEach((i, k) => out.set(all.subarray(i * 4, i * 4 + 4), k * 4));
  return out;
}

export interface KnownCopyJob {
  /** How many objects there are (indexes 0..count-1). */
  count: number;
  /** Source and destination of object `i`; undefined when it is not to be tried here. */
  paths(i: number): [string, string] | undefined;
  /** Four numbers per object: inode, size, mtime, ctime (ms) when last hashed; NaN unknown. */
  known?: Float64Array;
  /** Objects hashed by this process as they arrived: copied without a stamp check. */
  trusted?: readonly boolean[];
  /** The new files' mode (the umask applies unless `fixMode`). */
  mode: number;
  fixMode?: boolean;
  /** Also report each copy's inode, size and mtime (always with `trusted`). */
  stamps?: boolean;
  /** Called for each object copied (reflinked: shares the source's blocks). */
  onCopied(i: number, size: number, reflinked: boolean, stamp?: { ino: number; size: number; mtimeMs: number }): void;
  /** Called after each batch with the files and bytes it copied. */
  onProgress?: (files: number, bytes: number) => void;
}

/** Copies what it can of `job`; returns the indexes it left to the caller, in order. */
export async function copyKnown(job: KnownCopyJob): Promise<number[]> {
  const tried: number[] = [];
  const left: number[] = [];
  for (let i = 0; i < job.count; i++) {
    const sure = job.trusted?.[i] || (job.known !== undefined && !Number.isNaN(job.known[i * 4 + 3]!));
    (copyStamped && sure && job.paths(i) ? tried : left).push(i);
  }
  if (!tried.length) return left;
  for (let at = 0; at < tried.length; at += BATCH) {
    const batch = tried.slice(at, at + BATCH);
    const srcs: string[] = [];
    const dests: string[] = [];
    for (const i of batch) {
      const [s, d] = job.paths(i)!;
      srcs.push(s);
      dests.push(d);
    }
    const out = job.stamps || job.trusted ? new Float64Array(batch.length * 3) : undefined;
    const status = copyStamped!(srcs, dests, job.known ? pick4(job.known, batch) : new Float64Array(batch.length * 4).fill(NaN), job.mode, {
      fixMode: job.fixMode ?? false,
      ...(job.trusted ? { trusted: Uint8Array.from(batch, (i) => (job.trusted![i] ? 1 : 0)) } : {}),
      ...(out ? { out } : {}),
    });
    let files = 0;
    let bytes = 0;
    batch.forEach((i, k) => {
      if (status[k] === CopyStatus.Left) return left.push(i);
      const stamp = out ? { ino: out[k * 3]!, size: out[k * 3 + 1]!, mtimeMs: out[k * 3 + 2]! } : undefined;
      const size = stamp ? stamp.size : job.known![i * 4 + 1]!;
      job.onCopied(i, size, status[k] === CopyStatus.Reflinked, stamp);
      files++;
      bytes += size;
    });
    if (files) job.onProgress?.(files, bytes);
    await new Promise((ok) => setImmediate(ok));
  }
  return left.sort((a, b) => a - b);
}
