/**
 * A concurrency limit for any FileSystem: `limited(fs, n)` lets at most `n` operations run at once
 * (exists, size, delete, write, and read until the returned stream has ended or been destroyed).
 * `list` is not counted: a caller that does other operations inside a listing loop must not be
 * able to block itself.
 */
import { finished, type Readable } from 'node:stream';
import type { FileStat, FileSystem, ListPage, ListStep } from './types.js';

/** A counting semaphore; `acquire` resolves to the function that releases the slot. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  get running(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

class LimitedFileSystem implements FileSystem {
  readonly protocol: string;
  readonly url: string;
  readonly semaphore: Semaphore;
  listStep?: (step: ListStep) => Promise<ListPage>;
  info?: (path: string) => Promise<FileStat | undefined>;
  removeStaleTemps?: (prefix: string, olderThanMs: number, owned?: (finalPath: string) => boolean) => Promise<string[]>;
  constructor(
    readonly inner: FileSystem,
    limit: number,
  ) {
    this.protocol = inner.protocol;
    this.url = inner.url;
    this.semaphore = new Semaphore(limit);
    const step = inner.listStep?.bind(inner);
    if (step) this.listStep = step;
    const info = inner.info?.bind(inner);
    if (info) this.info = (p) => this.semaphore.run(() => info(p));
    const temps = inner.removeStaleTemps?.bind(inner);
    if (temps) this.removeStaleTemps = temps;
    if (inner.readSmall) this.readSmall = (p, max, alive) => this.small(p, max, alive);
  }

  exists(path: string): Promise<boolean> {
    return this.semaphore.run(() => this.inner.exists(path));
  }

  size(path: string): Promise<number | undefined> {
    return this.semaphore.run(() => this.inner.size(path));
  }

  delete(path: string): Promise<void> {
    return this.semaphore.run(() => this.inner.delete(path));
  }

  write(path: string, data: Readable, size?: number): Promise<void> {
    return this.semaphore.run(() => this.inner.write(path, data, size));
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }

  async read(path: string): Promise<Readable> {
    const release = await this.semaphore.acquire();
    try {
      const stream = await this.inner.read(path);
      // The slot is held while the bytes flow: until the stream ends, fails or is destroyed.
      finished(stream, () => release());
      return stream;
    } catch (e) {
      release();
      throw e;
    }
  }

  readSmall?: (path: string, maxBytes: number, alive?: () => void) => Promise<Buffer[] | Readable>;

  private async small(path: string, maxBytes: number, alive?: () => void): Promise<Buffer[] | Readable> {
    const release = await this.semaphore.acquire();
    try {
      const got = await this.inner.readSmall!(path, maxBytes, alive);
      if (Array.isArray(got)) release();
      else finished(got, () => release());
      return got;
    } catch (e) {
      release();
      throw e;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `fs` with at most `n` operations in flight at once. */
export function limited(fs: FileSystem, n: number): FileSystem {
  return new LimitedFileSystem(fs, n);
}
