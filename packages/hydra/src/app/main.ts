/**
 * The application layer: `main({configPath, configName}, task)` parses Hydra's flags and
 * overrides, composes the config, and runs the task once (run mode, in `hydra.run.dir`) or once
 * per sweep combination (`-m`, each job in `hydra.sweep.dir/hydra.sweep.subdir`). Every job
 * folder gets `.hydra/config.yaml`, `hydra.yaml`, `overrides.yaml` and a log file.
 */
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HydraError, ConfigCompositionError } from '../errors.js';
import { parseOverride } from '../grammar/parser.js';
import { plainValue, type Override } from '../grammar/types.js';
import { DictNode, ListNode, ValueNode, isContainer, pyStr, type Node } from '../omegaconf/nodes.js';
import { select, toContainer, toYaml, openDict, resolvedCopy } from '../omegaconf/omegaconf.js';
import { wrap } from '../omegaconf/proxy.js';
import { copyCache } from '../omegaconf/resolve.js';
import { composeNodes, setHydraConfig, linkHydraConfig, VERSION, type Composition, type RunMode } from '../compose/compose.js';
import { dumpYaml } from '../omegaconf/yaml.js';
import { instantiate } from '../instantiate.js';
import { FLAGS_HELP, parseArgs, type HydraArgs } from './args.js';
import type { Schema, Infer } from '../schema.js';
import { configureFromDict, hydraLog, setQuiet } from './log.js';
import { basicSweepJobs, optunaSearchSpace, paramOverride, readOptunaSweeper } from './sweepers.js';
import { Study, TrialPruned, GridSampler, setCurrentTrial, type Trial } from './optuna.js';

export interface MainOptions {
  /** Config folder: absolute, or relative to the folder of the running script (as Hydra's). */
  configPath?: string | URL | null;
  /** Primary config name without `.yaml`. */
  configName?: string | null;
  /** Accepted for compatibility with hydra.main(version_base=...). */
  versionBase?: string | null;
  /** Command line (default: process.argv.slice(2)). */
  argv?: string[];
  /** hydra.job.name (default: the script's file name). */
  jobName?: string;
  /** Folder relative config paths start from (default: the running script's folder). */
  baseDir?: string;
  /** Where --cfg/--help/--info text goes (default: process.stdout). */
  print?: (text: string) => void;
  /** No console logging (log files are still written). */
  quiet?: boolean;
  /** Check every job's config against this schema (see schema.ts). */
  schema?: Schema<any>;
}

export type TaskFunction<T> = (cfg: T) => unknown | Promise<unknown>;

export interface JobResult {
  /** The job's overrides (task overrides). */
  overrides: string[];
  /** Absolute output folder. */
  outputDir: string;
  /** hydra.job.num in a sweep, 0 for a single run. */
  num: number;
  /** What the task returned. */
  returnValue: unknown;
}

export interface RunResult {
  mode: RunMode | 'info';
  jobs: JobResult[];
  /** Sweep folder for multirun. */
  sweepDir?: string;
  /** Best trial of a search sweeper. */
  best?: { params: Record<string, unknown>; value: number };
}

