/**
 * What push, pull, fetch, status -c and gc share: opening the remote a command names, and
 * collecting the outputs used by the targets in the workspace and (with -a / -T / -A) in every
 * branch, tag or commit (their `.dvc` files and `dvc.lock` read with `git cat-file`).
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError, DvcError, RemoteError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { decodeUtf8, readUtf8 } from '../formats/text.js';
import type { FileSystem } from '../fs/types.js';
import { ObjectDb } from '../odb/db.js';
import { LAYOUT_V2, LAYOUT_V3 } from '../odb/layout.js';
import { outsOfDvcFiles, outsOfLockFile, type UsedOut } from '../sync/used.js';
import { collectDvcFiles, repoPath } from './collect.js';
import { collectProjectFiles } from './pipeline.js';
import type { Repo } from './repo.js';
import type { RemoteConfig } from '../config/config.js';
import type { ObjectWriter } from '../sync/transfer.js';
import type { DataContext } from './context.js';

export interface RevisionOptions {
  /** -a: every branch. */
  allBranches?: boolean;
  /** -T: every tag. */
  allTags?: boolean;
  /** -A: every commit. */
  allCommits?: boolean;
  /** These commits as well (DVC's revs: `exp push`/`exp pull` give the experiments' commits). */
  revs?: string[];
  /** false: the workspace's outputs are left out (DVC's workspace=False). */
  workspace?: boolean;
}

export interface SyncOptions extends RevisionOptions {
  /** Remote name (-r); default: `core.remote`. */
  remote?: string;
  /** Parallel transfers (-j); default 4 x cores, at least 16 (defaultJobs). */
  jobs?: number;
  /** Targets are glob patterns (--glob). */
  glob?: boolean;
  onProgress?: (files: number, bytes: number) => void;
  onTotal?: (total: { files: number; bytes?: number }) => void;
}

/**
 * Default number of jobs: DVC's 4 x cores, but at least 16. A transfer of small objects waits on
 * round trips, not on the CPU: 8 jobs (a 2-core machine) cap a remote 20 ms away at 400 objects/s,
 * and rclone's best on the bench's Ceph server came at 16-32 transfers. Each job holds at most one
 * small object (1 MiB) in memory.
 */
export const MIN_DEFAULT_JOBS = 16;
export function defaultJobs(): number {
  return Math.max(MIN_DEFAULT_JOBS, 4 * (cpus().length || 1));
}

export function jobsOf(jobs: number | undefined): number {
  if (jobs === undefined) return defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) throw new DvcError(`invalid number of jobs '${jobs}'`);
  return jobs;
}

/**
 * Opens a remote's FileSystem through fs/registry.ts (cloud SDKs load only when their kind is
 * used; remote kinds come wrapped in retry with backoff). The transfer layer bounds concurrency.
 */
export async function openRemoteFs(rc: RemoteConfig): Promise<FileSystem> {
  const { openRemoteFs: open } = await import('../fs/registry.js');
  return open(rc.url, rc.options as Record<string, string | number | boolean | undefined>);
}

/** The remote as an object database: DVC 3's area, or with `legacy` DVC 2's (`<2>/<30>` at its root). */
export async function openRemoteDb(rc: RemoteConfig, legacy = false): Promise<ObjectDb> {
  const fs = await openRemoteFs(rc);
  return new ObjectDb(fs, legacy ? LAYOUT_V2 : LAYOUT_V3);
}

/**
 * Runs remote work; a failure that is not already a user-facing error (a refused connection, a
 * timeout after retries) becomes one line naming the remote.
 */
export async function onRemote<T>(rc: RemoteConfig, fs: FileSystem, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DvcError) throw e;
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    throw new RemoteError(`remote '${rc.name}' (${fs.url}): ${msg}`, { cause: e });
  }
}

/** The remote config for `-r NAME` or the default remote. */
export function remoteConfig(repo: Repo, name?: string): RemoteConfig {
  return repo.config.remote(name, repo.root);
}

