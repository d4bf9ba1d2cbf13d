/**
 * The status of one output, as DVC reports it: 'not in cache' (the recorded objects are missing
 * from the cache), 'deleted' (gone from the workspace), 'modified' (differs from the recorded
 * hash), 'new' (no hash recorded yet), or null when in sync.
 */
import type { DvcOut } from '../formats/dvcfile.js';
import type { LocalObjectStore } from '../odb/local.js';
import { hashWorkspace, type HashContext } from './workspace.js';

export type OutStatus = 'not in cache' | 'deleted' | 'modified' | 'new';

/** True when the store lacks the object (for a folder: its manifest or any of its files). */
export function changedCache(store: LocalObjectStore, md5: string): boolean {
  if (!md5.endsWith('.dir')) return !store.exists(md5);
  let entries;
  try {
    entries = store.readManifest(md5);
  } catch {
    return true;
  }
  if (!entries) return true;
  return store.missing(new Set(entries.map((e) => e.md5))).length > 0;
}

/**
 * Whether every object of folder `oid` is in the store. One listing per prefix folder the first
 * time; after that, while the store's folders are unchanged (no object added or removed), the
 * answer recorded in the state database stands (a no-op `dvc status` then lists nothing).
 */
function dirComplete(ctx: HashContext, store: LocalObjectStore, oid: string, md5s: () => Iterable<string>): boolean {
  const sig = store.folderSignature();
  if (sig !== undefined && ctx.state.getComplete(oid) === sig) return true;
  const ok = store.missing(new Set(md5s())).length === 0;
  if (ok && sig !== undefined) ctx.state.putComplete(oid, sig);
  return ok;
}

export async function outStatus(ctx: HashContext, store: LocalObjectStore, out: DvcOut): Promise<OutStatus | null> {
  const ws = await hashWorkspace(ctx, out.abs);
  if (out.md5 && out.cache) {
    // When the workspace matches, its file list is the manifest: no need to read it back.
    let inCache: boolean;
    if (ws.kind === 'dir' && ws.oid === out.md5) {
      inCache = store.exists(out.md5) && dirComplete(ctx, store, out.md5, () => ws.md5List());
    } else if (ws.kind === 'file' && ws.md5 === out.md5) {
      inCache = store.exists(out.md5);
    } else inCache = !changedCache(store, out.md5);
    if (!inCache) return 'not in cache';
  }
  if (ws.kind === 'missing') return 'deleted';
  if (!out.md5) return 'new';
  const cur = ws.kind === 'dir' ? ws.oid : ws.md5;
  return cur === out.md5 ? null : 'modified';
}