function atomicWrite(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function resolveConfigDir(opts: MainOptions, args: HydraArgs): string | null {
  let cp: string | URL | null | undefined = args.configPath ?? opts.configPath;
  if (cp === null || cp === undefined) return null;
  if (cp instanceof URL) return fileURLToPath(cp);
  if (cp.startsWith('file://')) return fileURLToPath(cp);
  if (isAbsolute(cp)) return cp;
  const base = opts.baseDir ?? (process.argv[1] ? dirname(resolvePath(process.argv[1])) : process.cwd());
  return resolvePath(base, cp);
}

function taskConfig(cfg: DictNode): DictNode {
  const t = cfg.clone();
  t.flags = { ...cfg.flags };
  t.delete('hydra');
  copyCache(cfg, t);
  const h = cfg.get('hydra');
  if (h) linkHydraConfig(t, h);
  return t;
}

function groupsHelp(comp: Composition, predicate: (g: string) => boolean): string {
  const groups: string[] = [];
  const walk = (parent: string) => {
    for (const g of comp.repo.groupOptions(parent, 'group')) {
      const full = parent ? `${parent}/${g}` : g;
      groups.push(full);
      walk(full);
    }
  };
  walk('');
  const lines: string[] = [];
  for (const g of groups.filter(predicate).sort()) {
    const opts = comp.repo.groupOptions(g);
    lines.push(`${g}: ${opts.join(', ')}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
const isHydraGroup = (g: string) => g === 'hydra' || g.startsWith('hydra/');

function renderHelp(comp: Composition, which: 'help' | 'hydra_help', resolve: boolean): string {
  const cfg = comp.cfg;
  const template = String(select(cfg, which === 'help' ? 'hydra.help.template' : 'hydra.hydra_help.template'));
  const task = taskConfig(cfg);
  const values: Record<string, string> = {
    FLAGS_HELP,
    APP_CONFIG_GROUPS: groupsHelp(comp, (g) => !isHydraGroup(g)),
    HYDRA_CONFIG_GROUPS: groupsHelp(comp, (g) => g.startsWith('hydra/')),
    CONFIG: toYaml(task, { resolve }),
  };
  return template.replace(/\$(\$|[A-Z_]+|\{[A-Z_]+\})/g, (m, name: string) => {
    if (name === '$') return '$';
    const n = name.replace(/[{}]/g, '');
    return n in values ? values[n]! : m;
  });
}

function printCfg(comp: Composition, args: HydraArgs, print: (s: string) => void): void {
  let node: Node;
  if (args.cfg === 'job') node = taskConfig(comp.cfg);
  else if (args.cfg === 'hydra') {
    const d = new DictNode();
    const h = comp.cfg.get('hydra')!.clone() as DictNode;
    h.delete('hydra_help');
    h.delete('help');
    d.set('hydra', h);
    node = d;
    copyCache(comp.cfg, d);
  } else node = comp.cfg;
  if (args.resolve) node = resolvedCopy(node);
  if (args.package && args.package !== '_global_') {
    const sub = selectNodeOf(node, args.package);
    if (sub === undefined) throw new HydraError(`--package ${args.package}: package '${args.package}' not found in the config`);
    if (!isContainer(sub)) {
      // a value prints as Python's print() would, without the package header
      const v = (sub as ValueNode).value;
      print(`${pyStr(v, (sub as ValueNode).isFloat)}\n`);
      return;
    }
    print(`# @package ${args.package}\n`);
    print(toYaml(sub));
    return;
  }
  print(toYaml(node));
}

function selectNodeOf(root: Node, key: string): Node | undefined {
  let cur: Node | undefined = root;
  for (const k of key.split('.')) {
    if (cur instanceof DictNode) cur = cur.get(k);
    else if (cur instanceof ListNode) cur = cur.items[Number(k)];
    else return undefined;
  }
  return cur;
}

function printInfo(comp: Composition, which: string, print: (s: string) => void): void {
  const parts: string[] = [];
  if (which === 'all' || which === 'plugins') {
    parts.push(`Installed Hydra Plugins\n***********************\n\tLauncher: BasicLauncher\n\tSweeper: BasicSweeper, search sweeper (hydra/sweeper=optuna)`);
  }
  if (which === 'all' || which === 'searchpath') {
    const rows = comp.repo.sources.map((s) => `${s.provider.padEnd(12)}${s.path}`);
    parts.push(`Config search path\n******************\n${'Provider'.padEnd(12)}Search path\n${rows.join('\n')}`);
  }
  if (which === 'all' || which === 'defaults' || which === 'defaults-tree') {
    const rows = comp.defaults.map((d) => `${d.configPath.padEnd(32)} ${d.package.padEnd(24)} ${d.isSelf ? 'self' : (d.overrideKey ?? '')}`);
    parts.push(`Defaults List\n*************\n${'Config path'.padEnd(32)} ${'Package'.padEnd(24)} Parent/Key\n${rows.join('\n')}`);
  }
  if (which === 'all' || which === 'config') {
    parts.push(`Config\n******\n${toYaml(taskConfig(comp.cfg))}`);
  }
  print(`Hydra ${VERSION}\n${'='.repeat(12)}\n${parts.join('\n\n')}\n`);
}

/** hydra.callbacks: objects with on_run_start/on_job_start/... methods, built with instantiate(). */
type Callbacks = Array<Record<string, unknown>>;
function makeCallbacks(cfg: DictNode): Callbacks {
  const node = selectNodeOf(cfg, 'hydra.callbacks');
  if (!(node instanceof DictNode)) return [];
  const out: Callbacks = [];
  for (const [, c] of node.map) if (c instanceof DictNode && c.get('_target_')) out.push(instantiate(c) as Record<string, unknown>);
  return out;
}
async function fire(cbs: Callbacks, event: string, ...args: unknown[]): Promise<void> {
  for (const cb of cbs) {
    const fn = cb[event];
    if (typeof fn === 'function') await (fn as (...a: unknown[]) => unknown).apply(cb, args);
  }
}

async function runJob<T>(
  cfg: DictNode,
  task: TaskFunction<T>,
  dirKey: 'run' | 'sweep',
  num: number,
  cbs: Callbacks = [],
): Promise<JobResult> {
  const hydra = cfg.get('hydra') as DictNode;
  const taskOverrides = (toContainer(select(cfg, 'hydra.overrides.task') as object) as string[]) ?? [];
  openDict(hydra, () => {
    const job = hydra.get('job') as DictNode;
    if (dirKey === 'sweep') {
      job.set('num', new ValueNode(num));
      job.set('id', new ValueNode(String(num)));
    }
  });
  setHydraConfig(hydra);
  let outDir: string;
  if (dirKey === 'run') outDir = String(select(cfg, 'hydra.run.dir'));
  else outDir = join(String(select(cfg, 'hydra.sweep.dir')), String(select(cfg, 'hydra.sweep.subdir')));
  outDir = resolvePath(outDir);
  openDict(hydra, () => {
    (hydra.get('runtime') as DictNode).set('output_dir', new ValueNode(outDir));
  });
  mkdirSync(outDir, { recursive: true });
  const task_ = taskConfig(cfg);
  const subdir = select(cfg, 'hydra.output_subdir');
  if (subdir !== null && subdir !== undefined) {
    const d = join(outDir, String(subdir));
    atomicWrite(join(d, 'config.yaml'), toYaml(task_));
    const h = new DictNode();
    h.set('hydra', hydra.clone());
    atomicWrite(join(d, 'hydra.yaml'), toYaml(h));
    atomicWrite(join(d, 'overrides.yaml'), dumpYaml(taskOverrides));
  }
  const jobLogging = toContainer(resolvedCopy(hydra.get('job_logging')!)) as Record<string, any>;
  // hydra.verbose: true -> root logger at DEBUG; a name or a list of names -> those loggers
  const verbose = toContainer(resolvedCopy(hydra.get('verbose') ?? new ValueNode(false)));
  if (verbose === true && jobLogging?.root) jobLogging.root.level = 'DEBUG';
  else if (typeof verbose === 'string' || Array.isArray(verbose)) {
    jobLogging.loggers = { ...(jobLogging.loggers ?? {}) };
    for (const name of ([] as unknown[]).concat(verbose)) jobLogging.loggers[String(name)] = { level: 'DEBUG' };
  }
  configureFromDict(jobLogging, 'job');
  const envSet = toContainer(select(cfg, 'hydra.job.env_set') as object, { resolve: true }) as Record<string, unknown>;
  for (const [k, v] of Object.entries(envSet ?? {})) process.env[k] = String(v);
  const chdir = select(cfg, 'hydra.job.chdir') === true;
  const cwd = process.cwd();
  if (chdir) process.chdir(outDir);
  try {
    await fire(cbs, 'on_job_start', wrap(cfg));
    const ret = await task(wrap<T>(task_));
    const result = { overrides: taskOverrides, outputDir: outDir, num, returnValue: ret };
    await fire(cbs, 'on_job_end', wrap(cfg), result);
    return result;
  } catch (e) {
    const err = (e !== null && typeof e === 'object' ? e : new Error(String(e))) as Error & { jobOverrides?: string[]; jobOutputDir?: string };
    err.jobOverrides = taskOverrides;
    err.jobOutputDir = outDir;
    throw err;
  } finally {
    if (chdir) process.chdir(cwd);
  }
}

/** Runs Hydra for `argv` and returns what happened. Throws on errors (see main() for a CLI). */
export async function runHydra<T = Record<string, any>>(opts: MainOptions, task: TaskFunction<T>): Promise<RunResult> {
  const print = opts.print ?? ((s: string) => process.stdout.write(s));
  const args = parseArgs(opts.argv ?? process.argv.slice(2));
  setQuiet(opts.quiet === true);
  if (args.version) {
    print(`Hydra ${VERSION} (copper)\n`);
    return { mode: 'info', jobs: [] };
  }
  if (args.shellCompletion) throw new HydraError('Shell completion is not supported by this implementation');
  const configDir = resolveConfigDir(opts, args);
  const dirs = [configDir, args.configDir ? resolvePath(args.configDir) : null].filter((x): x is string => x !== null);
  const configName = args.configName ?? opts.configName ?? null;
  const baseOpts = { configDir: dirs, configName, jobName: opts.jobName, schema: opts.schema } as const;

  const commands = [args.run, args.multirun, args.cfg !== null, args.info !== null].filter(Boolean).length;
  if (commands > 1) throw new HydraError('Only one of --run, --multirun, --cfg and --info can be specified');

  if (args.help || args.hydraHelp || args.cfg || args.info) {
    const comp = composeNodes({ ...baseOpts, overrides: args.overrides, runMode: 'RUN', validateSweeps: !args.help && !args.hydraHelp && !args.info });
    if (args.help) print(renderHelp(comp, 'help', args.resolve) + '\n');
    else if (args.hydraHelp) print(renderHelp(comp, 'hydra_help', args.resolve) + '\n');
    else if (args.info) printInfo(comp, args.info, print);
    else printCfg(comp, args, print);
    return { mode: 'info', jobs: [] };
  }

  // Hydra's run mode: hydra.mode from the config (e.g. an hparams_search config sets MULTIRUN),
  // else --multirun; the choice is recorded as a hydra.mode override.
  let cfgMode: unknown = null;
  try {
    cfgMode = select(composeNodes({ ...baseOpts, overrides: args.overrides, runMode: 'MULTIRUN', validateSweeps: false }).cfg, 'hydra.mode');
  } catch {
    cfgMode = null;
  }
  const overrides = [...args.overrides];
  let mode: RunMode;
  if (cfgMode !== 'RUN' && cfgMode !== 'MULTIRUN') {
    mode = args.multirun ? 'MULTIRUN' : 'RUN';
    overrides.push(`hydra.mode=${mode}`);
  } else {
    mode = cfgMode;
    if (args.multirun && mode === 'RUN') {
      hydraLog.warning('Running Hydra app with --multirun, overriding with `hydra.mode=MULTIRUN`.');
      mode = 'MULTIRUN';
      overrides.push('hydra.mode=MULTIRUN');
    }
  }
  const comp = composeNodes({ ...baseOpts, overrides, runMode: mode });
  const hydra = comp.cfg.get('hydra') as DictNode;
  configureFromDict(toContainer(resolvedCopy(hydra.get('hydra_logging')!)), 'hydra');
  const cbs = makeCallbacks(comp.cfg);
  if (mode === 'RUN') {
    await fire(cbs, 'on_run_start', wrap(comp.cfg));
    const job = await runJob(comp.cfg, task, 'run', 0, cbs);
    await fire(cbs, 'on_run_end', wrap(comp.cfg));
    return { mode: 'RUN', jobs: [job] };
  }
  await fire(cbs, 'on_multirun_start', wrap(comp.cfg));
  const r = await multirun(comp, baseOpts, task, cbs);
  await fire(cbs, 'on_multirun_end', wrap(comp.cfg));
  return r;
}

async function multirun<T>(
  master: Composition,
  base: { configDir: string[]; configName: string | null; jobName?: string | undefined; schema?: Schema<any> | undefined },
  task: TaskFunction<T>,
  cbs: Callbacks = [],
): Promise<RunResult> {
  const cfg = master.cfg;
  const hydra = cfg.get('hydra') as DictNode;
  const taskOverrides: Override[] = master.overrides.filter((o) => !o.isHydraOverride());
  const hydraOverrides = master.overrides.filter((o) => o.isHydraOverride()).map((o) => o.inputLine);
  const sweeperTarget = String(select(cfg, 'hydra.sweeper._target_') ?? '');
  const paramsRaw = select(cfg, 'hydra.sweeper.params');
  const params = paramsRaw && typeof paramsRaw === 'object' ? (toContainer(paramsRaw as object) as Record<string, unknown>) : null;
  const paramStrings = params ? Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) : null;
  setHydraConfig(hydra);
  const sweepDir = resolvePath(String(select(cfg, 'hydra.sweep.dir')));
  mkdirSync(sweepDir, { recursive: true });
  atomicWrite(join(sweepDir, 'multirun.yaml'), toYaml(cfg));

  const runOne = async (overrides: string[], num: number): Promise<JobResult> => {
    const c = composeNodes({ ...base, overrides: [...hydraOverrides, ...overrides], runMode: 'RUN' });
    copyCache(cfg, c.cfg);
    return runJob(c.cfg, task, 'sweep', num, cbs);
  };

  const jobs: JobResult[] = [];
  if (sweeperTarget.includes('optuna') || sweeperTarget.includes('Search')) {
    return optunaSweep(master, cfg, taskOverrides, paramStrings, sweepDir, runOne);
  }

  const jobLists = basicSweepJobs(taskOverrides, paramStrings, (g) => master.repo.groupOptions(g));
  hydraLog.info(`Launching ${jobLists.length} jobs locally`);
  for (let i = 0; i < jobLists.length; i++) {
    hydraLog.info(`\t#${i} : ${jobLists[i]!.join(' ')}`);
    jobs.push(await runOne(jobLists[i]!, i));
  }
  return { mode: 'MULTIRUN', jobs, sweepDir };
}

/**
 * hydra-optuna-sweeper's sweep: trials asked n_jobs at a time (a batch's parameters are drawn
 * before any of its jobs runs; the basic launcher then runs them one after another), each told
 * the task's return value. A task that throws TrialPruned (after shouldPrune() of its
 * currentTrial()) ends as a pruned trial; other failures count against max_failure_rate.
 */
async function optunaSweep(
  master: Composition,
  cfg: DictNode,
  taskOverrides: Override[],
  paramStrings: Record<string, string> | null,
  sweepDir: string,
  runOne: (overrides: string[], num: number) => Promise<JobResult>,
): Promise<RunResult> {
  const hydra = cfg.get('hydra') as DictNode;
  const conf = readOptunaSweeper(toContainer(resolvedCopy(hydra.get('sweeper')!)) as Record<string, unknown>);
  const { space, fixed } = optunaSearchSpace(taskOverrides, paramStrings, (g) => master.repo.groupOptions(g));
  const sampler = conf.makeSampler(space);
  let nTrials = conf.nTrials;
  if (sampler instanceof GridSampler) {
    nTrials = Math.min(nTrials, sampler.grid.length);
    hydraLog.info(`Updating num of trials to ${nTrials} due to using GridSampler.`);
  }
  const study = new Study(conf.direction, sampler, conf.pruner);
  hydraLog.info(`Study name: ${conf.studyName}`);
  hydraLog.info('Storage: None');
  hydraLog.info(`Sampler: ${conf.samplerName}`);
  hydraLog.info(`Directions: ['${conf.direction}']`);
  if (conf.pruner) hydraLog.info(`Pruner: ${conf.pruner.name}`);
  const jobs: JobResult[] = [];
  let toGo = nTrials;
  while (toGo > 0) {
    const size = Math.min(toGo, conf.nJobs);
    const trials: Trial[] = [];
    for (let i = 0; i < size; i++) trials.push(study.ask(space));
    const overrides = trials.map((t) => [...Object.entries(space).map(([k, d]) => paramOverride(k, d, t.params[k]!)), ...fixed]);
    hydraLog.info(`Launching ${size} jobs locally`);
    const failures: unknown[] = [];
    for (let i = 0; i < size; i++) {
      const t = trials[i]!;
      hydraLog.info(`\t#${t.number} : ${overrides[i]!.join(' ')}`);
      setCurrentTrial(t);
      try {
        const job = await runOne(overrides[i]!, t.number);
        jobs.push(job);
        const v = typeof job.returnValue === 'number' ? job.returnValue : typeof job.returnValue === 'string' && job.returnValue.trim() !== '' ? Number(job.returnValue) : NaN;
        if (Number.isNaN(v)) {
          study.tell(t, 'FAIL');
          const e = new HydraError(`The search sweeper needs the task to return a number (trial #${t.number} returned ${typeof job.returnValue === 'object' ? JSON.stringify(job.returnValue) : String(job.returnValue)})`);
          hydraLog.warning(`Failed experiment: ${e.message}`);
          failures.push(e);
        } else study.tell(t, 'COMPLETE', v);
      } catch (e) {
        if (e instanceof TrialPruned) {
          study.tell(t, 'PRUNED');
          const last = t.frozen.intermediateValues;
          const step = Math.max(-1, ...last.keys());
          hydraLog.info(`Trial #${t.number} pruned${step >= 0 ? ` at step ${step} (value ${last.get(step)})` : ''}`);
          jobs.push({ overrides: (e as { jobOverrides?: string[] }).jobOverrides ?? overrides[i]!, outputDir: (e as { jobOutputDir?: string }).jobOutputDir ?? '', num: t.number, returnValue: undefined });
        } else {
          study.tell(t, 'FAIL');
          hydraLog.warning(`Failed experiment: ${(e as Error)?.message ?? String(e)}`);
          failures.push(e);
        }
      } finally {
        setCurrentTrial(null);
      }
    }
    if (failures.length && failures.length / size > conf.maxFailureRate) throw failures[0];
    toGo -= size;
  }
  const bestTrial = study.bestTrial;
  let best: { params: Record<string, unknown>; value: number } | undefined;
  if (bestTrial) {
    const params = Object.fromEntries(Object.entries(space).map(([k, d]) => {
      const o = parseOverride(paramOverride(k, d, bestTrial.params[k]!));
      return [k, plainValue(o.value() as never)];
    }));
    best = { params, value: bestTrial.value! };
    hydraLog.info(`Best parameters: ${JSON.stringify(best.params)}`);
    hydraLog.info(`Best value: ${best.value}`);
    atomicWrite(join(sweepDir, 'optimization_results.yaml'), dumpYaml({ name: 'optuna', best_params: best.params, best_value: best.value }));
  } else hydraLog.warning('No trial completed: no best parameters');
  return { mode: 'MULTIRUN', jobs, sweepDir, ...(best ? { best } : {}) };
}

/**
 * Hydra's @hydra.main for TypeScript: `await main({ configPath: 'configs', configName: 'train' },
 * (cfg) => train(cfg))`. Errors print as one line (plus a pointer for bad overrides) and set a
 * non-zero exit code; the task's return value (a list for -m) is returned.
 */
export async function main<S extends Schema<any>>(opts: MainOptions & { schema: S }, task: TaskFunction<Infer<S>>): Promise<unknown>;
export async function main<T = Record<string, any>>(opts: MainOptions, task: TaskFunction<T>): Promise<unknown>;
export async function main<T = Record<string, any>>(opts: MainOptions, task: TaskFunction<T>): Promise<unknown> {
  try {
    const r = await runHydra<T>(opts, task);
    if (r.mode === 'MULTIRUN') return r.jobs.map((j) => j.returnValue);
    return r.jobs[0]?.returnValue;
  } catch (e) {
    process.exitCode = 1;
    const err = e as Error & { detail?: string; jobOverrides?: string[] };
    const full = process.env.HYDRA_FULL_ERROR === '1';
    if (!err.jobOverrides) {
      // bad command line, config or file system: one line (plus a caret line for bad overrides)
      const msg = err instanceof Error ? (err.message ?? String(err)).split('\n')[0] : String(err);
      process.stderr.write(`Error: ${msg}\n${err.detail ? err.detail + '\n' : ''}`);
      if (full && err.stack) process.stderr.write(err.stack + '\n');
    } else {
      const ov = `Error executing job with overrides: [${err.jobOverrides.map((o) => `'${o}'`).join(', ')}]\n`;
      process.stderr.write(`${ov}${full ? (err.stack ?? String(err)) : `${err.name ?? 'Error'}: ${err.message ?? String(err)}`}\n`);
      if (!full) process.stderr.write('Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.\n');
    }
    return undefined;
  }
}
