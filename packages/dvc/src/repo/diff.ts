/**
 * `dvc diff [A_REV] [B_REV]`: what changed in the tracked data between two git revisions (A
 * defaults to HEAD, B to the workspace). Folders are compared file by file through their
 * manifests (from the cache; a folder whose manifest is not there is compared as a whole).
 * Entries are paths from the repository root, folders with a trailing '/'.
 */
import { join, resolve } from 'node:path';
import { DvcError } from '../errors.js';
import { hashWorkspace } from '../sync/workspace.js';
import type { UsedOut } from '../sync/used.js';
import { withData, type DataContext } from './context.js';
import { revisionOuts, workspaceOuts } from './data-sync.js';
import type { Repo } from './repo.js';

export interface DiffResult {
  added: Array<{ path: string; hash: string }>;
  deleted: Array<{ path: string; hash: string }>;
  modified: Array<{ path: string; hash: { old: string; new: string } }>;
  renamed: Array<{ path: { old: string; new: string }; hash: string }>;
  'not in cache': Array<{ path: string; hash: string }>;
}

/** path -> md5 (folders: `path/` -> the .dir oid) of the data at one side. */
type Side = Map<string, string>;

function addOutFromManifest(side: Side, d: DataContext, o: UsedOut): void {
  if (!o.oid.endsWith('.dir')) {
    side.set(o.rel, o.oid);
    return;
  }
  side.set(o.rel + '/', o.oid);
  let entries;
  try {
    entries = d.space(o.legacy).store.readManifest(o.oid);
  } catch {
    entries = undefined;
  }
  for (const e of entries ?? []) side.set(`${o.rel}/${e.relpath}`, e.md5);
}

async function revisionSide(repo: Repo, d: DataContext, rev: string): Promise<Side> {
  const side: Side = new Map();
  for (const o of await revisionOuts(repo, rev)) addOutFromManifest(side, d, o);
  return side;
}

async function workspaceSide(repo: Repo, d: DataContext): Promise<Side> {
  const side: Side = new Map();
  for (const o of workspaceOuts(repo)) {
    // A DVC 2 output is compared by its md5-dos2unix hashes.
    const ws = await hashWorkspace(d.space(o.legacy).hash, join(repo.root, o.rel));
    if (ws.kind === 'missing') continue;
    if (ws.kind === 'file') side.set(o.rel, ws.md5);
    else {
      side.set(o.rel + '/', ws.oid);
      for (const f of ws.files) side.set(`${o.rel}/${f.relpath}`, f.md5);
    }
  }
  return side;
}

/** DVC's diff is @locked like status: it never compares against a half-done add. */
export async function diff(repo: Repo, aRev = 'HEAD', bRev?: string, targets?: string[]): Promise<DiffResult> {
  return repo.withLock(() => diffLocked(repo, aRev, bRev, targets));
}

async function diffLocked(repo: Repo, aRev: string, bRev?: string, targets?: string[]): Promise<DiffResult> {
  const scm = repo.scm;
  if (!scm) throw new DvcError('dvc diff needs a git repository');
  const a = await scm.resolveRev(aRev);
  if (!a) throw new DvcError(`unknown Git revision '${aRev}'`);
  let b: string | null = null;
  if (bRev !== undefined) {
    b = await scm.resolveRev(bRev);
    if (!b) throw new DvcError(`unknown Git revision '${bRev}'`);
  }
  // --targets: only paths at or under these (repository-relative).
  const wanted = targets?.length ? targets.map((t) => repo.relPath(resolve(t)).replace(/\/+$/, '')) : undefined;
  const keep = (p: string) => !wanted || wanted.some((t) => t === '' || p === t || p === t + '/' || p.startsWith(t + '/'));
  return withData(repo, async (d) => {
    const old = await revisionSide(repo, d, a);
    const cur = b ? await revisionSide(repo, d, b) : await workspaceSide(repo, d);
    const r: DiffResult = { added: [], deleted: [], modified: [], renamed: [], 'not in cache': [] };
    const paths = [...new Set([...old.keys(), ...cur.keys()])].filter(keep).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const p of paths) {
      const o = old.get(p);
      const n = cur.get(p);
      if (o === undefined) r.added.push({ path: p, hash: n! });
      else if (n === undefined) r.deleted.push({ path: p, hash: o });
      else if (o !== n) r.modified.push({ path: p, hash: { old: o, new: n } });
    }
    // Renames (as dvc-data's diff with_renames): a deleted and an added entry with the same hash.
    for (const del of [...r.deleted]) {
      const i = r.added.findIndex((x) => x.hash === del.hash && x.path.endsWith('/') === del.path.endsWith('/'));
      if (i < 0) continue;
      const add = r.added.splice(i, 1)[0]!;
      r.deleted.splice(r.deleted.indexOf(del), 1);
      r.renamed.push({ path: { old: del.path, new: add.path }, hash: del.hash });
    }
    r.renamed.sort((x, y) => (x.path.old < y.path.old ? -1 : x.path.old > y.path.old ? 1 : 0));
    return r;
  });
}

