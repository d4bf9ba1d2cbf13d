/**
 * Retry with exponential backoff and jitter, for any FileSystem: `retrying(fs)` returns a
 * FileSystem that tries each operation again on transient failures (5xx, 408, 429, reset or refused
 * connections, timeouts) and never on answers that will not change (4xx: auth, not found).
 *
 * - `read` retries opening, and a stream that breaks mid-way with a transient error is reopened
 *   and continues where it stopped (the bytes already delivered are skipped), so the consumer sees
 *   one unbroken stream.
 * - `write` retries when the source can be read again: an `fs.ReadStream` of a file is reopened
 *   on the same file and range, a source with `reopen()` (Reopenable) gives a fresh stream, and
 *   a stream nobody has read from yet is reused. Other sources that were partly consumed are not
 *   retried (the error is passed on).
 * - `list` of a backend that lists in steps (`listStep`: one page or one folder per request) is
 *   walked here, each step retried alone; other listings restart and skip the names already
 *   yielded.
 *
 * Timeouts: with `connectTimeoutMs`/`readTimeoutMs` (the remote's connect_timeout/read_timeout,
 * see registry.ts) no attempt waits forever, whatever the backend's own client does: a request
 * must be answered within connect + read timeout, a download that delivers no byte for the read
 * timeout is dropped and resumed, an upload whose bytes were all taken must be answered within
 * connect + read timeout, and the file an upload sends must not sit untouched for twice that. A timed-out attempt is retried like any transient fault, but at
 * most `timeoutRetries` times, so a dead link fails in bounded time:
 * (timeoutRetries + 1) x (connect + read timeout) plus the backoff.
 */
import { createReadStream, ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { walkSteps, type FileSystem, type FileStat, type ListPage, type ListStep } from './types.js';
import { isTransient, joinUrl, remoteError } from './remote-errors.js';

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
  /** Time to get connected (ms); with readTimeoutMs, bounds how long a request may go unanswered. */
  connectTimeoutMs?: number;
  /** Longest wait for an answer or for the next bytes of a download (ms). */
  readTimeoutMs?: number;
  /** How many of the retries may follow a timed-out attempt (default TIMEOUT_RETRIES). */
  timeoutRetries?: number;
}

/** A timed-out attempt is retried this many times at most (the others follow `retries`). */
export const TIMEOUT_RETRIES = 2;

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** True when an attempt failed because it timed out (ours, the OS's, or an SDK's). */
export function isTimeout(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 6; x = (x as { cause?: unknown }).cause, depth++) {
    const err = x as { code?: unknown; name?: unknown };
    if (typeof err.code === 'string' && TIMEOUT_CODES.has(err.code)) return true;
    if (err.name === 'TimeoutError' || err.name === 'RequestTimeout') return true;
  }
  return false;
}

/** The one-line error of an attempt that got no answer in time (transient: code ETIMEDOUT). */
export function timeoutError(what: string, ms: number): Error {
  return Object.assign(remoteError(`${what}: no answer within ${+(ms / 1000).toFixed(3)} s (timed out)`), { code: 'ETIMEDOUT' });
}

/**
 * `p`, or a timeout error when it has not settled within `ms` (no limit when `ms` is undefined).
 * What `p` brings after the deadline is handed to `late` (to close a stream nobody will read).
 */
