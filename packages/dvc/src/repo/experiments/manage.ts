/**
 * `dvc exp list|apply|branch|remove|rename|diff` on DVC's experiment refs (./refs.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../fs/local.js';
import type { YamlValue } from '../../formats/ruamel.js';
import type { Repo } from '../repo.js';
import { collectRev } from './collect.js';
import { baselineRevs, describe } from './show.js';
import {
  APPLY_HEAD,
  APPLY_STASH,
  EXEC_APPLY,
  ExpRefInfo,
  ExperimentError,
  ExperimentExistsError,
  UnresolvedExpNamesError,
  checkRefFormat,
  expRefs,
  getRef,
  git,
  gitRun,
  headRev,
  resolveExp,
  resolveNames,
  setRef,
  type ExpRef,
} from './refs.js';

function scmRoot(repo: Repo): string {
  if (!repo.scm) throw new ExperimentError('Only available for Git repositories.');
  return repo.scm.root;
}

export interface ExpListEntry {
  baseline: string;
  /** Branch or tag naming the baseline, or null. */
  baselineName: string | null;
  experiments: Array<{ name: string; rev: string }>;
}

/** DVC's experiments.ls: experiments of HEAD (or `revs`, -n), or of every commit (-A). */
export function listExperiments(repo: Repo, opts: { allCommits?: boolean; revs?: string[]; num?: number } = {}): ExpListEntry[] {
  const root = scmRoot(repo);
  headRev(root);
  const wanted = opts.allCommits ? null : new Set(baselineRevs(repo, { revs: opts.revs?.length ? opts.revs : ['HEAD'], num: opts.num }));
  const by = new Map<string, Array<{ name: string; rev: string }>>();
  for (const r of expRefs(root)) {
    if (wanted && !wanted.has(r.info.baselineSha)) continue;
    const list = by.get(r.info.baselineSha) ?? [];
    list.push({ name: r.info.name, rev: r.rev });
    by.set(r.info.baselineSha, list);
  }
  const names = describe(repo, [...by.keys()]);
  return [...by].map(([baseline, experiments]) => ({ baseline, baselineName: names.get(baseline) ?? null, experiments }));
}

/**
 * `dvc exp apply`: the experiment's files are written into the workspace (git's index and HEAD
 * stay; files the experiment does not have are kept), then DVC-tracked data is checked out. The
 * workspace as it was is saved first as `refs/exps/apply/stash` (restore it with
 * `git stash apply refs/exps/apply/stash`), as DVC.
 */
export async function applyExperiment(repo: Repo, given: string): Promise<{ name: string; rev: string }> {
  const root = scmRoot(repo);
  const head = headRev(root);
  const exp = resolveExp(root, given);
  return repo.withLock(async () => {
    const changed = new Set<string>();
    for (const args of [
      ['diff', '--name-only', '-z', '--no-renames', head, exp.rev],
      ['diff', '--name-only', '-z', '--no-renames', head],
    ]) {
      for (const p of git(root, args).split('\0').filter(Boolean)) changed.add(p);
    }
    const entries = new Map<string, { mode: string; oid: string }>();
    if (changed.size) {
      const out = git(root, ['ls-tree', '-z', '--full-tree', exp.rev, '--', ...changed]);
      for (const line of out.split('\0').filter(Boolean)) {
        const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
        if (m && m[2] === 'blob') entries.set(m[4]!, { mode: m[1]!, oid: m[3]! });
      }
    }
    // keep what is there now where DVC keeps it: tracked changes, and untracked files the
    // experiment would overwrite, as a stash (`git stash apply refs/exps/apply/stash`)
    const untracked = [...entries.keys()].filter((p) => existsSync(join(root, p)) && gitRun(root, ['cat-file', '-e', `${head}:${p}`]).code !== 0);
    const msg = `dvc-exp-apply:${head}:${exp.rev}:${given}`;
    const stash = saveWorkspace(root, head, untracked, msg);
    setRef(root, APPLY_HEAD, head);
    if (stash) setRef(root, APPLY_STASH, stash, msg);
    for (const p of changed) {
      const abs = join(root, p);
      const e = entries.get(p);
      if (!e) {
        // in HEAD but not in the experiment: DVC's checkout of the experiment removes it
        if (gitRun(root, ['cat-file', '-e', `${head}:${p}`]).code === 0 && gitRun(root, ['cat-file', '-e', `${exp.rev}:${p}`]).code !== 0) rmSync(abs, { force: true });
        continue;
      }
      const data = gitBlob(root, e.oid);
      mkdirSync(dirname(abs), { recursive: true });
      if (e.mode === '120000') {
        rmSync(abs, { force: true });
        symlinkSync(data.toString('utf8'), abs);
      } else {
        if (existsSync(abs)) chmodSync(abs, 0o644);
        writeFileAtomic(abs, data);
        if (e.mode === '100755') chmodSync(abs, 0o755);
      }
    }
    const { checkout } = await import('../checkout.js');
    try {
      await checkout(repo, [], { force: true });
    } catch {
      /* data missing from the cache stays as it is (DVC: allow_missing) */
    }
    setRef(root, EXEC_APPLY, exp.rev);
    return { name: given, rev: exp.rev };
  });
}

