/**
 * The local file system: the `local` remote backend (a FileSystem over a folder) and the local
 * helpers the cache and workspace code share (atomic writes, linking with reflink / hardlink /
 * symlink / copy).
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  constants as fsc,
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  linkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, stat, unlink, rename } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnsafePathError } from '../errors.js';
import type { FileSystem } from './types.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

/** A temporary name beside `dest` (same folder, so a rename is atomic). */
export function tmpPath(dest: string): string {
  return `${dest}.${randomBytes(8).toString('hex')}.tmp`;
}

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

function linkOne(src: string, tmp: string, type: LinkType): void {
  switch (type) {
    case 'reflink':
      copyFileSync(src, tmp, fsc.COPYFILE_FICLONE_FORCE);
      chmodSync(tmp, 0o666 & ~currentUmask());
      return;
    case 'copy':
      copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
      chmodSync(tmp, 0o666 & ~currentUmask());
      return;
    case 'hardlink':
      linkSync(src, tmp);
      return;
    case 'symlink':
      symlinkSync(src, tmp);
      return;
  }
}

/**
 * Puts `src` (a cache object) at `dest` with the first link type in `types` that works: made
 * under a temp name beside `dest`, then renamed over it, so `dest` is replaced atomically and is
 * never seen half-written. Copies and reflinks are writable (0666 & ~umask); hardlinks and
 * symlinks share the read-only cache object. Returns the type used.
 */
export function linkFileSync(src: string, dest: string, types: readonly LinkType[]): LinkType {
  let lastErr: unknown;
  for (const type of types) {
    const tmp = tmpPath(dest);
    try {
      linkOne(src, tmp, type);
      renameSync(tmp, dest);
      return type;
    } catch (e) {
      lastErr = e;
      try {
        unlinkSync(tmp);
      } catch {
        /* not created */
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(src)) throw e;
    }
  }
  throw lastErr;
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

