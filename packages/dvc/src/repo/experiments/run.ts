/**
 * `dvc exp run` in the workspace: applies the -S overrides to the params files, reproduces the
 * pipeline in place (./../repro.ts) and records the result as DVC does, a commit whose parent is
 * the baseline (HEAD) with the message `dvc: commit experiment <exp_hash>` (exp_hash: sha256 of the
 * reproduced stages' lock entries, DVC's hash_exp), under `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`.
 *
 * The commit is built in a temporary index (GIT_INDEX_FILE) from the user's index: tracked files
 * as they are in the workspace (`git add -u`) plus the pipeline's own files (dvc.yaml, dvc.lock,
 * params files, uncached outputs, .gitignore files written by the run) when git does not track
 * them yet. The user's index, HEAD and branch are untouched; the results stay in the workspace.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseLockFile, pyJsonSorted, lockStageToYaml } from '../../formats/dvcyaml.js';
import type { YamlValue } from '../../formats/ruamel.js';
import { loadPipeline } from '../pipeline.js';
import type { Repo } from '../repo.js';
import type { ReproOptions } from '../repro.js';
import { genRandomName } from './names.js';
import { groupOverrides, parseOverride } from './overrides.js';
import { EXEC_APPLY, EXEC_HEAD, ExpRefInfo, ExperimentError, ExperimentExistsError, checkRefFormat, getRef, git, gitRun, headRev, setRef } from './refs.js';

/**
 * The `dvc repro` arguments `exp run` shares with it (DVC's add_arguments of commands/repro.py),
 * handed to the run as they are. --dry is not among them: a dry run is expDryRun's, in a
 * temporary worktree as DVC's.
 */
export type ExpReproOptions = Pick<
  ReproOptions,
  'single' | 'pipeline' | 'allPipelines' | 'recursive' | 'downstream' | 'forceDownstream' | 'pull' | 'allowMissing' | 'onError' | 'confirm' | 'warn'
>;

export interface ExpRunOptions extends ExpReproOptions {
  name?: string;
  /** -S overrides as given (`[file:]key=value`, `+key=value`, `~key`). */
  setParams?: string[];
  /** Overwrite an experiment of the same name (and force the stages to run, as DVC). */
  force?: boolean;
  message?: string;
  targets?: string[];
  /** Lines for the user (repro's output). */
  info?: (line: string) => void;
  /**
   * The experiment's baseline when it is not HEAD (a queued experiment runs in a worktree checked
   * out at its stash commit): the overrides were applied when it was queued, and the workspace's
   * EXEC_APPLY/EXEC_HEAD refs are left alone.
   */
  baseline?: string;
}

/** The repro options of an exp run (everything but what only the experiment uses). */
function reproOptions(opts: ExpRunOptions): ReproOptions {
  return {
    force: opts.force,
    single: opts.single,
    pipeline: opts.pipeline,
    allPipelines: opts.allPipelines,
    recursive: opts.recursive,
    downstream: opts.downstream,
    forceDownstream: opts.forceDownstream,
    pull: opts.pull,
    allowMissing: opts.allowMissing,
    onError: opts.onError,
    confirm: opts.confirm,
    warn: opts.warn,
    info: opts.info,
  };
}

export interface ExpRunResult {
  name: string;
  rev: string;
  ref: string;
  expHash: string;
  baseline: string;
}

/** DVC's get_random_exp_name: a free adjective-noun name for the baseline. */
export function randomExpName(root: string, baseline: string): string {
  for (;;) {
    const name = genRandomName();
    if (!getRef(root, String(new ExpRefInfo(baseline, name)))) return name;
  }
}

/** DVC's dict_sha256 of {stage name: lock entry} for the stages that ran. */
export function hashExp(entries: Record<string, YamlValue>): string {
  return createHash('sha256').update(pyJsonSorted(entries)).digest('hex');
}

/**
 * Validates the name and the overrides before anything runs (a conflict is reported before the
 * pipeline starts, as DVC's Experiments.new).
 */
export function prepareRun(repo: Repo, opts: ExpRunOptions): { baseline: string; name: string } {
  if (!repo.scm) throw new ExperimentError('Only available for Git repositories.');
  const root = repo.scm.root;
  const baseline = opts.baseline ?? headRev(root);
  for (const [file, ovs] of groupOverrides(opts.setParams ?? [])) {
    if (!/\.(ya?ml|json)$/i.test(file)) throw new ExperimentError(`-S/--set-param: '${file}' is not a YAML or JSON params file (other formats are not supported)`);
    ovs.forEach(parseOverride);
  }
  let name = opts.name;
  if (name) {
    const info = new ExpRefInfo(baseline, name);
    checkRefFormat(root, info);
    if (getRef(root, String(info)) && !opts.force) throw new ExperimentExistsError(name);
  } else name = randomExpName(root, baseline);
  return { baseline, name };
}

/**
 * `exp run --dry` where it runs (a temporary worktree, as DVC's executor): the commands the run
 * would execute are printed, nothing runs and no experiment is saved.
 */
export async function expDryRun(repo: Repo, opts: ExpRunOptions & { name: string }): Promise<void> {
  if (opts.name) opts.info?.(`Reproducing experiment '${opts.name}'`);
  const { repro } = await import('../repro.js');
  await repro(repo, opts.targets ?? [], { ...reproOptions(opts), dry: true });
}

