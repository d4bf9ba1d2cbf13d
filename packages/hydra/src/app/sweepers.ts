/**
 * Sweepers turn the command line (and `hydra.sweeper.params`) into the override lists of each
 * job. BasicSweeper: cartesian product of every choice/range sweep, in command line order.
 * The Optuna sweeper (configs with hydra-optuna-sweeper's keys): n_trials jobs whose parameters
 * a sampler (TPE, random, grid; see optuna.ts) draws from choice/range/interval parameters,
 * asked n_jobs at a time, keeping the best return value.
 */
import { HydraError } from '../errors.js';
import { parseOverride } from '../grammar/parser.js';
import { ChoiceSweep, IntervalSweep, RangeSweep, Glob, elementToString, type Override } from '../grammar/types.js';
import { pyFloatRepr } from '../omegaconf/nodes.js';
import {
  GridSampler,
  MedianPruner,
  PercentilePruner,
  RandomSampler,
  TPESampler,
  adjustDiscreteHigh,
  type Direction,
  type Distribution,
  type ParamValue,
  type Pruner,
  type Sampler,
  type TPEOptions,
} from './optuna.js';

/** `key=value` strings for each job of a basic sweep. */
export function basicSweepJobs(overrides: Override[], params: Record<string, string> | null, groupOptions: (group: string) => string[]): string[][] {
  // hydra.sweeper.params first, then the command line; a later entry for the same key replaces
  // the earlier one in its place (Hydra's OrderedDict)
  const all: Override[] = [];
  if (params) for (const [k, v] of Object.entries(params)) all.push(parseOverride(`${k}=${v}`));
  all.push(...overrides);
  const byKey = new Map<string, string[]>();
  for (const o of all) {
    const key = o.keyElement();
    if (o.isSweep()) {
      if (o.isIntervalSweep()) {
        throw new HydraError(`The basic sweeper does not support interval sweeps ('${o.inputLine}'): use choice() or range(), or a search sweeper (hydra/sweeper=optuna)`);
      }
      byKey.set(key, o.sweepStrings(() => groupOptions(o.keyOrGroup)).map((v) => `${key}=${v}`));
    } else {
      byKey.set(key, [o.valueType === null ? key : `${key}=${o.valueString()}`]);
    }
  }
  let jobs: string[][] = [[]];
  for (const l of byKey.values()) {
    const next: string[][] = [];
    for (const j of jobs) for (const v of l) next.push([...j, v]);
    jobs = next;
  }
  return jobs;
}

export interface OptunaSearchSpace {
  /** parameters to sample, in Hydra's order (sweeper params first, then the command line) */
  space: Record<string, Distribution>;
  /** `key=value` (and `~key`) overrides every trial gets */
  fixed: string[];
}

/**
 * The search space of the Optuna sweeper from `hydra.sweeper.params` and the command line, as
 * hydra-optuna-sweeper builds it: choice() and shuffle(range()) are categorical; range() is an
 * IntDistribution from start to stop *inclusive* (a FloatDistribution with step when any bound is
 * a float); interval() a FloatDistribution (IntDistribution when cast with int(), log scale when
 * tagged `log`). A later entry for the same key replaces the earlier one.
 */
export function optunaSearchSpace(overrides: Override[], params: Record<string, string> | null, groupOptions: (group: string) => string[] = () => []): OptunaSearchSpace {
  const all: Override[] = [];
  if (params) for (const [k, v] of Object.entries(params)) all.push(parseOverride(`${k}=${v}`));
  all.push(...overrides);
  const entries = new Map<string, Distribution | string>();
  for (const o of all) {
    const key = o.keyElement();
    if (o.isDelete()) {
      entries.set(key, o.inputLine);
      continue;
    }
    const v = o.rawValue;
    if (v instanceof IntervalSweep) {
      const log = v.tags.has('log');
      if (v.isInt) entries.set(key, { type: 'int', low: Math.trunc(v.start), high: Math.trunc(v.end), log, step: 1 });
      else entries.set(key, { type: 'float', low: v.start, high: v.end, log, step: null });
      if (log && !(v.start > 0)) throw new HydraError(`'${o.inputLine}': a log-scale interval needs a positive start`);
    } else if (v instanceof RangeSweep && !v.shuffle) {
      if (v.isFloat) entries.set(key, { type: 'float', low: v.start, high: adjustDiscreteHigh(v.start, v.stop, v.step), log: false, step: v.step });
      else entries.set(key, { type: 'int', low: v.start, high: adjustDiscreteHigh(v.start, v.stop, v.step), log: false, step: v.step });
      if (!(v.step > 0) || v.stop < v.start) throw new HydraError(`'${o.inputLine}': the search sweeper needs a range with start <= stop and a positive step`);
    } else if (v instanceof ChoiceSweep || v instanceof RangeSweep || v instanceof Glob) {
      const vals = o.sweepStrings(() => groupOptions(o.keyOrGroup));
      entries.set(key, { type: 'categorical', choices: vals });
    } else {
      entries.set(key, o.valueType === null ? key : `${key}=${o.valueString()}`);
    }
  }
  const space: Record<string, Distribution> = {};
  const fixed: string[] = [];
  for (const [k, e] of entries) {
    if (typeof e === 'string') fixed.push(e);
    else space[k] = e;
  }
  return { space, fixed };
}

