/**
 * Lists a local folder with an inode/size/mtime stamp per entry (no symlinks followed), in one
 * call. Uses the optional native addon (native/scan.c: getdents + fstatat on several threads,
 * several times faster than a statSync per file) when it was built, else readdirSync + lstatSync.
 * Both give the same answer; `mtime` equals fs.Stats.mtimeMs bit for bit.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

/** Entry kinds in `DirListing.kinds`: 0 gone between the listing and its stat, 4 socket/fifo/device. */
export const EntryKind = { Vanished: 0, File: 1, Dir: 2, Symlink: 3, Other: 4 } as const;

export interface DirListing {
  names: string[];
  kinds: Uint8Array;
  /** Three numbers per entry: inode, size, mtime (ms). Zero for folders. */
  stats: Float64Array;
}

interface NativeScan {
  scan(path: string, threads: number): { count: number; names: string; kinds: Uint8Array; stats: Float64Array };
  /** flock(fd, LOCK_EX | LOCK_NB): 0 when taken, else the errno (absent in addons built before it). */
  tryLock?(fd: number): number;
  /** See native/scan.c (absent in addons built before it). */
  walkCompare?(path: string, snapshot: Uint8Array | null, threads: number): true | null | { count: number; names: string; stats: Float64Array };
  dirStamps?(path: string): [string, number] | null;
  /** See native/copy.c (absent in addons built before it). */
  copyStamped?(
    srcs: string,
    dests: string,
    stamps: Float64Array,
    threads: number,
    mode: number,
    fixMode: boolean,
    trusted: Uint8Array | null,
    out: Float64Array | null,
  ): Uint8Array;
}

function loadNative(): NativeScan | undefined {
  if (process.env.COPPER_DVC_NATIVE === '0') return undefined;
  try {
    const require = createRequire(import.meta.url);
    return require('../../build/Release/copper_dvc_fs.node') as NativeScan;
  } catch {
    return undefined;
  }
}

const native = loadNative();
const threads = Math.max(1, Math.min(availableParallelism(), 4));

/**
 * flock(2) on an open file, without waiting: 0 when taken, else the errno (EWOULDBLOCK: someone
 * holds it). Undefined when the native addon is not built (the caller then uses `flock(1)`).
 */
export const nativeTryLock: ((fd: number) => number) | undefined = native?.tryLock ? (fd) => native.tryLock!(fd) : undefined;

/**
 * Walks a tracked folder in C as `walkFiles` does (same files, same order; see native/scan.c)
 * and compares it with `snapshot` (an encoded DirSnapshot) without a JS value per file:
 * `true` when names and stamps all match, else the walk as flat arrays; `null` when the JS walk
 * must decide (a symlink or a .dvcignore below the folder, a sub-folder that cannot be read), and
 * `undefined` when the addon lacks it. The caller checks that no .dvcignore above applies.
 */
export function walkCompare(abs: string, snapshot: Uint8Array | undefined): true | null | undefined | { rels: string[]; stats: Float64Array } {
  if (!native?.walkCompare) return undefined;
  const r = native.walkCompare(abs, snapshot && Buffer.isBuffer(snapshot) ? snapshot : snapshot ? Buffer.from(snapshot) : null, threads);
  if (r === true || r === null) return r;
  return { rels: r.count ? r.names.split('\0') : [], stats: r.stats };
}

/**
 * "name:ino:mtime_ns:ctime_ns;" of each two-character entry of `abs` in name order, with the
 * newest ctime (ms); null when an entry could not be read; undefined without the addon.
 */
export function dirStamps(abs: string): [string, number] | null | undefined {
  return native?.dirStamps ? native.dirStamps(abs) : undefined;
}

/** What copyStamped did with an object. */
export const CopyStatus = { Copied: 0, Left: 1, Reflinked: 2 } as const;

/**
 * Copies objects whose stamps (four numbers each in `stamps`: inode, size, mtime, ctime in ms)
 * still match, or that are `trusted` (1: hashed by this process as they arrived; stamp not
 * checked), into new files at `dests` with `mode` (the umask applies unless `fixMode`), on
 * several threads (see native/copy.c). One CopyStatus per object: Left for those it leaves to
 * the caller (stamp differs, name taken, any error). With `out`, each copy's inode, size and
 * mtime (ms) go there, three numbers per object. Undefined without the addon.
 */
export const copyStamped:
  | ((srcs: string[], dests: string[], stamps: Float64Array, mode: number, opts?: { fixMode?: boolean; trusted?: Uint8Array; out?: Float64Array }) => Uint8Array)
  | undefined = native?.copyStamped
  ? (srcs, dests, stamps, mode, opts = {}) =>
      native.copyStamped!(srcs.join('\0'), dests.join('\0'), stamps, threads, mode, opts.fixMode ?? false, opts.trusted ?? null, opts.out ?? null)
  : undefined;

/** True when the native scanner is in use (for `dvc version` / diagnostics). */
export const nativeScanAvailable = native !== undefined;

/** Lists `abs` (throws fs-style errors with `code`, e.g. ENOENT, ENOTDIR, EACCES). */
export function listDir(abs: string): DirListing {
  return native ? listDirNative(abs) : listDirNode(abs);
}

/** The names in a folder (no stat: the cheapest listing; throws like `listDir`). */
export function listNames(abs: string): string[] {
  if (!native) return readdirSync(abs);
  const r = native.scan(abs, 0);
  return r.count ? r.names.split('\0') : [];
}

/** The native listing (only when the addon is built: see `nativeScanAvailable`). */
export function listDirNative(abs: string): DirListing {
  if (!native) throw new Error('the native folder scanner is not built');
  const r = native.scan(abs, threads);
  return { names: r.count ? r.names.split('\0') : [], kinds: r.kinds, stats: r.stats };
}

/** The same listing with plain Node calls (readdirSync + one lstatSync per non-folder). */
export function listDirNode(abs: string): DirListing {
  const ents = readdirSync(abs, { withFileTypes: true });
  const n = ents.length;
  const names: string[] = new Array(n);
  const kinds = new Uint8Array(n);
  const stats = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const d = ents[i]!;
    names[i] = d.name;
    if (d.isDirectory()) {
      kinds[i] = EntryKind.Dir;
      continue;
    }
    const st = lstatSync(abs + '/' + d.name, { throwIfNoEntry: false });
    if (!st) continue;
    kinds[i] = st.isFile() ? EntryKind.File : st.isDirectory() ? EntryKind.Dir : st.isSymbolicLink() ? EntryKind.Symlink : EntryKind.Other;
    if (kinds[i] === EntryKind.Dir) continue;
    stats[i * 3] = st.ino;
    stats[i * 3 + 1] = st.size;
    stats[i * 3 + 2] = st.mtimeMs;
  }
  return { names, kinds, stats };
}