export function deadline<T>(p: Promise<T>, ms: number | undefined, what: string, late?: (v: T) => void): Promise<T> {
  if (ms === undefined || !(ms > 0)) return p;
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(timeoutError(what, ms));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (expired) late?.(v);
        else resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        if (!expired) reject(e);
      },
    );
  });
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
  let timeouts = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= retries || !transient(e)) throw e;
      if (isTimeout(e) && ++timeouts > (opts.timeoutRetries ?? TIMEOUT_RETRIES)) throw e;
      const delay = backoffDelay(attempt + 1, opts.baseDelayMs, opts.maxDelayMs);
      opts.onRetry?.(e, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

/**
 * A source that can be had again from its start for another attempt (e.g. a verifying reader of
 * a cache file): `reopen()` returns a fresh stream of the same bytes.
 */
export interface Reopenable {
  reopen(): Readable;
}

/** A source stream for the next attempt of a write, or undefined when it cannot be had again. */
function again(data: Readable): Readable | undefined {
  const r = (data as Partial<Reopenable>).reopen;
  if (typeof r === 'function') {
    data.destroy();
    return r.call(data);
  }
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
  /** How long one request may go unanswered (connect + read timeout), or undefined. */
  private readonly waitMs: number | undefined;
  listStep?: (step: ListStep) => Promise<ListPage>;
  info?: (path: string) => Promise<FileStat | undefined>;
  removeStaleTemps?: (prefix: string, olderThanMs: number, owned?: (finalPath: string) => boolean) => Promise<string[]>;
  readSmall?: (path: string, maxBytes: number) => Promise<Buffer[] | Readable>;
  constructor(
    readonly inner: FileSystem,
    private readonly opts: RetryOptions,
  ) {
    this.protocol = inner.protocol;
    this.url = inner.url;
    const { connectTimeoutMs: c, readTimeoutMs: r } = opts;
    this.waitMs = c === undefined && r === undefined ? undefined : (c ?? 0) + (r ?? 0);
    const step = inner.listStep?.bind(inner);
    if (step) this.listStep = (s) => this.retry(() => step(s), `list ${s.prefix}`);
    const info = inner.info?.bind(inner);
    if (info) this.info = (p) => this.retry(() => info(p), `stat ${p}`);
    const temps = inner.removeStaleTemps?.bind(inner);
    // A sweep of many requests: retried as a whole, with no deadline of its own.
    if (temps) this.removeStaleTemps = (prefix, age, owned) => withRetry(() => temps(prefix, age, owned), this.opts);
    const small = inner.readSmall?.bind(inner);
    if (small) this.readSmall = (p, max) => this.small(small, p, max);
  }

  /**
   * readSmall, retried: a file kept whole is fetched again from its start on a transient failure
   * (it is small); a larger one comes back as `read`'s resumable stream.
   */
  private async small(
    small: NonNullable<FileSystem['readSmall']>,
    path: string,
    max: number,
  ): Promise<Buffer[] | Readable> {
    const got = await withRetry(() => this.watched(small, path, max), this.opts);
    if (Array.isArray(got)) return got;
    return resumable(got, (skip) => this.open(path).then((s) => skipBytes(s, skip)), this.opts, `${joinUrl(this.url, path)}: read`);
  }

  /**
   * One readSmall attempt, watched: the head must come within the request deadline (connect +
   * read timeout), then each chunk within the read timeout of the one before, as a streamed read.
   * What a given-up attempt brings later is dropped.
   */
  private watched(small: NonNullable<FileSystem['readSmall']>, path: string, max: number): Promise<Buffer[] | Readable> {
    const first = this.waitMs;
    const idle = this.opts.readTimeoutMs;
    if (first === undefined) return small(path, max);
    return new Promise((resolve, reject) => {
      let expired = false;
      let started = false;
      let timer: NodeJS.Timeout | undefined;
      const expire = () => {
        expired = true;
        reject(started ? timeoutError(`${this.url}: read ${path} (no data)`, idle!) : timeoutError(`${this.url}: read ${path}`, first));
      };
      timer = setTimeout(expire, first);
      const alive = () => {
        if (started) timer?.refresh();
        else {
          started = true;
          clearTimeout(timer);
          timer = idle !== undefined && idle > 0 ? setTimeout(expire, idle) : undefined;
        }
      };
      small(path, max, alive).then(
        (v) => {
          clearTimeout(timer);
          if (!expired) resolve(v);
          else if (!Array.isArray(v)) v.destroy();
        },
        (e: unknown) => {
          clearTimeout(timer);
          if (!expired) reject(e);
        },
      );
    });
  }

  /** `fn` tried again on transient failures, each attempt bounded by the request deadline. */
  private retry<T>(fn: () => Promise<T>, what: string, late?: (v: T) => void): Promise<T> {
    return withRetry(() => deadline(fn(), this.waitMs, `${this.url}: ${what}`, late), this.opts);
  }

  exists(path: string): Promise<boolean> {
    return this.retry(() => this.inner.exists(path), `stat ${path}`);
  }

  size(path: string): Promise<number | undefined> {
    return this.retry(() => this.inner.size(path), `stat ${path}`);
  }

  delete(path: string): Promise<void> {
    return this.retry(() => this.inner.delete(path), `delete ${path}`);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async *list(prefix: string): AsyncIterable<string> {
    if (this.listStep) {
      yield* walkSteps(prefix, this.listStep);
      return;
    }
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
    let timeouts = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.timedWrite(path, source, size);
        return;
      } catch (e) {
        if (attempt >= retries || !transient(e)) throw e;
        if (isTimeout(e) && ++timeouts > (this.opts.timeoutRetries ?? TIMEOUT_RETRIES)) throw e;
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

  /**
   * One upload attempt; once the backend has taken every byte of `source`, the server has the
   * request deadline to answer. An attempt given up keeps running unwatched: it either lands
   * (the same bytes under the same name) or leaves a temp file for `gc` to remove.
   */
  private async timedWrite(path: string, source: Readable, size?: number): Promise<void> {
    const ms = this.waitMs;
    if (ms === undefined) return this.inner.write(path, source, size);
    let timer: NodeJS.Timeout | undefined;
    let expire: (e: Error) => void = () => {};
    const expired = new Promise<never>((_, reject) => (expire = reject));
    const arm = () => {
      timer = setTimeout(() => expire(timeoutError(`${joinUrl(this.url, path)}: write`, ms)), ms);
    };
    if (source.readableEnded) arm();
    else source.once('end', arm);
    // A file being sent that the backend stops taking bytes from (a server that stopped reading
    // mid-body) for twice the request deadline: the attempt is given up. Twice, because some
    // clients read a part ahead and then send it before they read on.
    // (Every consumer, piping or iterating, takes bytes through `read()`.)
    let taken = Date.now();
    const read = source.read;
    source.read = function (this: Readable, n?: number) {
      const chunk: unknown = read.call(this, n);
      if (chunk !== null) taken = Date.now();
      return chunk;
    };
    const poll = setInterval(() => {
      if (source.readableEnded) taken = Date.now();
      else if (Date.now() - taken > 2 * ms) expire(timeoutError(`${joinUrl(this.url, path)}: write (no bytes taken)`, 2 * ms));
    }, Math.min(1000, ms / 4));
    poll.unref();
    const p = this.inner.write(path, source, size);
    p.catch(() => undefined);
    expired.catch(() => undefined);
    try {
      await Promise.race([p, expired]);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      source.read = read;
      source.off('end', arm);
    }
  }

  async read(path: string): Promise<Readable> {
    const first = await this.open(path);
    return resumable(first, (skip) => this.open(path).then((s) => skipBytes(s, skip)), this.opts, `${joinUrl(this.url, path)}: read`);
  }

  private open(path: string): Promise<Readable> {
    return this.retry(() => this.inner.read(path), `read ${path}`, (s) => s.destroy());
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

/**
 * A stream that reopens its source (skipping what it delivered) when it breaks transiently, or
 * when it delivers nothing for `opts.readTimeoutMs` while being read.
 *
 * A plain Readable fed by the source's 'data' events, with one idle timer re-armed as the
 * consumer asks for more: a download of many small objects pays almost nothing for being
 * resumable (no generator, no promise or timer per chunk).
 */
class ResumableStream extends Readable {
  private delivered = 0;
  private src: Readable;
  /** Bumped when a source is dropped: events of an old source are ignored. */
  private generation = 0;
  private attempt = 0;
  private timeouts = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The consumer asked for bytes that have not come yet (the idle timer runs). */
  private wanted = false;
  private srcEnded = false;

  constructor(
    first: Readable,
    private readonly reopen: (skip: number) => Promise<Readable>,
    private readonly opts: RetryOptions,
    private readonly what: string,
  ) {
    super({ highWaterMark: 1 << 16 });
    this.src = first;
    this.attach(first);
  }

  private attach(src: Readable): void {
    const gen = ++this.generation;
    src.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      this.delivered += chunk.length;
      if (!this.push(chunk)) {
        this.wanted = false;
        src.pause();
      }
    });
    src.once('end', () => {
      if (gen !== this.generation) return;
      this.srcEnded = true;
      this.stopTimer();
      this.push(null);
    });
    src.on('error', (e) => this.broke(gen, e));
    // Destroyed without an error (a cut the source did not name): as the async iterator says it.
    src.once('close', () => {
      if (!this.srcEnded) this.broke(gen, Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  }

  override _read(): void {
    this.wanted = true;
    this.src.resume();
    const ms = this.opts.readTimeoutMs;
    if (ms === undefined || !(ms > 0)) return;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.idle(), ms);
  }

  private idle(): void {
    if (!this.wanted || this.srcEnded || this.destroyed) return;
    this.broke(this.generation, timeoutError(`${this.what} (no data)`, this.opts.readTimeoutMs!));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The source `gen` failed with `e`: reopened after a backoff, or the error passed on. */
  private broke(gen: number, e: unknown): void {
    if (gen !== this.generation || this.destroyed) return;
    this.generation++;
    this.stopTimer();
    const src = this.src;
    if (!src.destroyed) src.destroy();
    const retries = this.opts.retries ?? 5;
    const transient = this.opts.isTransient ?? isTransient;
    if (this.attempt >= retries || !transient(e) || (isTimeout(e) && ++this.timeouts > (this.opts.timeoutRetries ?? TIMEOUT_RETRIES))) {
      this.destroy(e as Error);
      return;
    }
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.opts.baseDelayMs, this.opts.maxDelayMs);
    this.opts.onRetry?.(e, this.attempt, delay);
    const mine = this.generation;
    setTimeout(() => {
      if (mine !== this.generation || this.destroyed) return;
      this.reopen(this.delivered).then(
        (next) => {
          if (mine !== this.generation || this.destroyed) {
            next.destroy();
            return;
          }
          this.src = next;
          this.attach(next);
          if (this.wanted) this._read();
          else next.pause();
        },
        (err: unknown) => {
          if (mine === this.generation) this.destroy(err as Error);
        },
      );
    }, delay);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.generation++;
    this.stopTimer();
    if (!this.srcEnded && !this.src.destroyed) this.src.destroy();
    cb(err);
  }
}

function resumable(first: Readable, reopen: (skip: number) => Promise<Readable>, opts: RetryOptions, what = 'read'): Readable {
  return new ResumableStream(first, reopen, opts, what);
}

/** `fs` with every operation retried on transient errors. */
export function retrying(fs: FileSystem, opts: RetryOptions = {}): FileSystem {
  return new RetryingFileSystem(fs, opts);
}
