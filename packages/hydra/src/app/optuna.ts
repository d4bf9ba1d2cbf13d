/**
 * The search sweeper's engine, after Optuna: a study of trials, each asked for parameters by a
 * sampler (TPESampler: a tree-structured Parzen estimator; RandomSampler; GridSampler) and told
 * its value; trials may report intermediate values and be pruned (MedianPruner,
 * PercentilePruner). Seeded samplers repeat their trials exactly. Written for copper from
 * Optuna's documented algorithms; the random streams are not numpy's, so a seed picks other
 * values than Python Optuna's with the same seed.
 */
import { truncnormLogPdf, truncnormPpf, logGaussMass } from './truncnorm.js';

export type ParamValue = string | number | boolean | null;

export type Distribution =
  | { type: 'categorical'; choices: ParamValue[] }
  | { type: 'float'; low: number; high: number; log: boolean; step: number | null }
  | { type: 'int'; low: number; high: number; log: boolean; step: number };

export type Direction = 'minimize' | 'maximize';
export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL';

export interface FrozenTrial {
  number: number;
  state: TrialState;
  /** parameter values in the order they were sampled */
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  value: number | null;
  /** step -> reported value */
  intermediateValues: Map<number, number>;
  /** sampler bookkeeping (the grid point of a GridSampler trial) */
  system: Record<string, unknown>;
}

/** Thrown by a task (or copper's pruning callback) when its trial should stop early. */
export class TrialPruned extends Error {
  constructor(message = 'Trial was pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

// ---------------------------------------------------------------- random numbers

/** Seeded uniform random numbers (sfc32, state from splitmix32 of the seed). */
export class RandomState {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  constructor(seed: number | null = null) {
    let s = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }
  private u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** uniform in [0, 1) with 53 random bits */
  random(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }
  /** integer in [0, n) */
  randint(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }
  /** index drawn with probabilities p (summing to 1) */
  choice(p: ArrayLike<number>): number {
    const u = this.random();
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i]!;
      if (u < acc) return i;
    }
    return p.length - 1;
  }
}

// ---------------------------------------------------------------- distributions

/** Optuna's internal representation: the choice's index for categoricals, else the number. */
export function toInternal(d: Distribution, v: ParamValue): number {
  if (d.type === 'categorical') {
    const i = d.choices.findIndex((c) => c === v);
    if (i < 0) throw new Error(`${String(v)} is not one of the choices ${JSON.stringify(d.choices)}`);
    return i;
  }
  return Number(v);
}

export function toExternal(d: Distribution, x: number): ParamValue {
  if (d.type === 'categorical') return d.choices[Math.round(x)]!;
  if (d.type === 'int') return Math.round(x);
  return x;
}

/** Optuna's rounding of a discrete range: high moves down onto the step grid. */
export function adjustDiscreteHigh(low: number, high: number, step: number): number {
  const n = Math.floor((high - low) / step + 1e-9);
  return low + n * step;
}

function roundToStep(x: number, low: number, high: number, step: number): number {
  const r = low + Math.round((x - low) / step) * step;
  // remove float noise from the multiplication (0.1 steps)
  const cleaned = Number(r.toPrecision(15));
  return Math.min(high, Math.max(low, cleaned));
}

/** A uniform draw from a distribution (RandomSampler's, also TPE's startup trials). */
export function sampleUniform(d: Distribution, rng: RandomState): ParamValue {
  if (d.type === 'categorical') return d.choices[rng.randint(d.choices.length)]!;
  const step = d.step ?? 0;
  let low = d.low - step / 2;
  let high = d.high + step / 2;
  if (d.log) {
    low = Math.log(low);
    high = Math.log(high);
  }
  let x = rng.uniform(low, high);
  if (d.log) x = Math.exp(x);
  if (step) x = roundToStep(x, d.low, d.high, step);
  else x = Math.min(d.high, Math.max(d.low, x));
  return d.type === 'int' ? Math.round(x) : x;
}

// ---------------------------------------------------------------- samplers and pruners