export async function expRun(repo: Repo, opts: ExpRunOptions = {}): Promise<ExpRunResult> {
  const { baseline, name } = prepareRun(repo, opts);
  const root = repo.scm!.root;
  const info = opts.info ?? (() => {});
  const { writeParams } = await import('./hydra.js');
  await writeParams(repo, opts.setParams ?? [], repo.root, opts.baseline !== undefined);
  info(`Reproducing experiment '${name}'`);
  const { repro } = await import('../repro.js');
  const res = await repro(repo, opts.targets ?? [], { ...reproOptions(opts), info });
  const ran = new Set([...res.ran, ...res.restored]);
  // the lock entries of the stages that ran (DVC's hash_exp over the reproduced stages)
  const p = loadPipeline(repo);
  const entries: Record<string, YamlValue> = {};
  for (const s of p.stages) {
    if (!ran.has(s.addressing)) continue;
    if (!existsSync(s.lockPath)) continue;
    const lock = parseLockFile(readFileSync(s.lockPath, 'utf8'));
    const e = lock.stages.get(s.name);
    if (e) entries[s.name] = lockStageToYaml(e);
  }
  const expHash = hashExp(entries);
  // the files the experiment commit must hold even when git does not track them yet
  const extra = new Set<string>(repo.scmContext.tracked);
  for (const s of p.stages) {
    extra.add(s.file);
    extra.add(s.lockPath);
    for (const d of s.deps) extra.add(d.abs);
    for (const x of s.params) extra.add(x.abs);
    for (const o of s.outs) if (!o.cache) extra.add(o.abs);
  }
  for (const file of groupOverrides(opts.setParams ?? []).keys()) extra.add(resolve(repo.root, file));
  const rev = commitExperiment(root, baseline, [...extra], opts.message ?? `dvc: commit experiment ${expHash}`);
  const ref = String(new ExpRefInfo(baseline, name));
  const existing = getRef(root, ref);
  if (existing && !opts.force && existing !== rev) {
    // DVC's _raise_ref_conflict: the same tree is the same experiment
    if (gitRun(root, ['diff', '--quiet', existing, rev]).code !== 0) throw new ExperimentExistsError(name);
  } else setRef(root, ref, rev, `dvc: experiment '${name}'`);
  if (opts.baseline === undefined) {
    setRef(root, EXEC_APPLY, getRef(root, ref)!);
    setRef(root, EXEC_HEAD, baseline);
  }
  return { name, rev: getRef(root, ref)!, ref, expHash, baseline };
}

/** The commit of the workspace's tracked state plus `extra` files, parent `baseline`; the user's index untouched. */
export function commitExperiment(root: string, baseline: string, extra: string[], message: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'copper-exp-'));
  const index = join(dir, 'index');
  try {
    const real = resolve(root, git(root, ['rev-parse', '--git-path', 'index']).trim());
    const env = { GIT_INDEX_FILE: index };
    if (existsSync(real)) {
      copyFileSync(real, index);
      // Keep the index's own mtime: git takes entries written in the same second as the index for
      // "racily clean" and re-reads them; a copy with a newer mtime would hide an edit that kept
      // the file's size within that second (lr: 0.1 -> lr: 0.9).
      const st = statSync(real);
      utimesSync(index, st.atime, st.mtime);
    } else git(root, ['read-tree', baseline], { env });
    git(root, ['add', '-u'], { env });
    const paths = extra
      .map((p) => relative(root, p).split('\\').join('/'))
      .filter((p) => p && !p.startsWith('..') && existsSync(join(root, p)))
      .filter((p) => gitRun(root, ['check-ignore', '-q', '--', p], { env }).code !== 0);
    if (paths.length) git(root, ['add', '--', ...new Set(paths)], { env });
    const tree = git(root, ['write-tree'], { env }).trim();
    return git(root, ['commit-tree', tree, '-p', baseline, '-F', '-'], { env, input: message }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `dvc exp save`: the workspace as it is, recorded as an experiment without running anything (the
 * stages' outputs committed to the cache and dvc.lock first, as DVC's `dvc commit --force`).
 * `includeUntracked`: files git does not track to put in the experiment too.
 */
export async function expSave(repo: Repo, opts: { name?: string; force?: boolean; message?: string; targets?: string[]; includeUntracked?: string[] } = {}): Promise<ExpRunResult> {
  const { baseline, name } = prepareRun(repo, { name: opts.name, force: opts.force });
  const root = repo.scm!.root;
  const { commitStages } = await import('../repro.js');
  await commitStages(repo, opts.targets ?? [], { force: true });
  const p = loadPipeline(repo);
  const entries: Record<string, YamlValue> = {};
  const extra = new Set<string>(repo.scmContext.tracked);
  for (const s of p.stages) {
    extra.add(s.file);
    extra.add(s.lockPath);
    for (const d of s.deps) extra.add(d.abs);
    for (const x of s.params) extra.add(x.abs);
    for (const o of s.outs) if (!o.cache) extra.add(o.abs);
    if (!existsSync(s.lockPath)) continue;
    const e = parseLockFile(readFileSync(s.lockPath, 'utf8')).stages.get(s.name);
    if (e) entries[s.name] = lockStageToYaml(e);
  }
  for (const f of opts.includeUntracked ?? []) {
    const abs = resolve(f);
    if (!existsSync(abs)) throw new ExperimentError(`'${f}' does not exist`);
    extra.add(abs);
  }
  const expHash = hashExp(entries);
  const rev = commitExperiment(root, baseline, [...extra], opts.message ?? `dvc: commit experiment ${expHash}`);
  const ref = String(new ExpRefInfo(baseline, name));
  setRef(root, ref, rev, `dvc: experiment '${name}'`);
  return { name, rev, ref, expHash, baseline };
}
