/**
 * torch.distributed over libtorch's c10d: a TCPStore rendezvous and the Gloo backend (CPU tensors).
 *
 *   // launched once per rank, with torchrun's variables MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
 *   torch.distributed.initProcessGroup({ backend: 'gloo' });
 *   torch.distributed.allReduce(t, 'sum');     // in place on every rank
 *   torch.distributed.destroyProcessGroup();
 *
 * One default process group per process, as in PyTorch. The collectives are synchronous: they
 * return when every rank has contributed, and throw a `DistributedError` (one line) when a peer
 * died or did not answer within the group's timeout.
 */
import { native } from './native.js';
import { Tensor } from './tensor.js';
import { ArgumentError, DistributedError } from './errors.js';

export type Backend = 'gloo';
export type ReduceOpName = 'sum' | 'avg' | 'product' | 'max' | 'min';
/** torch.distributed.ReduceOp: `allReduce(t, ReduceOp.MAX)`. AVG divides the sum by the world size. */
export const ReduceOp = { SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MAX: 'max', MIN: 'min' } as const;

/** PyTorch's default process-group timeout (30 minutes). */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

export interface InitOptions {
  /** 'gloo' (the default; CPU tensors). NCCL needs a CUDA libtorch and is not bound yet. */
  backend?: string;
  /** 'env://' (the default: MASTER_ADDR and MASTER_PORT) or 'tcp://host:port'. */
  initMethod?: string;
  /** This process's rank (default: $RANK). */
  rank?: number;
  /** Number of processes (default: $WORLD_SIZE). */
  worldSize?: number;
  /** Milliseconds the rendezvous and each collective may wait for the other ranks (default 30 min). */
  timeout?: number;
  /** Where to read the torchrun variables (default: process.env). */
  env?: Record<string, string | undefined>;
}

let state: { rank: number; worldSize: number; localRank: number; backend: Backend } | null = null;

/** Whether this build of @copper/torch has a distributed backend (Gloo headers found at build time). */
export function isAvailable(): boolean {
  return native.distInfo().available;
}

/** Why isAvailable() is false (one line), or null when it is true. */
export function unavailableReason(): string | null {
  const i = native.distInfo();
  return i.available ? null : i.reason;
}

/** Whether Gloo can be used (torch.distributed.is_gloo_available). */
export function isGlooAvailable(): boolean {
  return native.distInfo().backends.includes('gloo');
}

export function isInitialized(): boolean {
  return state !== null;
}

function envInt(env: Record<string, string | undefined>, name: string, given: number | undefined): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 0) throw new DistributedError(`initProcessGroup: ${name.toLowerCase()} must be a non-negative integer, got ${given}`);
    return given;
  }
  const v = env[name];
  if (v === undefined || v === '') {
    throw new DistributedError(`initProcessGroup: environment variable ${name} expected, but not set (torchrun sets it; or pass it in the options)`);
  }
  if (!/^\d+$/.test(v.trim())) throw new DistributedError(`initProcessGroup: environment variable ${name} must be a non-negative integer, got '${v}'`);
  return Number(v.trim());
}

/**
 * torch.distributed.init_process_group: joins this process to the job. Rank 0 serves the TCPStore
 * at MASTER_ADDR:MASTER_PORT; every rank connects to it, then the ranks connect to each other.
 * Throws a DistributedError when this build has no backend, a variable is missing, or the other
 * ranks do not arrive within `timeout`.
 */