export interface Sampler {
  readonly name: string;
  /** before any parameter of a new trial is sampled */
  beforeTrial?(study: Study, trial: FrozenTrial): void;
  /** all parameters of a trial at once (search space order) */
  sample(study: Study, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue>;
}

export interface Pruner {
  readonly name: string;
  prune(study: Study, trial: FrozenTrial): boolean;
}

export class RandomSampler implements Sampler {
  readonly name = 'RandomSampler';
  readonly rng: RandomState;
  constructor(opts: { seed?: number | null } = {}) {
    this.rng = new RandomState(opts.seed ?? null);
  }
  sample(_study: Study, _trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    for (const [k, d] of Object.entries(space)) out[k] = sampleUniform(d, this.rng);
    return out;
  }
}

/**
 * Every combination of a discrete search space once, in an order shuffled by the seed (as
 * Optuna's GridSampler: each trial takes a grid point no finished or running trial has).
 */
export class GridSampler implements Sampler {
  readonly name = 'GridSampler';
  readonly grid: Record<string, ParamValue>[];
  private rng: RandomState;
  constructor(readonly searchSpace: Record<string, ParamValue[]>, opts: { seed?: number | null } = {}) {
    let grid: Record<string, ParamValue>[] = [{}];
    for (const [k, vals] of Object.entries(searchSpace)) {
      if (!vals.length) throw new Error(`The grid of '${k}' is empty`);
      grid = grid.flatMap((g) => vals.map((v) => ({ ...g, [k]: v })));
    }
    this.rng = new RandomState(opts.seed ?? 0);
    for (let i = grid.length - 1; i > 0; i--) {
      const j = this.rng.randint(i + 1);
      [grid[i], grid[j]] = [grid[j]!, grid[i]!];
    }
    this.grid = grid;
  }
  private unvisited(study: Study): number[] {
    const taken = new Set<number>();
    const running = new Set<number>();
    for (const t of study.trials) {
      const id = t.system.gridId;
      if (typeof id !== 'number') continue;
      if (t.state === 'RUNNING') running.add(id);
      else if (t.state !== 'FAIL') taken.add(id);
    }
    let ids = this.grid.map((_, i) => i).filter((i) => !taken.has(i) && !running.has(i));
    if (!ids.length) ids = this.grid.map((_, i) => i).filter((i) => !taken.has(i));
    return ids;
  }
  isExhausted(study: Study): boolean {
    return this.unvisited(study).length === 0;
  }
  beforeTrial(study: Study, trial: FrozenTrial): void {
    const ids = this.unvisited(study);
    // all visited (more trials than grid points): start over, as Optuna does
    const pick = ids.length ? ids[this.rng.randint(ids.length)]! : this.rng.randint(this.grid.length);
    trial.system.gridId = pick;
  }
  sample(_study: Study, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue> {
    const point = this.grid[trial.system.gridId as number]!;
    const out: Record<string, ParamValue> = {};
    for (const k of Object.keys(space)) {
      if (!(k in point)) throw new Error(`The parameter '${k}' is not in the GridSampler's search space`);
      out[k] = point[k]!;
    }
    return out;
  }
}

/** Optuna's default gamma: the best 10% of the trials (at most 25) form the "good" group. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default weights: flat for the newest 25 observations, a ramp for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export interface TPEOptions {
  seed?: number | null;
  /** kept for Optuna's config keys; the prior is always part of the estimator (Optuna >= 4.3) */
  consider_prior?: boolean | null;
  prior_weight?: number | null;
  consider_magic_clip?: boolean | null;
  consider_endpoints?: boolean | null;
  n_startup_trials?: number;
  n_ei_candidates?: number;
  multivariate?: boolean | null;
  /** trials still running count as "bad" so a batch (n_jobs) spreads out (Optuna's default) */
  constant_liar?: boolean;
  warn_independent_sampling?: boolean | null;
  gamma?: (n: number) => number;
  weights?: (n: number) => number[];
}

type Kernels =
  | { type: 'categorical'; weights: number[][] }
  | { type: 'numerical'; mu: number[]; sigma: number[]; low: number; high: number; log: boolean; step: number; dlow: number; dhigh: number };

/** A mixture of per-observation kernels plus a prior kernel over a search space (Parzen estimator). */
export class ParzenEstimator {
  readonly weights: number[];
  readonly kernels: Kernels[];
  constructor(
    readonly space: Record<string, Distribution>,
    observations: Record<string, number[]>,
    opts: { priorWeight: number; magicClip: boolean; endpoints: boolean; weights: (n: number) => number[] },
  ) {
    const names = Object.keys(space);
    const n = names.length ? observations[names[0]!]!.length : 0;
    let w: number[];
    if (n === 0) w = [1];
    else {
      w = opts.weights(n).slice(0, n);
      if (w.some((x) => x < 0 || !Number.isFinite(x))) throw new Error('TPE weights must be finite and non-negative');
      w.push(opts.priorWeight);
    }
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.kernels = names.map((k) => this.kernelsFor(space[k]!, observations[k]!, opts));
  }

