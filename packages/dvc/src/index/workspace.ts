/**
 * What the workspace holds for an output: its md5 (a file) or its manifest and `.dir` hash (a
 * folder), computed with the hash state (unchanged files are not re-hashed) and the worker pool.
 * With `store`, every file is also put into the object store in the same read (used by add and
 * commit).
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DvcError, UnsafePathError } from '../errors.js';
import type { DvcIgnore } from '../formats/dvcignore.js';
import type { HashPool, HashResult } from '../hash/pool.js';
import type { StateDb } from '../hash/state.js';
import type { LocalObjectStore } from '../odb/local.js';
import { compareCodePoints, serializeChunks } from '../tree/manifest.js';
import { checkLink, walkFiles, type WalkResult } from '../tree/walk.js';

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
  ) {}
  get abs(): string {
    return this.base + sep + (sep === '/' ? this.relpath : this.relpath.split('/').join(sep));
  }
}

export type WsObject =
  | { kind: 'missing' }
  | { kind: 'file'; md5: string; size: number; abs: string; stat: Stats }
  | { kind: 'dir'; oid: string; text: string; size: number; nfiles: number; files: WsFile[] };

function posixRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

function fail(r: HashResult, shown: string): never {
  const e = r as { error: string; code?: string };
  throw new DvcError(`unable to read '${shown}': ${e.error}`);
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
    if ('error' in r!) fail(r!, rootRel);
    md5 = r!.md5;
    if (r!.size === st.size) ctx.state.set(rootRel, st, md5, Date.now());
    size = r!.size;
    ctx.onProgress?.(1, size);
  }
  return { kind: 'file', md5, size, abs, stat: st };
}

/** Folders with at least this many files (estimated) are walked on the worker threads. */
const PARALLEL_WALK_MIN = 4000;

/**
 * Starts walking `abs` on the pool's workers when it is big and has several top folders;
 * returns undefined when a walk on this thread is the better deal (small, flat, symlinks on top).
 */
function startParallelWalk(ctx: HashContext, abs: string, rootRel: string): Promise<WalkResult> | undefined {
  // Opt-in (COPPER_PARALLEL_WALK=1, or `force` for any size): on a busy 2-core machine the
  // worker start-up cost more than the parallel stats saved; measure before making it default.
  const mode = process.env.COPPER_PARALLEL_WALK;
  if (mode !== '1' && mode !== 'force') return undefined;
  let ents;
  try {
    ents = readdirSync(abs, { withFileTypes: true });
  } catch {
    return undefined;
  }
  if (ents.some((d) => d.isSymbolicLink())) return undefined;
  const ig = ctx.ignore;
  const checkIgnore = ig !== undefined && ig.anyRulesAbove(rootRel);
  const dirs: string[] = [];
  const files: string[] = [];
  for (const d of ents) {
    const isDir = d.isDirectory();
    if (isDir && (d.name === '.git' || d.name === '.dvc' || d.name === '.hg')) continue;
    if (checkIgnore && ig.isIgnored(`${rootRel}/${d.name}`, isDir)) continue;
    if (isDir) dirs.push(d.name);
    else if (d.isFile()) files.push(d.name);
  }
  if (dirs.length < 2) return undefined;
  let sample = 0;
  try {
    sample = readdirSync(join(abs, dirs[0]!)).length;
  } catch {
    return undefined;
  }
  if (mode !== 'force' && sample * dirs.length < PARALLEL_WALK_MIN) return undefined;
  const jobs = dirs.map((name) => ({ dirAbs: abs + sep + name, relToRoot: `${rootRel}/${name}` }));
  const walking = ctx.pool().walk(jobs, { root: ctx.root, allowed: ctx.allowed, ignore: ig !== undefined });
  return walking.then((results) => {
    const w: WalkResult = { rels: [], ino: [], size: [], mtime: [] };
    for (const name of files) {
      const st = statSync(abs + sep + name);
      w.rels.push(name);
      w.ino.push(st.ino);
      w.size.push(st.size);
      w.mtime.push(st.mtimeMs);
    }
    results.forEach((r, k) => {
      const e = r as { error?: string; name?: string };
      if (e.error !== undefined) {
        throw e.name === 'UnsafePathError' ? new UnsafePathError(e.error) : new DvcError(e.error);
      }
      const part = r as WalkResult;
      const prefix = dirs[k] + '/';
      for (let i = 0; i < part.rels.length; i++) {
        w.rels.push(prefix + part.rels[i]);
        w.ino.push(part.ino[i]!);
        w.size.push(part.size[i]!);
        w.mtime.push(part.mtime[i]!);
      }
    });
    return w;
  });
}

async function hashDir(ctx: HashContext, abs: string, rootRel: string, store?: LocalObjectStore): Promise<WsObject> {
  // Big folders: workers stat while this thread loads the state.
  const walking = startParallelWalk(ctx, abs, rootRel);
  const snap = ctx.state.loadPrefixSorted(rootRel);
  const w = walking ? await walking : walkFiles(abs, { root: ctx.root, allowed: ctx.allowed, ignore: ctx.ignore, relToRoot: rootRel });
  const n = w.rels.length;
  const rels = w.rels;
  // Files in manifest (code-point) order; the state rows come in the same order, so one merge
  // pass finds each file's remembered hash (no map of every path).
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => compareCodePoints(rels[a]!, rels[b]!));
  const md5s: string[] = new Array(n);
  const sr = snap.rels;
  const sn = sr.length;
  for (let k = 0, j = 0; k < n && j < sn; k++) {
    const i = order[k]!;
    const rel = rels[i]!;
    while (j < sn && compareCodePoints(sr[j]!, rel) < 0) j++;
    if (j < sn && sr[j] === rel) {
      if (snap.ino[j] === w.ino[i] && snap.size[j] === w.size[i] && snap.mtime[j] === w.mtime[i]) md5s[i] = snap.md5[j]!;
      j++;
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
  if (todo.length) {
    const paths = todo.map((i) => abs + sep + (sep === '/' ? w.rels[i]! : w.rels[i]!.split('/').join(sep)));
    const sizes = todo.map((i) => w.size[i]!);
    const pool = ctx.pool();
    const opts = { sizes, onProgress: ctx.onProgress };
    const results = store ? await pool.store(store.filesDir, paths, opts) : await pool.hash(paths, opts);
    const now = Date.now();
    for (let k = 0; k < todo.length; k++) {
      const i = todo[k]!;
      const r = results[k]!;
      if ('error' in r) fail(r, `${rootRel}/${w.rels[i]}`);
      md5s[i] = r.md5;
      // A file that changed while we read it (size differs from its stat) is not remembered.
      if (r.size === w.size[i]) {
        ctx.state.set(`${rootRel}/${w.rels[i]}`, { ino: w.ino[i]!, size: w.size[i]!, mtimeMs: w.mtime[i]! }, r.md5, now);
      } else w.size[i] = r.size;
    }
  }
  const { chunks, md5 } = serializeChunks(rels, md5s, order);
  const files: WsFile[] = new Array(n);
  let size = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    files[k] = new WsFile(rels[i]!, md5s[i]!, w.size[i]!, abs, w.ino[i]!);
    size += w.size[i]!;
  }
  return {
    kind: 'dir',
    oid: md5 + '.dir',
    get text() {
      return chunks.join('');
    },
    size,
    nfiles: n,
    files,
  };
}
