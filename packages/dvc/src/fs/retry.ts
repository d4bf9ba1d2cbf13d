/**
 * Retry with exponential backoff and jitter, for any FileSystem: `retrying(fs)` returns a
 * FileSystem that tries each operation again on transient failures (5xx, 408, 429, reset or refused
 * connections, timeouts) and never on answers that will not change (4xx: auth, not found).
 *
 * - `read` retries opening, and a stream that breaks mid-way with a transient error is reopened
 *   and continues where it stopped (the bytes already delivered are skipped), so the consumer sees
 *   one unbroken stream.
 * - `write` retries when the source can be read again: an `fs.ReadStream` of a file is reopened
 *   on the same file and range, a source with a `reopen()` method is asked for a fresh one, and a
 *   stream nobody has read from yet is reused. Other sources
 *   that were partly consumed are not retried (the error is passed on).
 * - `list` restarts the listing and skips the names it already yielded.
 */
import { createReadStream, ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FileSystem } from './types.js';
import { isTransient } from './remote-errors.js';

export interface RetryOptions {
  /** Attempts after the first one (default 5). */
  retries?: number;
  /** First backoff in ms (default 200); doubles each attempt. */
  baseDelayMs?: number;
  /** Backoff cap in ms (default 10 000). */
  maxDelayMs?: number;
  /** Which errors are worth another try (default: remote-errors.ts isTransient). */
  isTransient?: (e: unknown) => boolean;
  /** Called before each new attempt (for logs and tests). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Backoff before attempt `n` (1-based): half fixed, half random ("equal jitter"). */
export function backoffDelay(n: number, base = 200, max = 10_000): number {
  const d = Math.min(max, base * 2 ** (n - 1));
  return d / 2 + Math.random() * (d / 2);
}

/** Calls `fn` until it succeeds, a non-transient error occurs, or the retries are spent. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 5;
  const transient = opts.isTransient ?? isTransient;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= retries || !transient(e)) throw e;
      const delay = backoffDelay(attempt + 1, opts.baseDelayMs, opts.maxDelayMs);
      opts.onRetry?.(e, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

/** A source stream for the next attempt of a write, or undefined when it cannot be had again. */
function again(data: Readable): Readable | undefined {
  // A source that knows how to read itself again (hash/verify.ts VerifiedFileStream).
  const reopen = (data as { reopen?: () => Readable | undefined }).reopen;
  if (typeof reopen === 'function') return reopen.call(data);
  if (data instanceof ReadStream && typeof data.path === 'string') {
    const start = (data as unknown as { start?: number }).start;
    const end = (data as unknown as { end?: number }).end;
    data.destroy();
    return createReadStream(data.path, {
      ...(start !== undefined ? { start } : {}),
      ...(end !== undefined && end !== Infinity ? { end } : {}),
    });
  }
  if (!data.readableDidRead && !data.destroyed) return data;
  return undefined;
}

class RetryingFileSystem implements FileSystem {
  readonly protocol: string;
  readonly url: string;
  constructor(
    readonly inner: FileSystem,
    private readonly opts: RetryOptions,
  ) {
    this.protocol = inner.protocol;
    this.url = inner.url;
  }

  exists(path: string): Promise<boolean> {
    return withRetry(() => this.inner.exists(path), this.opts);
  }

  size(path: string): Promise<number | undefined> {
    return withRetry(() => this.inner.size(path), this.opts);
  }

  delete(path: string): Promise<void> {
    return withRetry(() => this.inner.delete(path), this.opts);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async *list(prefix: string): AsyncIterable<string> {
    const retries = this.opts.retries ?? 5;
    const transient = this.opts.isTransient ?? isTransient;
    const seen = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const p of this.inner.list(prefix)) {
          if (seen.has(p)) continue;
          seen.add(p);
          yield p;
        }
        return;
      } catch (e) {
        if (attempt >= retries || !transient(e)) throw e;
        const delay = backoffDelay(attempt + 1, this.opts.baseDelayMs, this.opts.maxDelayMs);
        this.opts.onRetry?.(e, attempt + 1, delay);
        await sleep(delay);
      }
    }
  }

  async write(path: string, data: Readable, size?: number): Promise<void> {
    const retries = this.opts.retries ?? 5;
    const transient = this.opts.isTransient ?? isTransient;
    let source = data;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.inner.write(path, source, size);
        return;
      } catch (e) {
        if (attempt >= retries || !transient(e)) throw e;
        // Only retry when the next attempt can send the same bytes from the start.
        const next = again(source);
        if (!next) throw e;
        source = next;
        const delay = backoffDelay(attempt + 1, this.opts.baseDelayMs, this.opts.maxDelayMs);
        this.opts.onRetry?.(e, attempt + 1, delay);
        await sleep(delay);
      }
    }
  }

  async read(path: string): Promise<Readable> {
    const first = await withRetry(() => this.inner.read(path), this.opts);
    return resumable(first, (skip) => this.reopen(path, skip), this.opts);
  }

  private async reopen(path: string, skip: number): Promise<Readable> {
    return withRetry(() => this.inner.read(path), this.opts).then((s) => skipBytes(s, skip));
  }
}

/** `src` with its first `n` bytes dropped. */
async function skipBytes(src: Readable, n: number): Promise<Readable> {
  if (n === 0) return src;
  let left = n;
  async function* gen() {
    for await (const chunk of src) {
      const b = chunk as Buffer;
      if (left >= b.length) {
        left -= b.length;
        continue;
      }
      yield left ? b.subarray(left) : b;
      left = 0;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

/** A stream that reopens its source (skipping what it delivered) when it breaks transiently. */
function resumable(first: Readable, reopen: (skip: number) => Promise<Readable>, opts: RetryOptions): Readable {
  const retries = opts.retries ?? 5;
  const transient = opts.isTransient ?? isTransient;
  let delivered = 0;
  async function* gen() {
    let src = first;
    for (let attempt = 0; ; ) {
      try {
        for await (const chunk of src) {
          const b = chunk as Buffer;
          delivered += b.length;
          yield b;
        }
        return;
      } catch (e) {
        src.destroy();
        if (attempt >= retries || !transient(e)) throw e;
        attempt++;
        const delay = backoffDelay(attempt, opts.baseDelayMs, opts.maxDelayMs);
        opts.onRetry?.(e, attempt, delay);
        await sleep(delay);
        src = await reopen(delivered);
      }
    }
  }
  const out = Readable.from(gen(), { objectMode: false, highWaterMark: 1 << 16 });
  out.once('close', () => {
    if (!first.destroyed && !first.readableEnded) first.destroy();
  });
  return out;
}

/** `fs` with every operation retried on transient errors. */
export function retrying(fs: FileSystem, opts: RetryOptions = {}): FileSystem {
  return new RetryingFileSystem(fs, opts);
}
