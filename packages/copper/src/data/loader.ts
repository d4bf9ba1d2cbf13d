/**
 * DataLoader: batches of (images, labels) tensors from an image-folder sample list. Files are read,
 * decoded (libvips) and transformed in `numWorkers` worker threads (0: in the main thread), a few
 * batches ahead, each batch written as one float32 [B, C, H, W] buffer; batches come out in order
 * whatever the worker count. Shuffling and each image's augmentation seed come from a generator
 * re-seeded each epoch (seed + epoch), so a run repeats exactly with the same seed.
 * Images that cannot be decoded are skipped with one warning each.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@copper/torch';
import { runDecodeJob, type DecodeJob, type DecodeResult } from './decode.js';
import { outputSize, type TransformSpec } from './transforms.js';
import type { Sample } from './image-folder.js';
import { Rng } from '../utils/rng.js';
import { CopperError } from '../utils/errors.js';

export interface Batch {
  /** float32 [B, C, H, W], transformed (normalized). */
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
  /** The batch's image size: side of a square, or [height, width]. */
  imageSize: number | [number, number];
  /** Channels per image: 1 (grayscale, PIL's L), 3 (RGB) or 4 (RGBA). Default 3. */
  channels?: number;
  shuffle?: boolean;
  seed?: number;
  /**
   * The transforms (parsed, see transforms.ts). Default: Resize to imageSize. Normalize with
   * mean/std is appended when the list has none.
   */
  transforms?: TransformSpec[];
  /** What the transforms are called in messages (e.g. data.train_transforms). */
  transformsName?: string;
  mean?: readonly number[];
  std?: readonly number[];
  dropLast?: boolean;
  /** Batches decoded ahead (default 2 per worker). */
  prefetch?: number;
  pool?: DecodePool | null;
  warn?: (msg: string) => void;
  /**
   * This process's shard under strategy=ddp (DistributedSampler): the order (shuffled with
   * seed + epoch, the same on every rank) is cut into `numReplicas` interleaved shards; `pad`
   * repeats samples from the start so every shard has the same length (training).
   */
  distributed?: { numReplicas: number; rank: number; pad: boolean } | null;
}

export class DataLoader {
  /** Set by the trainer before each epoch: reshuffles with seed + epoch. */
  epoch = 0;
  private readonly warned = new Set<string>();
  readonly opts: Required<Omit<LoaderOptions, 'pool' | 'imageSize'>> & { pool: DecodePool | null; imageSize: [number, number] };

  constructor(readonly samples: readonly Sample[], opts: LoaderOptions) {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new RangeError(`batch_size must be a positive integer, got ${opts.batchSize}`);
    const size: [number, number] = typeof opts.imageSize === 'number' ? [opts.imageSize, opts.imageSize] : [opts.imageSize[0], opts.imageSize[1]];
    if (!size.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`image_size must be a positive integer, got ${opts.imageSize}`);
    const channels = opts.channels ?? 3;
    if (![1, 3, 4].includes(channels)) throw new RangeError(`channels must be 1, 3 or 4, got ${channels}`);
    const fill = (v: readonly number[] | undefined) => (!v ? new Array(channels).fill(0.5) : v.length === 1 ? new Array(channels).fill(v[0]) : [...v]);
    const mean = fill(opts.mean);
    const std = fill(opts.std);
    if (mean.length !== channels || std.length !== channels) throw new RangeError(`mean and std need ${channels} values (or one), got [${mean.join(', ')}] and [${std.join(', ')}]`);
    let transforms = opts.transforms ?? [{ name: 'Resize', size: size, interpolation: 'bilinear', max_size: null }];
    if (!transforms.some((t) => t.name === 'Normalize')) transforms = [...transforms, { name: 'Normalize', mean, std }];
    this.opts = {
      shuffle: false,
      seed: 0,
      dropLast: false,
      prefetch: Math.max(2, (opts.pool?.size ?? 0) * 2),
      warn: (m) => process.stderr.write(`[copper][WARNING] ${m}\n`),
      transformsName: 'transforms',
      distributed: null,
      ...opts,
      channels,
      mean,
      std,
      transforms,
      imageSize: size,
      pool: opts.pool ?? null,
    } as DataLoader['opts'];
    checkTransformsSize(transforms, size, this.opts.transformsName);
  }

