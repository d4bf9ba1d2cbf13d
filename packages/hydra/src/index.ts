export * from './errors.js';
export * from './omegaconf/omegaconf.js';
export { wrap, isDictConfig, isListConfig, readValue } from './omegaconf/proxy.js';
export { registerResolver, hasResolver, clearResolver, copyCache, type Resolver, type ResolverContext } from './omegaconf/resolve.js';
export { DictNode, ListNode, ValueNode, Node, MISSING, FloatValue } from './omegaconf/nodes.js';
export { loadYaml, dumpYaml } from './omegaconf/yaml.js';
export { parseOverride, parseOverrides } from './grammar/parser.js';
export * from './grammar/types.js';
export { compose, composeNodes, applyConfigOverrides, type ComposeOptions, type Composition } from './compose/compose.js';
export { createDefaultsList, type ResultDefault } from './compose/defaults.js';
export { ConfigRepository, configStore } from './compose/repository.js';
export { main, runHydra, type MainOptions, type TaskFunction, type JobResult, type RunResult } from './app/main.js';
export { getLogger, type Logger } from './app/log.js';
export { instantiate, instantiateAsync, loadTargets, registerTarget, registerTargets, unregisterTarget, closestKeys, type Target, type RegisterOptions } from './instantiate.js';
export {
  Study,
  Trial,
  TrialPruned,
  TPESampler,
  RandomSampler,
  GridSampler,
  MedianPruner,
  PercentilePruner,
  ParzenEstimator,
  RandomState,
  currentTrial,
  type Distribution,
  type Direction,
  type FrozenTrial,
  type ParamValue,
  type Sampler,
  type Pruner,
} from './app/optuna.js';
export { optunaSearchSpace, readOptunaSweeper, OPTUNA_SWEEPER_KEYS } from './app/sweepers.js';
export { getHydraConfig } from './compose/compose.js';
export { s, validate, Schema, type Infer } from './schema.js';
export { hydraConfig, getOriginalCwd, toAbsolutePath } from './utils.js';

import * as oc from './omegaconf/omegaconf.js';
import { registerResolver as _registerResolver, clearResolver as _clearResolver, hasResolver as _hasResolver } from './omegaconf/resolve.js';
import { wrap as _wrap } from './omegaconf/proxy.js';
/**
 * The OmegaConf functions under one name, for code ported from Python. Unlike the top-level
 * create/merge/load (which return node trees), these return configs with attribute access:
 * `OmegaConf.create({ a: 1 }).a`.
 */
export const OmegaConf = {
  ...oc,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  create: <T = Record<string, any>>(value?: unknown): T => _wrap<T>(oc.create(value)),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  merge: <T = Record<string, any>>(...configs: oc.AnyConfig[]): T => _wrap<T>(oc.merge(...configs)),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load: <T = Record<string, any>>(file: string): T => _wrap<T>(oc.load(file)),
  registerResolver: _registerResolver,
  clearResolver: _clearResolver,
  hasResolver: _hasResolver,
} as const;
