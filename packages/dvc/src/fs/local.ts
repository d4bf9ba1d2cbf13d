/**
 * The local file system: the `local` remote backend (a FileSystem over a folder) and the local
 * helpers the cache and workspace code share (atomic writes, linking with reflink / hardlink /
 * symlink / copy).
 */
import { randomBytes } from '../hash/crypto.js';
import {
  chmodSync,
  constants as fsc,
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, stat, unlink, rename } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { UnsafePathError } from '../errors.js';
import type { HashName } from '../hash/md5.js';
import { CorruptObjectError, objectHasher } from '../hash/object-check.js';
import type { FileSystem } from './types.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

// Temp names: `<dest>.<16 hex>.tmp` (8 random hex per process + an 8 hex counter).
let tmpPrefix: string | undefined;
let tmpCounter = 0;

/** A temporary name beside `dest` (same folder, so a rename is atomic). */
export function tmpPath(dest: string): string {
  tmpCounter = (tmpCounter + 1) >>> 0;
  tmpPrefix ??= randomBytes(4).toString('hex');
  return `${dest}.${tmpPrefix}${tmpCounter.toString(16).padStart(8, '0')}.tmp`;
}

/** Link types that failed with "not supported" here; not tried again in this process. */
const unsupported = new Set<LinkType>();
const UNSUPPORTED_CODES = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EINVAL', 'EPERM', 'EMLINK', 'ENOTTY']);

/** Files up to this size are copied through memory (one read, one write, no chmod). */
const COPY_IN_MEMORY = 8 << 20;

/** Writes `data` to `dest` through a temp file and a rename. */
export function writeFileAtomic(dest: string, data: string | Uint8Array, mode = 0o666): void {
  const tmp = tmpPath(dest);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, dest);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

let umaskValue: number | undefined;
function currentUmask(): number {
  return (umaskValue ??= process.umask());
}

interface Stamp {
  ino: number;
  size: number;
  mtimeMs: number;
  /** The source object's stamp, when this copy hashed it and found it sound. */
  obj?: [number, number, number, number];
}

let copyBuf: Buffer | undefined;

/** The object a copy must match: its id and the hash that names it. */
export interface Expect {
  oid: string;
  hashName?: HashName;
  /**
   * The object's stamp (inode, size, mtime, ctime in ms) when its bytes were last hashed: a
   * source that still has it is copied without being hashed again (see hash/worker-ops.ts).
   */
  stamp?: readonly [number, number, number, number];
}

/**
 * Copies `src` (open as `srcFd`) to the new file `tmp` in one pass, hashing the bytes on the way
 * when `expect` is given: a mismatch throws CorruptObjectError (the caller removes `tmp`). Small
 * files go through memory (one read, one write); larger ones in chunks. Returns the new file's
 * stamp (or, with `stamped` false, only the number of bytes copied).
 */
function copyThrough(srcFd: number, tmp: string, mode: number, expect: Expect | undefined, stamped: false): number;
function copyThrough(srcFd: number, tmp: string, mode: number, expect?: Expect): Stamp;
function copyThrough(srcFd: number, tmp: string, mode: number, expect?: Expect, stamped = true): Stamp | number {
  const buf = (copyBuf ??= Buffer.allocUnsafe(COPY_IN_MEMORY + 1));
  const hasher = expect ? objectHasher(expect.hashName) : undefined;
  let n = 0;
  for (;;) {
    const r = readSync(srcFd, buf, n, buf.length - n, null);
    if (r <= 0) break;
    n += r;
    if (n === buf.length) break;
  }
  const out = openSync(tmp, 'wx', mode);
  let total = n;
  try {
    if (n <= COPY_IN_MEMORY) {
      if (hasher) check(hasher, buf.subarray(0, n), expect!);
      let off = 0;
      while (off < n) off += writeSync(out, buf, off, n - off);
    } else {
      // Large: stream through the buffer, hashing each chunk before it is written.
      let chunk = buf.subarray(0, n);
      for (;;) {
        hasher?.update(chunk);
        let off = 0;
        while (off < chunk.length) off += writeSync(out, chunk, off, chunk.length - off);
        const r = readSync(srcFd, buf, 0, COPY_IN_MEMORY, null);
        if (r <= 0) break;
        total += r;
        chunk = buf.subarray(0, r);
      }
      if (hasher) check(hasher, undefined, expect!);
    }
    if (!stamped) return total;
    const st = fstatSync(out);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(out);
  }
}