/**
 * A stash-shaped commit of the workspace (git stash's layout: parents HEAD, the index, and the
 * untracked files given), or null when there is nothing to keep.
 */
function saveWorkspace(root: string, head: string, untracked: string[], message: string): string | null {
  const tracked = gitRun(root, ['stash', 'create', message]).stdout.trim();
  if (!untracked.length) return tracked || null;
  const dir = mkdtempSync(join(tmpdir(), 'copper-exp-apply-'));
  try {
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    git(root, ['add', '-f', '--', ...untracked], { env });
    const uTree = git(root, ['write-tree'], { env }).trim();
    const u = git(root, ['commit-tree', uTree, '-m', `untracked files on ${head.slice(0, 7)}`]).trim();
    const wTree = git(root, ['rev-parse', `${tracked || head}^{tree}`]).trim();
    const i = tracked ? git(root, ['rev-parse', `${tracked}^2`]).trim() : git(root, ['commit-tree', wTree, '-p', head, '-m', `index on ${head.slice(0, 7)}`]).trim();
    return git(root, ['commit-tree', wTree, '-p', head, '-p', i, '-p', u, '-m', message]).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gitBlob(root: string, oid: string): Buffer {
  const r = spawnSync('git', ['cat-file', 'blob', oid], { cwd: root, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new ExperimentError(`git cat-file failed: ${String(r.stderr).trim()}`);
  return r.stdout as Buffer;
}

/** `dvc exp branch EXP [BRANCH]`: a git branch at the experiment's commit. */
export function branchExperiment(repo: Repo, given: string, branch?: string): { name: string; branch: string } {
  const root = scmRoot(repo);
  let exp: ExpRef;
  try {
    exp = resolveExp(root, given);
  } catch (e) {
    if (e instanceof ExperimentError) throw new InvalidArgument(e.message);
    throw e;
  }
  const name = branch || `${exp.info.name}-branch`;
  if (getRef(root, `refs/heads/${name}`)) throw new InvalidArgument(`Git branch '${name}' already exists.`);
  if (gitRun(root, ['check-ref-format', '--branch', name]).code !== 0) throw new InvalidArgument(`'${name}' is not a valid Git branch name`);
  setRef(root, `refs/heads/${name}`, exp.rev, `dvc: Created from experiment '${exp.info.name}'`);
  return { name: exp.info.name, branch: name };
}

class InvalidArgument extends ExperimentError {}

/** `dvc exp remove`: names (or full refs), every experiment (-A), experiments of `revs`; or all but those (keep). */
export function removeExperiments(repo: Repo, opts: { names?: string[]; allCommits?: boolean; revs?: string[]; num?: number; keep?: boolean }): string[] {
  const root = scmRoot(repo);
  headRev(root);
  let refs: ExpRef[] = [];
  let removed: string[] = [];
  if (opts.names?.length) {
    const res = resolveNames(root, opts.names);
    const missing = [...res].filter(([, r]) => !r).map(([n]) => n);
    if (missing.length) throw new UnresolvedExpNamesError(missing);
    for (const [n, r] of res) {
      removed.push(n);
      refs.push(r!);
    }
  } else if (opts.revs?.length) {
    const bases = new Set(baselineRevs(repo, { revs: opts.revs, num: opts.num }));
    const byName = new Map<string, ExpRef>();
    for (const r of expRefs(root)) if (bases.has(r.info.baselineSha)) byName.set(r.info.name, r);
    removed = [...byName.keys()];
    refs = [...byName.values()];
  } else if (opts.allCommits) {
    refs = expRefs(root);
    removed = refs.map((r) => r.info.name);
  }
  if (opts.keep) {
    const chosen = new Set(refs.map((r) => String(r.info)));
    refs = expRefs(root).filter((r) => !chosen.has(String(r.info)));
    removed = refs.map((r) => r.info.name);
  }
  const applied = getRef(root, EXEC_APPLY);
  for (const r of refs) {
    if (applied && applied === r.rev) setRef(root, EXEC_APPLY, null);
    setRef(root, String(r.info), null);
  }
  return removed;
}

/** `dvc exp rename OLD NEW [-f]`. Returns the renamed names (empty when OLD is NEW). */
export function renameExperiment(repo: Repo, from: string, to: string, force = false): string[] {
  const root = scmRoot(repo);
  if (from === to) return [];
  const r = resolveNames(root, [from]).get(from);
  if (!r) throw new UnresolvedExpNamesError([from]);
  const info = new ExpRefInfo(r.info.baselineSha, to);
  if (getRef(root, String(info)) && !force) throw new ExperimentExistsError(to);
  checkRefFormat(root, info);
  setRef(root, String(info), r.rev, `dvc: renamed from '${r.info.name}'`);
  setRef(root, String(r.info), null);
  return [from];
}

export interface DiffEntry {
  old: YamlValue | null;
  new: YamlValue | null;
  diff?: YamlValue;
}

export type ExpDiff = Record<'metrics' | 'params', Record<string, Record<string, DiffEntry>>>;

function flat(d: YamlValue | undefined, prefix = '', out = new Map<string, YamlValue>()): Map<string, YamlValue> {
  if (d && typeof d === 'object' && !Array.isArray(d) && !(d instanceof Map)) {
    for (const [k, v] of Object.entries(d)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map)) flat(v, key, out);
      else out.set(key, v);
    }
  }
  return out;
}

function resolveRev(root: string, given: string): string {
  const byName = resolveNames(root, [given]).get(given);
  if (byName) return byName.rev;
  const rev = getRef(root, given);
  if (!rev) throw new ExperimentError(`unknown Git revision '${given}'`);
  return rev;
}

/** `dvc exp diff [A] [B]`: metrics and params of A (HEAD) against B (the workspace). */
export function diffExperiments(repo: Repo, a?: string, b?: string, opts: { all?: boolean; paramDeps?: boolean } = {}): ExpDiff {
  const root = scmRoot(repo);
  if (!getRef(root, 'HEAD')) return { metrics: {}, params: {} };
  const oldRev = resolveRev(root, a ?? 'HEAD');
  const newRev = b ? resolveRev(root, b) : 'workspace';
  const o = collectRev(repo, oldRev, { paramDeps: opts.paramDeps });
  const n = collectRev(repo, newRev, { paramDeps: opts.paramDeps });
  const res: ExpDiff = { metrics: {}, params: {} };
  for (const kind of ['metrics', 'params'] as const) {
    const files = [...new Set([...Object.keys(o[kind]), ...Object.keys(n[kind])])].sort();
    for (const f of files) {
      const fo = flat(o[kind][f]?.data);
      const fn = flat(n[kind][f]?.data);
      const keys = [...new Set([...fo.keys(), ...fn.keys()])].sort();
      const entries: Record<string, DiffEntry> = {};
      for (const k of keys) {
        const ov = fo.has(k) ? fo.get(k)! : null;
        const nv = fn.has(k) ? fn.get(k)! : null;
        const same = JSON.stringify(ov, big) === JSON.stringify(nv, big);
        if (same && !opts.all) continue;
        const e: DiffEntry = { old: ov, new: nv };
        const num = (v: YamlValue | null) => typeof v === 'number' || typeof v === 'bigint';
        if (num(ov) && num(nv)) e.diff = typeof ov === 'bigint' && typeof nv === 'bigint' ? nv - ov : Number(nv) - Number(ov);
        entries[k] = e;
      }
      if (Object.keys(entries).length) res[kind][f] = entries;
    }
  }
  return res;
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}
