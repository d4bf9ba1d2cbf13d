/**
 * Sweepers turn the command line (and `hydra.sweeper.params`) into the override lists of each
 * job. BasicSweeper: cartesian product of every choice/range sweep, in command line order.
 * Search sweepers (configs with the Optuna sweeper's keys): n_trials jobs drawn from
 * choice/range/interval parameters, keeping the best return value.
 */
import { HydraError } from '../errors.js';
import { parseOverride } from '../grammar/parser.js';
import { ChoiceSweep, IntervalSweep, RangeSweep, Glob, elementToString, type Override } from '../grammar/types.js';
import { pyFloatRepr } from '../omegaconf/nodes.js';

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

/** Deterministic PRNG (mulberry32) so a seeded search repeats. */
export function rng(seed: number | null): () => number {
  let a = (seed ?? Math.floor(Math.random() * 2 ** 31)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SearchSpace {
  key: string;
  sample(r: () => number): string;
  /** all values when discrete (for grid search) */
  grid?: string[];
}

/** Search parameters from `hydra.sweeper.params` and command line sweeps. */
export function searchSpace(overrides: Override[], params: Record<string, string> | null): { space: SearchSpace[]; fixed: string[] } {
  const all: Override[] = [];
  if (params) for (const [k, v] of Object.entries(params)) all.push(parseOverride(`${k}=${v}`));
  const cliKeys = new Set(overrides.map((o) => o.keyElement()));
  const merged = [...all.filter((o) => !cliKeys.has(o.keyElement())), ...overrides];
  const space: SearchSpace[] = [];
  const fixed: string[] = [];
  for (const o of merged) {
    const key = o.keyElement();
    const v = o.rawValue;
    if (v instanceof IntervalSweep) {
      const isInt = Number.isInteger(v.start) && Number.isInteger(v.end) && o.inputLine.includes('int(');
      const log = v.tags.has('log');
      space.push({
        key,
        sample: (r) => {
          let x: number;
          if (log) x = Math.exp(Math.log(v.start) + r() * (Math.log(v.end) - Math.log(v.start)));
          else x = v.start + r() * (v.end - v.start);
          return `${key}=${isInt ? String(Math.floor(x)) : pyFloatRepr(x)}`;
        },
      });
    } else if (v instanceof ChoiceSweep || v instanceof RangeSweep || v instanceof Glob) {
      const vals = o.sweepStrings(() => []);
      space.push({ key, sample: (r) => `${key}=${vals[Math.floor(r() * vals.length)]}`, grid: vals.map((x) => `${key}=${x}`) });
    } else {
      fixed.push(o.valueType === null ? key : `${key}=${o.valueString()}`);
    }
  }
  return { space, fixed };
}

export { elementToString };
