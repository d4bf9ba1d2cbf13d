/**
 * The work a hashing worker does, as plain synchronous functions (also called directly on the
 * main thread for small jobs). `storeFiles` hashes files and stores them in a local object
 * folder through the local object database's write path (odb/write.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { copyVerifiedSync, linkFileStamped, type LinkType } from '../fs/local.js';
import { storeFileSync } from '../odb/write.js';
import { md5Dos2UnixFileSync, md5FileSync, type HashName } from './md5.js';

export { SMALL_FILE, tmpName, writeObject } from '../odb/write.js';

/**
 * A cache object's stamp: inode, size, mtime and ctime (ms, as fs.Stats gives them). Any write,
 * truncate, chmod, rename or `touch` of the object changes its ctime, which no user call can set
 * back, so an object whose stamp is the one it had when its bytes were last hashed still holds
 * those bytes (see hash/state.ts `objectStamps`).
 */
export type { ObjectStamp } from '../odb/write.js';
import type { ObjectStamp } from '../odb/write.js';

/** `obj`: the stamp of an object this call wrote into the store from the bytes it hashed. */
export type HashResult = { md5: string; size: number; stored?: boolean; obj?: ObjectStamp } | { error: string; code?: string };

export function hashFiles(paths: string[], name: HashName = 'md5'): HashResult[] {
  const out: HashResult[] = [];
  const hash = name === 'md5-dos2unix' ? md5Dos2UnixFileSync : md5FileSync;
  for (const p of paths) {
    try {
      out.push(hash(p));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}

function errorResult(e: unknown): { error: string; code?: string; actual?: string } {
  const err = e as NodeJS.ErrnoException & { actual?: string };
  const r: { error: string; code?: string; actual?: string } = { error: err?.message ?? String(e), code: err?.code };
  if (err?.actual) r.actual = err.actual;
  return r;
}

const madeDirs = new Set<string>();
function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  madeDirs.add(dir);
}

/**
 * Hashes each file and stores it under `filesDir` (the `files/md5` folder of a cache; for
 * `md5-dos2unix`, the cache root of DVC 2's layout).
 */
export function storeFiles(filesDir: string, paths: string[], name: HashName = 'md5'): HashResult[] {
  const out: HashResult[] = [];
  for (const p of paths) {
    try {
      out.push(storeFileSync(filesDir, p, name));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}



/** `obj`: the source object's stamp when this copy hashed it and found it sound. */
export type LinkResult = { type: LinkType; ino: number; size: number; mtimeMs: number; obj?: ObjectStamp } | { error: string; code?: string; actual?: string };

/** A file object's id (md5): what may name a cache path. */
export const OBJECT_ID = /^[0-9a-f]{32}$/;

/**
 * Links each `[src, dest]` pair (see linkFileSync); parent folders must exist. With `filesDir`,
 * each pair is `[oid, dest]` and the source is that object in `filesDir` (`<2 hex>/<30 hex>`):
 * the caller need not build a million cache paths. Those are checked out from the cache, so a
 * copy is verified against the oid (named by `hashName`) as it is made: a corrupt object gives
 * `{error, code: 'ECORRUPT', actual}` and is not placed. `trusted[i]` marks an object this
 * process has just downloaded and verified (pull): it is copied without being hashed again.
 * `known` holds four numbers per pair (NaN when unknown): the object's stamp when its bytes were
 * last hashed; an object that still has that stamp is copied without being hashed again, and
 * one that was hashed now reports its stamp as `obj`.
 */
export function linkFiles(
  pairs: Array<[string, string]>,
  types: LinkType[],
  filesDir?: string,
  hashName: HashName = 'md5',
  trusted?: readonly boolean[],
  known?: ArrayLike<number>,
): LinkResult[] {
  const out: LinkResult[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [from, dest] = pairs[i]!;
    try {
      if (filesDir !== undefined && !OBJECT_ID.test(from)) throw new Error(`invalid object id '${from}'`);
      const src = filesDir === undefined ? from : `${filesDir}/${from.slice(0, 2)}/${from.slice(2)}`;
      const stamp = known && !Number.isNaN(known[i * 4 + 3]!) ? ([known[i * 4]!, known[i * 4 + 1]!, known[i * 4 + 2]!, known[i * 4 + 3]!] as ObjectStamp) : undefined;
      out.push(linkFileStamped(src, dest, types, filesDir === undefined || trusted?.[i] ? undefined : { oid: from, hashName, stamp }));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}

/** `obj`: the source object's stamp when this copy hashed it and found it sound. */
export type CopyResult = { size: number; obj?: ObjectStamp } | { error: string; code?: string; actual?: string };

/**
 * Copies each `[src, dest, oid]` (cache object to another store, e.g. a local remote), hashing
 * in the same pass: an object whose bytes do not hash to `oid` is not written (ECORRUPT).
 * `known` holds four numbers per triple (NaN when unknown): the object's stamp when its bytes
 * were last hashed; an object that still has it is copied without hashing, and one that was
 * hashed now reports its stamp as `obj` (as linkFiles does for checkout).
 * Parent folders are made as needed; objects are 0444.
 */
export function copyObjects(triples: Array<[string, string, string]>, hashName: HashName = 'md5', known?: ArrayLike<number>): CopyResult[] {
  const out: CopyResult[] = [];
  for (let i = 0; i < triples.length; i++) {
    const [src, dest, oid] = triples[i]!;
    try {
      ensureDir(dirname(dest));
      const stamp = known ? ([known[i * 4]!, known[i * 4 + 1]!, known[i * 4 + 2]!, known[i * 4 + 3]!] as ObjectStamp) : undefined;
      out.push(copyVerifiedSync(src, dest, { oid, hashName, ...(stamp ? { stamp } : {}) }));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}