  private kernelsFor(d: Distribution, obs: number[], opts: { priorWeight: number; magicClip: boolean; endpoints: boolean }): Kernels {
    if (d.type === 'categorical') {
      const nc = d.choices.length;
      if (obs.length === 0) return { type: 'categorical', weights: [new Array<number>(nc).fill(1 / nc)] };
      const nk = obs.length + 1;
      const rows = Array.from({ length: nk }, () => new Array<number>(nc).fill(opts.priorWeight / nk));
      obs.forEach((o, i) => (rows[i]![Math.round(o)]! += 1));
      for (const r of rows) {
        const s = r.reduce((a, b) => a + b, 0) || 1;
        for (let j = 0; j < nc; j++) r[j]! /= s;
      }
      return { type: 'categorical', weights: rows };
    }
    const step = d.step ?? 0;
    let low = d.low - step / 2;
    let high = d.high + step / 2;
    let mus = obs.slice();
    if (d.log) {
      mus = mus.map(Math.log);
      low = Math.log(low);
      high = Math.log(high);
    }
    // bandwidth: the larger gap to the sorted neighbours (domain ends included)
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
    const sorted = [low, ...order.map((i) => mus[i]!), high];
    const sortedSig = order.map((_, j) => Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!));
    if (!opts.endpoints && sorted.length >= 4) {
      sortedSig[0] = sorted[2]! - sorted[1]!;
      sortedSig[sortedSig.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
    }
    const sig = new Array<number>(mus.length);
    order.forEach((i, j) => (sig[i] = sortedSig[j]!));
    const maxS = high - low;
    const minS = opts.magicClip ? (high - low) / Math.min(100, 1 + (obs.length + 1)) : 1e-12;
    const sigmas = sig.map((s) => Math.min(maxS, Math.max(minS, s)));
    mus.push(0.5 * (low + high));
    sigmas.push(high - low);
    return { type: 'numerical', mu: mus, sigma: sigmas, low: d.low, high: d.high, log: d.log, step, dlow: low, dhigh: high };
  }

  /** `size` draws, each a row of internal values in search space order. */
  sample(rng: RandomState, size: number): number[][] {
    const out: number[][] = [];
    for (let s = 0; s < size; s++) {
      const k = rng.choice(this.weights);
      const row: number[] = [];
      for (const kern of this.kernels) {
        if (kern.type === 'categorical') {
          row.push(rng.choice(kern.weights[k]!));
          continue;
        }
        const mu = kern.mu[k]!;
        const sg = kern.sigma[k]!;
        const a = (kern.dlow - mu) / sg;
        const b = (kern.dhigh - mu) / sg;
        let x = truncnormPpf(rng.random(), a, b) * sg + mu;
        if (kern.log) x = Math.exp(x);
        if (kern.step) x = roundToStep(x, kern.low, kern.high, kern.step);
        else x = Math.min(kern.high, Math.max(kern.low, x));
        row.push(x);
      }
      out.push(row);
    }
    return out;
  }

