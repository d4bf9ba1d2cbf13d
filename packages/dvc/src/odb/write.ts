/**
 * The local object database's write path (synchronous; also run on the hashing workers, see
 * hash/worker-ops.ts): objects go into a layout folder (`<filesDir>/<2 hex>/<30 hex>`, mode 0444)
 * under a temporary name (`<name>.<16 hex>.tmp` beside the object, or `.<16 hex>.tmp` in
 * `filesDir` for large files still being hashed) renamed into place only when complete, so an
 * object is never visible before it is whole. Leftovers of killed writes are what
 * ObjectDb.removeStaleTemps (db.ts) sweeps.
 */
import { createHash, randomBytes } from '../hash/crypto.js';
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
  writeSync,
  chmodSync,
  fchmodSync,
  fstatSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpPath } from '../fs/local.js';
import { md5Dos2UnixFileSync, type HashName } from '../hash/md5.js';

/** Files up to this size are read whole (one read, one write); larger ones are streamed. */
export const SMALL_FILE = 8 << 20;
const CHUNK = 1 << 20;

export const tmpName = tmpPath;

/** A cache object's stamp: inode, size, mtime and ctime in ms (see hash/worker-ops.ts). */
export type ObjectStamp = [ino: number, size: number, mtimeMs: number, ctimeMs: number];
type Stored = { md5: string; size: number; stored: boolean; obj?: ObjectStamp };

/** The stamp of an object just written (after its rename: a rename changes the ctime). */
function stampOf(path: string): ObjectStamp | undefined {
  try {
    const st = statSync(path);
    return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
  } catch {
    return undefined;
  }
}

/** Whether the umask strips read bits (then objects need an explicit chmod to be 0444). */
const umaskStripsRead = (process.umask() & 0o444) !== 0;

const madeDirs = new Set<string>();
function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  madeDirs.add(dir);
}

/**
 * Hashes a file and stores it under `filesDir` (the `files/md5` folder of a cache; for
 * `md5-dos2unix`, the cache root of DVC 2's layout) in the same read. Throws on failure.
 */
export function storeFileSync(filesDir: string, src: string, name: HashName = 'md5'): Stored {
  return name === 'md5-dos2unix' ? storeLegacyOne(filesDir, src) : storeOne(filesDir, src);
}

let readBuf: Buffer | undefined;

function storeOne(filesDir: string, src: string): Stored {
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
  const obj = writeObjectStamped(filesDir, md5, data);
  return obj ? { md5, size: data.length, stored: true, obj } : { md5, size: data.length, stored: false };
}

/**
 * A DVC 2 object: the raw bytes, named by their `md5-dos2unix` hash. The file is copied to a temp
 * name first and the copy is hashed, so the name always matches what was stored.
 */
function storeLegacyOne(filesDir: string, src: string): Stored {
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
  return writeObjectStamped(filesDir, md5, data, suffix) !== false;
}

/**
 * writeObject, returning the new object's stamp as named (read from the still open file: a
 * rename moves the ctime), or false when the object was already there.
 */
function writeObjectStamped(filesDir: string, md5: string, data: Uint8Array, suffix = ''): ObjectStamp | false {
  const dir = join(filesDir, md5.slice(0, 2));
  const dest = join(dir, md5.slice(2) + suffix);
  if (existsSync(dest)) return false;
  ensureDir(dir);
  const tmp = tmpName(dest);
  const fd = openSync(tmp, 'wx', 0o444);
  let named = false;
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    if (umaskStripsRead) fchmodSync(fd, 0o444);
    renameSync(tmp, dest);
    named = true;
    const st = fstatSync(fd);
    return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
  } catch (e) {
    if (!named) {
      try {
        unlinkSync(tmp);
      } catch {
        /* not created */
      }
    }
    throw e;
  } finally {
    closeSync(fd);
  }
}

