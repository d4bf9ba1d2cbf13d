/**
 * The hash state: remembers the md5 of each workspace file keyed by its path (relative to the
 * repository root) together with a stamp of inode, size and mtime in nanoseconds, so unchanged
 * files are never hashed twice. Kept under `.dvc/tmp` (ignored by git; never changes
 * what lands in the repo, cache or remote). Files modified within the timestamp granularity of the
 * moment they were hashed are not remembered ("racy" files): they will be hashed again next time.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The parts of a stat the state keys on (a plain fs.Stats has them). */
export interface FileStamp {
  ino: number;
  size: number;
  /** mtime in ms with sub-microsecond precision (a double of the kernel's ns value). */
  mtimeMs: number;
}

/**
 * Files whose mtime is this close to "now" when hashed are not trusted later (ms): the kernel
 * stamps files from a coarse clock (one tick, a few ms), so a second write in the same tick
 * would keep the mtime.
 */
export const RACY_WINDOW_MS = 20;
/** Same on file systems with whole-second timestamps (FAT: 2 s). */
export const RACY_WINDOW_COARSE_MS = 2000;

export function stampOf(st: FileStamp): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * True if a file with this mtime, hashed at `nowMs`, may still change without its mtime changing.
 * A whole-second mtime hints at a coarse-clock file system (2 s window) unless `fineClock` says
 * the file system is known to keep sub-second times (one in a few hundred files on ext4 lands on
 * a whole second by chance).
 */
export function isRacy(mtimeMs: number, nowMs: number = Date.now(), fineClock = false): boolean {
  const window = fineClock || mtimeMs % 1000 !== 0 ? RACY_WINDOW_MS : RACY_WINDOW_COARSE_MS;
  return nowMs - mtimeMs < window;
}

/** True when some of these mtimes have a sub-second part (the file system keeps fine times). */
export function hasFineClock(mtimes: ArrayLike<number>, limit = 64): boolean {
  for (let i = 0; i < mtimes.length && i < limit; i++) if (mtimes[i]! % 1000 !== 0) return true;
  return false;
}

/**
 * What a tracked folder held when it was last hashed: every file in walk order with its stamp
 * and md5, and the folder's manifest md5. When a new walk gives the same names in the same order
 * with the same stamps, the folder is unchanged and its hash is known without a per-file lookup
 * (a no-op status of 25,000 files reads one row instead of 25,000).
 */
export interface DirSnapshot {
  /** md5 of the folder's manifest (the oid without `.dir`). */
  md5: string;
  /** Paths relative to the folder, in the order the walk found them. */
  rels: string[];
  /** Three per file: inode, size, mtime (ms); a racy file's mtime is NaN (never matches). */
  stamps: Float64Array;
  /** 16 raw md5 bytes per file. */
  md5s: Uint8Array;
  /** The files' indexes in manifest (code-point) order. */
  order: Uint32Array;
}

const SNAP_MAGIC = 0x32445043; // 'CPD2' little endian
const SNAP_HEADER = 32; // magic, count, names length, reserved (4 x u32), folder md5 (16 bytes)

/**
 * The snapshot as bytes: a 32-byte header (magic, file count, names length, path length, folder
 * md5), then fixed-width columns (inode/size/mtime as three float64 per file, 16 md5 bytes per
 * file, manifest order as uint32), the names joined by NUL, then `path` (the folder's own path,
 * so a read can check it got the right folder). native/scan.c reads this layout in place.
 */
export function encodeDirSnapshot(s: DirSnapshot, path = ''): Buffer {
  const n = s.rels.length;
  const names = Buffer.from(s.rels.join('\0'), 'utf8');
  const pathBytes = Buffer.from(path, 'utf8');
  const buf = Buffer.allocUnsafe(SNAP_HEADER + n * 44 + names.length + pathBytes.length);
  buf.writeUInt32LE(SNAP_MAGIC, 0);
  buf.writeUInt32LE(n, 4);
  buf.writeUInt32LE(names.length, 8);
  buf.writeUInt32LE(pathBytes.length, 12);
  buf.write(s.md5, 16, 'hex');
  Buffer.from(s.stamps.buffer, s.stamps.byteOffset, n * 24).copy(buf, SNAP_HEADER);
  Buffer.from(s.md5s.buffer, s.md5s.byteOffset, n * 16).copy(buf, SNAP_HEADER + n * 24);
  Buffer.from(s.order.buffer, s.order.byteOffset, n * 4).copy(buf, SNAP_HEADER + n * 40);
  names.copy(buf, SNAP_HEADER + n * 44);
  pathBytes.copy(buf, SNAP_HEADER + n * 44 + names.length);
  return buf;
}