  /** log density (mass, for discrete parameters) of the mixture at each row. */
  logPdf(rows: number[][]): number[] {
    const nk = this.weights.length;
    return rows.map((row) => {
      const terms = this.weights.map((w) => Math.log(w));
      this.kernels.forEach((kern, p) => {
        const x = row[p]!;
        for (let k = 0; k < nk; k++) {
          if (kern.type === 'categorical') {
            terms[k]! += Math.log(kern.weights[kern.weights.length === 1 ? 0 : k]![Math.round(x)]!);
            continue;
          }
          const mu = kern.mu[k]!;
          const sg = kern.sigma[k]!;
          const a = (kern.dlow - mu) / sg;
          const b = (kern.dhigh - mu) / sg;
          if (kern.step) {
            let left = x - kern.step / 2;
            let right = x + kern.step / 2;
            if (kern.log) {
              left = Math.log(left);
              right = Math.log(right);
            }
            terms[k]! += logGaussMass((left - mu) / sg, (right - mu) / sg) - logGaussMass(a, b);
          } else {
            terms[k]! += truncnormLogPdf(kern.log ? Math.log(x) : x, a, b, mu, sg);
          }
        }
      });
      let m = Math.max(...terms);
      if (m === -Infinity) m = 0;
      return Math.log(terms.reduce((acc, t) => acc + Math.exp(t - m), 0)) + m;
    });
  }
}

/**
 * Tree-structured Parzen estimator (Bergstra et al. 2011), as Optuna's TPESampler: after
 * `n_startup_trials` random trials, the finished trials are split into the best gamma(n) and
 * the rest; a Parzen estimator l(x) is fitted to the good ones and g(x) to the others;
 * `n_ei_candidates` draws from l(x) are scored by log l(x) - log g(x) and the best is taken.
 * Independent per parameter unless `multivariate`.
 */
export class TPESampler implements Sampler {
  readonly name = 'TPESampler';
  readonly rng: RandomState;
  private random: RandomSampler;
  readonly nStartupTrials: number;
  readonly nEiCandidates: number;
  readonly multivariate: boolean;
  readonly constantLiar: boolean;
  private gamma: (n: number) => number;
  private pe: { priorWeight: number; magicClip: boolean; endpoints: boolean; weights: (n: number) => number[] };
  constructor(opts: TPEOptions = {}) {
    const seed = opts.seed ?? null;
    this.rng = new RandomState(seed);
    this.random = new RandomSampler({ seed });
    this.nStartupTrials = opts.n_startup_trials ?? 10;
    this.nEiCandidates = opts.n_ei_candidates ?? 24;
    if (!(this.nEiCandidates >= 1)) throw new Error(`n_ei_candidates must be at least 1, got ${this.nEiCandidates}`);
    this.multivariate = opts.multivariate ?? false;
    this.constantLiar = opts.constant_liar ?? true;
    this.gamma = opts.gamma ?? defaultGamma;
    const priorWeight = opts.prior_weight ?? 1.0;
    if (priorWeight < 0) throw new Error(`prior_weight must be non-negative, got ${priorWeight}`);
    this.pe = { priorWeight, magicClip: opts.consider_magic_clip ?? true, endpoints: opts.consider_endpoints ?? false, weights: opts.weights ?? defaultWeights };
  }

  sample(study: Study, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue> {
    const finished = study.trials.filter((t) => t.state === 'COMPLETE' || t.state === 'PRUNED');
    if (finished.length < this.nStartupTrials) return this.random.sample(study, trial, space);
    if (this.multivariate) return this.sampleJoint(study, trial, space);
    const out: Record<string, ParamValue> = {};
    for (const [k, d] of Object.entries(space)) Object.assign(out, this.sampleJoint(study, trial, { [k]: d }));
    return out;
  }

  private sampleJoint(study: Study, trial: FrozenTrial, space: Record<string, Distribution>): Record<string, ParamValue> {
    const states: TrialState[] = this.constantLiar ? ['COMPLETE', 'PRUNED', 'RUNNING'] : ['COMPLETE', 'PRUNED'];
    const trials = study.trials.filter((t) => states.includes(t.state) && t.number !== trial.number);
    const n = trials.filter((t) => t.state !== 'RUNNING').length;
    const { below, above } = splitTrials(study, trials, this.gamma(n));
    const below_ = this.estimator(space, below);
    const above_ = this.estimator(space, above);
    const cands = below_.sample(this.rng, this.nEiCandidates);
    const lb = below_.logPdf(cands);
    const la = above_.logPdf(cands);
    let best = 0;
    for (let i = 1; i < cands.length; i++) if (lb[i]! - la[i]! > lb[best]! - la[best]!) best = i;
    const out: Record<string, ParamValue> = {};
    Object.entries(space).forEach(([k, d], p) => (out[k] = toExternal(d, cands[best]![p]!)));
    return out;
  }

  private estimator(space: Record<string, Distribution>, trials: FrozenTrial[]): ParzenEstimator {
    const names = Object.keys(space);
    const obs: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, [] as number[]]));
    for (const t of trials) {
      if (!names.every((k) => k in t.params)) continue;
      for (const k of names) obs[k]!.push(toInternal(space[k]!, t.params[k]!));
    }
    return new ParzenEstimator(space, obs, this.pe);
  }
}

