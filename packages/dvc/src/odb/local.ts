/**
 * The local content-addressed object store (`.dvc/cache` or any local folder with DVC's layout).
 * Objects are written atomically (temp name, then rename; write.ts), read-only (0444) in 0755
 * folders, and never visible under their hash before complete. `db` is the same store as an
 * ObjectDb (db.ts), the interface the remotes share. Also links objects into the workspace
 * (reflink / hardlink / symlink / copy).
 *
 * With `hashName: 'md5-dos2unix'` it is DVC 2's ("legacy") cache of the same folder: objects at
 * `<root>/<2 hex>/<30 hex>`, named by their md5-dos2unix hash (the bytes are stored raw).
 */
import {
  chmodSync,
  copyFileSync,
  constants as fsc,
  existsSync,
  linkSync,
  lstatSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  mkdirSync,
} from 'node:fs';
import { createHash } from '../hash/crypto.js';
import { dirname, join } from 'node:path';
import { InvalidFileError, UnsafePathError } from '../errors.js';
import { LINK_TYPES, LocalFileSystem, linkFileSync, type LinkType } from '../fs/local.js';
import { dirStamps, listNames } from '../fs/scan.js';
import { bytesHasher, fileHasher, OID_RE, type HashName } from '../hash/md5.js';
import { writeObject } from './write.js';
import { parseManifest, type TreeEntry } from '../tree/manifest.js';
import { ObjectDb } from './db.js';
import { FILES_PREFIX, layoutFor } from './layout.js';

export { LINK_TYPES, type LinkType } from '../fs/local.js';

/** Where corrupt objects are moved, relative to the cache root. */
export const QUARANTINE = 'quarantine';

/** `cache.type` value ("reflink,copy", "symlink", ...) -> ordered link types. Default: reflink, copy. */
export function parseLinkTypes(value: string | string[] | undefined): LinkType[] {
  if (!value || (Array.isArray(value) && value.length === 0)) return ['reflink', 'copy'];
  const items = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const t of items) {
    if (!LINK_TYPES.includes(t as LinkType)) {
      throw new InvalidFileError(`invalid cache.type '${t}' (expected reflink, hardlink, symlink or copy)`);
    }
  }
  return items as LinkType[];
}

export class LocalObjectStore {
  /** Absolute path of `<root>/files/md5` (the root itself for the legacy layout). */
  readonly filesDir: string;
  /** What names the objects: md5 (DVC 3) or md5-dos2unix (DVC 2's layout). */
  readonly hashName: HashName;
  private manifests = new Map<string, TreeEntry[]>();
  private _db: ObjectDb | undefined;
  private hashFile: (path: string) => { md5: string; size: number };
  private hashBytes: (data: Uint8Array | string) => string;

  constructor(
    readonly root: string,
    opts: { hashName?: HashName } = {},
  ) {
    this.hashName = opts.hashName ?? 'md5';
    this.filesDir = this.hashName === 'md5-dos2unix' ? root : join(root, FILES_PREFIX);
    this.hashFile = fileHasher(this.hashName);
    this.hashBytes = bytesHasher(this.hashName);
  }

  get legacy(): boolean {
    return this.hashName === 'md5-dos2unix';
  }

  /**
   * This store as an ObjectDb (db.ts): what transfer, gc and the remote comparisons use, the same
   * interface every remote has. The synchronous methods below are the local fast paths.
   */
  get db(): ObjectDb {
    return (this._db ??= new ObjectDb(new LocalFileSystem(this.root), layoutFor(this.hashName)));
  }

  /** Absolute path of an object. */
  path(oid: string): string {
    if (!OID_RE.test(oid)) throw new UnsafePathError(`invalid object id '${oid}'`);
    return join(this.filesDir, oid.slice(0, 2), oid.slice(2));
  }

  exists(oid: string): boolean {
    return existsSync(this.path(oid));
  }