export function initProcessGroup(opts: InitOptions = {}): void {
  const info = native.distInfo();
  if (!info.available) throw new DistributedError(info.reason);
  const backend = (opts.backend ?? 'gloo').toLowerCase();
  if (!info.backends.includes(backend)) {
    throw new DistributedError(`initProcessGroup: backend '${backend}' is not available in this build (available: ${info.backends.join(', ')})`);
  }
  if (state) throw new DistributedError('initProcessGroup: the default process group is already initialized (call destroyProcessGroup() first)');
  const env = opts.env ?? process.env;
  const method = opts.initMethod ?? 'env://';
  let host: string;
  let port: number;
  if (method === 'env://') {
    host = env.MASTER_ADDR ?? '';
    if (!host) throw new DistributedError('initProcessGroup: environment variable MASTER_ADDR expected, but not set (torchrun sets it; or pass initMethod: "tcp://host:port")');
    port = envInt(env, 'MASTER_PORT', undefined);
  } else {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(method);
    if (!m) throw new DistributedError(`initProcessGroup: initMethod must be 'env://' or 'tcp://host:port', got '${method}'`);
    host = m[1]!.replace(/^\[|\]$/g, '');
    port = Number(m[2]);
  }
  if (!(port > 0 && port < 65536)) throw new DistributedError(`initProcessGroup: port must be 1-65535, got ${port}`);
  const worldSize = envInt(env, 'WORLD_SIZE', opts.worldSize);
  const rank = envInt(env, 'RANK', opts.rank);
  if (worldSize < 1) throw new DistributedError('initProcessGroup: WORLD_SIZE must be at least 1');
  if (rank >= worldSize) throw new DistributedError(`initProcessGroup: RANK ${rank} is not below WORLD_SIZE ${worldSize}`);
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw new DistributedError(`initProcessGroup: timeout must be a positive number of milliseconds, got ${timeout}`);
  const localRank = env.LOCAL_RANK !== undefined && /^\d+$/.test(env.LOCAL_RANK) ? Number(env.LOCAL_RANK) : rank;
  native.distInit(backend, host, port, rank, worldSize, Math.ceil(timeout));
  state = { rank, worldSize, localRank, backend: backend as Backend };
}

function group(what: string): NonNullable<typeof state> {
  if (!state) throw new DistributedError(`${what}: the default process group is not initialized; call initProcessGroup() first`);
  return state;
}

/** This process's rank in the default group. */
export function getRank(): number {
  return group('getRank').rank;
}
export function getWorldSize(): number {
  return group('getWorldSize').worldSize;
}
/** The rank within this machine ($LOCAL_RANK, else the global rank). */
export function getLocalRank(): number {
  return group('getLocalRank').localRank;
}
export function getBackend(): Backend {
  return group('getBackend').backend;
}

/** Leaves the job; initProcessGroup() may be called again afterwards. */
export function destroyProcessGroup(): void {
  native.distDestroy();
  state = null;
}

function collective<T>(what: string, fn: () => T): T {
  const s = group(what);
  try {
    return fn();
  } catch (e) {
    if (e instanceof DistributedError) throw new DistributedError(`${what} failed on rank ${s.rank}: ${e.message}`);
    throw e;
  }
}

const list = (t: Tensor | readonly Tensor[]) => (t instanceof Tensor ? [t.handle] : t.map((x) => x.handle));

/**
 * torch.distributed.all_reduce: reduces `t` across ranks, in place on every rank, and returns it. A
 * list of tensors (one dtype) is reduced as one flat buffer: one message for all of a model's
 * gradients.
 */
export function allReduce<T extends Tensor | readonly Tensor[]>(t: T, op: ReduceOpName = 'sum'): T {
  if (!(Object.values(ReduceOp) as string[]).includes(op)) throw new ArgumentError(`allReduce: unknown op '${op}' (sum, avg, product, max, min)`);
  collective('allReduce', () => native.distAllReduce(list(t), op));
  return t;
}

/** torch.distributed.broadcast: copies `src`'s tensor(s) into every rank's, in place. */
export function broadcast<T extends Tensor | readonly Tensor[]>(t: T, src = 0): T {
  collective('broadcast', () => native.distBroadcast(list(t), src));
  return t;
}

/** torch.distributed.all_gather: every rank's `t` (same shape and dtype on all), in rank order. */
export function allGather(t: Tensor): Tensor[] {
  return collective('allGather', () => native.distAllGather(t.handle).map((h) => new Tensor(h)));
}

/** torch.distributed.barrier: returns when every rank has called it. */
export function barrier(): void {
  collective('barrier', () => native.distBarrier());
}

export interface ReducerOptions {
  /** Bucket size in MiB (DDP's bucket_cap_mb, default 25). */
  bucketCapMb?: number;
  /** The first bucket's size in MiB once buckets are rebuilt (torch.distributed._DEFAULT_FIRST_BUCKET_BYTES: 1). */
  firstBucketCapMb?: number;
  /**
   * DDP's find_unused_parameters: search the graph of `prepareForBackward`'s outputs for parameters
   * that will get no gradient, and count them as ready at once (default false: every parameter must
   * get a gradient in every synchronized backward, else `finishBackward` throws).
   */
  findUnusedParameters?: boolean;
  /** Parameter names for error messages (default: their positions). */
  names?: readonly string[];
}

