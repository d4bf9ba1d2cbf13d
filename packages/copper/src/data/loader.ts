/**
 * DataLoader: batches of (images, labels) tensors from an image-folder sample list. Files are read,
 * decoded and resized in `numWorkers` worker threads (0: in the main thread), a few batches ahead;
 * batches come out in order whatever the worker count. Shuffling and flips come from a seeded
 * generator re-seeded each epoch (seed + epoch), so a run repeats exactly with the same seed.
 * Images that cannot be decoded are skipped with one warning each.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@copper/torch';
import { runDecodeJob } from './decode.js';
import type { CropRect, DecodeJob, DecodeResult } from './image.js';
import type { Sample } from './image-folder.js';
import { Rng } from '../utils/rng.js';

export interface Batch {
  /** float32 [B, 3, size, size], normalized. */
  x: torch.Tensor;
  /** int64 [B] class indices. */
  y: torch.Tensor;
  paths: string[];
}

/** Running from TypeScript sources (tests through tsx): the worker registers tsx first. */
function tsWorker(file: URL): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(code, { eval: true });
}

/** A pool of decoding worker threads shared by a data module's loaders. */
export class DecodePool {
  private workers: { w: Worker; busy: boolean }[] = [];
  private queue: { job: DecodeJob; resolve: (r: DecodeResult) => void; reject: (e: Error) => void }[] = [];
  private pending = new Map<number, { resolve: (r: DecodeResult) => void; reject: (e: Error) => void; slot: { w: Worker; busy: boolean } }>();
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number) {
    const here = fileURLToPath(import.meta.url);
    const file = new URL(`./decode-worker${extname(here)}`, import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = extname(here) === '.ts' ? tsWorker(file) : new Worker(file);
      const slot = { w, busy: false };
      w.on('message', (m: { id: number; result?: DecodeResult; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        slot.busy = false;
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result!);
        this.pump();
      });
      w.on('error', (e) => {
        for (const [id, p] of this.pending) if (p.slot === slot) {
          this.pending.delete(id);
          p.reject(e);
        }
      });
      w.unref();
      this.workers.push(slot);
    }
  }

  run(job: DecodeJob): Promise<DecodeResult> {
    if (this.closed) return Promise.reject(new Error('the data loader workers were closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.workers) {
      if (!slot.busy) slot.w.unref();
    }
    while (this.queue.length) {
      const slot = this.workers.find((s) => !s.busy);
      if (!slot) return;
      const q = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      slot.w.ref();
      this.pending.set(id, { resolve: q.resolve, reject: q.reject, slot });
      slot.w.postMessage({ id, job: q.job });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // An idle worker is unref'd; ref it again so the event loop waits for its exit: awaiting
    // terminate() of an unref'd worker can otherwise leave the caller's promise pending forever.
    await Promise.all(
      this.workers.map((s) => {
        s.w.ref();
        return s.w.terminate();
      }),
    );
    this.workers = [];
  }
}

export interface LoaderOptions {
  batchSize: number;
  imageSize: number;
  shuffle?: boolean;
  seed?: number;
  /** Probability of a horizontal flip per image (training augmentation). */
  hflip?: number;
  /**
   * Random crop (training augmentation): a crop covering a random fraction in [min, max] of the
   * image's area (same aspect), at a random place, before resizing. null: the whole image.
   */
  cropScale?: readonly [number, number] | null;
  mean?: readonly number[];
  std?: readonly number[];
  dropLast?: boolean;
  /** Batches decoded ahead (default 2 per worker). */
  prefetch?: number;
  pool?: DecodePool | null;
  warn?: (msg: string) => void;
}

export class DataLoader {
  /** Set by the trainer before each epoch: reshuffles with seed + epoch. */
  epoch = 0;
  private readonly warned = new Set<string>();
  readonly opts: Required<Omit<LoaderOptions, 'pool'>> & { pool: DecodePool | null };

  constructor(readonly samples: readonly Sample[], opts: LoaderOptions) {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new RangeError(`batch_size must be a positive integer, got ${opts.batchSize}`);
    if (!(Number.isInteger(opts.imageSize) && opts.imageSize > 0)) throw new RangeError(`image_size must be a positive integer, got ${opts.imageSize}`);
    const cs = opts.cropScale;
    if (cs && !(cs.length === 2 && cs[0]! > 0 && cs[0]! <= cs[1]! && cs[1]! <= 1)) throw new RangeError(`crop_scale must be [min, max] with 0 < min <= max <= 1, got [${cs.join(', ')}]`);
    this.opts = {
      shuffle: false,
      seed: 0,
      hflip: 0,
      cropScale: null,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      dropLast: false,
      prefetch: Math.max(2, (opts.pool?.size ?? 0) * 2),
      warn: (m) => process.stderr.write(`[copper][WARNING] ${m}\n`),
      ...opts,
      pool: opts.pool ?? null,
    } as DataLoader['opts'];
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.samples.length / this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  private plan(): DecodeJob[] & { labels: number[][] } {
    const rng = new Rng((this.opts.seed + this.epoch * 7919) >>> 0);
    const order = this.opts.shuffle ? rng.shuffle(this.samples) : [...this.samples];
    const jobs = [] as unknown as DecodeJob[] & { labels: number[][] };
    jobs.labels = [];
    const bs = this.opts.batchSize;
    for (let i = 0; i < order.length; i += bs) {
      const part = order.slice(i, i + bs);
      if (part.length < bs && this.opts.dropLast) break;
      const flips = part.map(() => this.opts.hflip > 0 && rng.next() < this.opts.hflip);
      const cs = this.opts.cropScale;
      const crops = cs
        ? part.map((): CropRect => {
            const side = Math.sqrt(cs[0] + rng.next() * (cs[1] - cs[0]));
            return [rng.next() * (1 - side), rng.next() * (1 - side), side, side];
          })
        : undefined;
      jobs.push({ paths: part.map((s) => s.path), flips, ...(crops ? { crops } : {}), size: this.opts.imageSize });
      jobs.labels.push(part.map((s) => s.label));
    }
    return jobs;
  }

  private toBatch(job: DecodeJob, labels: number[], r: DecodeResult): Batch | null {
    const per = job.size * job.size * 3;
    const ok: number[] = [];
    r.errors.forEach((e, i) => {
      if (e === null) ok.push(i);
      else if (!this.warned.has(job.paths[i]!)) {
        this.warned.add(job.paths[i]!);
        this.opts.warn(`skipping ${job.paths[i]}: cannot decode the image (${e})`);
      }
    });
    if (!ok.length) return null;
    let data = r.data;
    if (ok.length !== job.paths.length) {
      data = new Uint8Array(ok.length * per);
      ok.forEach((src, dst) => data.set(r.data.subarray(src * per, (src + 1) * per), dst * per));
    }
    const { mean, std } = this.opts;
    const s = job.size;
    const x = torch.tidy(() => {
      const raw = torch.tensor(data, { shape: [ok.length, s, s, 3] });
      const m = torch.tensor([...mean], { dtype: 'float32' }).reshape(1, 3, 1, 1);
      const d = torch.tensor([...std], { dtype: 'float32' }).reshape(1, 3, 1, 1);
      return raw.permute(0, 3, 1, 2).float().div(255).sub(m).div(d).contiguous();
    });
    const y = torch.tensor(new BigInt64Array(ok.map((i) => BigInt(labels[i]!))), { shape: [ok.length] });
    return { x, y, paths: ok.map((i) => job.paths[i]!) };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    const jobs = this.plan();
    const pool = this.opts.pool;
    if (!pool) {
      for (let i = 0; i < jobs.length; i++) {
        const b = this.toBatch(jobs[i]!, jobs.labels[i]!, runDecodeJob(jobs[i]!));
        if (b) yield b;
      }
      return;
    }
    const inflight: Promise<DecodeResult>[] = [];
    let next = 0;
    const fill = () => {
      while (next < jobs.length && inflight.length < this.opts.prefetch) {
        const p = pool.run(jobs[next++]!);
        p.catch(() => {});
        inflight.push(p);
      }
    };
    fill();
    for (let i = 0; i < jobs.length; i++) {
      const r = await inflight.shift()!;
      fill();
      const b = this.toBatch(jobs[i]!, jobs.labels[i]!, r);
      if (b) yield b;
    }
  }
}