  /** Every oid present (lists the 256 prefix folders; cheap compared to one stat per object). */
  listOids(): Set<string> {
    const out = new Set<string>();
    let prefixes: string[];
    try {
      prefixes = listNames(this.filesDir);
    } catch {
      return out;
    }
    for (const p of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(p)) continue;
      let names: string[];
      try {
        names = listNames(join(this.filesDir, p));
      } catch {
        continue; // a file, not a folder, with a 2-hex name
      }
      // Junk (temp files) never equals a valid oid, so no need to filter here.
      for (const name of names) out.add(p + name);
    }
    return out;
  }

  /**
   * Which of `oids` are missing: one stat each for a few, else one listing per prefix folder
   * (256 readdirs instead of a stat per object; one folder's names in memory at a time).
   */
  missing(oids: Iterable<string>): string[] {
    const arr = [...oids];
    if (arr.length <= 2000) return arr.filter((o) => !this.exists(o));
    const groups = new Map<string, string[]>();
    for (const o of arr) {
      const p = o.slice(0, 2);
      let g = groups.get(p);
      if (!g) groups.set(p, (g = []));
      g.push(o);
    }
    const out: string[] = [];
    for (const [p, g] of groups) {
      let names: Set<string>;
      try {
        names = new Set(listNames(join(this.filesDir, p)));
      } catch {
        names = new Set();
      }
      for (const o of g) if (!names.has(o.slice(2))) out.push(o);
    }
    return out;
  }

  /**
   * A fingerprint of the store's prefix folders (their inode, mtime and ctime): adding or
   * removing any object changes it, so "every object of X was present" stays true while it is
   * the same. Undefined when a folder changed in the last few seconds (a coarse clock could
   * hide a second change in the same tick) or the store cannot be listed.
   */
  folderSignature(nowMs = Date.now()): string | undefined {
    // The native addon stats the prefix folders in one call; the text itself is the signature.
    try {
      const native = dirStamps(this.filesDir);
      if (native === null) return undefined;
      if (native !== undefined) return native[1] > nowMs - 3000 ? undefined : native[0];
    } catch {
      return undefined;
    }
    let prefixes: string[];
    try {
      prefixes = listNames(this.filesDir);
    } catch {
      return undefined;
    }
    prefixes.sort();
    let sig = '';
    for (const p of prefixes) {
      if (p.length !== 2) continue;
      let st;
      try {
        st = statSync(join(this.filesDir, p), { bigint: true });
      } catch {
        return undefined;
      }
      if (Number(st.ctimeNs / 1_000_000n) > nowMs - 3000) return undefined;
      sig += `${p}:${st.ino}:${st.mtimeNs}:${st.ctimeNs};`;
    }
    return createHash('md5').update(sig).digest('hex');
  }

  /** Stores bytes (e.g. a manifest) under `oid` (md5 + optional `.dir`), verifying the md5. */
  addBytes(oid: string, data: Uint8Array | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const md5 = this.hashBytes(buf);
    if (md5 !== oid.slice(0, 32)) throw new Error(`object ${oid} does not match its content`);
    writeObject(this.filesDir, md5, buf, oid.slice(32));
  }

  /**
   * Stores a file from outside the store by copying it (reflink when possible) to a temp name,
   * hashing the copy, and renaming it to its hash. Returns the oid.
   */
  addFile(src: string): { md5: string; size: number } {
    mkdirSync(this.filesDir, { recursive: true, mode: 0o755 });
    const tmp = join(this.filesDir, `.${Math.random().toString(16).slice(2)}.tmp`);
    copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
    try {
      chmodSync(tmp, 0o444);
      const r = this.hashFile(tmp);
      const dest = this.path(r.md5);
      if (existsSync(dest)) unlinkSync(tmp);
      else {
        mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
        renameSync(tmp, dest);
      }
      return r;
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
      throw e;
    }
  }

  /** Re-hashes an object; false (and the object is removed) when its content is wrong. */
  verify(oid: string): boolean {
    const p = this.path(oid);
    let ok: boolean;
    try {
      ok = this.hashFile(p).md5 === oid.slice(0, 32);
    } catch {
      return false;
    }
    if (!ok) this.remove(oid);
    return ok;
  }

  /**
   * Moves a (corrupt) object out of the store into `<cache>/quarantine/<oid>` (`.1`, `.2`, ...
   * when that name is taken): the store no longer has it, so fetch/pull download it again, and
   * nothing is deleted. The flat name matches no object layout, DVC 2's included. Returns where
   * it went, or undefined when it was not there.
   */
  quarantine(oid: string): string | undefined {
    const src = this.path(oid);
    const dir = join(this.root, QUARANTINE);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    let dest = join(dir, oid);
    for (let i = 1; existsSync(dest); i++) dest = join(dir, `${oid}.${i}`);
    try {
      renameSync(src, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    this.manifests.delete(oid);
    return dest;
  }

  remove(oid: string): void {
    try {
      unlinkSync(this.path(oid));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /**
   * The entries of a `.dir` object, verified against its hash and validated (no `..`, absolute
   * paths or duplicates). Throws InvalidFileError when corrupt; undefined when missing.
   */
  readManifest(oid: string): TreeEntry[] | undefined {
    const hit = this.manifests.get(oid);
    if (hit) return hit;
    let buf: Buffer | undefined;
    try {
      buf = readFileSync(this.path(oid));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (this.hashBytes(buf) !== oid.slice(0, 32)) {
      throw new InvalidFileError(`cache object '${oid}' is corrupted (its md5 does not match)`);
    }
    const text = buf.toString('utf8');
    buf = undefined; // a million entries are ~70 MB of bytes: not kept while they are parsed
    const entries = parseManifest(text, `'${oid}'`);
    this.manifests.set(oid, entries);
    return entries;
  }

  /**
   * Puts object `oid` at `dest` with the first link type that works (temp name next to `dest`,
   * then rename over it, so `dest` is replaced atomically). Returns the type used.
   */
  link(oid: string, dest: string, types: readonly LinkType[]): LinkType {
    return linkFileSync(this.path(oid), dest, types);
  }
}

/** The link type a workspace file currently has with respect to `cachePath`. */
export function linkTypeOf(ws: string, cachePath: string): LinkType | 'other' {
  const l = lstatSync(ws);
  if (l.isSymbolicLink()) return 'symlink';
  try {
    const c = statSync(cachePath);
    if (c.ino === l.ino && c.dev === l.dev) return 'hardlink';
  } catch {
    /* no cache object */
  }
  return 'copy';
}
