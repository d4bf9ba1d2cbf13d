/**
 * An object database: any FileSystem (a local folder, S3, SSH, ...) plus a layout (DVC 3's
 * `files/md5/<2>/<30>` or DVC 2's `<2>/<30>`, see layout.ts). The local cache (`store.db`, odb/
 * local.ts) and every remote are one of these: transfer (sync/transfer.ts) moves objects between
 * two of them, `gc` lists and deletes through them and `status -c` asks them what they have.
 *
 * Temp-file discipline: an object is written under a temp name and renamed (or, for cloud kinds,
 * committed) only when complete, so `has` never sees half an object; what killed writes leave
 * behind is removed by `removeStaleTemps` (gc) once old enough that no running write can own it.
 * Listing streams one prefix folder (or one listing page) at a time, so memory stays bounded by
 * a folder, never by the number of objects.
 */
import type { Readable } from 'node:stream';
import { readdir, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { OID_RE } from '../hash/md5.js';
import { listNames } from '../fs/scan.js';
import type { FileSystem } from '../fs/types.js';
import { LAYOUT_V3, type ObjectLayout } from './layout.js';

/** Runs `fn` over `items` with at most `jobs` at a time; collects errors, never stops early. */
export async function parallel<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}

/** The folder behind a local file system (LocalFileSystem), for work without streams. */
export function localRootOf(fs: FileSystem): string | undefined {
  const root = (fs as { root?: unknown }).root;
  return fs.protocol === 'local' && typeof root === 'string' && isAbsolute(root) ? root : undefined;
}

const HEX2 = /^[0-9a-f]{2}$/;
/** Temp files of this package's writers: `<name>.<16 hex>.tmp`, and `.<16 hex>.tmp` in the base. */
const TMP_IN_PREFIX = /\.[0-9a-f]{16}\.tmp$/;
const TMP_IN_BASE = /^\.[0-9a-f]{16}\.tmp$/;

export class ObjectDb {
  /** Absolute folder holding the prefix folders, when the file system is a local folder. */
  readonly localBase: string | undefined;

  constructor(
    readonly fs: FileSystem,
    readonly layout: ObjectLayout = LAYOUT_V3,
  ) {
    const root = localRootOf(fs);
    this.localBase = root === undefined ? undefined : layout.base ? join(root, layout.base) : root;
  }

  get url(): string {
    return this.fs.url;
  }

  get hashName(): ObjectLayout['hashName'] {
    return this.layout.hashName;
  }

  /** Path of an object relative to the file system's root. */
  path(oid: string): string {
    return this.layout.path(oid);
  }

  /** Absolute path of an object on a local db (undefined elsewhere). */
  localPath(oid: string): string | undefined {
    if (this.localBase === undefined) return undefined;
    if (!OID_RE.test(oid)) this.layout.path(oid); // throws the layout's error
    return join(this.localBase, oid.slice(0, 2), oid.slice(2));
  }

  has(oid: string): Promise<boolean> {
    return this.fs.exists(this.path(oid));
  }

  /** Size in bytes, or undefined when absent. */
  size(oid: string): Promise<number | undefined> {
    return this.fs.size(this.path(oid));
  }

  /** The object's bytes; rejects with code ENOENT when absent. Not verified: see transfer.ts. */
  get(oid: string): Promise<Readable> {
    return this.fs.read(this.path(oid));
  }

  /**
   * The object's bytes for a download: its chunks when it has at most `maxBytes` bytes and the
   * file system can hand them whole (readSmall), else a stream. Not verified either.
   */
  getSmall(oid: string, maxBytes: number): Promise<Buffer[] | Readable> {
    const fs = this.fs;
    return fs.readSmall ? fs.readSmall(this.path(oid), maxBytes) : fs.read(this.path(oid));
  }

  /** Stores `data` as `oid`, atomically (the file system's write: temp name, then rename/commit). */
  put(oid: string, data: Readable, size?: number): Promise<void> {
    return this.fs.write(this.path(oid), data, size);
  }

  /** Removes an object; an absent one is not an error. */
  delete(oid: string): Promise<void> {
    return this.fs.delete(this.path(oid));
  }

