/**
 * `dvc data status`: the tracked data in three places, as DVC 3 reports it:
 *
 * - committed: HEAD's `.dvc`/`dvc.lock` hashes vs the current ones (what `git commit` would record);
 * - uncommitted: the current hashes vs the workspace (what `dvc commit` would record);
 * - not in cache / not in remote: recorded objects the cache or the remote lacks;
 * - untracked: git's untracked files; unchanged: tracked files that match.
 *
 * Entries are repository paths, folders with a trailing '/'; without `granular` only outputs
 * themselves are compared (a folder as a whole), with it every file inside folders too.
 */
import { join } from 'node:path';
import { hashWorkspace } from '../sync/workspace.js';
import type { UsedOut } from '../sync/used.js';
import { withData, type DataContext } from './context.js';
import { remoteConfig, revisionOuts, workspaceOuts } from './data-sync.js';
import type { Repo } from './repo.js';

export interface DataDiff {
  modified?: string[];
  added?: string[];
  deleted?: string[];
  unknown?: string[];
}

export interface DataStatus {
  not_in_cache: string[];
  not_in_remote: string[];
  committed: DataDiff;
  uncommitted: DataDiff;
  untracked: string[];
  unchanged: string[];
  git: { is_empty: boolean; is_dirty: boolean };
}

export interface DataStatusOptions {
  targets?: string[];
  granular?: boolean;
  /** Report git's untracked files. */
  untrackedFiles?: boolean;
  /** Check the remote (`remote` or the default). */
  notInRemote?: boolean;
  remote?: string;
  jobs?: number;
}

/** path -> oid; folders under `rel/` with their `.dir` oid; `null` oid: hash unknown. */
type Side = Map<string, string | null>;

function sideOfOuts(d: DataContext, outs: UsedOut[], granular: boolean): Side {
  const side: Side = new Map();
  for (const o of outs) {
    if (!o.oid.endsWith('.dir')) {
      side.set(o.rel, o.oid);
      continue;
    }
    side.set(o.rel + '/', o.oid);
    if (!granular) continue;
    let entries;
    try {
      entries = d.space(o.legacy).store.readManifest(o.oid);
    } catch {
      entries = undefined;
    }
    for (const e of entries ?? []) side.set(`${o.rel}/${e.relpath}`, e.md5);
  }
  return side;
}

async function workspaceSide(repo: Repo, d: DataContext, outs: UsedOut[], granular: boolean): Promise<Side> {
  const side: Side = new Map();
  for (const o of outs) {
    const ws = await hashWorkspace(d.space(o.legacy).hash, join(repo.root, o.rel));
    if (ws.kind === 'missing') continue;
    if (ws.kind === 'file') side.set(o.rel, ws.md5);
    else {
      side.set(o.rel + '/', ws.oid);
      if (granular) for (const f of ws.files) side.set(`${o.rel}/${f.relpath}`, f.md5);
    }
  }
  return side;
}

function sorted(keys: Iterable<string>): string[] {
  return [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** DVC's diff order: changes as met walking the paths, deletions last. */
function diffSides(old: Side, cur: Side, unchanged?: string[]): DataDiff {
  const r: DataDiff = {};
  const deleted: string[] = [];
  for (const p of sorted(new Set([...old.keys(), ...cur.keys()]))) {
    const o = old.get(p);
    const n = cur.get(p);
    if (!old.has(p)) (r.added ??= []).push(p);
    else if (!cur.has(p)) deleted.push(p);
    else if (o !== n) (r.modified ??= []).push(p);
    else if (unchanged && !p.endsWith('/')) unchanged.push(p);
  }
  if (deleted.length) r.deleted = deleted;
  return r;
}

export async function dataStatus(repo: Repo, opts: DataStatusOptions = {}): Promise<DataStatus> {
  const granular = !!opts.granular;
  const wanted = opts.targets?.length ? opts.targets.map((t) => repo.relPath(t).replace(/\.dvc$/, '').replace(/\/+$/, '')) : undefined;
  const keep = (p: string) => !wanted || wanted.some((t) => t === '' || p === t || p === t + '/' || p.startsWith(t + '/'));
  const filter = (s: Side) => {
    for (const k of [...s.keys()]) if (!keep(k)) s.delete(k);
    return s;
  };
  const scm = repo.scm;
  const hasCommits = scm ? await scm.hasCommits() : false;
  return withData(repo, async (d) => {
    const indexOuts = workspaceOuts(repo);
    const headOuts = hasCommits ? await revisionOuts(repo, 'HEAD') : [];
    const head = filter(sideOfOuts(d, headOuts, granular));
    const index = filter(sideOfOuts(d, indexOuts, granular));
    const ws = filter(await workspaceSide(repo, d, indexOuts, granular));
    const unchanged: string[] = [];
    const status: DataStatus = {
      not_in_cache: [],
      not_in_remote: [],
      committed: diffSides(head, index),
      uncommitted: diffSides(index, ws, unchanged),
      untracked: [],
      unchanged,
      git: { is_empty: !hasCommits, is_dirty: false },
    };
    // Recorded objects the cache lacks (deleted entries last, as DVC).
    const deletedSet = new Set(status.uncommitted.deleted ?? []);
    const order = [...sorted(index.keys()).filter((p) => !deletedSet.has(p)), ...sorted(deletedSet)];
    for (const p of order) {
      const oid = index.get(p);
      if (oid && !d.store.exists(oid)) status.not_in_cache.push(p);
    }
    if (opts.notInRemote) {
      const rc = remoteConfig(repo, opts.remote);
      const { openRemoteDb, onRemote, jobsOf } = await import('./data-sync.js');
      const db = await openRemoteDb(rc);
      const fs = db.fs;
      try {
        const pushable = new Set(indexOuts.filter((o) => o.push).map((o) => o.rel));
        const entries = sorted(index.keys()).filter((p) => {
          const top = p.endsWith('/') ? p.slice(0, -1) : p;
          return [...pushable].some((r) => top === r || top.startsWith(r + '/'));
        });
        const oids = [...new Set(entries.map((p) => index.get(p)).filter((x): x is string => !!x))];
        const have = await onRemote(rc, fs, () => db.hasMany(oids, jobsOf(opts.jobs)));
        for (const p of entries) if (!have.has(index.get(p)!)) status.not_in_remote.push(p);
      } finally {
        await fs.close();
      }
    }
    if (scm) {
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync('git', ['status', '--porcelain', '-z', '--untracked-files=all'], { cwd: scm.root, encoding: 'utf8' });
      const recs = (r.stdout ?? '').split('\0').filter(Boolean);
      status.git.is_dirty = recs.length > 0;
      if (opts.untrackedFiles) {
        for (const rec of recs) if (rec.startsWith('?? ')) status.untracked.push(rec.slice(3));
      }
    }
    return status;
  });
}
