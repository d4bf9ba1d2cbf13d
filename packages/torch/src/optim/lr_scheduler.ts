/**
 * Learning-rate schedulers (torch.optim.lr_scheduler). Call `step()` once per epoch (or per
 * iteration), after `optimizer.step()`. The formulas are PyTorch's (chainable forms), so a
 * schedule gives the same learning rates as in Python. State dicts use PyTorch's keys
 * (`last_epoch`, `_step_count`, `base_lrs`, `_last_lr`, `num_bad_epochs`, `T_max`, ...), so a
 * scheduler saved here resumes in Python and one saved by Python resumes here; state dicts of
 * older copper versions (camelCase keys) still load.
 */
import type { Optimizer } from './optimizer.js';

type AnyOptimizer = Optimizer<{ lr: number }>;

/** [PyTorch's state_dict key, this object's field] */
type KeyMap = [string, string][];

/** Sets each field from its PyTorch key, or else from the field's own (camelCase) name. */
function loadKeys(obj: object, sd: Record<string, unknown>, keys: KeyMap, decode: (field: string, v: unknown) => unknown = (_f, v) => v): void {
  if (!sd || typeof sd !== 'object' || Array.isArray(sd)) throw new Error('loadStateDict: not a scheduler state dict');
  const o = obj as Record<string, unknown>;
  for (const [py, field] of keys) {
    if (py in sd) o[field] = decode(field, sd[py]);
    else if (field in sd) o[field] = decode(field, sd[field]);
  }
}

const numList = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : [Number(v)]);

export abstract class LRScheduler {
  lastEpoch: number;
  readonly baseLrs: number[];
  protected lastLr: number[];
  protected stepCount = 0;

  constructor(readonly optimizer: AnyOptimizer, lastEpoch = -1) {
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Subclasses call this at the end of their constructor (PyTorch's _initial_step). */
  protected initialStep(): void {
    this.step();
  }

  /** The learning rates for the current lastEpoch, from the groups' current rates. */
  protected abstract getLr(): number[];

  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = lrs;
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The subclass's own settings as [PyTorch key, field] (e.g. ['step_size', 'stepSize']). */
  protected settingKeys(): KeyMap {
    return [];
  }

  /** PyTorch's `scheduler.state_dict()`: the settings, then base_lrs, last_epoch, _step_count, _last_lr. */
  stateDict(): Record<string, unknown> {
    const o = this as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [py, f] of this.settingKeys()) out[py] = this.encodeSetting(f, o[f]);
    out.base_lrs = [...this.baseLrs];
    out.last_epoch = this.lastEpoch;
    out.verbose = false;
    out._step_count = this.stepCount;
    out._get_lr_called_within_step = false;
    out._last_lr = [...this.lastLr];
    return out;
  }

  /** Restores a state dict from stateDict(), Python's `scheduler.state_dict()`, or an older copper (camelCase keys). */
  loadStateDict(sd: Record<string, unknown>): void {
    const keys: KeyMap = [...this.settingKeys(), ['base_lrs', 'baseLrs'], ['last_epoch', 'lastEpoch'], ['_step_count', 'stepCount'], ['_last_lr', 'lastLr']];
    loadKeys(this, sd, keys, (f, v) => (f === 'baseLrs' || f === 'lastLr' ? numList(v) : this.decodeSetting(f, v)));
  }

  protected encodeSetting(field: string, v: unknown): unknown {
    void field;
    return v;
  }
  protected decodeSetting(field: string, v: unknown): unknown {
    void field;
    return v;
  }

  protected get groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Multiplies the rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly stepSize: number, readonly gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['step_size', 'stepSize'], ['gamma', 'gamma']];
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma);
  }
}

/** Multiplies the rate by gamma at each of the given epochs. */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly milestones: number[], readonly gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['milestones', 'milestones'], ['gamma', 'gamma']];
  }
  /** milestones as Python's Counter ({epoch: count}) */
  protected override encodeSetting(field: string, v: unknown): unknown {
    if (field !== 'milestones') return v;
    const counts: Record<string, number> = {};
    for (const m of v as number[]) counts[String(m)] = (counts[String(m)] ?? 0) + 1;
    return counts;
  }
  protected override decodeSetting(field: string, v: unknown): unknown {
    if (field !== 'milestones') return v;
    if (Array.isArray(v)) return v.map(Number);
    const out: number[] = [];
    for (const [k, n] of Object.entries(v as Record<string, unknown>)) for (let i = 0; i < Number(n); i++) out.push(Number(k));
    return out.sort((a, b) => a - b);
  }
  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (!hits) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma ** hits);
  }
}

