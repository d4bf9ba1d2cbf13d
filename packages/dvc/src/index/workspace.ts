/**
 * What the workspace holds for an output: its md5 (a file) or its manifest and `.dir` hash (a
 * folder), computed with the hash state (unchanged files are not re-hashed) and the worker pool.
 * With `store`, every file is also put into the object store in the same read (used by add and
 * commit).
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { DvcError } from '../errors.js';
import type { DvcIgnore } from '../formats/dvcignore.js';
import type { HashPool, HashResult } from '../hash/pool.js';
import { stampOf, type StateDb } from '../hash/state.js';
import type { LocalObjectStore } from '../odb/local.js';
import { hashManifest, type TreeEntry } from '../tree/manifest.js';
import { checkLink, walkFiles } from '../tree/walk.js';

export interface HashContext {
  /** Repository root (absolute). */
  root: string;
  state: StateDb;
  /** Created on first need. */
  pool: () => HashPool;
  ignore?: DvcIgnore;
  /** Real paths symlinks may point into besides the root (the cache). */
  allowed?: string[];
  /** Progress callback: files and bytes hashed so far. */
  onProgress?: (files: number, bytes: number) => void;
}

export interface WsFile {
  relpath: string;
  abs: string;
  md5: string;
  size: number;
  stat: Stats;
}

export type WsObject =
  | { kind: 'missing' }
  | { kind: 'file'; md5: string; size: number; abs: string; stat: Stats }
  | { kind: 'dir'; oid: string; text: string; size: number; nfiles: number; files: WsFile[] };

function posixRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

function fail(r: HashResult, shown: string): never {
  const e = r as { error: string; code?: string };
  throw new DvcError(`unable to read '${shown}': ${e.error}`);
}

/**
 * Hashes `abs` (file or folder). With `store`, objects missing from the store are written to it
 * (files whose hash the state already knows are stored only when the store lacks them).
 */
export async function hashWorkspace(ctx: HashContext, abs: string, store?: LocalObjectStore): Promise<WsObject> {
  let lst;
  try {
    lst = lstatSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    throw e;
  }
  const rootRel = posixRel(ctx.root, abs);
  if (lst.isSymbolicLink()) checkLink(abs, rootRel, { root: ctx.root, allowed: ctx.allowed });
  const st = statSync(abs);
  if (st.isDirectory()) {
    const walked = walkFiles(abs, { root: ctx.root, allowed: ctx.allowed, ignore: ctx.ignore, relToRoot: rootRel });
    const files = await hashFileList(
      ctx,
      walked.map((w) => ({ relpath: w.rel, abs: w.abs, stat: w.stat, key: `${rootRel}/${w.rel}` })),
      rootRel,
      store,
    );
    const entries: TreeEntry[] = files.map((f) => ({ relpath: f.relpath, md5: f.md5 }));
    const { oid, text } = hashManifest(entries);
    // hashManifest sorted `entries`; keep `files` in the same order
    const byRel = new Map(files.map((f) => [f.relpath, f]));
    const sorted = entries.map((e) => byRel.get(e.relpath)!);
    let size = 0;
    for (const f of sorted) size += f.size;
    return { kind: 'dir', oid, text, size, nfiles: sorted.length, files: sorted };
  }
  if (!st.isFile()) throw new DvcError(`'${rootRel}' is not a regular file or folder`);
  const [f] = await hashFileList(ctx, [{ relpath: '', abs, stat: st, key: rootRel }], rootRel, store);
  return { kind: 'file', md5: f!.md5, size: f!.size, abs, stat: st };
}

async function hashFileList(
  ctx: HashContext,
  items: Array<{ relpath: string; abs: string; stat: Stats; key: string }>,
  prefix: string,
  store?: LocalObjectStore,
): Promise<WsFile[]> {
  const known = items.length > 1 ? ctx.state.loadPrefix(prefix) : undefined;
  const out: WsFile[] = new Array(items.length);
  const todo: number[] = [];
  const knownIdx: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const stamp = stampOf(it.stat);
    let md5: string | undefined;
    if (known) {
      const e = known.get(it.key);
      if (e && e.stamp === stamp) md5 = e.md5;
    } else md5 = ctx.state.get(it.key, stamp);
    if (md5) {
      out[i] = { relpath: it.relpath, abs: it.abs, md5, size: it.stat.size, stat: it.stat };
      knownIdx.push(i);
    } else todo.push(i);
  }
  if (store && knownIdx.length) {
    // Known hashes whose objects are missing must still be stored.
    const missing = new Set(store.missing(new Set(knownIdx.map((i) => out[i]!.md5))));
    if (missing.size) {
      for (const i of knownIdx) if (missing.has(out[i]!.md5)) todo.push(i);
    }
  }
  if (todo.length) {
    const paths = todo.map((i) => items[i]!.abs);
    const sizes = todo.map((i) => items[i]!.stat.size);
    const pool = ctx.pool();
    const opts = { sizes, onProgress: ctx.onProgress };
    const results = store ? await pool.store(store.filesDir, paths, opts) : await pool.hash(paths, opts);
    const now = Date.now();
    for (let k = 0; k < todo.length; k++) {
      const i = todo[k]!;
      const it = items[i]!;
      const r = results[k]!;
      if ('error' in r) fail(r, it.key);
      // A file that changed while we read it (size differs from its stat) is not remembered.
      if (r.size === it.stat.size) ctx.state.set(it.key, it.stat, r.md5, now);
      out[i] = { relpath: it.relpath, abs: it.abs, md5: r.md5, size: r.size, stat: it.stat };
    }
  }
  return out;
}