function lastIntermediate(t: FrozenTrial): [number, number] | null {
  let best: [number, number] | null = null;
  for (const [s, v] of t.intermediateValues) if (!best || s > best[0]) best = [s, v];
  return best;
}

/** Optuna's split: the n_below best complete trials, then pruned ones by their last step and value. */
export function splitTrials(study: Study, trials: FrozenTrial[], nBelow: number): { below: FrozenTrial[]; above: FrozenTrial[] } {
  const sign = study.direction === 'maximize' ? -1 : 1;
  const complete = trials.filter((t) => t.state === 'COMPLETE').sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number);
  const pruned = trials.filter((t) => t.state === 'PRUNED');
  const running = trials.filter((t) => t.state === 'RUNNING');
  const score = (t: FrozenTrial): [number, number] => {
    const l = lastIntermediate(t);
    if (!l) return [1, 0];
    if (Number.isNaN(l[1])) return [-l[0], Infinity];
    return [-l[0], sign * l[1]];
  };
  pruned.sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    return sa[0] - sb[0] || sa[1] - sb[1] || a.number - b.number;
  });
  const nc = Math.min(nBelow, complete.length);
  const np = Math.min(Math.max(0, nBelow - nc), pruned.length);
  const below = [...complete.slice(0, nc), ...pruned.slice(0, np)].sort((a, b) => a.number - b.number);
  const above = [...complete.slice(nc), ...pruned.slice(np), ...running].sort((a, b) => a.number - b.number);
  return { below, above };
}

/**
 * Optuna's PercentilePruner: after n_startup_trials complete trials and n_warmup_steps, prune a
 * trial whose best intermediate value is worse than the given percentile of the complete trials'
 * values at the same step. MedianPruner is the 50th percentile.
 */
export class PercentilePruner implements Pruner {
  readonly name: string = 'PercentilePruner';
  readonly percentile: number;
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;
  constructor(opts: { percentile: number; n_startup_trials?: number; n_warmup_steps?: number; interval_steps?: number; n_min_trials?: number }) {
    this.percentile = opts.percentile;
    this.nStartupTrials = opts.n_startup_trials ?? 5;
    this.nWarmupSteps = opts.n_warmup_steps ?? 0;
    this.intervalSteps = opts.interval_steps ?? 1;
    this.nMinTrials = opts.n_min_trials ?? 1;
    if (!(this.percentile >= 0 && this.percentile <= 100)) throw new Error(`percentile must be between 0 and 100, got ${this.percentile}`);
    if (this.nStartupTrials < 0) throw new Error(`n_startup_trials cannot be negative, got ${this.nStartupTrials}`);
    if (this.nWarmupSteps < 0) throw new Error(`n_warmup_steps cannot be negative, got ${this.nWarmupSteps}`);
    if (this.intervalSteps < 1) throw new Error(`interval_steps must be at least 1, got ${this.intervalSteps}`);
    if (this.nMinTrials < 1) throw new Error(`n_min_trials must be at least 1, got ${this.nMinTrials}`);
  }
  prune(study: Study, trial: FrozenTrial): boolean {
    const complete = study.trials.filter((t) => t.state === 'COMPLETE');
    if (complete.length === 0 || complete.length < this.nStartupTrials) return false;
    const last = lastIntermediate(trial);
    if (!last) return false;
    const step = last[0];
    if (step < this.nWarmupSteps) return false;
    // check once per interval (the first report at or after each interval boundary)
    const boundary = Math.floor((step - this.nWarmupSteps) / this.intervalSteps) * this.intervalSteps + this.nWarmupSteps;
    let secondLast = -1;
    for (const s of trial.intermediateValues.keys()) if (s > secondLast && s !== step) secondLast = s;
    if (!(secondLast < boundary)) return false;
    const max = study.direction === 'maximize';
    const vals = [...trial.intermediateValues.values()].filter((v) => !Number.isNaN(v));
    if (!vals.length) return true;
    const best = max ? Math.max(...vals) : Math.min(...vals);
    const atStep = complete.filter((t) => t.intermediateValues.has(step)).map((t) => t.intermediateValues.get(step)!);
    if (atStep.length < this.nMinTrials) return false;
    const p = percentile(atStep.filter((v) => !Number.isNaN(v)), max ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return max ? best < p : best > p;
  }
}

export class MedianPruner extends PercentilePruner {
  override readonly name = 'MedianPruner';
  constructor(opts: { n_startup_trials?: number; n_warmup_steps?: number; interval_steps?: number; n_min_trials?: number } = {}) {
    super({ ...opts, percentile: 50 });
  }
}

/** numpy's percentile (linear interpolation). */
export function percentile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

// ---------------------------------------------------------------- study and trials

/** A running trial: its parameters, and report()/shouldPrune() for intermediate values. */
export class Trial {
  constructor(
    readonly study: Study,
    readonly frozen: FrozenTrial,
  ) {}
  get number(): number {
    return this.frozen.number;
  }
  get params(): Record<string, ParamValue> {
    return this.frozen.params;
  }
  /** Records an intermediate value at `step` (a non-negative integer); a step reported twice keeps the first. */
  report(value: number, step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`The step of an intermediate value must be a non-negative integer, got ${step}`);
    if (this.frozen.intermediateValues.has(step)) return;
    this.frozen.intermediateValues.set(step, Number(value));
  }
  shouldPrune(): boolean {
    return this.study.pruner ? this.study.pruner.prune(this.study, this.frozen) : false;
  }
}

