/**
 * Trainer: Lightning's fit/validate/test loops for a LightningModule and a data module.
 * max_epochs/min_epochs/max_steps, limit_*_batches (a fraction <= 1 or a count > 1),
 * fast_dev_run (n batches of each loop, no checkpoints or logs), overfit_batches,
 * val_check_interval/check_val_every_n_epoch, num_sanity_val_steps, gradient clipping,
 * accumulate_grad_batches, deterministic seeding, checkpoints with resume (ckptPath).
 */
import * as torch from '@copper/torch';
import type { Callback } from '../callbacks/callback.js';
import type { ExperimentLogger } from '../loggers/logger.js';
import type { LightningModule, OptimizerConfig, SchedulerConfig } from '../models/lightning-module.js';
import type { DataLoader, Batch } from '../data/loader.js';
import type { ImageFolderDataModule } from '../data/datamodule.js';
import { MeanMetric } from '../models/metrics.js';
import { CopperError } from '../utils/errors.js';
import { disposeCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ModelCheckpoint } from '../callbacks/model-checkpoint.js';
import { Profiler, parseProfiler, type ProfilerKind } from './profiler.js';
import { shortLoadError } from '../utils/load-error.js';
import { DDPStrategy } from '../strategies/ddp.js';
import { parsePrecision, type Precision } from './precision.js';

export interface TrainerOptions {
  default_root_dir?: string;
  max_epochs?: number;
  min_epochs?: number;
  max_steps?: number;
  limit_train_batches?: number | null;
  limit_val_batches?: number | null;
  limit_test_batches?: number | null;
  fast_dev_run?: boolean | number;
  overfit_batches?: number;
  val_check_interval?: number | null;
  check_val_every_n_epoch?: number | null;
  num_sanity_val_steps?: number;
  gradient_clip_val?: number | null;
  gradient_clip_algorithm?: 'norm' | 'value';
  accumulate_grad_batches?: number;
  deterministic?: boolean;
  log_every_n_steps?: number;
  enable_progress_bar?: boolean;
  enable_checkpointing?: boolean;
  enable_model_summary?: boolean;
  accelerator?: string;
  devices?: number | string;
  precision?: number | string;
  /** Stop training after this long: Lightning's `DD:HH:MM:SS` string or {days, hours, minutes, seconds}. */
  max_time?: string | Record<string, number> | null;
  /** `simple` or `advanced`: a report of time per hook and data loading at the end of fit and test. */
  profiler?: ProfilerKind | null;
  /** `auto`, `single_device` or `ddp` (devices x num_nodes processes; see strategies/ddp.ts). */
  strategy?: string | null;
  /** Machines of a strategy=ddp job (each runs `devices` processes). */
  num_nodes?: number;
  /** Shard the data per process under strategy=ddp (default true). */
  use_distributed_sampler?: boolean;
  /** libtorch intra-op threads (default: libtorch's choice). */
  num_threads?: number | null;
  callbacks?: Callback[] | Record<string, Callback> | null;
  logger?: ExperimentLogger[] | ExperimentLogger | Record<string, ExperimentLogger> | boolean | null;
  /** Where info lines go (default: stderr). */
  info?: (msg: string) => void;
}

type Stage = 'train' | 'val' | 'test';

// accepted Lightning options that change nothing here are listed too (detect_anomaly, benchmark, ...)
export const TRAINER_KEYS: readonly string[] = [
  'default_root_dir', 'max_epochs', 'min_epochs', 'max_steps', 'limit_train_batches', 'limit_val_batches', 'limit_test_batches',
  'fast_dev_run', 'overfit_batches', 'val_check_interval', 'check_val_every_n_epoch', 'num_sanity_val_steps', 'gradient_clip_val',
  'gradient_clip_algorithm', 'accumulate_grad_batches', 'deterministic', 'log_every_n_steps', 'enable_progress_bar',
  'enable_checkpointing', 'enable_model_summary', 'accelerator', 'devices', 'precision', 'num_threads', 'callbacks', 'logger', 'info',
  'detect_anomaly', 'benchmark', 'num_nodes', 'strategy', 'profiler', 'inference_mode', 'use_distributed_sampler', 'barebones',
  'sync_batchnorm', 'reload_dataloaders_every_n_epochs', 'plugins', 'limit_predict_batches', 'max_time', 'min_steps',
];
const KNOWN_OPTIONS = new Set(TRAINER_KEYS);