/** Undefined when the blob is not a snapshot this version wrote (then it is simply ignored). */
export function decodeDirSnapshot(buf: Uint8Array): DirSnapshot | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < SNAP_HEADER || b.readUInt32LE(0) !== SNAP_MAGIC) return undefined;
  const n = b.readUInt32LE(4);
  const namesLen = b.readUInt32LE(8);
  if (b.length !== SNAP_HEADER + n * 44 + namesLen + b.readUInt32LE(12)) return undefined;
  const stamps = new Float64Array(n * 3);
  new Uint8Array(stamps.buffer).set(b.subarray(SNAP_HEADER, SNAP_HEADER + n * 24));
  const md5s = new Uint8Array(b.subarray(SNAP_HEADER + n * 24, SNAP_HEADER + n * 40));
  const order = new Uint32Array(n);
  new Uint8Array(order.buffer).set(b.subarray(SNAP_HEADER + n * 40, SNAP_HEADER + n * 44));
  const rels = n ? b.toString('utf8', SNAP_HEADER + n * 44, SNAP_HEADER + n * 44 + namesLen).split('\0') : [];
  if (rels.length !== n) return undefined;
  for (let i = 0; i < n; i++) if (order[i]! >= n) return undefined;
  return { md5: b.toString('hex', 16, 32), rels, stamps, md5s, order };
}

/** The entries of `snap` below `prefix` ('sub/dir/'), relative to it, in the same orders. */
function partOf(snap: DirSnapshot, prefix: string): DirSnapshot {
  const idx: number[] = [];
  snap.rels.forEach((r, i) => {
    if (r.startsWith(prefix)) idx.push(i);
  });
  const n = idx.length;
  const newIndex = new Int32Array(snap.rels.length).fill(-1);
  const rels: string[] = new Array(n);
  const stamps = new Float64Array(n * 3);
  const md5s = new Uint8Array(n * 16);
  idx.forEach((i, k) => {
    newIndex[i] = k;
    rels[k] = snap.rels[i]!.slice(prefix.length);
    stamps.set(snap.stamps.subarray(i * 3, i * 3 + 3), k * 3);
    md5s.set(snap.md5s.subarray(i * 16, i * 16 + 16), k * 16);
  });
  // Manifest order of the part: the outer order, filtered (a common prefix keeps the order).
  const order = new Uint32Array(n);
  let k = 0;
  for (const i of snap.order) if (newIndex[i]! >= 0) order[k++] = newIndex[i]!;
  return { md5: '', rels, stamps, md5s, order };
}