function check(hasher: ReturnType<typeof objectHasher>, last: Buffer | undefined, expect: Expect): void {
  if (last) hasher.update(last);
  const md5 = hasher.digest();
  if (md5 !== expect.oid.slice(0, 32)) throw new CorruptObjectError(expect.oid, md5);
}

/**
 * Copies cache object `src` to `dest` (temp name beside it, then rename), verifying in the same
 * pass that its bytes hash to `expect.oid`: a corrupt object never lands at `dest`
 * (CorruptObjectError). A source whose stamp is still `expect.stamp` (unchanged since its bytes
 * were last hashed) is copied without hashing. The copy gets `mode` (0444 for an object in
 * another store). Returns the size copied and, when this copy hashed the source and found it
 * sound, the source's stamp (`obj`, taken before it was read).
 */
export function copyVerifiedSync(src: string, dest: string, expect: Expect, mode = 0o444): { size: number; obj?: [number, number, number, number] } {
  const tmp = tmpPath(dest);
  try {
    const k = expect.stamp;
    if (k && !Number.isNaN(k[3])) {
      const st = statSync(src);
      if (k[0] === st.ino && k[1] === st.size && k[2] === st.mtimeMs && k[3] === st.ctimeMs) {
        // Unchanged since its bytes were last hashed: the kernel's copy (reflink where it can,
        // else copy_file_range: no pass through this process), which gives it the source's mode.
        copyFileSync(src, tmp, fsc.COPYFILE_FICLONE | fsc.COPYFILE_EXCL);
        if ((st.mode & 0o777) !== mode) chmodSync(tmp, mode);
        renameSync(tmp, dest);
        return { size: st.size };
      }
    }
    const fd = openSync(src, 'r');
    let size: number;
    let obj: [number, number, number, number];
    try {
      // Stamped before it is read: the bytes hashed below are the ones this stamp vouches for.
      const st = fstatSync(fd);
      obj = [st.ino, st.size, st.mtimeMs, st.ctimeMs];
      size = copyThrough(fd, tmp, mode, expect, false);
    } finally {
      closeSync(fd);
    }
    if (mode === 0o444 && (currentUmask() & 0o444) !== 0) chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
    return { size, obj };
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/** Makes `tmp` a copy/link of `src`; returns the stamp of `tmp` when it is cheap to know. */
function linkOne(src: string, tmp: string, type: LinkType, expect?: Expect): Stamp | undefined {
  switch (type) {
    case 'reflink':
      copyFileSync(src, tmp, fsc.COPYFILE_FICLONE_FORCE);
      chmodSync(tmp, 0o666 & ~currentUmask());
      return undefined;
    case 'copy': {
      const fd = openSync(src, 'r');
      try {
        let size = -1;
        let obj: Stamp['obj'];
        if (expect) {
          // Stamped before it is read: the bytes hashed below are the ones this stamp vouches for.
          const st = fstatSync(fd);
          size = st.size;
          obj = [st.ino, st.size, st.mtimeMs, st.ctimeMs];
          const k = expect.stamp;
          if (k && k[0] === obj[0] && k[1] === obj[1] && k[2] === obj[2] && k[3] === obj[3]) {
            expect = undefined; // unchanged since it was last hashed
            obj = undefined;
          }
        }
        // Unchecked and large: the kernel's copy (reflink where it can) is cheapest.
        if (!expect && (size >= 0 ? size : fstatSync(fd).size) > COPY_IN_MEMORY) {
          copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
          chmodSync(tmp, 0o666 & ~currentUmask());
          return undefined;
        }
        const stamp = copyThrough(fd, tmp, 0o666, expect);
        if (obj) stamp.obj = obj;
        return stamp;
      } finally {
        closeSync(fd);
      }
    }
    case 'hardlink':
      linkSync(src, tmp);
      return undefined;
    case 'symlink':
      symlinkSync(src, tmp);
      return undefined;
  }
}

/**
 * Puts `src` (a cache object) at `dest` with the first link type in `types` that works: made
 * under a temp name beside `dest`, then renamed over it, so `dest` is replaced atomically and is
 * never seen half-written. Copies and reflinks are writable (0666 & ~umask); hardlinks and
 * symlinks share the read-only cache object. Returns the type used.
 */
export function linkFileSync(src: string, dest: string, types: readonly LinkType[]): LinkType {
  return linkWith(src, dest, types).type;
}

function linkWith(src: string, dest: string, types: readonly LinkType[], expect?: Expect): { type: LinkType; stamp?: Stamp } {
  let lastErr: unknown;
  for (let i = 0; i < types.length; i++) {
    const type = types[i]!;
    if (unsupported.has(type) && i < types.length - 1) continue;
    const tmp = tmpPath(dest);
    try {
      const stamp = linkOne(src, tmp, type, expect);
      renameSync(tmp, dest); // keeps inode and mtime: the stamp stays valid
      return { type, stamp };
    } catch (e) {
      lastErr = e;
      try {
        unlinkSync(tmp);
      } catch {
        /* not created */
      }
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECORRUPT') throw e; // a bad object: no other link type may place it
      if (code === 'ENOENT' && !existsSync(src)) throw e;
      if (code && UNSUPPORTED_CODES.has(code)) unsupported.add(type);
    }
  }
  throw lastErr;
}

/**
 * linkFileSync, also returning the stamp of the file now at `dest` (for the hash state). With
 * `expect`, a copy (not a reflink, hardlink or symlink: those share the cache object's blocks)
 * is verified in the same pass and a corrupt object is not placed (CorruptObjectError).
 */
export function linkFileStamped(
  src: string,
  dest: string,
  types: readonly LinkType[],
  expect?: Expect,
): { type: LinkType; ino: number; size: number; mtimeMs: number; obj?: [number, number, number, number] } {
  const { type, stamp } = linkWith(src, dest, types, expect);
  if (stamp?.obj) return { type, ino: stamp.ino, size: stamp.size, mtimeMs: stamp.mtimeMs, obj: stamp.obj };
  const st = stamp ?? statSync(dest);
  return { type, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

/** A FileSystem over a local folder: the `local` remote (`dvc remote add r /path`). */
export class LocalFileSystem implements FileSystem {
  readonly protocol = 'local';
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = this.root;
  }

  private abs(path: string): string {
    if (isAbsolute(path) || path.split('/').includes('..')) {
      throw new UnsafePathError(`unsafe path '${path}' for ${this.url}`);
    }
    return join(this.root, path);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = await stat(this.abs(path));
      return st.isFile() ? st.size : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = prefix.replace(/\/+$/, '');
    const stack = [base];
    while (stack.length) {
      const rel = stack.pop()!;
      let ents;
      try {
        ents = await readdir(rel ? this.abs(rel) : this.root, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        throw e;
      }
      for (const d of ents) {
        const p = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) stack.push(p);
        else if (d.isFile()) yield p;
      }
    }
  }

  async read(path: string): Promise<Readable> {
    const p = this.abs(path);
    await stat(p); // rejects with ENOENT when missing
    return createReadStream(p);
  }

  async write(path: string, data: Readable): Promise<void> {
    const dest = this.abs(path);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = tmpPath(dest);
    try {
      const { pipeline } = await import('node:stream/promises');
      await pipeline(data, createWriteStream(tmp, { flags: 'wx', mode: 0o444 }));
      await rename(tmp, dest);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await unlink(this.abs(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async close(): Promise<void> {}
}