  /**
   * Every oid present that starts with `prefix` (hex; '' for all), streamed: one prefix folder or
   * listing page in memory at a time. Temp files and anything else that is not an object are left
   * out. Rejects with code ENOTSUP on kinds that cannot list (HTTP).
   */
  async *list(prefix = ''): AsyncIterable<string> {
    if (!/^[0-9a-f]{0,32}$/.test(prefix)) return;
    const p2 = prefix.slice(0, 2);
    const folders = (all: string[]) => all.filter((f) => HEX2.test(f) && (p2.length < 2 ? f.startsWith(p2) : f === p2));
    if (this.localBase !== undefined) {
      let prefixes: string[];
      try {
        prefixes = p2.length === 2 ? [p2] : listNames(this.localBase);
      } catch {
        return;
      }
      for (const p of folders(prefixes)) {
        let names: string[];
        try {
          names = listNames(join(this.localBase, p));
        } catch {
          continue; // absent, or a file with a 2-hex name
        }
        for (const n of names) {
          const oid = p + n;
          if (OID_RE.test(oid) && oid.startsWith(prefix)) yield oid;
        }
      }
      return;
    }
    const { base } = this.layout;
    // DVC 3: one listing of `files/md5` (or of one prefix folder). DVC 2's objects sit at the
    // root beside everything else (`files/`, `runs/`): each of the 256 folders is listed alone.
    const roots = base
      ? [p2.length === 2 ? `${base}/${p2}` : base]
      : folders(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')));
    for (const r of roots) {
      for await (const path of this.fs.list(r)) {
        const oid = this.layout.oid(path);
        if (oid && oid.startsWith(prefix)) yield oid;
      }
    }
  }

  /**
   * Which of `oids` the db has. Small sets are asked object by object; for larger ones the db's
   * size is estimated from one prefix folder and the cheaper way wins (a listing page holds
   * ~1000 names, a query answers one). A local db is always listed (256 readdirs).
   */
  async hasMany(oids: Iterable<string>, jobs: number): Promise<Set<string>> {
    // One set of the oids (a million of them cost tens of MB each): the array only for queries.
    const wanted = new Set(oids);
    const query = async (): Promise<Set<string>> => {
      const have = new Set<string>();
      await parallel([...wanted], jobs, async (oid) => {
        if (await this.has(oid)) have.add(oid);
      });
      return have;
    };
    if (wanted.size <= 32) return query();
    const first = wanted.values().next().value as string;
    const scan = async (): Promise<Set<string>> => {
      const have = new Set<string>();
      for await (const oid of this.list()) if (wanted.has(oid)) have.add(oid);
      return have;
    };
    if (this.localBase !== undefined) return scan();
    try {
      let n = 0;
      for await (const _ of this.list(first.slice(0, 2))) n++;
      if ((n * 256) / 1000 > wanted.size) return query();
      return await scan();
    } catch (e) {
      if ((e as { code?: string })?.code === 'ENOTSUP') return query();
      throw e;
    }
  }

  /**
   * Removes the temp files killed or failed writes left in this db's area, when older than
   * `olderThanMs` (and, on cloud kinds, only those uploading to an object path of this layout, so
   * other files sharing the remote are never touched). Returns how many went.
   */
  async removeStaleTemps(olderThanMs: number): Promise<number> {
    if (this.localBase !== undefined) {
      const stale = await localStaleTemps(this.localBase, olderThanMs);
      await parallel(stale, 16, async (f) => unlink(f).catch(() => undefined));
      return stale.length;
    }
    if (!this.fs.removeStaleTemps) return 0;
    return (await this.fs.removeStaleTemps(this.layout.base, olderThanMs, (p) => this.layout.oid(p) !== undefined)).length;
  }

  close(): Promise<void> {
    return this.fs.close();
  }
}

/**
 * Temp files older than `age` ms in a local layout folder: `<name>.<16 hex>.tmp` in the prefix
 * folders, and the large objects staged as `.<16 hex>.tmp` in the folder itself (write.ts).
 */
async function localStaleTemps(base: string, age: number): Promise<string[]> {
  const out: string[] = [];
  let prefixes: string[] = [];
  try {
    prefixes = await readdir(base);
  } catch {
    return out;
  }
  const old = async (path: string) => {
    const st = await stat(path).catch(() => undefined);
    return !!st && st.isFile() && Date.now() - st.mtimeMs > age;
  };
  for (const p of prefixes) {
    if (TMP_IN_BASE.test(p)) {
      if (await old(join(base, p))) out.push(join(base, p));
      continue;
    }
    if (!HEX2.test(p)) continue;
    for (const name of await readdir(join(base, p)).catch(() => [] as string[])) {
      if (TMP_IN_PREFIX.test(name) && (await old(join(base, p, name)))) out.push(join(base, p, name));
    }
  }
  return out;
}
