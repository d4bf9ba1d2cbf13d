/**
 * `dvc repro`: runs the stages whose deps, params, outs or command changed, dependencies first
 * (networkx dfs_postorder over the stage graph, as DVC), each command through $SHELL (or /bin/sh)
 * in the stage's wdir with DVC_ROOT / DVC_STAGE set. Before a run the stage's outputs are removed
 * (unless persist); after it, outputs are hashed and cached like `dvc add`, `dvc.lock` is updated
 * (only when the stage's entry changed, written atomically) and the run cache entry
 * `.dvc/cache/runs/<k[:2]>/<k>/<v>` is written. A stage that fails leaves dvc.lock as it was.
 * A changed stage whose deps/params match a run cache entry whose outputs are all in the cache is
 * restored from it instead of being run ("is cached - skipping run").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { changedCache } from '../sync/status.js';
import { applyCheckout, planCheckout } from '../sync/checkout.js';
import { hashWorkspace } from '../sync/workspace.js';
import { DvcFile } from '../formats/dvcfile.js';
import {
  LOCK_FILE,
  lockStageToYaml,
  lockWithStages,
  parseLockFile,
  parseYamlText,
  pyJsonSorted,
 
  type LockEntry,
  type LockStage,
} from '../formats/dvcyaml.js';
import { dumpYaml, type YamlValue } from '../formats/ruamel.js';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../fs/local.js';
import { saveOutput } from './add.js';
import { collectDvcFiles } from './collect.js';
import { globToRegExp } from './data-sync.js';
import { withData, type DataContext } from './context.js';
import { readUtf8 } from '../formats/text.js';
import { lookupParam, readParams } from './params.js';
import {
  buildGraph,
  checkOutputs,
  findStages,
  splitStageTargets,
  loadPipeline,
  PipelineError,
  postorder,
  stageStatus,
  type Pipeline,
  type Stage,
  type StageStatus,
} from './pipeline.js';
import type { Repo } from './repo.js';

export interface ReproOptions {
  force?: boolean;
  single?: boolean;
  /** --downstream: the targets and the stages that depend on them. */
  downstream?: boolean;
  /** -P: every pipeline (all stages), whatever the targets. */
  allPipelines?: boolean;
  /** --no-commit: outputs are hashed but not put in the cache (no run cache entry either). */
  noCommit?: boolean;
  /** --no-run-cache: always run changed stages (no restore from the run cache). */
  noRunCache?: boolean;
  dry?: boolean;
  pull?: boolean;
  /** -R: folder targets stand for every stage of the dvc.yaml files below them. */
  recursive?: boolean;
  /** -p: the whole pipelines (connected stages) the targets belong to. */
  pipeline?: boolean;
  /** --glob: stage names in targets are shell-style patterns (`train*`, `sub/dvc.yaml:t*`). */
  glob?: boolean;
  /** --force-downstream: every stage after one that ran runs too. */
  forceDownstream?: boolean;
  /** --allow-missing: a stage whose only change is outputs missing here is skipped. */
  allowMissing?: boolean;
  /** -k ('keep-going': stages depending on a failed one are skipped) or --ignore-errors ('ignore'). */
  onError?: 'fail' | 'keep-going' | 'ignore';
  /** -i: asked before each stage runs; false aborts. */
  confirm?: (stage: string) => Promise<boolean>;
  /** Lines for the user (stdout). */
  info?: (line: string) => void;
  /** Warnings (stderr): a frozen stage in the plan, a failed stage under -k/--ignore-errors. */
  warn?: (line: string) => void;
}

export interface ReproResult {
  /** Names of stages run (or, dry, that would run). */
  ran: string[];
  /** Names of stages restored from the run cache. */
  restored: string[];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** dict_filter(exclude=[size, nfiles]) of DVC's run cache hashing. */
function withoutSizes(v: YamlValue): YamlValue {
  if (Array.isArray(v)) return v.map(withoutSizes);
  if (v && typeof v === 'object' && !(v instanceof Map)) {
    const r: Record<string, YamlValue> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'size' && k !== 'nfiles') r[k] = withoutSizes(x);
    return r;
  }
  return v;
}

