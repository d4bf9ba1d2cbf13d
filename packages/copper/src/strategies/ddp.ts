/**
 * strategy=ddp (Lightning's DDPStrategy with its subprocess-script launcher) over libtorch's c10d
 * (Gloo, CPU tensors):
 * - launch: the first process is local rank 0; it starts `devices - 1` more processes by running the
 *   same command again (with Hydra: the same run folder, `hydra.job.name=<job>_ddp_process_<r>`,
 *   `hydra.output_subdir=null`) with torchrun's variables LOCAL_RANK, RANK, WORLD_SIZE, NODE_RANK,
 *   MASTER_ADDR, MASTER_PORT. When LOCAL_RANK is already set (torchrun, a cluster, or our own
 *   children) nothing is spawned. `num_nodes` > 1: run the same command on every machine with
 *   NODE_RANK and the same MASTER_ADDR/MASTER_PORT.
 * - model: rank 0's parameters and buffers are broadcast at the start (and buffers after every
 *   optimizer step, as DDP's broadcast_buffers); gradients are averaged by DDP's reducer
 *   (torch.distributed.Reducer, libtorch's c10d::Reducer) during backward: each bucket of at most
 *   25 MB (bucket_cap_mb) is all-reduced as soon as its gradients are ready, in reverse parameter
 *   order, while backward computes the rest. Backward passes inside a gradient accumulation do not
 *   synchronize (DDP's no_sync); when training stops in the middle of one, the accumulated
 *   gradients are all-reduced after backward instead. A parameter that gets no gradient in a
 *   synchronized backward ends the job with Lightning's message, unless
 *   strategy=ddp_find_unused_parameters_true.
 * - data: DistributedSampler semantics (training shards padded to equal length, shuffled with
 *   seed + epoch); validation/test shards are not padded, so their metrics count every image once.
 * - metrics: epoch means logged with syncDist are averaged over all ranks' images.
 * - failure: a rank that dies ends the job: rank 0 prints one line and exits non-zero; the other
 *   ranks stop when rank 0 goes away (their collectives fail, or the launcher's channel closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as torch from '@copper/torch';
import { getHydraConfig, hydraConfig } from '@copper/hydra';
import { CopperError } from '../utils/errors.js';
import type { DataLoader } from '../data/loader.js';
import type { MeanMetric } from '../models/metrics.js';
import { progressState } from '../utils/progress.js';

/** DDP's default bucket size (bucket_cap_mb=25). */
export const BUCKET_BYTES = 25 * 1024 * 1024;

const STRATEGIES = ['auto', 'single_device', 'ddp', 'ddp_find_unused_parameters_true', 'ddp_find_unused_parameters_false'];