function posixRel(repo: Repo, abs: string): string {
  const r = repo.relPath(abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

/** Shell-style wildcards (`*`, `?`, `[...]`, and `**` across folders) as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * A filter for outputs by targets (paths, or glob patterns with --glob), relative to the root:
 * false (not selected), true (the whole output), or the paths inside a folder output that
 * targets name (`data/sub` for output `data` selects `sub` only).
 */
function targetFilter(repo: Repo, targets: string[], glob: boolean): ((rel: string, dvcRel: string) => boolean | string[]) | undefined {
  if (!targets.length) return undefined;
  const rels = targets.map((t) => posixRel(repo, repoPath(repo, t)));
  const res = glob ? rels.map(globToRegExp) : [];
  return (rel, dvcRel) => {
    const inside: string[] = [];
    for (let i = 0; i < rels.length; i++) {
      const t = rels[i]!;
      if (glob) {
        if (res[i]!.test(rel) || res[i]!.test(dvcRel)) return true;
      } else if (rel === t || rel.startsWith(t + '/') || dvcRel === t || t === '.' || t === '') return true;
      else if (t.startsWith(rel + '/')) inside.push(t.slice(rel.length + 1));
    }
    return inside.length ? inside : false;
  };
}

/** Applies a target filter's answer to an output: false drops it. */
function select(o: UsedOut, sel: boolean | string[] | undefined): boolean {
  if (sel === undefined || sel === true) return true;
  if (sel === false) return false;
  o.prefixes = sel;
  return true;
}

/** Outputs used in the workspace (optionally limited to targets). */
export function workspaceOuts(repo: Repo, targets: string[] = [], glob = false): UsedOut[] {
  const filter = targetFilter(repo, targets, glob);
  const files = collectDvcFiles(repo);
  const outs: UsedOut[] = [];
  const matchedTargets = new Set<string>();
  for (const f of files) {
    for (const o of outsOfDvcFiles([f])) {
      if (!select(o, filter?.(o.rel, f.rel))) continue;
      outs.push(o);
      matchedTargets.add(o.rel);
    }
  }
  // the dvc.lock beside every dvc.yaml (pipeline.ts), the root one included
  const locks = new Set([join(repo.root, 'dvc.lock'), ...collectProjectFiles(repo).map((p) => join(dirname(p), 'dvc.lock'))]);
  for (const lock of locks) {
    if (!existsSync(lock)) continue;
    const lockRel = relative(repo.root, lock).split(sep).join('/');
    for (const o of outsOfLockFile(readUtf8(lock, lockRel), lockRel)) {
      if (!select(o, filter?.(o.rel, lockRel))) continue;
      outs.push(o);
    }
  }
  if (targets.length && !glob && !outs.length) {
    // A target that names nothing tracked is an error (as DVC's "does not exist").
    for (const t of targets) {
      const abs = repoPath(repo, t);
      if (!existsSync(abs) && !existsSync(abs + '.dvc')) throw new DvcError(`'${t}' does not exist`);
    }
    throw new DvcError(`'${targets[0]}' is not tracked by DVC`);
  }
  return outs;
}

/** Outputs used at one git revision (its .dvc files and dvc.lock files). */
export async function revisionOuts(
  repo: Repo,
  rev: string,
  targets: string[] = [],
  glob = false,
  onError?: (e: DvcError) => void,
): Promise<UsedOut[]> {
  const scm = repo.scm;
  if (!scm) return [];
  const filter = targetFilter(repo, targets, glob);
  // Paths in git are relative to the git root; the DVC repo may sit below it.
  const gitRoot = resolve(scm.root);
  const prefixRel = resolve(repo.root) === gitRoot ? '' : resolve(repo.root).slice(gitRoot.length + 1).split(sep).join('/');
  const files = await scm.listFiles(rev, prefixRel ? join(gitRoot, prefixRel) : undefined);
  const outs: UsedOut[] = [];
  for (const gitPath of files) {
    const rel = prefixRel ? gitPath.slice(prefixRel.length + 1) : gitPath;
    if (!rel || rel.startsWith('.dvc/')) continue;
    const base = rel.split('/').pop()!;
    const isDvc = base.endsWith('.dvc') && base !== '.dvc';
    const isLock = base === 'dvc.lock';
    if (!isDvc && !isLock) continue;
    const buf = await scm.show(rev, join(gitRoot, gitPath));
    if (!buf) continue;
    try {
      const text = decodeUtf8(buf, `${rev.slice(0, 7)}:${rel}`);
      if (isDvc) {
        const f = DvcFile.parse(repo.root, join(repo.root, rel), text, `${rev.slice(0, 7)}:${rel}`);
        for (const o of outsOfDvcFiles([f])) if (select(o, filter?.(o.rel, rel))) outs.push(o);
      } else {
        for (const o of outsOfLockFile(text, rel)) if (select(o, filter?.(o.rel, rel))) outs.push(o);
      }
    } catch (e) {
      // A broken file in an old commit must not stop push/fetch of the rest; gc decides with
      // `onError` (it fails unless --skip-failed, as DVC: skipping would delete that commit's data).
      if (!(e instanceof DvcError)) throw e;
      onError?.(e);
    }
  }
  return outs;
}

/** Outputs used in the workspace and the revisions chosen by -a / -T / -A. */
export async function usedOuts(repo: Repo, targets: string[], opts: RevisionOptions & { glob?: boolean } = {}): Promise<UsedOut[]> {
  const outs = opts.workspace === false ? [] : workspaceOuts(repo, targets, opts.glob);
  for (const rev of opts.revs ?? []) outs.push(...(await revisionOuts(repo, rev, targets, opts.glob)));
  if (opts.allBranches || opts.allTags || opts.allCommits) {
    if (!repo.scm) throw new ConfigError('-a/-T/-A need a git repository (core.no_scm is set or there is no git)');
    const revs = await repo.scm.revisions(opts);
    for (const rev of revs) {
      if (rev === 'workspace') continue;
      outs.push(...(await revisionOuts(repo, rev, targets, opts.glob)));
    }
  }
  return outs;
}

/** Groups outputs by the remote each goes to: -r, else the output's own `remote:`, else the default. */
export function byRemote(repo: Repo, outs: UsedOut[], remote?: string): Map<string, { rc: RemoteConfig; outs: UsedOut[] }> {
  const groups = new Map<string, { rc: RemoteConfig; outs: UsedOut[] }>();
  for (const o of outs) {
    const name = remote ?? o.remote;
    const rc = remoteConfig(repo, name);
    let g = groups.get(rc.name);
    if (!g) groups.set(rc.name, (g = { rc, outs: [] }));
    g.outs.push(o);
  }
  if (!groups.size) {
    const rc = remoteConfig(repo, remote); // still report a missing remote
    groups.set(rc.name, { rc, outs: [] });
  }
  return groups;
}

/** The data context's hash pool as the transfer layer's object writer (started on first use). */
export function poolWriter(d: DataContext): ObjectWriter {
  return {
    store: (filesDir, paths, o) => d.hash.pool().store(filesDir, paths, o ?? {}),
    copy: (triples, o) => d.hash.pool().copy(triples, o ?? {}),
  };
}
