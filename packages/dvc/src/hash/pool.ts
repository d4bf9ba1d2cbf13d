/**
 * A pool of worker threads that hash (and optionally store) files on all cores. Jobs are sent in
 * batches so a million tiny files cost a few thousand messages, not a million. Small jobs run on
 * the calling thread (starting workers costs more than hashing a handful of files).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type { LinkType } from '../fs/local.js';
import type { HashName } from './md5.js';
import { copyObjects, hashFiles, linkFiles, OBJECT_ID, storeFiles, type CopyResult, type HashResult, type LinkResult } from './worker-ops.js';
import { copyKnown, knownCopyAvailable, pick4 } from './known-copy.js';

export type { CopyResult, HashResult, LinkResult } from './worker-ops.js';

export interface HashJobOptions {
  /** Sizes of the files when known (used to balance batches). */
  sizes?: number[];
  /** Called after each finished batch with the number of files and bytes done. */
  onProgress?: (files: number, bytes: number) => void;
}

const INLINE_MAX_FILES = 64;
const INLINE_MAX_BYTES = 8 << 20;
const BATCH_FILES = 128;
const BATCH_BYTES = 16 << 20;

interface Pending {
  resolve: (r: HashResult[]) => void;
  reject: (e: Error) => void;
}

export class HashPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: Array<{ msg: Record<string, unknown>; p: Pending }> = [];
  private pending = new Map<number, Pending>();
  private busy = new Map<Worker, number>();
  private nextId = 1;
  readonly size: number;

  /** The hash `hash()` and `store()` compute: md5 (DVC 3), or DVC 2's legacy md5-dos2unix. */
  readonly hashName: HashName;

  /** Pool size: `COPPER_JOBS` if set, else one worker per core (at most 16). */
  constructor(
    size = Number(process.env.COPPER_JOBS) || Math.max(1, Math.min(availableParallelism(), 16)),
    opts: { hashName?: HashName } = {},
  ) {
    this.size = size;
    this.hashName = opts.hashName ?? 'md5';
  }

  /** md5 of each file (results in input order; unreadable files give `{error}`). */
  hash(paths: string[], opts: HashJobOptions = {}): Promise<HashResult[]> {
    return this.run('hash', paths, opts, {});
  }

  /** md5 of each file, storing each into `filesDir` (a cache's `files/md5`) atomically. */
  store(filesDir: string, paths: string[], opts: HashJobOptions = {}): Promise<HashResult[]> {
    return this.run('store', paths, opts, { filesDir });
  }

  /**
   * Copies each `[cacheObject, dest, oid]` to another store, verified against `oid` (this pool's
   * hash) in the same pass: a corrupt object is not written (`{error, code: 'ECORRUPT'}`).
   * `opts.known`: four numbers per triple, the stamps of objects last hashed (see linkFiles):
   * those still unchanged are copied without hashing.
   */
  async copy(triples: Array<[string, string, string]>, opts: HashJobOptions & { known?: Float64Array } = {}): Promise<CopyResult[]> {
    const known = opts.known;
    if (triples.length <= INLINE_MAX_FILES) {
      const r = copyObjects(triples, this.hashName, known);
      opts.onProgress?.(triples.length, 0);
      return r;
    }
    const results: CopyResult[] = new Array(triples.length);
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < triples.length; start += BATCH_FILES) {
      const end = Math.min(triples.length, start + BATCH_FILES);
      const batch = triples.slice(start, end);
      jobs.push(
        (this.submit({ op: 'copy', triples: batch, hashName: this.hashName, ...(known ? { known: known.slice(start * 4, end * 4) } : {}) }) as Promise<unknown> as Promise<CopyResult[]>).then((r) => {
          let bytes = 0;
          for (let i = 0; i < r.length; i++) {
            const x = (results[start + i] = r[i]!);
            if ('size' in x) bytes += x.size;
          }
          opts.onProgress?.(end - start, bytes);
        }),
      );
    }
    await Promise.all(jobs);
    return results;
  }

  /**
   * Links each `[cacheObject, dest]` pair with the first link type that works (atomic); with
   * `opts.filesDir` the pairs are `[oid, dest]` of objects in that folder, and copies are
   * verified against the oid (this pool's hash) as they are made, except those `opts.trusted`
   * marks (same order as `pairs`: objects this process has just downloaded and verified) and
   * those whose stamp is still the one in `opts.known` (four numbers per pair, NaN when unknown:
   * the object's inode, size, mtime and ctime when its bytes were last hashed).
   */
  async link(
    pairs: Array<[string, string]>,
    types: LinkType[],
    opts: HashJobOptions & { filesDir?: string; trusted?: boolean[]; known?: Float64Array } = {},
    native = true,
  ): Promise<LinkResult[]> {
    const filesDir = opts.filesDir;
    const trusted = opts.trusted;
    const known = opts.known;
    // Copies of objects known sound: the native addon's kernel copies first, the rest below.
    if (native && filesDir !== undefined && (trusted || known) && knownCopyAvailable && types.includes('copy') && types.every((t) => t === 'copy' || t === 'reflink')) {
      const results: LinkResult[] = new Array(pairs.length);
      const rest = await copyKnown({
        count: pairs.length,
        paths: (i) => {
          const [oid, dest] = pairs[i]!;
          return OBJECT_ID.test(oid) ? [`${filesDir}/${oid.slice(0, 2)}/${oid.slice(2)}`, dest] : undefined;
        },
        ...(known ? { known } : {}),
        ...(trusted ? { trusted } : {}),
        mode: 0o666,
        stamps: true,
        onCopied: (i, _size, reflinked, st) => (results[i] = { type: reflinked ? 'reflink' : 'copy', ...st! }),
        ...(opts.onProgress ? { onProgress: (files: number) => opts.onProgress!(files, 0) } : {}),
      });
      if (rest.length) {
        const more = await this.link(
          rest.map((i) => pairs[i]!),
          types,
          { filesDir, ...(trusted ? { trusted: rest.map((i) => trusted[i]!) } : {}), ...(known ? { known: pick4(known, rest) } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) },
          false,
        );
        rest.forEach((i, k) => (results[i] = more[k]!));
      }
      return results;
    }
    if (pairs.length <= INLINE_MAX_FILES) {
      const r = linkFiles(pairs, types, filesDir, this.hashName, trusted, known);
      opts.onProgress?.(pairs.length, 0);
      return r;
    }
    const results: LinkResult[] = new Array(pairs.length);
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < pairs.length; start += BATCH_FILES) {
      const end = Math.min(pairs.length, start + BATCH_FILES);
      jobs.push(
        (this.submit({ op: 'link', pairs: pairs.slice(start, end), types, filesDir, hashName: this.hashName, ...(trusted ? { trusted: trusted.slice(start, end) } : {}), ...(known ? { known: known.slice(start * 4, end * 4) } : {}) }) as Promise<unknown> as Promise<LinkResult[]>).then((r) => {
          for (let i = 0; i < r.length; i++) results[start + i] = r[i]!;
          opts.onProgress?.(end - start, 0);
        }),
      );
    }
    await Promise.all(jobs);
    return results;
  }

  /** Starts the workers now (they take a few tens of ms), so a later job finds them ready. */
  warm(): void {
    while (this.workers.length < this.size) this.idle.push(this.spawn());
  }

  private async run(
    op: 'hash' | 'store',
    paths: string[],
    opts: HashJobOptions,
    extra: Record<string, unknown>,
  ): Promise<HashResult[]> {
    const sizes = opts.sizes;
    const total = sizes ? sizes.reduce((a, b) => a + b, 0) : Infinity;
    if (paths.length <= INLINE_MAX_FILES && total <= INLINE_MAX_BYTES) {
      const r = op === 'hash' ? hashFiles(paths, this.hashName) : storeFiles(extra.filesDir as string, paths, this.hashName);
      opts.onProgress?.(paths.length, sizes ? total : 0);
      return r;
    }
    const batches: Array<{ start: number; end: number; bytes: number }> = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < paths.length; i++) {
      bytes += sizes ? sizes[i]! : 0;
      if (i + 1 - start >= BATCH_FILES || bytes >= BATCH_BYTES || i === paths.length - 1) {
        batches.push({ start, end: i + 1, bytes });
        start = i + 1;
        bytes = 0;
      }
    }
    const results: HashResult[] = new Array(paths.length);
    await Promise.all(
      batches.map(async (b) => {
        const r = await this.submit({ op, paths: paths.slice(b.start, b.end), hashName: this.hashName, ...extra });
        for (let i = 0; i < r.length; i++) results[b.start + i] = r[i]!;
        opts.onProgress?.(b.end - b.start, b.bytes);
      }),
    );
    return results;
  }

  private submit(msg: Record<string, unknown>): Promise<HashResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, p: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w) {
        if (this.workers.length >= this.size) return;
        w = this.spawn();
      }
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, job.p);
      this.busy.set(w, id);
      w.postMessage({ id, ...job.msg });
    }
  }

  private spawn(): Worker {
    // Loaded with the first worker: commands that never hash (a no-op status) skip it.
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    // Under tsx (tests run the TypeScript sources) the worker must register tsx itself.
    const w = import.meta.url.endsWith('.ts')
      ? new Worker(
          // tsx resolved from here, not from the worker's working folder (a test may chdir away).
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`,
          { eval: true },
        )
      : new Worker(new URL('./worker.js', import.meta.url));
    w.on('message', (m: { id: number; results: HashResult[] }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      this.busy.delete(w);
      this.idle.push(w);
      p?.resolve(m.results);
      this.pump();
    });
    w.on('error', (e) => {
      const id = this.busy.get(w);
      this.busy.delete(w);
      this.workers = this.workers.filter((x) => x !== w);
      if (id !== undefined) {
        this.pending.get(id)?.reject(e);
        this.pending.delete(id);
      }
      this.pump();
    });
    this.workers.push(w);
    return w;
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.idle = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