/** Multiplies the rate by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['gamma', 'gamma']];
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma);
  }
}

/** Linear change of a multiplicative factor from startFactor to endFactor over totalIters. */
export class LinearLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['start_factor', 'startFactor'], ['end_factor', 'endFactor'], ['total_iters', 'totalIters']];
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return this.groupLrs;
    const f =
      1 +
      (this.endFactor - this.startFactor) /
        (this.totalIters * this.startFactor + (this.lastEpoch - 1) * (this.endFactor - this.startFactor));
    return this.groupLrs.map((lr) => lr * f);
  }
}

/** base rate * fn(epoch). */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly lrLambda: (epoch: number) => number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b) => b * this.lrLambda(this.lastEpoch));
  }
  /** As PyTorch: the functions are not saved (lr_lambdas: [None, ...]). */
  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), lr_lambdas: this.baseLrs.map(() => null) };
  }
}

/** Cosine annealing from the base rate to etaMin over tMax epochs (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: AnyOptimizer, readonly tMax: number, readonly etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['T_max', 'tMax'], ['eta_min', 'etaMin']];
  }
  protected getLr(): number[] {
    const e = this.lastEpoch;
    const T = this.tMax;
    const lrs = this.groupLrs;
    if (e === 0) return lrs;
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return lrs.map(
      (lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - this.etaMin) + this.etaMin,
    );
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/** Lowers the rate by `factor` when a metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(readonly optimizer: AnyOptimizer, o: ReduceLROnPlateauOptions = {}) {
    this.mode = o.mode ?? 'min';
    this.factor = o.factor ?? 0.1;
    if (this.factor >= 1) throw new RangeError('Factor should be < 1.0.');
    this.patience = o.patience ?? 10;
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? 'rel';
    this.cooldown = o.cooldown ?? 0;
    const n = optimizer.paramGroups.length;
    this.minLrs = Array.isArray(o.minLr) ? [...o.minLr] : new Array<number>(n).fill(o.minLr ?? 0);
    if (this.minLrs.length !== n) throw new Error(`expected ${n} minLr values, got ${this.minLrs.length}`);
    this.eps = o.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: t, best } = this;
    if (mode === 'min' && tm === 'rel') return a < best * (1 - t);
    if (mode === 'min') return a < best - t;
    if (tm === 'rel') return a > best * (t + 1);
    return a > best + t;
  }

  /** Reports the epoch's metric (e.g. validation loss). */
  step(metric: number): void {
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const nl = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - nl > this.eps) g.lr = nl;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  private static readonly KEYS: KeyMap = [
    ['factor', 'factor'],
    ['min_lrs', 'minLrs'],
    ['patience', 'patience'],
    ['cooldown', 'cooldown'],
    ['cooldown_counter', 'cooldownCounter'],
    ['mode', 'mode'],
    ['threshold', 'threshold'],
    ['threshold_mode', 'thresholdMode'],
    ['best', 'best'],
    ['num_bad_epochs', 'numBadEpochs'],
    ['eps', 'eps'],
    ['last_epoch', 'lastEpoch'],
    ['_last_lr', 'lastLr'],
  ];

  /** PyTorch's `ReduceLROnPlateau.state_dict()` keys (num_bad_epochs, cooldown_counter, best, mode_worse, ...). */
  stateDict(): Record<string, unknown> {
    const o = this as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [py, f] of ReduceLROnPlateau.KEYS) {
      out[py] = Array.isArray(o[f]) ? [...(o[f] as number[])] : o[f];
      if (py === 'patience') out.verbose = false;
      if (py === 'num_bad_epochs') out.mode_worse = this.mode === 'min' ? Infinity : -Infinity;
    }
    return out;
  }
  /** Restores a state dict from stateDict(), Python's `state_dict()`, or an older copper (camelCase keys). */
  loadStateDict(sd: Record<string, unknown>): void {
    loadKeys(this, sd, ReduceLROnPlateau.KEYS, (f, v) => (f === 'minLrs' || f === 'lastLr' ? numList(v) : f === 'best' ? Number(v) : v));
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`loadStateDict: mode ${String(this.mode)} is unknown`);
  }
}

/** Cosine annealing with warm restarts (SGDR): period tZero, multiplied by tMult after each restart. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  tI: number;
  tCur: number;
  constructor(optimizer: AnyOptimizer, readonly tZero: number, readonly tMult = 1, readonly etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!(tZero > 0) || !Number.isInteger(tZero)) throw new RangeError(`Expected positive integer T_0, but got ${tZero}`);
    if (!(tMult >= 1) || !Number.isInteger(tMult)) throw new RangeError(`Expected integer T_mult >= 1, but got ${tMult}`);
    this.tI = tZero;
    this.tCur = lastEpoch;
    this.initialStep();
  }
  protected override settingKeys(): KeyMap {
    return [['T_0', 'tZero'], ['T_i', 'tI'], ['T_mult', 'tMult'], ['eta_min', 'etaMin'], ['T_cur', 'tCur']];
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }
  override step(): void {
    if (this.lastEpoch < 0) {
      this.tI = this.tZero;
      this.tCur = 0;
    } else {
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    }
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = lrs;
  }
}