/** The run cache key and value of a lock entry (DVC's _get_cache_hash). */
export function runCacheHashes(entry: LockStage): { key: string; value: string } {
  const v = lockStageToYaml(entry);
  const keyed: Record<string, YamlValue> = { ...v };
  if (v.outs) keyed.outs = entry.outs.map((o) => o.path).sort();
  return { key: sha256(pyJsonSorted(withoutSizes(keyed))), value: sha256(pyJsonSorted(withoutSizes(v))) };
}

/** DVC's _can_hash. */
function canRunCache(s: Stage): boolean {
  if (s.def.alwaysChanged) return false;
  if (!(s.deps.length + s.params.length) || !s.outs.length) return false;
  return !s.outs.some((o) => o.persist);
}

function cmdList(cmd: string | string[]): string[] {
  return Array.isArray(cmd) ? cmd : cmd.split(/\r?\n/).filter((c) => c !== '');
}

/** Hashes the stage's deps and reads its params (for the lock entry). */
async function depsEntries(d: DataContext, s: Stage): Promise<Pick<LockStage, 'deps' | 'params'>> {
  const deps: LockEntry[] = [];
  for (const dep of s.deps) {
    const ws = await hashWorkspace(d.hash, dep.abs);
    if (ws.kind === 'missing') throw new PipelineError(`failed to reproduce '${s.addressing}': dependency '${dep.path}' does not exist`);
    deps.push(
      ws.kind === 'dir'
        ? { path: dep.path, hash: 'md5', md5: ws.oid, size: ws.size, nfiles: ws.nfiles }
        : { path: dep.path, hash: 'md5', md5: ws.md5, size: ws.size },
    );
  }
  const params: LockStage['params'] = {};
  for (const p of s.params) {
    if (!existsSync(p.abs)) throw new PipelineError(`failed to reproduce '${s.addressing}': Parameters file '${p.path}' does not exist`);
    const data = readParams(p.abs, p.rel);
    const kv: Record<string, YamlValue> = {};
    if (p.keys) {
      for (const k of p.keys) {
        const v = lookupParam(data, k);
        if (v === undefined) throw new PipelineError(`failed to reproduce '${s.addressing}': Parameters '${k}' are missing from '${p.path}'.`);
        kv[k] = v;
      }
    } else if (data && typeof data === 'object' && !Array.isArray(data)) {
      Object.assign(kv, data);
    }
    params[p.path] = kv;
  }
  return { deps, params };
}

/** Hashes (and, for cached outputs, stores) the stage's outputs. */
async function saveOuts(d: DataContext, s: Stage, commit: boolean): Promise<LockEntry[]> {
  const outs: LockEntry[] = [];
  for (const o of s.outs) {
    if (!existsSync(o.abs)) throw new PipelineError(`failed to reproduce '${s.addressing}': output '${o.path}' does not exist`);
  }
  const scm = d.repo.scm;
  for (const o of s.outs) {
    if (!o.cache || !scm) continue;
    // DVC's Output.save(): a cached output git tracks is refused; otherwise git ignores it
    if (await scm.isTracked(o.abs)) throw new PipelineError(`failed to reproduce '${s.addressing}': output '${o.path}' is already tracked by SCM (e.g. Git)`);
    const g = scm.ignore(o.abs);
    if (g) d.repo.scmContext.track(g);
  }
  for (const o of s.outs) {
    const ws = await saveOutput(d, o.abs, commit && o.cache);
    if (ws.kind === 'missing') throw new PipelineError(`failed to reproduce '${s.addressing}': output '${o.path}' does not exist`);
    outs.push(
      ws.kind === 'dir'
        ? { path: o.path, hash: 'md5', md5: ws.oid, size: ws.size, nfiles: ws.nfiles }
        : { path: o.path, hash: 'md5', md5: ws.md5, size: ws.size },
    );
  }
  return outs;
}

function runsDir(repo: Repo): string {
  return join(repo.cacheDir, 'runs');
}

async function writeRunCache(d: DataContext, s: Stage, entry: LockStage): Promise<void> {
  const repo = d.repo;
  if (!canRunCache(s)) return;
  if (s.outs.some((o) => !o.cache && o.kind === 'outs')) return;
  // DVC commits the uncached outputs (metrics, plots) too, so the entry can be restored
  for (const o of s.outs) {
    if (o.cache) continue;
    const ws = await hashWorkspace(d.hash, o.abs, d.store);
    if (ws.kind === 'dir') d.store.addBytes(ws.oid, ws.text);
  }
  const { key, value } = runCacheHashes(entry);
  const dir = join(runsDir(repo), key.slice(0, 2), key);
  const path = join(dir, value);
  if (existsSync(path)) return;
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path, dumpYaml(lockStageToYaml(entry)));
}

