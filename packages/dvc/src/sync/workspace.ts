/**
 * What the workspace holds for an output: its md5 (a file) or its manifest and `.dir` hash (a
 * folder), computed with the hash state (unchanged files are not re-hashed) and the worker pool.
 * With `store`, every file is also put into the object store in the same read (used by add and
 * commit).
 */
import { lstatSync, statSync, statfsSync, type Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { DvcError, NoSpaceError } from '../errors.js';
import type { DvcIgnore } from '../formats/dvcignore.js';
import type { HashPool, HashResult } from '../hash/pool.js';
import type { ObjectStamp } from '../hash/worker-ops.js';
import { decodeDirSnapshot, hasFineClock, isRacy, type DirSnapshot, type StateDb } from '../hash/state.js';
import { walkCompare } from '../fs/scan.js';
import type { LocalObjectStore } from '../odb/local.js';
import { compareCodePoints, serializeChunks } from '../tree/manifest.js';
import { checkLink, walkFiles, type WalkResult } from '../tree/walk.js';
import { trace } from '../trace.js';

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

/** A file of a workspace folder. */
export class WsFile {
  constructor(
    readonly relpath: string,
    readonly md5: string,
    readonly size: number,
    private readonly base: string,
    /** Inode of the file (after following a symlink). */
    readonly ino = 0,
    /** mtime (ms) when walked; NaN when not known. */
    readonly mtimeMs = NaN,
  ) {}
  get abs(): string {
    return this.base + sep + (sep === '/' ? this.relpath : this.relpath.split('/').join(sep));
  }
}

export type WsObject =
  | { kind: 'missing' }
  | { kind: 'file'; md5: string; size: number; abs: string; stat: Stats }
  | {
      kind: 'dir';
      oid: string;
      /** The manifest text (built on first use). */
      readonly text: string;
      size: number;
      nfiles: number;
      /** Files in manifest order (built on first use). */
      readonly files: WsFile[];
      /** md5 of every file, in no particular order (cheaper than `files` when that is all one needs). */
      md5List(): string[];
    };

export type WsDir = Extract<WsObject, { kind: 'dir' }>;

function posixRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

/** Bytes free to this user on the device holding `dir`, or undefined. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * The error for failed results (undefined when none failed): NoSpaceError when files did not fit
 * in the store (with the bytes of all that did not), else the first read error.
 * `shown(k)` and `sizes[k]` describe result k.
 */
function failure(results: HashResult[], shown: (k: number) => string, sizes: number[], store?: LocalObjectStore): DvcError | undefined {
  let first = -1;
  let full = -1;
  let needed = 0;
  let more = 0;
  for (let k = 0; k < results.length; k++) {
    const r = results[k]! as { error?: string; code?: string };
    if (r.error === undefined) continue;
    if (first < 0) first = k;
    if (r.code === 'ENOSPC' && store) {
      if (full < 0) full = k;
      else more++;
      needed += sizes[k]!;
    }
  }
  if (full >= 0) return new NoSpaceError(store!.root, shown(full), needed, freeBytes(store!.root), more);
  if (first >= 0) return new DvcError(`unable to read '${shown(first)}': ${(results[first] as { error: string }).error}`);
  return undefined;
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
  const st = lst.isSymbolicLink() ? statSync(abs) : lst;
  if (st.isDirectory()) return hashDir(ctx, abs, rootRel, store);
  if (!st.isFile()) throw new DvcError(`'${rootRel}' is not a regular file or folder`);
  let md5 = ctx.state.get(rootRel, st);
  let size = st.size;
  if (md5 && store && !store.exists(md5)) md5 = undefined;
  if (!md5) {
    const pool = ctx.pool();
    const [r] = store ? await pool.store(store.filesDir, [abs], { sizes: [size] }) : await pool.hash([abs], { sizes: [size] });
    if ('error' in r!) throw failure([r!], () => rootRel, [size], store)!;
    md5 = r!.md5;
    if (r!.obj) ctx.state.putObjectStamp(md5, r!.obj);
    if (r!.size === st.size) ctx.state.set(rootRel, st, md5, Date.now());
    size = r!.size;
    ctx.onProgress?.(1, size);
  }
  return { kind: 'file', md5, size, abs, stat: st };
}

async function hashDir(ctx: HashContext, abs: string, rootRel: string, store?: LocalObjectStore): Promise<WsObject> {
  trace('hashDir: start');
  // The native walk compares the folder with its snapshot as it goes (no JS value per file) when
  // no .dvcignore at or above the folder applies; it hands back to the JS walk on a symlink or a
  // .dvcignore inside.
  const raw = ctx.state.getDirRaw(rootRel);
  const fast = ctx.ignore?.anyRulesAbove(rootRel) ? undefined : walkCompare(abs, raw);
  let prev: DirSnapshot | undefined;
  let w: WalkResult;
  if (fast === true) {
    trace('hashDir: walked, unchanged since the last snapshot');
    if (!store) return snapshotObject(abs, raw!);
    prev = decodeDirSnapshot(raw!)!;
    w = { rels: prev.rels, ino: [], size: [], mtime: [] };
    for (let i = 0; i < prev.rels.length; i++) {
      w.ino.push(prev.stamps[i * 3]!);
      w.size.push(prev.stamps[i * 3 + 1]!);
      w.mtime.push(prev.stamps[i * 3 + 2]!);
    }
  } else if (fast) {
    w = { rels: fast.rels, ino: new Array(fast.rels.length), size: new Array(fast.rels.length), mtime: new Array(fast.rels.length) };
    for (let i = 0; i < fast.rels.length; i++) {
      w.ino[i] = fast.stats[i * 3]!;
      w.size[i] = fast.stats[i * 3 + 1]!;
      w.mtime[i] = fast.stats[i * 3 + 2]!;
    }
  } else w = walkFiles(abs, { root: ctx.root, allowed: ctx.allowed, ignore: ctx.ignore, relToRoot: rootRel });
  const n = w.rels.length;
  trace(`hashDir: walked (${n} files)`);
  // What the folder's last snapshot vouches for: files with the same name and the same stamp.
  prev ??= raw ? decodeDirSnapshot(raw) : ctx.state.getDirOrPart(rootRel);
  const rels = w.rels;
  const md5s: string[] = new Array(n);
  let order: Uint32Array | undefined;
  let sameNames = false;
  let fromPrev = 0;
  let matched = 0;
  /** The snapshot entry of each file with the same name (-1: none). */
  const prevOf = new Int32Array(n).fill(-1);
  /** 1 where the md5 was taken from the snapshot. */
  const fromSnap = new Uint8Array(n);
  let prevHex: (j: number) => string = () => '';
  if (prev) {
    const st = prev.stamps;
    const prevMd5s = Buffer.from(prev.md5s.buffer, prev.md5s.byteOffset, prev.md5s.byteLength);
    prevHex = (j) => prevMd5s.toString('hex', j * 16, j * 16 + 16);
    const take = (i: number, j: number) => {
      prevOf[i] = j;
      matched++;
      if (st[j * 3 + 2] === w.mtime[i] && st[j * 3 + 1] === w.size[i] && st[j * 3] === w.ino[i]) {
        md5s[i] = prevHex(j);
        fromSnap[i] = 1;
        fromPrev++;
      }
    };
    sameNames = prev.rels.length === n && prev.rels.every((r, i) => r === rels[i]);
    if (sameNames) {
      order = prev.order;
      for (let i = 0; i < n; i++) take(i, i);
    } else {
      // Other names, or the same ones in another order (a checkout recreated the files).
      const index = new Map<string, number>();
      prev.rels.forEach((r, j) => index.set(r, j));
      const walkOf = new Int32Array(prev.rels.length).fill(-1);
      for (let i = 0; i < n; i++) {
        const j = index.get(rels[i]!);
        if (j === undefined) continue;
        walkOf[j] = i;
        take(i, j);
      }
      if (matched === n && prev.rels.length === n) {
        // The same files, listed in another order: the manifest order follows from the old one.
        order = new Uint32Array(n);
        for (let k = 0; k < n; k++) order[k] = walkOf[prev.order[k]!]!;
      }
    }
  }
  /** The snapshot lists exactly these files (by name). */
  const sameSet = prev !== undefined && prev.md5 !== '' && matched === n && prev.rels.length === n;
  // Every file is one the snapshot lists, with the same stamp, and nothing else is there.
  const unchanged = sameSet && fromPrev === n;
  if (unchanged && (!store || (store.exists(prev!.md5 + '.dir') && store.missing(new Set(md5s)).length === 0))) {
    trace('hashDir: unchanged since the last snapshot');
    // Saved again in this walk's order, so the next comparison is the cheap one.
    if (!sameNames) ctx.state.putDir(rootRel, snapshotOf(prev!.md5, w, md5s, order!, new Set()));
    return dirObject(abs, w, md5s, prev!.md5, order);
  }
  // Files in manifest (code-point) order.
  order ??= sortedOrder(rels);
  // Files the snapshot does not vouch for may still be known from the per-file rows (written by
  // checkout and by earlier hashing): a few (up to 1 in 16) are looked up one by one, many in
  // one sorted pass over all the rows below the folder.
  const unknown = n - fromPrev;
  if (unknown > 0 && (unknown <= 512 || unknown * 16 <= n)) {
    for (let i = 0; i < n; i++) {
      if (md5s[i] !== undefined) continue;
      const m = ctx.state.get(`${rootRel}/${rels[i]}`, { ino: w.ino[i]!, size: w.size[i]!, mtimeMs: w.mtime[i]! });
      if (m) md5s[i] = m;
    }
  } else if (unknown > 0) {
    // The state rows come in code-point order too, so one merge pass finds each file's row.
    const snap = ctx.state.loadPrefixSorted(rootRel);
    trace(`hashDir: state loaded (${snap.rels.length} rows)`);
    const sr = snap.rels;
    const sn = sr.length;
    for (let k = 0, j = 0; k < n && j < sn; k++) {
      const i = order[k]!;
      if (md5s[i] !== undefined) continue;
      const rel = rels[i]!;
      while (j < sn && compareCodePoints(sr[j]!, rel) < 0) j++;
      if (j < sn && sr[j] === rel) {
        if (snap.ino[j] === w.ino[i] && snap.size[j] === w.size[i] && snap.mtime[j] === w.mtime[i]) md5s[i] = snap.md5[j]!;
        j++;
      }
    }
  }
  // Unknown files in walk order (the order they are read in).
  const todo: number[] = [];
  const known: number[] = [];
  for (let i = 0; i < n; i++) {
    if (md5s[i] !== undefined) known.push(i);
    else todo.push(i);
  }
  if (store && known.length) {
    // Known hashes whose objects are missing must still be stored.
    const missing = new Set(store.missing(new Set(known.map((i) => md5s[i]!))));
    if (missing.size) for (const i of known) if (missing.has(md5s[i]!)) todo.push(i);
  }
  trace(`hashDir: merged (${todo.length} to hash)`);
  /** Files whose hash must not be trusted next time (racy, or changed while being read). */
  const untrusted = new Set<number>();
  if (todo.length) {
    const paths = todo.map((i) => abs + sep + (sep === '/' ? w.rels[i]! : w.rels[i]!.split('/').join(sep)));
    const sizes = todo.map((i) => w.size[i]!);
    const pool = ctx.pool();
    const opts = { sizes, onProgress: ctx.onProgress };
    const results = store ? await pool.store(store.filesDir, paths, opts) : await pool.hash(paths, opts);
    const err = failure(results, (k) => `${rootRel}/${w.rels[todo[k]!]}`, sizes, store);
    if (err) throw err;
    const now = Date.now();
    const fine = hasFineClock(w.mtime);
    for (let k = 0; k < todo.length; k++) {
      const i = todo[k]!;
      const r = results[k] as { md5: string; size: number; obj?: ObjectStamp }; // failure() threw for any error
      md5s[i] = r.md5;
      // An object written from the bytes just hashed: a checkout copy of it need not hash it again.
      if (r.obj) ctx.state.putObjectStamp(r.md5, r.obj);
      // A file that changed while we read it (size differs from its stat) is not remembered.
      if (r.size === w.size[i]) {
        if (isRacy(w.mtime[i]!, now, fine)) untrusted.add(i);
      } else {
        w.size[i] = r.size;
        untrusted.add(i);
      }
    }
  }
  trace('hashDir: hashed');
  // The same names with the same contents (files only missing from the store, racy files hashed
  // again, files touched without a change): the folder's hash is the snapshot's.
  let sameManifest = sameSet;
  for (let i = 0; sameManifest && i < n; i++) if (!fromSnap[i] && md5s[i] !== prevHex(prevOf[i]!)) sameManifest = false;
  const ws = dirObject(abs, w, md5s, sameManifest ? prev!.md5 : undefined, order);
  if (!(unchanged && sameNames && untrusted.size === 0)) {
    ctx.state.putDir(rootRel, snapshotOf(ws.oid.slice(0, 32), w, md5s, order, untrusted));
  }
  trace('hashDir: manifest and snapshot');
  return ws;
}

/**
 * The folder object of a folder found unchanged since its snapshot `raw`: only its hash, file
 * count and size are read now; the file list is decoded when asked for.
 */
function snapshotObject(abs: string, raw: Buffer): WsDir {
  const n = raw.readUInt32LE(4);
  let size: number | undefined;
  let full: WsDir | undefined;
  const decoded = (): WsDir => {
    if (!full) {
      const s = decodeDirSnapshot(raw)!;
      const w: WalkResult = { rels: s.rels, ino: [], size: [], mtime: [] };
      const md5s: string[] = new Array(n);
      const hex = Buffer.from(s.md5s.buffer, s.md5s.byteOffset, s.md5s.byteLength);
      for (let i = 0; i < n; i++) {
        w.ino.push(s.stamps[i * 3]!);
        w.size.push(s.stamps[i * 3 + 1]!);
        w.mtime.push(s.stamps[i * 3 + 2]!);
        md5s[i] = hex.toString('hex', i * 16, i * 16 + 16);
      }
      full = dirObject(abs, w, md5s, s.md5, s.order);
    }
    return full;
  };
  return {
    kind: 'dir',
    oid: raw.toString('hex', 16, 32) + '.dir',
    get text() {
      return decoded().text;
    },
    get size() {
      if (size === undefined) {
        size = 0;
        for (let i = 0; i < n; i++) size += raw.readDoubleLE(32 + i * 24 + 8);
      }
      return size;
    },
    nfiles: n,
    get files() {
      return decoded().files;
    },
    md5List: () => decoded().md5List(),
  };
}

function sortedOrder(rels: string[]): Uint32Array {
  const order = new Uint32Array(rels.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => compareCodePoints(rels[a]!, rels[b]!));
}

function snapshotOf(md5: string, w: WalkResult, md5s: string[], order: Uint32Array, untrusted: Set<number>): DirSnapshot {
  const n = w.rels.length;
  const stamps = new Float64Array(n * 3);
  const raw = Buffer.allocUnsafe(n * 16);
  for (let i = 0; i < n; i++) {
    stamps[i * 3] = w.ino[i]!;
    stamps[i * 3 + 1] = w.size[i]!;
    stamps[i * 3 + 2] = untrusted.has(i) ? NaN : w.mtime[i]!;
    raw.write(md5s[i]!, i * 16, 'hex');
  }
  return { md5, rels: w.rels, stamps, md5s: raw, order };
}

/**
 * The folder object from its files (walk order). The manifest text, its code-point order and
 * the per-file list are built only when asked for (a no-op status needs none of them when the
 * folder's md5 is already known).
 */
function dirObject(abs: string, w: WalkResult, md5s: string[], knownMd5?: string, knownOrder?: Uint32Array): WsDir {
  const n = w.rels.length;
  let order = knownOrder;
  let chunks: string[] | undefined;
  let files: WsFile[] | undefined;
  const sorted = () => (order ??= sortedOrder(w.rels));
  const serialize = () => {
    if (!chunks) {
      const r = serializeChunks(w.rels, md5s, sorted());
      chunks = r.chunks;
      knownMd5 ??= r.md5;
    }
    return chunks;
  };
  if (knownMd5 === undefined) serialize();
  let size = 0;
  for (let i = 0; i < n; i++) size += w.size[i]!;
  return {
    kind: 'dir',
    oid: knownMd5 + '.dir',
    get text() {
      return serialize().join('');
    },
    size,
    nfiles: n,
    get files() {
      if (!files) {
        const o = sorted();
        files = new Array(n);
        for (let k = 0; k < n; k++) {
          const i = o[k]!;
          files[k] = new WsFile(w.rels[i]!, md5s[i]!, w.size[i]!, abs, w.ino[i]!, w.mtime[i]!);
        }
      }
      return files;
    },
    md5List: () => md5s,
  };
}