/** FNV-1a (64-bit, as two 32-bit halves) of `s` in hex: a file name for a folder path. */
function nameOf(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/**
 * The hash state of one repository. Per-file rows live in SQLite (opened on first need); each
 * tracked folder's snapshot is a plain file `copper-dirs/<hash of its path>` (the DirSnapshot
 * layout with the folder path after the names), read with one readFileSync and compared in
 * place by the native walk, so a no-op `dvc status` never opens SQLite. Folders found complete
 * in the cache are small files `copper-complete/<oid>` holding the cache's folder fingerprint.
 */
export class StateDb {
  private dbHandle?: BetterSqlite3.Database;
  private getStmt?: BetterSqlite3.Statement;
  private putStmt?: BetterSqlite3.Statement;
  private delStmt?: BetterSqlite3.Statement;
  private objStmt?: BetterSqlite3.Statement;
  private pending: Array<[string, number, number, number, string]> = [];
  private pendingObjects: Array<[string, number, number, number, number]> = [];
  /** Snapshots and completeness kept in memory only (StateDb.memory()). */
  private mem?: { dirs: Map<string, Buffer>; complete: Map<string, string> };

  private constructor(
    /** Folder of the state files, or undefined for a state in memory. */
    private readonly tmpDir: string | undefined,
  ) {
    if (tmpDir === undefined) this.mem = { dirs: new Map(), complete: new Map() };
  }

  private get db(): BetterSqlite3.Database {
    if (this.dbHandle) return this.dbHandle;
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    let db: BetterSqlite3.Database | undefined;
    if (this.tmpDir !== undefined) {
      try {
        mkdirSync(this.tmpDir, { recursive: true });
        db = new Database(join(this.tmpDir, 'copper-state.sqlite'), { timeout: 10_000 });
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        this.prepare(db);
      } catch {
        // A corrupt state file is only a cache: start again in memory rather than fail.
        db = undefined;
      }
    }
    if (!db) {
      db = new Database(':memory:');
      this.prepare(db);
    }
    this.dbHandle = db;
    return db;
  }

  /** The prepared statements (opening the database on first need). */
  private stmts(): { get: BetterSqlite3.Statement; put: BetterSqlite3.Statement; del: BetterSqlite3.Statement } {
    if (!this.dbHandle) void this.db;
    return { get: this.getStmt!, put: this.putStmt!, del: this.delStmt! };
  }

  private prepare(db: BetterSqlite3.Database): void {
    db.exec(
      'CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, ino INTEGER NOT NULL, size INTEGER NOT NULL, ' +
        'mtime REAL NOT NULL, md5 TEXT NOT NULL) WITHOUT ROWID',
    );
    this.getStmt = db.prepare('SELECT ino, size, mtime, md5 FROM files WHERE path = ?').raw();
    this.putStmt = db.prepare('INSERT OR REPLACE INTO files (path, ino, size, mtime, md5) VALUES (?, ?, ?, ?, ?)');
    this.delStmt = db.prepare('DELETE FROM files WHERE path = ?');
    // Cache objects whose bytes were hashed (written by add/commit from the bytes hashed, or
    // verified by a checkout copy), with their stamp then: see objectStamps.
    db.exec(
      'CREATE TABLE IF NOT EXISTS objects (oid TEXT PRIMARY KEY, ino INTEGER NOT NULL, size INTEGER NOT NULL, ' +
        'mtime REAL NOT NULL, ctime REAL NOT NULL) WITHOUT ROWID',
    );
  }

  /**
   * Remembers that cache object `oid` held bytes hashing to its name while it had this stamp
   * (inode, size, mtime, ctime). Written on `flush()`.
   */
  putObjectStamp(oid: string, stamp: readonly [number, number, number, number]): void {
    this.pendingObjects.push([oid, stamp[0], stamp[1], stamp[2], stamp[3]]);
    if (this.pendingObjects.length >= 50_000) this.flush();
  }

  /**
   * The remembered stamps of these cache objects, four numbers each (inode, size, mtime, ctime;
   * NaN when none). Checkout copies an object that still has its stamp without hashing it again:
   * writing to a file, truncating it, `chmod` or `touch` all move its ctime, which cannot be set
   * back, so only a change below the file system (a failing disk) would go unseen, as it does
   * for DVC, which never verifies its cache; `dvc cache check` reads every object.
   */
  objectStamps(oids: readonly string[]): Float64Array {
    const out = new Float64Array(oids.length * 4).fill(NaN);
    this.flush();
    const stmt = this.objStmt ??= this.db.prepare('SELECT ino, size, mtime, ctime FROM objects WHERE oid = ?').raw();
    // One read transaction for all (not one lock of the WAL per lookup).
    this.db.transaction(() => {
      for (let i = 0; i < oids.length; i++) {
        const r = stmt.get(oids[i]) as [number, number, number, number] | undefined;
        if (r) out.set(r, i * 4);
      }
    })();
    return out;
  }

  /** Opens the state kept in `tmpDir` (normally `.dvc/tmp`); files are created on first write. */
  static open(tmpDir: string): StateDb {
    return new StateDb(tmpDir);
  }

  /** A state kept in memory only (for data outside any repository). */
  static memory(): StateDb {
    return new StateDb(undefined);
  }

  private fileIn(sub: string, name: string): string {
    return join(this.tmpDir!, sub, name);
  }

  /** Writes `data` to `sub/name` atomically (a temp file renamed over it); best effort. */
  private writeFile(sub: string, name: string, data: Uint8Array | string): void {
    const file = this.fileIn(sub, name);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(join(this.tmpDir!, sub), { recursive: true });
      writeFileSync(tmp, data);
      renameSync(tmp, file);
    } catch {
      // The state is only a cache: a folder that cannot be written means hashing again next time.
      rmSync(tmp, { force: true });
    }
  }

  private readFile(sub: string, name: string): Buffer | undefined {
    try {
      return readFileSync(this.fileIn(sub, name));
    } catch {
      return undefined;
    }
  }

  /** The remembered md5 for `path` if inode, size and mtime still match. */
  get(path: string, st: FileStamp): string | undefined {
    const row = this.stmts().get.get(path) as [number, number, number, string] | undefined;
    return row && row[0] === st.ino && row[1] === st.size && row[2] === st.mtimeMs ? row[3] : undefined;
  }

  /**
   * Every entry strictly below folder `prefix`, as parallel arrays in SQLite's path order (bytes
   * of UTF-8, i.e. Unicode code-point order, the order of `compareCodePoints`); `rels` are
   * relative to `prefix`. No index map: callers merge it with a list sorted the same way.
   */
  loadPrefixSorted(prefix: string): { rels: string[]; ino: number[]; size: number[]; mtime: number[]; md5: string[] } {
    const out = { rels: [] as string[], ino: [] as number[], size: [] as number[], mtime: [] as number[], md5: [] as string[] };
    // Pages of 50k rows in path order (keyset pagination): bounded memory on a million rows.
    const PAGE = 50_000;
    const lo = prefix ? prefix + '/' : '';
    const hi = prefix ? prefix + '0' : '\u{10FFFF}';
    const stmt = this.db
      .prepare('SELECT path, ino, size, mtime, md5 FROM files WHERE path >= ? AND path < ? AND path > ? ORDER BY path LIMIT ?')
      .raw();
    const cut = prefix ? prefix.length + 1 : 0;
    let after = '';
    for (;;) {
      const rows = stmt.all(lo, hi, after, PAGE) as Array<[string, number, number, number, string]>;
      for (const r of rows) {
        out.rels.push(cut ? r[0].slice(cut) : r[0]);
        out.ino.push(r[1]);
        out.size.push(r[2]);
        out.mtime.push(r[3]);
        out.md5.push(r[4]);
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]![0];
    }
    return out;
  }

  /** The cache fingerprint under which every object of folder `oid` was last found present. */
  getComplete(oid: string): string | undefined {
    if (this.mem) return this.mem.complete.get(oid);
    if (!/^[0-9a-f]{32}(\.dir)?$/.test(oid)) return undefined;
    return this.readFile('copper-complete', oid)?.toString('utf8');
  }

  /** Remembers that every object of folder `oid` is present while the fingerprint is `sig`. */
  putComplete(oid: string, sig: string): void {
    if (this.mem) this.mem.complete.set(oid, sig);
    else if (/^[0-9a-f]{32}(\.dir)?$/.test(oid)) this.writeFile('copper-complete', oid, sig);
  }

  /**
   * The encoded snapshot of tracked folder `path` (root-relative), as saved: the buffer the
   * native walk compares in place (`decodeDirSnapshot` reads it).
   */
  getDirRaw(path: string): Buffer | undefined {
    const buf = this.mem ? this.mem.dirs.get(path) : this.readFile('copper-dirs', nameOf(path));
    if (!buf || buf.length < SNAP_HEADER || buf.readUInt32LE(0) !== SNAP_MAGIC) return undefined;
    // The folder's path follows the snapshot (two paths may share a file name).
    const n = buf.readUInt32LE(4);
    const end = SNAP_HEADER + n * 44 + buf.readUInt32LE(8);
    const pathLen = buf.readUInt32LE(12);
    if (buf.length !== end + pathLen || buf.toString('utf8', end) !== path) return undefined;
    return buf;
  }

  /** The snapshot of tracked folder `path` (root-relative), if one was saved. */
  getDir(path: string): DirSnapshot | undefined {
    const raw = this.getDirRaw(path);
    return raw ? decodeDirSnapshot(raw) : undefined;
  }

  /**
   * The snapshot of folder `path`, or else the part of an enclosing folder's snapshot below it
   * (a target inside a tracked folder); a part has `md5: ''` (its own hash is not known).
   */
  getDirOrPart(path: string): DirSnapshot | undefined {
    const own = this.getDir(path);
    if (own || !path) return own;
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const outer = this.getDir(path.slice(0, cut));
      if (outer) return partOf(outer, path.slice(cut + 1) + '/');
    }
    return undefined;
  }

  /** Saves the snapshot of tracked folder `path` (replacing the previous one). */
  putDir(path: string, snap: DirSnapshot): void {
    const buf = encodeDirSnapshot(snap, path);
    if (this.mem) this.mem.dirs.set(path, buf);
    else this.writeFile('copper-dirs', nameOf(path), buf);
  }

  /** Remembers `md5` for `path` unless the file is racy. Written on `flush()`. */
  set(path: string, st: FileStamp, md5: string, nowMs?: number, fineClock = false): void {
    if (isRacy(st.mtimeMs, nowMs, fineClock)) return;
    this.pending.push([path, st.ino, st.size, st.mtimeMs, md5]);
    if (this.pending.length >= 50_000) this.flush();
  }

  delete(path: string): void {
    this.flush();
    this.stmts().del.run(path);
  }

  flush(): void {
    if (!this.pending.length && !this.pendingObjects.length) return;
    const rows = this.pending;
    const objs = this.pendingObjects;
    this.pending = [];
    this.pendingObjects = [];
    const put = this.stmts().put;
    const putObj = objs.length ? this.db.prepare('INSERT OR REPLACE INTO objects (oid, ino, size, mtime, ctime) VALUES (?, ?, ?, ?, ?)') : undefined;
    this.db.transaction(() => {
      for (const r of rows) put.run(r[0], r[1], r[2], r[3], r[4]);
      for (const r of objs) putObj!.run(r[0], r[1], r[2], r[3], r[4]);
    })();
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.dbHandle?.close();
      this.dbHandle = undefined;
      this.objStmt = undefined;
    }
  }
}