/** A sampled value as it goes on the command line. */
export function paramOverride(key: string, d: Distribution, v: ParamValue): string {
  if (d.type === 'categorical') return `${key}=${String(v)}`;
  if (d.type === 'int') return `${key}=${String(Math.round(v as number))}`;
  return `${key}=${pyFloatRepr(v as number)}`;
}

/** The grid of a GridSampler from the search space (hydra-optuna-sweeper's _to_grid_sampler_choices). */
export function gridChoices(space: Record<string, Distribution>): Record<string, ParamValue[]> {
  const out: Record<string, ParamValue[]> = {};
  for (const [k, d] of Object.entries(space)) {
    if (d.type === 'categorical') out[k] = d.choices;
    else if (d.step !== null && !d.log) {
      // range() semantics: start, start+step, ... below stop
      const n = Math.floor((d.high - d.low) / d.step + 1e-9);
      out[k] = Array.from({ length: Math.max(n, 1) }, (_, i) => (d.type === 'int' ? d.low + i * d.step : Number((d.low + i * d.step!).toPrecision(15))));
    } else throw new HydraError(`GridSampler only supports discrete parameters: '${k}' is an interval (use choice() or range())`);
  }
  return out;
}

type Conf = Record<string, unknown>;

function checkKeys(conf: Conf, allowed: string[], what: string): void {
  for (const k of Object.keys(conf)) {
    if (!allowed.includes(k)) throw new HydraError(`${what} has no key '${k}' (it takes: ${allowed.filter((a) => a !== '_target_').join(', ')})`);
  }
}

