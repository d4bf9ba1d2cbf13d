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

export async function outStatus(ctx: HashContext, store: LocalObjectStore, out: DvcOut): Promise<OutStatus | null> {
  const ws = await hashWorkspace(ctx, out.abs);
  if (out.md5 && out.cache) {
    // When the workspace matches, its file list is the manifest: no need to read it back.
    let inCache: boolean;
    if (ws.kind === 'dir' && ws.oid === out.md5) {
      inCache = store.exists(out.md5) && store.missing(new Set(ws.md5List())).length === 0;
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