function positiveInt(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new CopperError(`trainer.${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** trainer.devices as a number of processes on this machine ('auto': 1 on the CPU). */
export function parseDevices(v: unknown): number {
  if (v === undefined || v === null || v === 'auto') return 1;
  if (Array.isArray(v)) {
    if (!v.length) throw new CopperError('trainer.devices must not be an empty list');
    return v.length;
  }
  if (v === -1 || v === '-1') throw new CopperError('trainer.devices=-1 (all devices) is not supported on the CPU: give the number of processes, e.g. trainer.devices=2');
  return positiveInt(v, 'devices');
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | null {
  const v = env[name];
  if (v === undefined || v === '') return null;
  if (!/^\d+$/.test(v.trim())) throw new CopperError(`environment variable ${name} must be a non-negative integer, got '${v}'`);
  return Number(v.trim());
}

/** Whether `trainer.strategy`/`devices`/`num_nodes` ask for more than one process. */
export function wantsDDP(opts: { strategy?: unknown; devices?: unknown; num_nodes?: unknown }): boolean {
  const s = String(opts.strategy ?? 'auto');
  return s.startsWith('ddp') || (s === 'auto' && parseDevices(opts.devices) * positiveInt(opts.num_nodes ?? 1, 'num_nodes') > 1);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

type Child = { rank: number; proc: ChildProcess; lastError: string | null; exited: { code: number | null; signal: NodeJS.Signals | null } | null; ready: boolean };

/** Quotes a Hydra override value when it has characters the override grammar treats specially. */
function hydraValue(v: string): string {
  return /^[\w./@:+-]+$/.test(v) ? v : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export class DDPStrategy {
  readonly devices: number;
  readonly numNodes: number;
  readonly worldSize: number;
  readonly nodeRank: number;
  readonly localRank: number;
  readonly globalRank: number;
  /** LOCAL_RANK was set before we started: someone else (torchrun, a cluster, our launcher) spawns. */
  readonly launchedExternally: boolean;
  /** The log folder of rank 0 (checkpoint paths are derived from it on every rank). */
  rootLogDir: string | null = null;
  private children: Child[] = [];
  private initialized = false;
  private failing = false;
  private readonly env: NodeJS.ProcessEnv;
  /** strategy=ddp_find_unused_parameters_true (DDP's find_unused_parameters). */
  readonly findUnusedParameters: boolean;
  private reducer: torch.distributed.Reducer | null = null;
  /** The last backward's gradients were averaged by the reducer (nothing left to do before the step). */
  private reduced = false;
  /** Synchronized backward passes, and the buckets all-reduced while backward was still running. */
  readonly reducerStats = { backwards: 0, buckets: 0, overlapped: 0 };

  private constructor(opts: { devices?: unknown; num_nodes?: unknown; accelerator?: unknown; findUnusedParameters?: boolean }, env: NodeJS.ProcessEnv) {
    this.env = env;
    this.findUnusedParameters = opts.findUnusedParameters ?? false;
    this.devices = parseDevices(opts.devices);
    this.numNodes = positiveInt(opts.num_nodes ?? 1, 'num_nodes');
    this.worldSize = this.devices * this.numNodes;
    this.launchedExternally = env.LOCAL_RANK !== undefined;
    this.nodeRank = envInt(env, 'NODE_RANK') ?? envInt(env, 'GROUP_RANK') ?? 0;
    if (this.nodeRank >= this.numNodes) throw new CopperError(`NODE_RANK ${this.nodeRank} is not below trainer.num_nodes ${this.numNodes}`);
    this.localRank = this.launchedExternally ? envInt(env, 'LOCAL_RANK')! : 0;
    this.globalRank = envInt(env, 'RANK') ?? this.nodeRank * this.devices + this.localRank;
    if (this.launchedExternally) {
      const ws = envInt(env, 'WORLD_SIZE');
      if (ws !== null && ws !== this.worldSize) {
        throw new CopperError(`WORLD_SIZE is ${ws} but trainer.devices=${this.devices} x trainer.num_nodes=${this.numNodes} make ${this.worldSize}: make them agree (torchrun --nproc_per_node and --nnodes)`);
      }
      if (this.localRank >= this.devices) throw new CopperError(`LOCAL_RANK ${this.localRank} is not below trainer.devices ${this.devices}`);
    }
    if (this.globalRank >= this.worldSize) throw new CopperError(`RANK ${this.globalRank} is not below the world size ${this.worldSize}`);
  }

  /**
   * The strategy for these trainer options: a DDPStrategy when they ask for more than one process,
   * null for one process; one clear line for what is not supported.
   */
  static fromOptions(opts: { strategy?: unknown; devices?: unknown; num_nodes?: unknown; accelerator?: unknown; use_distributed_sampler?: unknown }, env: NodeJS.ProcessEnv = process.env): DDPStrategy | null {
    const s = opts.strategy === null || opts.strategy === undefined ? 'auto' : String(opts.strategy);
    if (!STRATEGIES.includes(s)) {
      const hint = /^ddp_(spawn|fork|notebook)/.test(s) ? ': copper starts its processes by running the command again, use trainer.strategy=ddp' : '';
      throw new CopperError(`trainer.strategy ${JSON.stringify(s)} is not supported (${STRATEGIES.join(', ')})${hint}`);
    }
    const devices = parseDevices(opts.devices);
    const nodes = positiveInt(opts.num_nodes ?? 1, 'num_nodes');
    if (s === 'single_device' && devices * nodes > 1) throw new CopperError(`trainer.strategy=single_device runs one process, but trainer.devices=${devices} and trainer.num_nodes=${nodes}: use trainer.strategy=ddp`);
    if (!wantsDDP(opts) || devices * nodes === 1) return null;
    if (!torch.distributed.isAvailable()) throw new CopperError(`trainer.strategy=ddp: ${torch.distributed.unavailableReason()}`);
    if (nodes > 1 && (!env.MASTER_ADDR || !env.MASTER_PORT)) {
      throw new CopperError(`trainer.num_nodes=${nodes}: set MASTER_ADDR and MASTER_PORT (rank 0's machine and a free port) and NODE_RANK (0..${nodes - 1}) on every machine`);
    }
    return new DDPStrategy({ devices, num_nodes: nodes, accelerator: opts.accelerator, findUnusedParameters: s === 'ddp_find_unused_parameters_true' }, env);
  }

  get isGlobalZero(): boolean {
    return this.globalRank === 0;
  }

  // ---- launch ----------------------------------------------------------------------------------

  /** Starts the other local ranks (unless launched externally), then joins the process group. */
  async setup(log: (m: string) => void, logDir: string | null): Promise<void> {
    if (this.initialized) return;
    const env = this.env;
    if (!this.launchedExternally) {
      if (!env.MASTER_ADDR) env.MASTER_ADDR = '127.0.0.1';
      if (!env.MASTER_PORT) env.MASTER_PORT = String(await freePort());
      env.WORLD_SIZE = String(this.worldSize);
      env.NODE_RANK = String(this.nodeRank);
      env.LOCAL_RANK = '0';
      env.RANK = String(this.globalRank);
      this.spawnChildren(env);
      await this.waitReady();
    } else if (process.send && env.COPPER_DDP_CHILD === '1') {
      // our launcher's child: tell it we are about to join, and stop when it goes away
      process.send({ copperDdp: 'ready' });
      process.on('disconnect', () => process.exit(1));
      (process.channel as { unref?: () => void } | undefined)?.unref?.();
    }
    const line = `Initializing distributed: GLOBAL_RANK: ${this.globalRank}, MEMBER: ${this.globalRank + 1}/${this.worldSize}`;
    // every rank says it (the other ranks' loggers print nothing)
    if (this.isGlobalZero) log(line);
    else if (env.COPPER_DDP_CHILD === '1') process.stderr.write(`${line}\n`); // rank 0 shows it
    else process.stdout.write(`${line}\n`);
    try {
      torch.distributed.initProcessGroup({ backend: 'gloo', rank: this.globalRank, worldSize: this.worldSize, env });
    } catch (e) {
      throw await this.explain(e);
    }
    this.initialized = true;
    this.rootLogDir = this.broadcastString(logDir ?? '') || null;
  }

  private spawnChildren(env: NodeJS.ProcessEnv): void {
    const script = process.argv[1];
    if (!script) throw new CopperError('trainer.strategy=ddp: cannot tell which script to run again for the other ranks');
    let extra: string[] = [];
    let cwd = process.cwd();
    if (getHydraConfig()) {
      const h = hydraConfig();
      if (String(h.mode ?? 'RUN') === 'MULTIRUN') throw new CopperError('trainer.strategy=ddp does not run under --multirun: run each configuration as its own job');
      const outDir = String(h.runtime.output_dir);
      cwd = String(h.runtime.cwd ?? cwd);
      extra = [`hydra.run.dir=${hydraValue(outDir)}`, 'hydra.output_subdir=null', '++hydra.job_logging.root.level=ERROR'];
    }
    for (let local = 1; local < this.devices; local++) {
      const rank = this.nodeRank * this.devices + local;
      const args = [...process.execArgv, script, ...process.argv.slice(2), ...extra, ...(extra.length ? [`hydra.job.name=${hydraValue(`${String(hydraConfig().job.name)}_ddp_process_${local}`)}`] : [])];
      const proc = spawn(process.execPath, args, {
        cwd,
        env: { ...env, LOCAL_RANK: String(local), RANK: String(rank), COPPER_DDP_CHILD: '1' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      const child: Child = { rank, proc, lastError: null, exited: null, ready: false };
      let buf = '';
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (s: string) => {
        buf += s;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (/^(Error|ERROR)\b/.test(line)) child.lastError = line.replace(/^(Error|ERROR):?\s*/, '');
          else if (line.startsWith('Initializing distributed:') && !progressState.quiet) process.stdout.write(`${line}\n`);
        }
      });
      proc.on('message', (m: { copperDdp?: string }) => {
        if (m && m.copperDdp === 'ready') child.ready = true;
      });
      proc.on('exit', (code, signal) => {
        child.exited = { code, signal };
        // (a non-zero process.exitCode: rank 0 has already failed and said why)
        if ((code !== 0 || signal) && !this.failing && !process.exitCode) {
          // rank 0 is not inside a failed collective that will report it: end the job now
          this.failing = true;
          this.killChildren();
          process.stderr.write(`Error: ${this.deathLine(child)}\n`);
          process.exit(1);
        }
        if (process.exitCode && (code !== 0 || signal)) this.killChildren();
      });
      this.children.push(child);
    }
    process.on('exit', () => this.killChildren());
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        this.failing = true;
        this.killChildren();
        process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
      });
    }
  }

  private killChildren(): void {
    for (const c of this.children) if (!c.exited) c.proc.kill('SIGTERM');
  }

  private deathLine(c: Child): string {
    const how = c.exited?.signal ? `was killed (${c.exited.signal})` : `exited with code ${c.exited?.code}`;
    return `trainer.strategy=ddp: rank ${c.rank} (pid ${c.proc.pid}) ${how}${c.lastError ? `: ${c.lastError}` : ''}; the job is stopped`;
  }

  private async waitReady(): Promise<void> {
    // the rendezvous blocks this thread: join only once every child is about to join too, so a child
    // that fails while starting (a config error) ends the job at once instead of after the timeout
    while (!this.children.every((c) => c.ready)) await new Promise((r) => setTimeout(r, 20));
  }

  /** The error to report for `e` (thrown by a collective): a dead child's exit when there is one. */
  async explain(e: unknown): Promise<unknown> {
    if (!this.children.length) return e;
    this.failing = true;
    if (e instanceof CopperError) {
      // this rank's own error (every rank reaches it alike): say it rather than a rank's exit
      this.killChildren();
      return e;
    }
    const until = Date.now() + 3000;
    while (Date.now() < until && !this.children.some((c) => c.exited && (c.exited.code !== 0 || c.exited.signal))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const dead = this.children.find((c) => c.exited && (c.exited.code !== 0 || c.exited.signal));
    this.killChildren();
    return dead ? new CopperError(this.deathLine(dead)) : e;
  }

  /** Runs `fn` (a fit or test) as this rank: joins the job first; a failure names a dead rank. */
  async run<T>(log: (m: string) => void, logDir: string | null, fn: () => Promise<T>): Promise<T> {
    await this.setup(log, logDir);
    try {
      return await fn();
    } catch (e) {
      throw await this.explain(e);
    } finally {
      // the reducer's hooks stay on the parameters until it goes
      this.reducer?.dispose();
      this.reducer = null;
    }
  }

  // ---- collectives -----------------------------------------------------------------------------

  barrier(): void {
    torch.distributed.barrier();
  }

  /** Rank 0's string on every rank. */
  broadcastString(s: string): string {
    const bytes = Buffer.from(this.isGlobalZero ? s : '', 'utf8');
    const len = torch.tensor(new Float64Array([bytes.length]));
    torch.distributed.broadcast(len, 0);
    const n = Number(len.item());
    len.dispose();
    if (n === 0) return '';
    const data = new Int32Array(n);
    if (this.isGlobalZero) data.set(bytes);
    const t = torch.tensor(data);
    torch.distributed.broadcast(t, 0);
    const out = Buffer.from(Uint8Array.from(t.toArray() as Int32Array)).toString('utf8');
    t.dispose();
    return out;
  }

  /** Every rank's string, in rank order (all_gather_object for text). */
  allGatherString(s: string): string[] {
    const bytes = Buffer.from(s, 'utf8');
    const len = torch.tensor(new Float64Array([bytes.length]));
    torch.distributed.allReduce(len, 'max');
    const n = Number(len.item());
    len.dispose();
    const data = new Int32Array(n + 1);
    data[0] = bytes.length;
    for (let i = 0; i < bytes.length; i++) data[i + 1] = bytes[i]!;
    const t = torch.tensor(data);
    const parts = torch.distributed.allGather(t);
    t.dispose();
    return parts.map((p) => {
      const a = p.toArray() as Int32Array;
      p.dispose();
      return Buffer.from(Uint8Array.from(a.subarray(1, 1 + a[0]!))).toString('utf8');
    });
  }

  /** Sums of plain numbers over all ranks (float64; the same result on every rank). */
  allReduceSum(values: number[]): number[] {
    if (!values.length) return [];
    const t = torch.tensor(Float64Array.from(values));
    torch.distributed.allReduce(t, 'sum');
    const out = Array.from(t.toArray() as Float64Array);
    t.dispose();
    return out;
  }

  /** Whether `flag` is true on any rank (a stop decision every rank must share). */
  any(flag: boolean): boolean {
    return this.allReduceSum([flag ? 1 : 0])[0]! > 0;
  }

  /** Rank 0's decision on every rank. */
  broadcastFlag(flag: boolean): boolean {
    const t = torch.tensor(new Float64Array([flag ? 1 : 0]));
    torch.distributed.broadcast(t, 0);
    const v = t.item() !== 0;
    t.dispose();
    return v;
  }

  /** Tensors grouped by dtype (a collective moves one dtype at a time). */
  private byDtype(ts: torch.Tensor[]): torch.Tensor[][] {
    const groups = new Map<string, torch.Tensor[]>();
    for (const t of ts) {
      const g = groups.get(t.dtype);
      if (g) g.push(t);
      else groups.set(t.dtype, [t]);
    }
    return [...groups.values()];
  }

  /** Rank 0's parameters and buffers on every rank (DDP's start). */
  broadcastModel(model: torch.nn.Module): void {
    const ts = [...model.parameters(), ...model.buffers()];
    torch.noGrad(() => {
      for (const g of this.byDtype(ts)) torch.distributed.broadcast(g, 0);
    });
  }

  /** Rank 0's buffers (BatchNorm statistics) on every rank (DDP's broadcast_buffers). */
  broadcastBuffers(model: torch.nn.Module): void {
    const bs = model.buffers();
    if (!bs.length) return;
    torch.noGrad(() => {
      for (const g of this.byDtype(bs)) torch.distributed.broadcast(g, 0);
    });
  }

  /**
   * Runs one backward of `loss`. `sync`: this backward ends a gradient accumulation, so DDP's reducer
   * all-reduces the gradients while it runs (a new reducer when the parameters that require grad
   * changed, e.g. a fine-tuning callback unfroze some); otherwise the gradients just accumulate
   * locally (DDP's no_sync). A parameter that got no gradient in a synchronized backward throws
   * Lightning's message.
   */
  backward(model: torch.nn.Module, loss: torch.Tensor, sync: boolean): void {
    this.reduced = false;
    if (!sync) {
      loss.backward();
      return;
    }
    const named = model.namedParameters().filter(([, p]) => p.requiresGrad);
    const params = named.map(([, p]) => p);
    const r0 = this.reducer;
    if (!r0 || r0.parameters.length !== params.length || r0.parameters.some((p, i) => p !== params[i])) {
      r0?.dispose();
      this.reducer = null;
      if (!params.length) {
        loss.backward();
        return;
      }
      this.reducer = new torch.distributed.Reducer(params, { bucketCapMb: BUCKET_BYTES / (1024 * 1024), findUnusedParameters: this.findUnusedParameters, names: named.map(([n]) => n) });
    }
    const reducer = this.reducer!;
    reducer.prepareForBackward(loss);
    loss.backward();
    let step: torch.distributed.ReducerStep | null;
    try {
      step = reducer.finishBackward();
    } catch (e) {
      if (e instanceof torch.DistributedError && e.message.startsWith(torch.distributed.UNUSED_PARAMETERS_MESSAGE)) throw new CopperError(e.message);
      throw e;
    }
    if (step) {
      this.reduced = true;
      this.reducerStats.backwards++;
      this.reducerStats.buckets += step.buckets;
      this.reducerStats.overlapped += step.overlapped;
    }
  }

  /**
   * Before an optimizer step: the gradients are the mean over the ranks. Nothing to do when the last
   * backward was synchronized; after an unsynchronized one (training stopped inside a gradient
   * accumulation) the accumulated gradients are all-reduced now.
   */
  syncGradients(params: torch.Tensor[]): void {
    if (this.reduced) {
      this.reduced = false;
      return;
    }
    this.averageGradients(params);
  }

  /**
   * Averages the gradients over all ranks after backward, in buckets of at most BUCKET_BYTES
   * (parameters in reverse order, as DDP fills them during backward), one flat all-reduce per bucket.
   */
  averageGradients(params: torch.Tensor[]): number {
    const grads = params.filter((p) => p.requiresGrad && p.grad).map((p) => p.grad!).reverse();
    let buckets = 0;
    for (const g of this.byDtype(grads)) {
      const size = g[0]!.numel() ? bytesOf(g[0]!.dtype) : 4;
      let bucket: torch.Tensor[] = [];
      let bytes = 0;
      const flush = () => {
        if (!bucket.length) return;
        torch.distributed.allReduce(bucket, 'avg');
        buckets++;
        bucket = [];
        bytes = 0;
      };
      for (const t of g) {
        const b = t.numel() * size;
        if (bucket.length && bytes + b > BUCKET_BYTES) flush();
        bucket.push(t);
        bytes += b;
      }
      flush();
    }
    return buckets;
  }

  /**
   * Epoch means over every rank's images: for the keys any rank logged with syncDist, the sums and
   * weights of all ranks are added (the same float64 arithmetic, so the same value, on every rank).
   * Other keys keep this rank's mean, as Lightning logs rank 0's value without sync_dist.
   */
  syncMeans(agg: Map<string, MeanMetric>, syncKeys: ReadonlySet<string>): Map<string, number> {
    const mine: Record<string, [number, number, number]> = {};
    for (const [k, m] of agg) mine[k] = [m.sum, m.weight, syncKeys.has(k) ? 1 : 0];
    const all = this.allGatherString(JSON.stringify(mine)).map((s) => JSON.parse(s) as Record<string, [number, number, number]>);
    const out = new Map<string, number>();
    const keys = [...new Set(all.flatMap((o) => Object.keys(o)))];
    for (const k of keys) {
      const sync = all.some((o) => o[k]?.[2] === 1);
      if (sync) {
        let s = 0;
        let w = 0;
        for (const o of all) {
          if (!o[k]) continue;
          s += o[k]![0];
          w += o[k]![1];
        }
        if (w) out.set(k, s / w);
      } else if (mine[k] && mine[k]![1]) out.set(k, mine[k]![0] / mine[k]![1]);
    }
    return out;
  }

  /** This rank's shard of the loader's samples (DistributedSampler; `pad`: equal shards for training). */
  distribute(loader: DataLoader, pad: boolean): void {
    loader.opts.distributed = { numReplicas: this.worldSize, rank: this.globalRank, pad };
  }
}

function bytesOf(dtype: string): number {
  return /64/.test(dtype) ? 8 : /16/.test(dtype) ? 2 : /8|bool/.test(dtype) ? 1 : 4;
}