function num(conf: Conf, key: string, what: string, check: (x: number) => boolean, need: string): number | undefined {
  const v = conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !check(v)) throw new HydraError(`${what}.${key} must be ${need}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(conf: Conf, key: string, what: string): boolean | undefined {
  const v = conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new HydraError(`${what}.${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

const isInt = (x: number) => Number.isInteger(x);
const SAMPLER_KEYS: Record<string, string[]> = {
  TPESampler: ['_target_', 'seed', 'consider_prior', 'prior_weight', 'consider_magic_clip', 'consider_endpoints', 'n_startup_trials', 'n_ei_candidates', 'multivariate', 'warn_independent_sampling', 'constant_liar'],
  RandomSampler: ['_target_', 'seed'],
  GridSampler: ['_target_', '_partial_', 'search_space', 'seed'],
};
const PRUNER_KEYS: Record<string, string[]> = {
  MedianPruner: ['_target_', 'n_startup_trials', 'n_warmup_steps', 'interval_steps', 'n_min_trials'],
  PercentilePruner: ['_target_', 'percentile', 'n_startup_trials', 'n_warmup_steps', 'interval_steps', 'n_min_trials'],
  NopPruner: ['_target_'],
};
/** hydra-optuna-sweeper's OptunaSweeperConf keys, plus `pruner` (copper's). */
export const OPTUNA_SWEEPER_KEYS = ['_target_', 'defaults', 'sampler', 'direction', 'storage', 'study_name', 'n_trials', 'n_jobs', 'max_failure_rate', 'search_space', 'params', 'custom_search_space', 'pruner'];

function targetName(conf: Conf, what: string, known: Record<string, string[]>): string {
  const t = String(conf._target_ ?? '');
  const name = t.split('.').pop() ?? '';
  if (!(name in known)) throw new HydraError(`${what}._target_ '${t}' is not supported: use ${Object.keys(known).map((k) => `optuna.${what.endsWith('pruner') ? 'pruners' : 'samplers'}.${k}`).join(', ')}`);
  return name;
}

export interface OptunaSweeperConfig {
  direction: Direction;
  nTrials: number;
  nJobs: number;
  maxFailureRate: number;
  studyName: string;
  makeSampler: (space: Record<string, Distribution>) => Sampler;
  pruner: Pruner | null;
  samplerName: string;
}

/** Reads `hydra.sweeper` (resolved to plain data) into what the search sweep needs; one clear line for a bad key or value. */
export function readOptunaSweeper(conf: Conf): OptunaSweeperConfig {
  checkKeys(conf, OPTUNA_SWEEPER_KEYS, 'hydra.sweeper');
  let direction: unknown = conf.direction ?? 'minimize';
  if (Array.isArray(direction)) {
    if (direction.length !== 1) throw new HydraError(`hydra.sweeper.direction: multi-objective search (${direction.length} directions) is not supported; give one of minimize, maximize`);
    direction = direction[0];
  }
  if (direction !== 'minimize' && direction !== 'maximize') throw new HydraError(`hydra.sweeper.direction must be minimize or maximize, got ${JSON.stringify(direction)}`);
  const nTrials = num(conf, 'n_trials', 'hydra.sweeper', (x) => isInt(x) && x > 0, 'a positive integer') ?? 20;
  const nJobs = num(conf, 'n_jobs', 'hydra.sweeper', (x) => isInt(x) && x > 0, 'a positive integer') ?? 2;
  const maxFailureRate = num(conf, 'max_failure_rate', 'hydra.sweeper', (x) => x >= 0 && x <= 1, 'between 0 and 1') ?? 0;
  if (conf.storage !== undefined && conf.storage !== null) throw new HydraError('hydra.sweeper.storage is not supported (studies live in memory for one sweep): set it to null');
  if (conf.custom_search_space !== undefined && conf.custom_search_space !== null) throw new HydraError('hydra.sweeper.custom_search_space is not supported: give the parameters in hydra.sweeper.params');
  if (conf.search_space !== undefined && conf.search_space !== null) throw new HydraError('hydra.sweeper.search_space was replaced by hydra.sweeper.params (as in hydra-optuna-sweeper 1.2)');
  const s = (conf.sampler ?? { _target_: 'optuna.samplers.TPESampler' }) as Conf;
  if (typeof s !== 'object') throw new HydraError('hydra.sweeper.sampler must be a config with a _target_');
  const samplerName = targetName(s, 'hydra.sweeper.sampler', SAMPLER_KEYS);
  checkKeys(s, SAMPLER_KEYS[samplerName]!, `hydra.sweeper.sampler (${samplerName})`);
  const w = `hydra.sweeper.sampler`;
  const seed = num(s, 'seed', w, isInt, 'an integer') ?? null;
  let makeSampler: (space: Record<string, Distribution>) => Sampler;
  if (samplerName === 'TPESampler') {
    const opts: TPEOptions = {
      seed,
      n_startup_trials: num(s, 'n_startup_trials', w, (x) => isInt(x) && x >= 0, 'a non-negative integer') ?? 10,
      n_ei_candidates: num(s, 'n_ei_candidates', w, (x) => isInt(x) && x >= 1, 'a positive integer') ?? 24,
      prior_weight: num(s, 'prior_weight', w, (x) => x >= 0, 'non-negative') ?? 1.0,
      consider_magic_clip: bool(s, 'consider_magic_clip', w) ?? true,
      consider_endpoints: bool(s, 'consider_endpoints', w) ?? false,
      multivariate: bool(s, 'multivariate', w) ?? false,
      constant_liar: bool(s, 'constant_liar', w) ?? true,
    };
    bool(s, 'consider_prior', w);
    bool(s, 'warn_independent_sampling', w);
    makeSampler = () => new TPESampler(opts);
  } else if (samplerName === 'RandomSampler') {
    makeSampler = () => new RandomSampler({ seed });
  } else {
    const given = s.search_space as Record<string, unknown[]> | null | undefined;
    makeSampler = (space) => {
      let grid: Record<string, ParamValue[]>;
      if (given && typeof given === 'object') {
        grid = {};
        for (const k of Object.keys(space)) {
          const vals = given[k];
          if (!Array.isArray(vals)) throw new HydraError(`hydra.sweeper.sampler.search_space has no list for '${k}'`);
          grid[k] = vals.map((x) => (x === null || typeof x !== 'object' ? (x as ParamValue) : JSON.stringify(x)));
        }
      } else grid = gridChoices(space);
      return new GridSampler(grid, { seed });
    };
  }
  let pruner: Pruner | null = null;
  const p = conf.pruner as Conf | null | undefined;
  if (p !== undefined && p !== null) {
    if (typeof p !== 'object') throw new HydraError('hydra.sweeper.pruner must be a config with a _target_ (optuna.pruners.MedianPruner)');
    const pn = targetName(p, 'hydra.sweeper.pruner', PRUNER_KEYS);
    checkKeys(p, PRUNER_KEYS[pn]!, `hydra.sweeper.pruner (${pn})`);
    const pw = 'hydra.sweeper.pruner';
    const common = {
      n_startup_trials: num(p, 'n_startup_trials', pw, (x) => isInt(x) && x >= 0, 'a non-negative integer') ?? 5,
      n_warmup_steps: num(p, 'n_warmup_steps', pw, (x) => isInt(x) && x >= 0, 'a non-negative integer') ?? 0,
      interval_steps: num(p, 'interval_steps', pw, (x) => isInt(x) && x >= 1, 'a positive integer') ?? 1,
      n_min_trials: num(p, 'n_min_trials', pw, (x) => isInt(x) && x >= 1, 'a positive integer') ?? 1,
    };
    if (pn === 'MedianPruner') pruner = new MedianPruner(common);
    else if (pn === 'PercentilePruner') {
      const percentile = num(p, 'percentile', pw, (x) => x >= 0 && x <= 100, 'between 0 and 100');
      if (percentile === undefined) throw new HydraError('hydra.sweeper.pruner.percentile is required by PercentilePruner');
      pruner = new PercentilePruner({ ...common, percentile });
    }
  }
  const studyName = conf.study_name === undefined || conf.study_name === null ? 'no-name' : String(conf.study_name);
  return { direction, nTrials, nJobs, maxFailureRate, studyName, makeSampler, pruner, samplerName };
}

export { elementToString };
