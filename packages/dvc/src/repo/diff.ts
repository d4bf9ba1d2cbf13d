/**
 * `dvc diff [A_REV] [B_REV]`: what changed in the tracked data between two git revisions (A
 * defaults to HEAD, B to the workspace). Folders are compared file by file through their
 * manifests (from the cache; a folder whose manifest is not there is compared as a whole).
 * Entries are paths from the repository root, folders with a trailing '/'.
 */
import { join } from 'node:path';
import { DvcError } from '../errors.js';
import { hashWorkspace } from '../index/workspace.js';
import type { UsedOut } from '../index/used.js';
import { withData, type DataContext } from './context.js';
import { revisionOuts, workspaceOuts } from './data-sync.js';
import type { Repo } from './repo.js';

export interface DiffResult {
  added: Array<{ path: string }>;
  deleted: Array<{ path: string }>;
  modified: Array<{ path: string }>;
  renamed: Array<{ path: { old: string; new: string } }>;
  'not in cache': Array<{ path: string }>;
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
export async function diff(repo: Repo, aRev = 'HEAD', bRev?: string): Promise<DiffResult> {
  return repo.withLock(() => diffLocked(repo, aRev, bRev));
}

async function diffLocked(repo: Repo, aRev: string, bRev?: string): Promise<DiffResult> {
  const scm = repo.scm;
  if (!scm) throw new DvcError('dvc diff needs a git repository');
  const a = await scm.resolveRev(aRev);
  if (!a) throw new DvcError(`unknown Git revision '${aRev}'`);
  let b: string | null = null;
  if (bRev !== undefined) {
    b = await scm.resolveRev(bRev);
    if (!b) throw new DvcError(`unknown Git revision '${bRev}'`);
  }
  return withData(repo, async (d) => {
    const old = await revisionSide(repo, d, a);
    const cur = b ? await revisionSide(repo, d, b) : await workspaceSide(repo, d);
    const r: DiffResult = { added: [], deleted: [], modified: [], renamed: [], 'not in cache': [] };
    const paths = [...new Set([...old.keys(), ...cur.keys()])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const p of paths) {
      const o = old.get(p);
      const n = cur.get(p);
      if (o === undefined) r.added.push({ path: p });
      else if (n === undefined) r.deleted.push({ path: p });
      else if (o !== n) r.modified.push({ path: p });
    }
    return r;
  });
}

/** DVC's text: sections `Added:` / `Deleted:` / `Modified:` and `files summary: ...`. */
export function formatDiff(r: DiffResult): string {
  const sections: Array<[string, string[]]> = [
    ['Added', r.added.map((e) => e.path)],
    ['Deleted', r.deleted.map((e) => e.path)],
    ['Renamed', r.renamed.map((e) => `${e.path.old} -> ${e.path.new}`)],
    ['Modified', r.modified.map((e) => e.path)],
    ['Not in cache', r['not in cache'].map((e) => e.path)],
  ];
  const blocks: string[] = [];
  const summary: string[] = [];
  for (const [title, list] of sections) {
    if (!list.length) continue;
    blocks.push(`${title}:\n` + list.map((p) => `    ${p}`).join('\n'));
    const files = list.filter((p) => !p.endsWith('/')).length;
    if (files) summary.push(`${files} ${title.toLowerCase()}`);
  }
  if (!blocks.length) return '';
  return `${blocks.join('\n\n')}\n\nfiles summary: ${summary.join(', ')}`;
}