/**
 * The newest run cache entry (by mtime, as DVC's StageCache._load) for the stage's current deps,
 * params and command, or undefined.
 */
function findRunCache(d: DataContext, s: Stage, deps: Pick<LockStage, 'deps' | 'params'>): LockStage | undefined {
  const probe: LockStage = { cmd: s.def.cmd, ...deps, outs: s.outs.map((o) => ({ path: o.path })) };
  const { key } = runCacheHashes(probe);
  const dir = join(runsDir(d.repo), key.slice(0, 2), key);
  let newest: { name: string; mtime: number } | undefined;
  try {
    for (const n of readdirSync(dir)) {
      const mtime = statSync(join(dir, n)).mtimeMs;
      if (!newest || mtime > newest.mtime) newest = { name: n, mtime };
    }
  } catch {
    return undefined;
  }
  if (!newest) return undefined;
  try {
    const text = readUtf8(join(dir, newest.name), newest.name);
    const entry = parseLockFile(dumpYaml({ stages: { [s.name]: parseYamlText(text, newest.name) as YamlValue } })).stages.get(s.name);
    if (!entry) return undefined;
    const paths = new Set(entry.outs.map((o) => o.path));
    if (paths.size !== s.outs.length || !s.outs.every((o) => paths.has(o.path))) return undefined;
    return entry;
  } catch {
    return undefined; // DVC: "corrupted cache file"
  }
}

/** Every output of the entry has its objects in the cache (DVC's outs_cached on the cached stage). */
function outsCached(d: DataContext, entry: LockStage): boolean {
  return entry.outs.every((o) => !!o.md5 && !changedCache(d.store, o.md5));
}

/** Checks the entry's outputs out of the cache (uncached outputs as copies, as DVC). */
async function restoreOuts(d: DataContext, s: Stage, entry: LockStage): Promise<void> {
  for (const o of s.outs) {
    const e = entry.outs.find((x) => x.path === o.path)!;
    const f = DvcFile.create(d.repo.root, o.abs + '.dvc', [{ abs: o.abs, md5: e.md5!, size: e.size ?? 0, ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}) }]);
    const plan = await planCheckout(d.hash, d.store, f.outs[0]!);
    if (plan.missing.length) throw new PipelineError(`failed to reproduce '${s.addressing}': '${o.path}' is not in the cache`);
    mkdirSync(dirname(o.abs), { recursive: true });
    await applyCheckout(d.hash, d.store, plan, o.cache ? d.linkTypes : ['copy']);
  }
}

/**
 * Removes a stage's outputs before it runs; persist ones are kept, made writable copies when
 * they are links to the cache (DVC's out.unprotect()).
 */
async function removeOuts(repo: Repo, s: Stage): Promise<void> {
  for (const o of s.outs) {
    if (!o.persist) {
      rmSync(o.abs, { recursive: true, force: true });
      continue;
    }
    if (!existsSync(o.abs)) continue;
    const { unprotect } = await import('./unprotect.js');
    await unprotect(repo, [o.abs]);
  }
}