export class Study {
  readonly trials: FrozenTrial[] = [];
  constructor(
    readonly direction: Direction,
    readonly sampler: Sampler,
    readonly pruner: Pruner | null = null,
  ) {}

  ask(space: Record<string, Distribution>): Trial {
    const frozen: FrozenTrial = { number: this.trials.length, state: 'RUNNING', params: {}, distributions: { ...space }, value: null, intermediateValues: new Map(), system: {} };
    this.trials.push(frozen);
    this.sampler.beforeTrial?.(this, frozen);
    const picked = this.sampler.sample(this, frozen, space);
    for (const k of Object.keys(space)) frozen.params[k] = picked[k]!;
    return new Trial(this, frozen);
  }

  tell(trial: Trial | FrozenTrial, state: Exclude<TrialState, 'RUNNING'>, value: number | null = null): void {
    const f = trial instanceof Trial ? trial.frozen : trial;
    if (f.state !== 'RUNNING') throw new Error(`Trial #${f.number} has already finished`);
    if (state === 'COMPLETE' && (value === null || Number.isNaN(value))) throw new Error(`Trial #${f.number} completed without a value`);
    f.state = state;
    f.value = state === 'COMPLETE' ? value : state === 'PRUNED' ? (lastIntermediate(f)?.[1] ?? null) : null;
  }

  /** The best complete trial, or null when none completed. */
  get bestTrial(): FrozenTrial | null {
    let best: FrozenTrial | null = null;
    for (const t of this.trials) {
      if (t.state !== 'COMPLETE') continue;
      if (!best || (this.direction === 'maximize' ? t.value! > best.value! : t.value! < best.value!)) best = t;
    }
    return best;
  }

  /** Runs `n` trials of `objective` one after another (Optuna's study.optimize with n_jobs=1). */
  async optimize(space: Record<string, Distribution>, objective: (trial: Trial) => number | Promise<number>, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (this.sampler instanceof GridSampler && this.sampler.isExhausted(this)) break;
      const t = this.ask(space);
      try {
        this.tell(t, 'COMPLETE', await objective(t));
      } catch (e) {
        if (e instanceof TrialPruned) this.tell(t, 'PRUNED');
        else {
          this.tell(t, 'FAIL');
          throw e;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- the trial a sweep job runs

let current: Trial | null = null;

/**
 * The search sweeper's trial for the job that is running now, or null (no search sweep): a task
 * reports intermediate values with `currentTrial()?.report(value, step)` and stops when
 * `shouldPrune()` says so, by throwing `TrialPruned`.
 */
export function currentTrial(): Trial | null {
  return current;
}

export function setCurrentTrial(t: Trial | null): void {
  current = t;
}