type HookName = 'onFitStart' | 'onFitEnd' | 'onTrainEpochStart' | 'onTrainBatchEnd' | 'onTrainEpochEnd' | 'onValidationStart' | 'onValidationBatchEnd' | 'onValidationEnd' | 'onTestStart' | 'onTestBatchEnd' | 'onTestEnd';

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const TIME_UNITS: Record<string, number> = { weeks: 604800, days: 86400, hours: 3600, minutes: 60, seconds: 1, milliseconds: 1e-3, microseconds: 1e-6 };

/** trainer.max_time in seconds (null: no limit): Lightning's `DD:HH:MM:SS` or a timedelta dict. */
export function parseMaxTime(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const bad = () => new CopperError(`trainer.max_time must be "DD:HH:MM:SS" (e.g. "00:12:00:00") or a dict such as {hours: 12}, got ${JSON.stringify(v)}`);
  let secs = 0;
  if (typeof v === 'string') {
    const parts = v.trim().split(':');
    if (parts.length !== 4 || parts.some((x) => !/^\d+$/.test(x))) throw bad();
    const [d, h, m, sec] = parts.map(Number) as [number, number, number, number];
    secs = d * 86400 + h * 3600 + m * 60 + sec;
  } else if (typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!(k in TIME_UNITS)) throw new CopperError(`trainer.max_time: unknown unit '${k}' (${Object.keys(TIME_UNITS).join(', ')})`);
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw bad();
      secs += x * TIME_UNITS[k]!;
    }
  } else throw bad();
  return secs;
}

function asList<T>(v: T[] | Record<string, T> | T | null | undefined | boolean, isT: (x: unknown) => boolean): T[] {
  if (v === null || v === undefined || typeof v === 'boolean') return [];
  if (Array.isArray(v)) return v.filter(isT);
  if (isT(v)) return [v as T];
  return Object.values(v as Record<string, T>).filter(isT);
}

function limitBatches(limit: number | null | undefined, total: number, what: string): number {
  if (limit === null || limit === undefined) return total;
  if (!(limit >= 0)) throw new CopperError(`trainer.${what} must be >= 0, got ${limit}`);
  if (limit <= 1) return limit === 1 ? total : limit === 0 ? 0 : Math.min(total, Math.max(1, Math.floor(total * limit)));
  if (!Number.isInteger(limit)) throw new CopperError(`trainer.${what} must be a fraction <= 1 or a whole number of batches, got ${limit}`);
  return Math.min(total, limit);
}

export { shortLoadError };