function runCommand(repo: Repo, s: Stage, info: (l: string) => void): void {
  const shell = process.env.SHELL || '/bin/sh';
  const name = basename(shell).toLowerCase();
  const opts = name === 'bash' ? ['--noprofile', '--norc'] : name === 'zsh' ? ['--no-rcs'] : [];
  info(`Running stage '${s.addressing}':`);
  for (const cmd of cmdList(s.def.cmd)) {
    info(`> ${cmd}`);
    const env: NodeJS.ProcessEnv = { ...process.env, DVC_STAGE: s.addressing };
    if (!env.DVC_ROOT) env.DVC_ROOT = repo.root;
    const r = spawnSync(shell, [...opts, '-c', cmd], { cwd: s.wdir, stdio: 'inherit', env });
    if (r.error) throw new PipelineError(`failed to reproduce '${s.addressing}': failed to run: ${cmd}: ${r.error.message}`);
    if (r.status !== 0) {
      const code = r.status ?? (r.signal ? -(({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[r.signal] ?? 1) : 1);
      throw new PipelineError(`failed to reproduce '${s.addressing}': failed to run: ${cmd}, exited with ${code}`);
    }
  }
}

/**
 * Plans the stages to reproduce for `targets` (all stages of dvc.yaml when none), as DVC's
 * plan_repro: a frozen stage is cut from its dependencies; `downstream` takes the targets and
 * every stage that depends on them, dependencies first.
 */
export function planRepro(
  p: Pipeline,
  targets: string[],
  opts: { single?: boolean; downstream?: boolean; allPipelines?: boolean; recursive?: boolean; pipeline?: boolean; glob?: boolean } = {},
): Stage[] {
  checkOutputs(p.stages, collectDvcFiles(p.repo));
  const full = buildGraph(p.stages);
  const g = new Map([...full].map(([s, ups]) => [s, s.def.frozen ? [] : ups]));
  let sources: Stage[];
  if (opts.allPipelines) sources = p.stages;
  else if (targets.length) sources = [...new Set(targets.flatMap((t) => collectTarget(p, t, opts)))];
  else {
    // DVC's default target: the current folder's dvc.yaml
    if (!p.project) throw new PipelineError(`'${relative(process.cwd(), p.projectPath).split(sep).join('/')}' does not exist`);
    sources = p.stages.filter((s) => s.file === p.projectPath);
  }
  const all = opts.allPipelines || opts.pipeline;
  if (opts.pipeline && !opts.allPipelines) {
    // DVC's get_pipeline: every stage connected to a target, whichever way.
    const keep = new Set<Stage>(sources);
    const stack = [...sources];
    while (stack.length) {
      const x = stack.pop()!;
      const near = [...(g.get(x) ?? []), ...p.stages.filter((y) => g.get(y)?.includes(x))];
      for (const y of near) if (!keep.has(y)) (keep.add(y), stack.push(y));
    }
    sources = p.stages.filter((x) => keep.has(x));
  }
  if (opts.single && !all) return [...new Set(sources)];
  if (opts.downstream && !all) {
    const rev = new Map<Stage, Stage[]>(p.stages.map((s) => [s, [] as Stage[]]));
    for (const [s, ups] of g) for (const u of ups) rev.get(u)!.push(s);
    const keep = new Set(postorder(rev, sources));
    const sub = new Map([...g].filter(([x]) => keep.has(x)).map(([x, ups]) => [x, ups.filter((u) => keep.has(u))]));
    return postorder(sub, p.stages.filter((x) => keep.has(x)));
  }
  return postorder(g, sources);
}

/** The stages one target names: a stage, a dvc.yaml, a folder (-R), or a name pattern (--glob). */
function collectTarget(p: Pipeline, t: string, opts: { recursive?: boolean; glob?: boolean }): Stage[] {
  if (opts.recursive) {
    const abs = resolve(t);
    let dir = false;
    try {
      dir = statSync(abs).isDirectory();
    } catch {
      /* not a folder */
    }
    if (dir) return p.stages.filter((s) => s.file.startsWith(abs.endsWith(sep) ? abs : abs + sep));
  }
  if (opts.glob && /[*?[]/.test(t)) {
    const m = /^(.*):([^\\/:]*)$/.exec(t);
    const file = m ? m[1]! : 'dvc.yaml';
    const pattern = m ? m[2]! : t;
    const re = globToRegExp(pattern);
    const stages = findStages(p, file).filter((s) => re.test(s.name));
    if (!stages.length) throw new PipelineError(`No stages found for: ${t}`);
    return stages;
  }
  return findStages(p, t);
}

/** Python's humanize.join of quoted names: `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function joinNames(names: string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

export async function repro(repo: Repo, targets: string[] = [], opts: ReproOptions = {}): Promise<ReproResult> {
  const info = opts.info ?? (() => {});
  return repo.withLock(() =>
    withData(repo, async (d) => {
      let p = loadPipeline(repo);
      const plan = planRepro(p, targets, opts);
      const res: ReproResult = { ran: [], restored: [] };
      async function reproStage(s: Stage, force: boolean): Promise<boolean> {
        let status = force ? ['forced'] : await stageStatus(d.hash, d.store, s);
        if (!status.length || (opts.allowMissing && !force && onlyMissingOuts(status))) {
          info(`Stage '${s.addressing}' didn't change, skipping`);
          return false;
        }
        if (opts.pull && !opts.dry && !force && onlyMissingOuts(status)) {
          // Unchanged but for outputs missing here: pull them instead of running (DVC's --pull)
          info(`Pulling data for stage: '${s.addressing}'`);
          if (await pullOuts(repo, s)) {
            status = await stageStatus(d.hash, d.store, s);
            if (!status.length) return false;
          }
          info(`Unable to pull data for stage: '${s.addressing}'`);
        }
        if (s.def.frozen && !force) {
          info(`Verifying outputs in frozen stage: '${s.addressing}'`);
          for (const o of s.outs) if (!existsSync(o.abs)) throw new PipelineError(`failed to reproduce '${s.addressing}': output '${o.path}' does not exist`);
          return false;
        }
        if (opts.dry) {
          info(`Running stage '${s.addressing}':`);
          for (const c of cmdList(s.def.cmd)) info(`> ${c}`);
          res.ran.push(s.addressing);
          return true;
        }
        if (opts.confirm && !(await opts.confirm(s.addressing))) throw new PipelineError(`failed to reproduce '${s.addressing}': reproduction aborted by the user`);
        let entry: LockStage | undefined;
        if (!force && canRunCache(s)) {
          // DVC's StageCache.restore: the lock itself when only outputs changed, else the run cache
          const depsChanged = status.some((e) => typeof e === 'object' && 'changed deps' in e);
          const lockUsable = !!s.lock && !status.includes('changed command') && !depsChanged && s.outs.every((o) => s.lock!.outs.some((e) => e.path === o.path && e.md5));
          const deps = await depsEntries(d, s);
          const cached = lockUsable ? s.lock : opts.noRunCache ? undefined : findRunCache(d, s, deps);
          if (cached && outsCached(d, cached)) {
            info(`Stage '${s.addressing}' is cached - skipping run, checking out outputs`);
            await removeOuts(repo, s);
            await restoreOuts(d, s, cached);
            entry = { cmd: s.def.cmd, ...deps, outs: await saveOuts(d, s, !opts.noCommit) };
            if (!opts.noCommit) await writeRunCache(d, s, entry);
            res.restored.push(s.addressing);
          }
        }
        if (!entry) {
          await removeOuts(repo, s);
          runCommand(repo, s, info);
          const deps = await depsEntries(d, s);
          const outs = await saveOuts(d, s, !opts.noCommit);
          entry = { cmd: s.def.cmd, ...deps, outs };
          if (!opts.noCommit) await writeRunCache(d, s, entry);
          res.ran.push(s.addressing);
        }
        writeLock(repo, p, s, entry, info);
        return true;
      }
      let prev = false;
      const onError = opts.onError ?? 'fail';
      const warn = opts.warn ?? (() => {});
      const stages0 = p.stages;
      const full = buildGraph(stages0);
      const dependents = (x: Stage) => stages0.filter((y) => full.get(y)?.some((u) => u.file === x.file && u.name === x.name));
      const key = (x: Stage) => `${x.file}\0${x.name}`;
      const forced = new Set<string>();
      const skip = new Set<string>();
      const failed: Stage[] = [];
      for (const planned of plan) {
        if (skip.has(key(planned))) continue;
        // DVC prints an empty line after each stage that ran
        if (prev) info('');
        prev = false;
        // Reload: an upstream stage may have rewritten dvc.lock.
        p = loadPipeline(repo);
        const s = p.stages.find((x) => x.file === planned.file && x.name === planned.name)!;
        if (s.def.frozen) warn(`stage: '${s.addressing}' is frozen. Its dependencies are not going to be reproduced.`);
        const force = !!opts.force || forced.has(key(s));
        let ran: boolean;
        try {
          ran = await reproStage(s, force);
        } catch (e) {
          if (onError === 'fail') throw e;
          failed.push(s);
          const why = String((e as Error)?.message ?? e).replace(`failed to reproduce '${s.addressing}': `, '');
          warn(`${why}${onError === 'ignore' ? ' (ignored)' : ''}`);
          if (onError === 'keep-going') {
            // everything downstream of the failed stage
            const down = new Set<string>();
            const stack = [s];
            const names: string[] = [];
            while (stack.length) {
              for (const y of dependents(stack.pop()!)) {
                if (down.has(key(y))) continue;
                down.add(key(y));
                names.push(y.addressing);
                stack.push(y);
              }
            }
            for (const k of down) skip.add(k);
            if (names.length) warn(`${names.length > 1 ? 'Stages' : 'Stage'} ${joinNames(names)} will be skipped due to this failure`);
          }
          continue;
        }
        if (opts.forceDownstream && (ran || force)) for (const y of dependents(s)) forced.add(key(y));
        prev = ran;
      }
      if (onError !== 'ignore' && failed.length) {
        throw new PipelineError(`failed to reproduce${failed.length > 1 ? ' stages:' : ''} ${joinNames(failed.map((x) => x.addressing))}`);
      }
      return res;
    }),
  );
}

/** Writes the stage's entry into dvc.lock when it changed (DVC's Lockfile.dump). */
export function writeLock(repo: Repo, p: Pipeline, s: Stage, entry: LockStage, info: (l: string) => void): void {
  const name = s.name;
  const lock = p.files.find((f) => f.path === s.file)?.lock;
  const shown = relative(process.cwd(), s.lockPath).split(sep).join('/');
  const exists = existsSync(s.lockPath);
  if (!exists) info(`Generating lock file '${shown}'`);
  const before = lock?.raw[name];
  const after = lockStageToYaml(entry);
  const modified = !before || dumpYaml({ s: before }) !== dumpYaml({ s: after });
  if (!modified && exists) return;
  if (modified) info(`Updating lock file '${shown}'`);
  writeFileAtomic(s.lockPath, lockWithStages(lock, new Map([[name, entry]])));
  repo.scmContext.track(s.lockPath);
}

/** True when a stage's only changes are outputs missing from the workspace or the cache. */
function onlyMissingOuts(status: StageStatus): boolean {
  return status.every(
    (e) => typeof e === 'object' && Object.keys(e).length === 1 && 'changed outs' in e && Object.values(e['changed outs']!).every((v) => v === 'deleted' || v === 'not in cache'),
  );
}

/** --pull: fetches and checks out the cached outputs dvc.lock records for the stage. */
async function pullOuts(repo: Repo, s: Stage): Promise<boolean> {
  const targets = s.outs.filter((o) => o.cache && s.lock?.outs.some((e) => e.path === o.path && e.md5)).map((o) => o.abs);
  if (!targets.length) return false;
  const { pull } = await import('./pull.js');
  try {
    await pull(repo, targets);
    return true;
  } catch {
    return false; // DVC goes on and runs the stage
  }
}

/**
 * `dvc commit` for stages: records the workspace state of each stage's deps, params and outputs in
 * dvc.lock and puts the outputs in the cache (and a run cache entry), without running anything.
 * A stage whose deps, outputs or command changed needs `force` (DVC asks, and refuses when it
 * cannot ask). No targets: every stage. Returns the targets that name no stage.
 */
export async function commitStages(repo: Repo, targets: string[], opts: { force?: boolean; info?: (l: string) => void } = {}): Promise<string[]> {
  const info = opts.info ?? (() => {});
  if (targets.length && !targets.some((t) => !t.endsWith('.dvc'))) return targets;
  return repo.withLock(() =>
    withData(repo, async (d) => {
      let p = loadPipeline(repo);
      const split = splitStageTargets(p, targets);
      const rest = split.rest;
      let chosen: Stage[] = targets.length ? split.stages : p.stages;
      chosen = [...chosen];
      for (const planned of chosen) {
        p = loadPipeline(repo);
        const s = p.stages.find((x) => x.file === planned.file && x.name === planned.name)!;
        const status = (await stageStatus(d.hash, d.store, s)).filter((e) => e !== 'always changed');
        if (status.length && !opts.force) {
          throw new PipelineError(`unable to commit changed stage: '${s.addressing}'. Use \`-f|--force\` to force.`);
        }
        const deps = await depsEntries(d, s);
        const entry: LockStage = { cmd: s.def.cmd, ...deps, outs: await saveOuts(d, s, true) };
        await writeRunCache(d, s, entry);
        writeLock(repo, p, s, entry, info);
      }
      return rest;
    }),
  );
}
