/**
 * The work a hashing worker does, as plain synchronous functions (also called directly on the
 * main thread for small jobs). `storeFiles` hashes a file and, in the same read, writes it into a
 * DVC object directory (`<filesDir>/<2 hex>/<30 hex>`, mode 0444) under a temporary name that is
 * renamed into place only when complete, so an object is never visible before it is whole.
 */
import { createHash, randomBytes } from './crypto.js';
import {
  closeSync,
  constants as fsc,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  chmodSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { copyVerifiedSync, linkFileStamped, tmpPath, type LinkType } from '../fs/local.js';
import { md5Dos2UnixFileSync, md5FileSync, type HashName } from './md5.js';

/** Files up to this size are read whole (one read, one write); larger ones are streamed. */
export const SMALL_FILE = 8 << 20;
const CHUNK = 1 << 20;

/**
 * A cache object's stamp: inode, size, mtime and ctime (ms, as fs.Stats gives them). Any write,
 * truncate, chmod, rename or `touch` of the object changes its ctime, which no user call can set
 * back, so an object whose stamp is the one it had when its bytes were last hashed still holds
 * those bytes (see hash/state.ts `objectStamps`).
 */
export type ObjectStamp = [ino: number, size: number, mtimeMs: number, ctimeMs: number];

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

export const tmpName = tmpPath;

/** Whether the umask strips read bits (then objects need an explicit chmod to be 0444). */
const umaskStripsRead = (process.umask() & 0o444) !== 0;

/**
 * Hashes each file and stores it under `filesDir` (the `files/md5` folder of a cache; for
 * `md5-dos2unix`, the cache root of DVC 2's layout).
 */
export function storeFiles(filesDir: string, paths: string[], name: HashName = 'md5'): HashResult[] {
  const out: HashResult[] = [];
  for (const p of paths) {
    try {
      out.push(name === 'md5-dos2unix' ? storeLegacyOne(filesDir, p) : storeOne(filesDir, p));
    } catch (e) {
      out.push(errorResult(e));
    }
  }
  return out;
}

let readBuf: Buffer | undefined;

function storeOne(filesDir: string, src: string): HashResult {
  const fd = openSync(src, 'r');
  let data: Buffer | undefined;
  let tmp: string | undefined;
  try {
    // Read the first chunk; small files are done in one go.
    const first = (readBuf ??= Buffer.allocUnsafe(SMALL_FILE + 1));
    let n = 0;
    for (;;) {
      const r = readSync(fd, first, n, first.length - n, null);
      if (r <= 0) break;
      n += r;
      if (n === first.length) break;
    }
    if (n <= SMALL_FILE) {
      data = first.subarray(0, n);
    } else {
      // Large file: stream into a temporary file in filesDir while hashing.
      ensureDir(filesDir);
      tmp = join(filesDir, `.${randomBytes(8).toString('hex')}.tmp`);
      const h = createHash('md5');
      const wfd = openSync(tmp, 'wx', 0o444);
      let size = 0;
      try {
        h.update(first.subarray(0, n));
        writeAll(wfd, first.subarray(0, n));
        size = n;
        const buf = Buffer.allocUnsafe(CHUNK);
        for (;;) {
          const r = readSync(fd, buf, 0, CHUNK, null);
          if (r <= 0) break;
          const c = buf.subarray(0, r);
          h.update(c);
          writeAll(wfd, c);
          size += r;
        }
      } finally {
        closeSync(wfd);
      }
      const md5 = h.digest('hex');
      const dir = join(filesDir, md5.slice(0, 2));
      const dest = join(dir, md5.slice(2));
      if (existsSync(dest)) {
        unlinkSync(tmp);
        tmp = undefined;
        return { md5, size, stored: false };
      }
      ensureDir(dir);
      renameSync(tmp, dest);
      tmp = undefined;
      return { md5, size, stored: true, obj: stampOf(dest) };
    }
  } catch (e) {
    if (tmp) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
    throw e;
  } finally {
    closeSync(fd);
  }
  const md5 = createHash('md5').update(data).digest('hex');
  const stored = writeObject(filesDir, md5, data);
  return stored ? { md5, size: data.length, stored, obj: stampOf(join(filesDir, md5.slice(0, 2), md5.slice(2))) } : { md5, size: data.length, stored };
}

/** The stamp of an object just written (after its rename: a rename changes the ctime). */
function stampOf(path: string): ObjectStamp | undefined {
  try {
    const st = statSync(path);
    return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
  } catch {
    return undefined;
  }
}

/**
 * A DVC 2 object: the raw bytes, named by their `md5-dos2unix` hash. The file is copied to a temp
 * name first and the copy is hashed, so the name always matches what was stored.
 */
function storeLegacyOne(filesDir: string, src: string): HashResult {
  ensureDir(filesDir);
  const tmp = join(filesDir, `.${randomBytes(8).toString('hex')}.tmp`);
  try {
    copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
    const { md5, size } = md5Dos2UnixFileSync(tmp);
    const dir = join(filesDir, md5.slice(0, 2));
    const dest = join(dir, md5.slice(2));
    if (existsSync(dest)) {
      unlinkSync(tmp);
      return { md5, size, stored: false };
    }
    chmodSync(tmp, 0o444);
    ensureDir(dir);
    renameSync(tmp, dest);
    return { md5, size, stored: true };
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
    throw e;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Writes bytes whose md5 is `md5` as an object (no-op when present). True when written. */
export function writeObject(filesDir: string, md5: string, data: Uint8Array, suffix = ''): boolean {
  const dir = join(filesDir, md5.slice(0, 2));
  const dest = join(dir, md5.slice(2) + suffix);
  if (existsSync(dest)) return false;
  ensureDir(dir);
  const tmp = tmpName(dest);
  try {
    writeFileSync(tmp, data, { mode: 0o444, flag: 'wx' });
    if (umaskStripsRead) chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
  return true;
}


/** `obj`: the source object's stamp when this copy hashed it and found it sound. */
export type LinkResult = { type: LinkType; ino: number; size: number; mtimeMs: number; obj?: ObjectStamp } | { error: string; code?: string; actual?: string };

const OBJECT_ID = /^[0-9a-f]{32}$/;

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