  /** DistributedSampler.set_epoch: the next epoch's order (seed + epoch). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Samples this process goes through per epoch (its shard under strategy=ddp). */
  get numSamples(): number {
    const n = this.samples.length;
    const d = this.opts.distributed;
    if (!d) return n;
    if (d.pad) return Math.ceil(n / d.numReplicas);
    return n > d.rank ? Math.floor((n - d.rank - 1) / d.numReplicas) + 1 : 0;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.numSamples / this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  private plan(): DecodeJob[] & { labels: number[][] } {
    const rng = new Rng((this.opts.seed + this.epoch * 7919) >>> 0);
    let order = this.opts.shuffle ? rng.shuffle(this.samples) : [...this.samples];
    const d = this.opts.distributed;
    if (d) {
      if (d.pad && order.length) {
        const total = Math.ceil(order.length / d.numReplicas) * d.numReplicas;
        const padded = [...order];
        while (padded.length < total) padded.push(...order.slice(0, total - padded.length));
        order = padded;
      }
      order = order.filter((_, i) => i % d.numReplicas === d.rank);
    }
    // augmentation seeds: a stream of this rank's own (the shuffle above is the same on every rank)
    const augRng = d ? new Rng((this.opts.seed + this.epoch * 7919 + Math.imul(d.rank + 1, 0x9e3779b1)) >>> 0) : rng;
    const jobs = [] as unknown as DecodeJob[] & { labels: number[][] };
    jobs.labels = [];
    const bs = this.opts.batchSize;
    for (let i = 0; i < order.length; i += bs) {
      const part = order.slice(i, i + bs);
      if (part.length < bs && this.opts.dropLast) break;
      const seeds = part.map(() => Math.floor(augRng.next() * 4294967296));
      jobs.push({ paths: part.map((s) => s.path), seeds, transforms: this.opts.transforms, channels: this.opts.channels, size: this.opts.imageSize });
      jobs.labels.push(part.map((s) => s.label));
    }
    return jobs;
  }

  private toBatch(job: DecodeJob, labels: number[], r: DecodeResult): Batch | null {
    if (r.fatal) throw new CopperError(`${this.opts.transformsName}: ${r.fatal}`);
    const [h, w] = job.size;
    const per = job.channels * h * w;
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
      data = new Float32Array(ok.length * per);
      ok.forEach((src, dst) => data.set(r.data.subarray(src * per, (src + 1) * per), dst * per));
    }
    const x = torch.tensor(data, { shape: [ok.length, job.channels, h, w] });
    const y = torch.tensor(new BigInt64Array(ok.map((i) => BigInt(labels[i]!))), { shape: [ok.length] });
    return { x, y, paths: ok.map((i) => job.paths[i]!) };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    const jobs = this.plan();
    const pool = this.opts.pool;
    const run = (job: DecodeJob) => (pool ? pool.run(job) : runDecodeJob(job));
    // without workers the next batch still decodes (libvips threads) while this one trains
    const ahead = pool ? this.opts.prefetch : 1;
    const inflight: Promise<DecodeResult>[] = [];
    let next = 0;
    const fill = () => {
      while (next < jobs.length && inflight.length < ahead) {
        const p = run(jobs[next++]!);
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

/** The transforms must end at the batch's image size: one clear line when they cannot. */
export function checkTransformsSize(transforms: readonly TransformSpec[], size: [number, number], name: string): void {
  const out = outputSize(transforms);
  if (typeof out === 'string') {
    throw new CopperError(`${name}: ${out}, so images would differ in size: end with CenterCrop: ${size[0] === size[1] ? size[0] : `[${size.join(', ')}]`} or use Resize: [${size.join(', ')}]`);
  }
  if (out[0] !== size[0] || out[1] !== size[1]) {
    throw new CopperError(`${name} make ${out[0]}x${out[1]} images (height x width) but the batch size is ${size[0]}x${size[1]} (data.image_size): make them agree`);
  }
}
