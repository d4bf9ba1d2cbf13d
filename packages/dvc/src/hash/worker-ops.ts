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

export type HashResult = { md5: string; size: number; stored?: boolean } | { error: string; code?: string };

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



export type LinkResult = { type: LinkType; ino: number; size: number; mtimeMs: number } | { error: string; code?: string; actual?: string };

const OBJECT_ID = /^[0-9a-f]{32}$/;

/**
 * Links each `[src, dest]` pair (see linkFileSync); parent folders must exist. With `filesDir`,
 * each pair is `[oid, dest]` and the source is that object in `filesDir` (`<2 hex>/<30 hex>`):
 * the caller need not build a million cache paths. Those are checked out from the cache, so a
 * copy is verified against the oid (named by `hashName`) as it is made: a corrupt object gives
 * `{error, code: 'ECORRUPT', actual}` and is not placed. `trusted[i]` marks an object this
 * process has just downloaded and verified (pull): it is copied without being hashed again.
 */
export function linkFiles(
  pairs: Array<[string, string]>,
  types: LinkType[],
  filesDir?: string,
  hashName: HashName = 'md5',
  trusted?: readonly boolean[],
): LinkResult[] {
  const out: LinkResult[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [from, dest] = pairs[i]!;
    try {
      if (filesDir !== undefined && !OBJECT_ID.test(from)) throw new Error(`invalid object id '${from}'`);
      const src = filesDir === undefined ? from : `${filesDir}/${from.slice(0, 2)}/${from.slice(2)}`;
      out.push(linkFileStamped(src, dest, types, filesDir === undefined || trusted?.[i] ? undefined : { oid: from, hashName }));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}

export type CopyResult = { size: number } | { error: string; code?: string; actual?: string };

/**
 * Copies each `[src, dest, oid]` (cache object to another store, e.g. a local remote), hashing
 * in the same pass: an object whose bytes do not hash to `oid` is not written (ECORRUPT).
 * Parent folders are made as needed; objects are 0444.
 */
export function copyObjects(triples: Array<[string, string, string]>, hashName: HashName = 'md5'): CopyResult[] {
  const out: CopyResult[] = [];
  for (const [src, dest, oid] of triples) {
    try {
      ensureDir(dirname(dest));
      out.push({ size: copyVerifiedSync(src, dest, { oid, hashName }) });
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}