/** What one synchronized backward did (Reducer.finishBackward). */
export interface ReducerStep {
  /** Buckets the gradients travel in (one all-reduce each). */
  buckets: number;
  /** Buckets whose all-reduce started while backward was still computing gradients. */
  overlapped: number;
}

/** DDP's message for a parameter that got no gradient while find_unused_parameters is off. */
export const UNUSED_PARAMETERS_MESSAGE =
  'It looks like your LightningModule has parameters that were not used in producing the loss returned by training_step. If this is intentional, you must enable the detection of unused parameters in DDP, either by setting the string value `strategy=\'ddp_find_unused_parameters_true\'` or by setting the flag in the strategy with `strategy=DDPStrategy(find_unused_parameters=True)`.';

/**
 * The gradient reducer of DistributedDataParallel (libtorch's c10d::Reducer): it hooks every
 * parameter's gradient accumulator, and during backward all-reduces each bucket of gradients as soon
 * as all of its gradients are ready (in reverse parameter order, as they come out of backward), so
 * communication overlaps the rest of backward. When backward returns, every gradient is the mean
 * over the ranks.
 *
 *   const reducer = new torch.distributed.Reducer(model.parameters());
 *   reducer.prepareForBackward(loss);   // this backward synchronizes (omit it to accumulate locally)
 *   loss.backward();                    // buckets are all-reduced while it runs
 *   reducer.finishBackward();           // throws when a parameter got no gradient
 *
 * The first synchronized backward reduces all gradients as one bucket (as DDP does); the next one
 * rebuilds the buckets in the order the gradients arrived (a broadcast from rank 0), up to
 * `bucketCapMb` each. Every rank must make the same calls in the same order. A peer that dies during
 * backward makes backward throw a DistributedError.
 */
export class Reducer {
  private handle: unknown;
  private readonly names: string[];
  /** The parameters, in the order given (requires_grad leaves, each once). */
  readonly parameters: readonly Tensor[];

  constructor(params: readonly Tensor[], opts: ReducerOptions = {}) {
    group('Reducer');
    const cap = opts.bucketCapMb ?? 25;
    const first = opts.firstBucketCapMb ?? 1;
    if (!(cap > 0) || !(first > 0)) throw new ArgumentError(`Reducer: bucket sizes must be positive numbers of MiB, got ${cap} and ${first}`);
    this.parameters = [...params];
    this.names = this.parameters.map((_, i) => opts.names?.[i] ?? String(i));
    this.handle = collective('Reducer', () =>
      native.distReducerNew(
        this.parameters.map((p) => p.handle),
        this.names,
        Math.max(1, Math.round(cap * 1024 * 1024)),
        Math.max(1, Math.round(first * 1024 * 1024)),
        opts.findUnusedParameters ?? false,
      ),
    );
  }

  private get h(): unknown {
    if (this.handle === null) throw new DistributedError('Reducer: it was disposed');
    return this.handle;
  }

  /**
   * Makes the next backward synchronize (DDP's forward with require_backward_grad_sync). `outputs`:
   * the tensors backward starts from (needed with findUnusedParameters). Throws when the previous
   * synchronized backward did not finish. Returns true when the buckets were rebuilt now.
   */
  prepareForBackward(outputs: Tensor | readonly Tensor[] = []): boolean {
    return collective('Reducer.prepareForBackward', () => native.distReducerPrepare(this.h, list(outputs)));
  }

  /**
   * After a prepared backward: checks that every bucket was all-reduced. A parameter that got no
   * gradient (not used for the loss) leaves its bucket waiting: that throws a DistributedError with
   * DDP's message and the parameters' names. Returns null when the backward was not prepared.
   */
  finishBackward(): ReducerStep | null {
    const o = native.distReducerFinish(this.h);
    if (!o.prepared) return null;
    if (!o.finished) {
      const names = o.missing.map((i) => this.names[i] ?? String(i));
      throw new DistributedError(`${UNUSED_PARAMETERS_MESSAGE} Parameters that got no gradient on rank ${getRank()}: ${names.join(', ') || 'all (backward did not reach any parameter)'}`);
    }
    return { buckets: o.buckets, overlapped: o.overlapped };
  }

  /** The buckets as parameter positions, in the order they are all-reduced. */
  get buckets(): number[][] {
    return native.distReducerBuckets(this.h);
  }

  /** Removes the hooks; the parameters' gradients are no longer reduced. */
  dispose(): void {
    if (this.handle === null) return;
    native.distReducerFree(this.handle);
    this.handle = null;
  }
}