function formatSeconds(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${d ? `${d} day${d > 1 ? 's' : ''}, ` : ''}${h}:${String(m).padStart(2, '0')}:${sec.toFixed(3).padStart(6, '0')}`;
}

export class Trainer {
  readonly opts: TrainerOptions;
  readonly callbacks: Callback[];
  loggers: ExperimentLogger[];
  currentEpoch = 0;
  globalStep = 0;
  shouldStop = false;
  sanityChecking = false;
  /** A (non-sanity) validation loop has run in this fit. */
  validationHasRun = false;
  /** Latest value of every logged metric (what callbacks monitor). */
  readonly callbackMetrics: Record<string, number> = {};
  /** Values shown on the progress bar. */
  readonly progressBarMetrics: Record<string, number> = {};
  model: LightningModule | null = null;
  datamodule: ImageFolderDataModule | null = null;
  optimizerConfig: OptimizerConfig | null = null;
  /** Batches per loop in the current run (for progress). */
  numTrainBatches = 0;
  numValBatches = 0;
  numTestBatches = 0;
  /** Images the last validation or test loop went through. */
  evalSamples = 0;
  readonly fastDevRun: number;
  state: { fn: 'fit' | 'validate' | 'test' | null; stage: Stage | 'sanity_check' | null } = { fn: null, stage: null };
  private epochAgg = new Map<string, MeanMetric>();
  private readonly info: (msg: string) => void;
  /** trainer.max_time in seconds (null: no limit). */
  readonly maxTime: number | null;
  readonly profiler: Profiler | null;
  /** strategy=ddp with more than one process (null: this process trains alone). */
  readonly ddp: DDPStrategy | null;
  /** trainer.precision: bf16-mixed runs the steps' forward under CPU autocast. */
  readonly precision: Precision;
  /** Epoch aggregates of metrics logged with syncDist. */
  private synced = new WeakSet<MeanMetric>();

  constructor(opts: TrainerOptions = {}) {
    for (const k of Object.keys(opts ?? {})) {
      if (!KNOWN_OPTIONS.has(k)) throw new CopperError(`trainer.${k} is not a Trainer option`);
    }
    this.opts = opts;
    const fdr = opts.fast_dev_run;
    this.fastDevRun = fdr === true ? 1 : typeof fdr === 'number' && fdr > 0 ? Math.floor(fdr) : 0;
    if (fdr !== undefined && fdr !== null && typeof fdr !== 'boolean' && !(typeof fdr === 'number' && fdr >= 0)) {
      throw new CopperError(`trainer.fast_dev_run must be a boolean or a number of batches, got ${String(fdr)}`);
    }
    this.callbacks = asList<Callback>(opts.callbacks, (x) => !!x && typeof x === 'object' && 'onTrainEpochEnd' in (x as object));
    // fast_dev_run: no logger or checkpoint side effects
    this.loggers = this.fastDevRun ? [] : asList<ExperimentLogger>(opts.logger as never, (x) => !!x && typeof x === 'object' && 'logMetrics' in (x as object));
    const acc = String(opts.accelerator ?? 'cpu').toLowerCase();
    if (!['cpu', 'auto', 'gpu', 'cuda'].includes(acc)) throw new CopperError(`trainer.accelerator '${opts.accelerator}' is not supported (cpu, gpu, auto)`);
    if (acc === 'gpu' || acc === 'cuda') throw new CopperError('trainer.accelerator=gpu: no CUDA GPU is available to this libtorch build (use trainer=cpu or accelerator=auto)');
    this.precision = parsePrecision(opts.precision);
    this.info = opts.info ?? ((m) => process.stderr.write(`${m}\n`));
    this.maxTime = parseMaxTime(opts.max_time);
    const prof = parseProfiler(opts.profiler);
    this.profiler = prof ? new Profiler(prof) : null;
    this.ddp = DDPStrategy.fromOptions(opts);
    // only rank 0 logs, prints and writes checkpoints
    if (this.ddp && !this.ddp.isGlobalZero) this.loggers = [];
    if (opts.num_threads) torch.setNumThreads(opts.num_threads);
    if ((opts.accumulate_grad_batches ?? 1) < 1 || !Number.isInteger(opts.accumulate_grad_batches ?? 1)) {
      throw new CopperError(`trainer.accumulate_grad_batches must be a positive integer, got ${opts.accumulate_grad_batches}`);
    }
  }

  get maxEpochs(): number {
    return this.fastDevRun ? 1 : this.opts.max_epochs ?? 1000;
  }
  get checkpointCallback(): ModelCheckpoint | null {
    return (this.callbacks.find((c) => c.stateKey === 'ModelCheckpoint') as ModelCheckpoint | undefined) ?? null;
  }
  get checkpointingEnabled(): boolean {
    return !this.fastDevRun && this.opts.enable_checkpointing !== false;
  }
  /** Folder for run files (checkpoints default under it). */
  get defaultRootDir(): string {
    return this.opts.default_root_dir ?? process.cwd();
  }
  get logDir(): string | null {
    if (this.ddp && !this.ddp.isGlobalZero) return this.ddp.rootLogDir;
    return this.loggers[0]?.logDir ?? null;
  }
  /** This process's rank in a strategy=ddp job (0 alone). */
  get globalRank(): number {
    return this.ddp?.globalRank ?? 0;
  }
  get worldSize(): number {
    return this.ddp?.worldSize ?? 1;
  }
  /** Rank 0: the process that logs and writes checkpoints. */
  get isGlobalZero(): boolean {
    return this.globalRank === 0;
  }
  get progressEnabled(): boolean {
    return this.opts.enable_progress_bar !== false;
  }
  log(msg: string): void {
    if (this.isGlobalZero) this.info(msg);
  }

  // ---- hooks (timed by the profiler when there is one) ----------------------------------------

  private hook(name: HookName, model: LightningModule, batchIdx?: number): void {
    const p = this.profiler;
    for (const c of this.callbacks) {
      const stop = p?.start(`[Callback]${c.constructor.name}.${snake(name)}`);
      try {
        (c[name] as (t: Trainer, m: LightningModule, i?: number) => void)(this, model, batchIdx);
      } finally {
        stop?.();
      }
    }
  }

  private async hookAsync(name: 'onFitStart' | 'onFitEnd' | 'onTrainEpochEnd', model: LightningModule): Promise<void> {
    const p = this.profiler;
    for (const c of this.callbacks) {
      const stop = p?.start(`[Callback]${c.constructor.name}.${snake(name)}`);
      try {
        await c[name](this, model);
      } finally {
        stop?.();
      }
    }
  }

  /** `fn` timed as `[LightningModule]<class>.<action>` when profiling. */
  private step<T>(model: LightningModule, action: string, fn: () => T): T {
    return this.profiler ? this.profiler.time(`[LightningModule]${model.constructor.name}.${action}`, fn) : fn();
  }

  private batchesOf<T>(loader: AsyncIterable<T>, action: string): AsyncIterable<T> {
    return this.profiler ? this.profiler.batches(loader, action) : loader;
  }

  private printProfile(stage: string): void {
    if (!this.profiler) return;
    this.log(this.profiler.report(stage));
    this.profiler.reset();
  }

  // ---- metric collection -------------------------------------------------------------------

  private collect(model: LightningModule, stage: Stage, stepOut: Record<string, number> | null): void {
    for (const [name, { value, opts }] of model._logged) {
      const both = opts.onStep && opts.onEpoch;
      if (opts.onStep && stepOut) {
        const k = both ? `${name}_step` : name;
        stepOut[k] = value;
        this.callbackMetrics[k] = value;
        if (opts.progBar) this.progressBarMetrics[k] = value;
      }
      if (opts.onEpoch) {
        const k = both ? `${name}_epoch` : name;
        let m = this.epochAgg.get(k);
        if (!m) this.epochAgg.set(k, (m = new MeanMetric()));
        m.update(value, opts.batchSize ?? 1);
        if (opts.syncDist) this.synced.add(m);
        if (opts.progBar) this.progressBarMetrics[k] = m.compute();
      }
    }
    model._logged.clear();
    void stage;
  }

  /** The epoch means for metrics logged so far (and resets them). */
  private epochMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.ddp) {
      // every rank gets here at the same point: syncDist means over all ranks' images
      const keys = new Set([...this.epochAgg].filter(([, m]) => this.synced.has(m)).map(([k]) => k));
      for (const [k, v] of this.ddp.syncMeans(this.epochAgg, keys)) if (!Number.isNaN(v)) out[k] = v;
    } else {
      for (const [k, m] of this.epochAgg) {
        const v = m.compute();
        if (!Number.isNaN(v)) out[k] = v;
      }
    }
    this.epochAgg.clear();
    Object.assign(this.callbackMetrics, out);
    return out;
  }

  private logToLoggers(metrics: Record<string, number>, step: number): void {
    if (!Object.keys(metrics).length) return;
    for (const l of this.loggers) l.logMetrics(metrics, step);
  }

  // ---- loops ---------------------------------------------------------------------------------

  private async runEval(model: LightningModule, loader: DataLoader, stage: 'val' | 'test', maxBatches: number): Promise<Record<string, number>> {
    model.eval();
    model._stage = stage;
    this.epochAgg.clear();
    if (stage === 'val') {
      model.onValidationEpochStart();
      this.hook('onValidationStart', model);
    } else this.hook('onTestStart', model);
    let i = 0;
    this.evalSamples = 0;
    if (maxBatches > 0) {
      for await (const batch of this.batchesOf(loader, stage === 'val' ? '[_EvaluationLoop].val_next' : '[_EvaluationLoop].test_next')) {
        try {
          model._batchSize = batch.y.shape[0]!;
          this.evalSamples += model._batchSize;
          this.step(model, stage === 'val' ? 'validation_step' : 'test_step', () =>
            torch.noGrad(() => torch.tidy(() => this.precision.forward(() => (stage === 'val' ? model.validationStep(batch, i) : model.testStep(batch, i))))),
          );
        } finally {
          torch.dispose([batch.x, batch.y]);
        }
        this.collect(model, stage, null);
        this.hook(stage === 'val' ? 'onValidationBatchEnd' : 'onTestBatchEnd', model, i);
        if (++i >= maxBatches) break;
      }
    }
    if (this.sanityChecking) {
      model._logged.clear();
      this.epochAgg.clear();
      model.train();
      return {};
    }
    if (stage === 'val') model.onValidationEpochEnd();
    else model.onTestEpochEnd();
    model._batchSize = 1;
    this.collect(model, stage, null);
    const metrics = this.epochMetrics();
    if (stage === 'val') this.validationHasRun = true;
    this.hook(stage === 'val' ? 'onValidationEnd' : 'onTestEnd', model);
    model.train();
    return metrics;
  }

  private clipGradients(model: LightningModule): void {
    // before every optimizer step: under strategy=ddp the gradients are the mean over the ranks
    // (all-reduced during the last backward, or now when training stopped inside an accumulation)
    if (this.ddp) {
      this.ddp.syncGradients(model.parameters());
    }
    const v = this.opts.gradient_clip_val;
    if (!v || v <= 0) return;
    const params = model.parameters().filter((p) => p.grad !== null);
    torch.noGrad(() =>
      torch.tidy(() => {
        if ((this.opts.gradient_clip_algorithm ?? 'norm') === 'value') {
          for (const p of params) p.grad = p.grad!.clamp(-v, v);
          return;
        }
        let total = 0;
        for (const p of params) total += p.grad!.norm().item() ** 2;
        total = Math.sqrt(total);
        const coef = v / (total + 1e-6);
        if (coef < 1) for (const p of params) p.grad!.mul_(coef);
      }),
    );
  }

  private stepScheduler(sc: SchedulerConfig | null | undefined, when: 'epoch' | 'step', validated = true): void {
    if (!sc || (sc.interval ?? 'epoch') !== when) return;
    const s = sc.scheduler;
    if (s instanceof torch.optim.ReduceLROnPlateau) {
      const key = sc.monitor ?? 'val/loss';
      const m = this.callbackMetrics[key];
      if (m === undefined) {
        if (this.fastDevRun || !validated) return;
        throw new CopperError(`the ReduceLROnPlateau scheduler monitors '${key}', which was not logged (logged: ${Object.keys(this.callbackMetrics).join(', ') || 'nothing'})`);
      }
      s.step(m);
    } else s.step();
  }

  private async prepare(datamodule: ImageFolderDataModule): Promise<void> {
    const p = this.profiler;
    const name = `[LightningDataModule]${datamodule.constructor.name}`;
    if (p) await p.timeAsync(`${name}.prepare_data`, () => datamodule.prepareData());
    else await datamodule.prepareData();
    if (p) p.time(`${name}.setup`, () => datamodule.setup());
    else datamodule.setup();
  }

  /** Trains (and validates) `model` on `datamodule`; `ckptPath` resumes from a checkpoint. */
  async fit(model: LightningModule, datamodule: ImageFolderDataModule, opts: { ckptPath?: string | null } = {}): Promise<void> {
    if (this.ddp) return this.ddp.run((m) => this.info(m), this.logDir, () => this.fitLoop(model, datamodule, opts));
    return this.fitLoop(model, datamodule, opts);
  }

  /** Under strategy=ddp: rank 0's weights everywhere, module sums across ranks, the loaders sharded. */
  private distribute(model: LightningModule, loaders: DataLoader[], pad: boolean): void {
    if (!this.ddp) return;
    this.ddp.broadcastModel(model);
    const ddp = this.ddp;
    model._allReduceSum = (v) => ddp.allReduceSum(v);
    if (this.opts.use_distributed_sampler !== false) for (const l of loaders) this.ddp.distribute(l, pad);
  }

  private async fitLoop(model: LightningModule, datamodule: ImageFolderDataModule, opts: { ckptPath?: string | null }): Promise<void> {
    this.model = model;
    this.datamodule = datamodule;
    this.state = { fn: 'fit', stage: null };
    this.validationHasRun = false;
    this.shouldStop = false;
    this.profiler?.reset();
    await this.prepare(datamodule);
    const conf = this.step(model, 'configure_optimizers', () => model.configureOptimizers());
    this.optimizerConfig = conf;
    const { optimizer } = conf;
    const sched = conf.lrScheduler ?? null;
    let startEpoch = 0;
    if (opts.ckptPath) {
      const ck = loadCheckpoint(opts.ckptPath);
      try {
        this.restore(ck, model, conf);
        startEpoch = Number(ck.epoch) + 1;
        this.globalStep = Number(ck.global_step);
      } finally {
        disposeCheckpoint(ck);
      }
      this.log(`Restored training state from ${opts.ckptPath} (epoch ${startEpoch}, step ${this.globalStep})`);
    }
    const fdr = this.fastDevRun;
    const overfit = this.opts.overfit_batches ?? 0;
    const trainLoader = datamodule.trainDataloader();
    let valLoader = datamodule.valDataloader();
    if (overfit > 0) {
      trainLoader.opts.shuffle = false;
      trainLoader.opts.transforms = datamodule.evalTransforms;
      valLoader = datamodule.trainDataloader();
      valLoader.opts.shuffle = false;
      valLoader.opts.transforms = datamodule.evalTransforms;
    }
    this.distribute(model, [trainLoader], true);
    if (this.ddp && this.opts.use_distributed_sampler !== false) this.ddp.distribute(valLoader, false);
    const nTrain = fdr ? Math.min(fdr, trainLoader.length) : limitBatches(overfit > 0 ? overfit : this.opts.limit_train_batches, trainLoader.length, overfit > 0 ? 'overfit_batches' : 'limit_train_batches');
    const nVal = fdr ? Math.min(fdr, valLoader.length) : limitBatches(overfit > 0 ? overfit : this.opts.limit_val_batches, valLoader.length, 'limit_val_batches');
    this.numTrainBatches = nTrain;
    this.numValBatches = nVal;
    if (nTrain === 0) throw new CopperError('no training batches: the training split is empty or limit_train_batches is 0');
    // under strategy=ddp a rank whose validation shard is empty still joins each validation's sync
    const hasVal = this.ddp ? this.ddp.any(nVal > 0) : nVal > 0;
    const hparams = { ...model.hparams, data: datamodule.hparams, data_version: datamodule.dataVersion };
    for (const l of this.loggers) l.logHyperparams(hparams as Record<string, unknown>);
    await this.hookAsync('onFitStart', model);

    const accumulate = this.opts.accumulate_grad_batches ?? 1;
    const vci = this.opts.val_check_interval ?? 1;
    const valEveryBatches = vci > 1 ? Math.floor(vci) : Math.max(1, Math.floor(nTrain * vci));
    const cvene = this.opts.check_val_every_n_epoch ?? 1;
    const maxSteps = this.opts.max_steps ?? -1;
    const minEpochs = this.opts.min_epochs ?? 0;

    // sanity check: a few validation batches before training (not logged)
    const sanity = fdr ? 0 : Math.min(this.opts.num_sanity_val_steps ?? 2, nVal);
    if (sanity > 0 && startEpoch === 0) {
      this.sanityChecking = true;
      this.state.stage = 'sanity_check';
      try {
        await this.runEval(model, valLoader, 'val', sanity);
      } finally {
        this.sanityChecking = false;
      }
    }
    model.onFitStart();
    model.train();
    let status: 'success' | 'failed' = 'failed';
    // trainer.max_time: checked after every training batch (as Lightning's Timer callback)
    const fitStart = performance.now();
    let timeUp = false;
    const checkTime = (epoch: number) => {
      if (this.maxTime === null || timeUp || epoch + 1 < minEpochs) return false;
      const elapsed = (performance.now() - fitStart) / 1000;
      // under strategy=ddp rank 0's clock decides for all (every rank must stop at the same batch)
      if (this.ddp ? !this.ddp.broadcastFlag(elapsed >= this.maxTime) : elapsed < this.maxTime) return false;
      timeUp = true;
      this.log(`Time limit reached (max_time ${formatSeconds(this.maxTime)}). Elapsed time is ${formatSeconds(elapsed)}. Signaling Trainer to stop.`);
      return true;
    };
    try {
      for (let epoch = startEpoch; epoch < this.maxEpochs; epoch++) {
        const stopEpoch = this.profiler?.start('run_training_epoch');
        this.currentEpoch = epoch;
        this.state.stage = 'train';
        trainLoader.setEpoch(epoch);
        model._stage = 'train';
        model.train();
        this.epochAgg.clear();
        for (const k of Object.keys(this.progressBarMetrics)) delete this.progressBarMetrics[k];
        model.onTrainEpochStart();
        this.hook('onTrainEpochStart', model);
        let i = 0;
        let endedEarly = true;
        let valRanThisEpoch = false;
        let valMetrics: Record<string, number> = {};
        const trainAgg = new Map<string, MeanMetric>();
        for await (const batch of this.batchesOf(trainLoader, '[_TrainingEpochLoop].train_dataloader_next')) {
          const stopBatch = this.profiler?.start('run_training_batch');
          model._stage = 'train';
          model._batchSize = batch.y.shape[0]!;
          try {
            torch.tidy(() => {
              const loss = this.step(model, 'training_step', () => this.precision.forward(() => model.trainingStep(batch, i)));
              if (!(loss instanceof torch.Tensor)) throw new CopperError('trainingStep must return the loss tensor');
              this.step(model, 'backward', () => {
                const l = accumulate > 1 ? loss.div(accumulate) : loss;
                // strategy=ddp: a backward that ends an accumulation all-reduces the gradients as it runs
                if (this.ddp) this.ddp.backward(model, l, (i + 1) % accumulate === 0 || i + 1 === nTrain);
                else l.backward();
              });
            });
          } finally {
            torch.dispose([batch.x, batch.y]);
          }
          const last = i + 1 === nTrain;
          let stepped = false;
          if ((i + 1) % accumulate === 0 || last) {
            this.clipGradients(model);
            this.step(model, 'optimizer_step', () => optimizer.step());
            optimizer.zeroGrad();
            this.ddp?.broadcastBuffers(model);
            this.globalStep++;
            stepped = true;
            this.stepScheduler(sched, 'step');
          }
          const stepMetrics: Record<string, number> = {};
          // epoch aggregates of training metrics live in trainAgg (validation may run mid-epoch)
          const saved = this.epochAgg;
          this.epochAgg = trainAgg;
          this.collect(model, 'train', stepMetrics);
          this.epochAgg = saved;
          if (stepped && Object.keys(stepMetrics).length && this.globalStep % (this.opts.log_every_n_steps ?? 50) === 0) {
            this.logToLoggers({ ...stepMetrics, epoch }, this.globalStep);
          }
          this.hook('onTrainBatchEnd', model, i);
          stopBatch?.();
          i++;
          const stopNow = checkTime(epoch);
          const validateNow = hasVal && (epoch + 1) % cvene === 0 && (i % valEveryBatches === 0 || last || stopNow);
          if (validateNow) {
            this.state.stage = 'val';
            valMetrics = await this.runEval(model, valLoader, 'val', nVal);
            this.state.stage = 'train';
            valRanThisEpoch = true;
            if (!last && !stopNow) this.logToLoggers({ ...valMetrics, epoch }, this.globalStep);
          }
          if (last || stopNow || (maxSteps > 0 && this.globalStep >= maxSteps)) {
            if (stopNow && i % accumulate !== 0) {
              // gradients accumulated since the last optimizer step are applied before stopping
              this.clipGradients(model);
              this.step(model, 'optimizer_step', () => optimizer.step());
              optimizer.zeroGrad();
              this.globalStep++;
              this.stepScheduler(sched, 'step');
            }
            endedEarly = false;
            break;
          }
        }
        if (endedEarly && i > 0) {
          // the loader gave fewer batches than planned (undecodable images dropped whole batches):
          // finish the epoch as the last batch would have
          if (i % accumulate !== 0) {
            this.clipGradients(model);
            optimizer.step();
            optimizer.zeroGrad();
            this.globalStep++;
            this.stepScheduler(sched, 'step');
          }
          if (hasVal && (epoch + 1) % cvene === 0 && i % valEveryBatches !== 0) {
            this.state.stage = 'val';
            valMetrics = await this.runEval(model, valLoader, 'val', nVal);
            this.state.stage = 'train';
            valRanThisEpoch = true;
          }
        }
        model._stage = 'train';
        model.onTrainEpochEnd();
        const saved = this.epochAgg;
        this.epochAgg = trainAgg;
        this.collect(model, 'train', null);
        const trainMetrics = this.epochMetrics();
        this.epochAgg = saved;
        this.stepScheduler(sched, 'epoch', valRanThisEpoch);
        const epochLog = { ...trainMetrics, ...(valRanThisEpoch ? valMetrics : {}) };
        const lr = optimizer.paramGroups[0]?.lr;
        this.logToLoggers({ ...epochLog, epoch }, this.globalStep);
        await this.hookAsync('onTrainEpochEnd', model);
        const shown = Object.entries(epochLog)
          .map(([k, v]) => `${k}=${v.toFixed(4)}`)
          .join(' ');
        this.log(`Epoch ${epoch}: ${shown}${lr !== undefined ? ` lr=${lr.toPrecision(3)}` : ''}`);
        for (const l of this.loggers) l.save();
        stopEpoch?.();
        if (timeUp) break;
        if (maxSteps > 0 && this.globalStep >= maxSteps) break;
        if (this.ddp) this.shouldStop = this.ddp.any(this.shouldStop);
        if (this.shouldStop && epoch + 1 >= minEpochs) break;
        this.shouldStop = false;
      }
      status = 'success';
    } finally {
      await this.hookAsync('onFitEnd', model);
      for (const l of this.loggers) l.finalize(status);
      this.state.stage = null;
      this.printProfile('FIT');
    }
  }

  private restore(ck: Checkpoint, model: LightningModule, conf: OptimizerConfig): void {
    try {
      model.loadStateDict(ck.state_dict as Record<string, torch.Tensor>);
    } catch (e) {
      throw new CopperError(`the checkpoint does not fit this model: ${shortLoadError(e)}`);
    }
    const os = ck.optimizer_states?.[0];
    if (os) conf.optimizer.loadStateDict(os as never);
    const ss = ck.lr_schedulers?.[0];
    const s = conf.lrScheduler?.scheduler;
    if (ss && s) {
      if (s.loadStateDict) s.loadStateDict(ss as Record<string, unknown>);
      else Object.assign(s, ss);
    }
    const cbs = (ck.callbacks ?? {}) as Record<string, Record<string, unknown>>;
    for (const c of this.callbacks) if (cbs[c.stateKey]) c.loadStateDict(cbs[c.stateKey]!);
  }

  /** The checkpoint of the current training state (what ModelCheckpoint saves). */
  dumpCheckpoint(weightsOnly = false): Checkpoint {
    const model = this.model!;
    const conf = this.optimizerConfig;
    const ck: Checkpoint = {
      epoch: this.currentEpoch,
      global_step: this.globalStep,
      state_dict: model.stateDict(),
      hyper_parameters: model.hparams,
      data_version: this.datamodule?.dataVersion ?? null,
    };
    if (!weightsOnly && conf) {
      ck.optimizer_states = [conf.optimizer.stateDict()];
      const s = conf.lrScheduler?.scheduler;
      if (s) {
        const sd = s.stateDict ? s.stateDict() : Object.fromEntries(Object.entries(s).filter(([k, v]) => k !== 'optimizer' && typeof v !== 'function'));
        ck.lr_schedulers = [sd];
      }
      ck.callbacks = Object.fromEntries(this.callbacks.map((c) => [c.stateKey, c.stateDict()]));
    }
    return ck;
  }

  saveCheckpoint(path: string, weightsOnly = false): void {
    if (!this.isGlobalZero) return;
    const ck = this.dumpCheckpoint(weightsOnly);
    try {
      saveCheckpoint(ck, path);
    } finally {
      torch.dispose(ck.state_dict);
    }
  }

  private resolveCkpt(ckptPath: string | null | undefined): string | null {
    if (!ckptPath) return null;
    if (ckptPath === 'best') {
      const best = this.checkpointCallback?.bestModelPath;
      if (!best) {
        this.log('No best checkpoint to test (checkpointing disabled or nothing saved): using the current weights');
        return null;
      }
      return best;
    }
    if (ckptPath === 'last') return this.checkpointCallback?.lastModelPath ?? null;
    return ckptPath;
  }

  private loadWeights(model: LightningModule, path: string): void {
    const ck = loadCheckpoint(path);
    try {
      model.loadStateDict(ck.state_dict as Record<string, torch.Tensor>);
    } catch (e) {
      throw new CopperError(`the checkpoint ${path} does not fit this model: ${shortLoadError(e)}`);
    } finally {
      disposeCheckpoint(ck);
    }
  }

  private async evaluate(stage: 'val' | 'test', model: LightningModule, datamodule: ImageFolderDataModule, ckptPath: string | null | undefined): Promise<Record<string, number>[]> {
    if (this.ddp) return this.ddp.run((m) => this.info(m), this.logDir, () => this.evaluateLoop(stage, model, datamodule, ckptPath));
    return this.evaluateLoop(stage, model, datamodule, ckptPath);
  }

  private async evaluateLoop(stage: 'val' | 'test', model: LightningModule, datamodule: ImageFolderDataModule, ckptPath: string | null | undefined): Promise<Record<string, number>[]> {
    this.model = model;
    this.datamodule = datamodule;
    this.state = { fn: stage === 'val' ? 'validate' : 'test', stage };
    this.evalSamples = 0;
    this.profiler?.reset();
    await this.prepare(datamodule);
    const path = this.resolveCkpt(ckptPath);
    // strategy=ddp: rank 0 reads the checkpoint (it wrote it) and its weights go to every rank below
    if (path && this.isGlobalZero) this.loadWeights(model, path);
    const loader = stage === 'val' ? datamodule.valDataloader() : datamodule.testDataloader();
    this.distribute(model, [loader], false);
    const n = this.fastDevRun ? Math.min(this.fastDevRun, loader.length) : limitBatches(stage === 'val' ? this.opts.limit_val_batches : this.opts.limit_test_batches, loader.length, stage === 'val' ? 'limit_val_batches' : 'limit_test_batches');
    if (stage === 'val') this.numValBatches = n;
    else this.numTestBatches = n;
    if (this.ddp ? !this.ddp.any(n > 0) : n === 0) {
      this.log(`The ${stage === 'val' ? 'validation' : 'test'} split is empty: nothing to evaluate`);
      return [{}];
    }
    const metrics = await this.runEval(model, loader, stage, n);
    // every rank's images (copper_eval reports the count)
    if (this.ddp) this.evalSamples = this.ddp.allReduceSum([this.evalSamples])[0]!;
    this.logToLoggers(metrics, this.globalStep);
    for (const l of this.loggers) l.save();
    this.state.stage = null;
    this.printProfile(stage === 'val' ? 'VALIDATE' : 'TEST');
    return [metrics];
  }

  /** Runs the test loop; ckptPath 'best' uses ModelCheckpoint's best checkpoint. */
  test(model: LightningModule, datamodule: ImageFolderDataModule, opts: { ckptPath?: string | null } = {}): Promise<Record<string, number>[]> {
    return this.evaluate('test', model, datamodule, opts.ckptPath);
  }
  validate(model: LightningModule, datamodule: ImageFolderDataModule, opts: { ckptPath?: string | null } = {}): Promise<Record<string, number>[]> {
    return this.evaluate('val', model, datamodule, opts.ckptPath);
  }
}

export type { Batch };
