/**
 * Moving objects between two object databases (odb/db.ts): the local cache (`store.db`) and a
 * remote (any FileSystem, in DVC 3's layout `files/md5/xx/yyy` or DVC 2's `xx/yyy`):
 *  - which objects a db has: ObjectDb.hasMany (listing vs. asking object by object);
 *  - `upload` streams a local db's objects to another db in parallel, files before the `.dir` manifests that name
 *    them (a remote that has a manifest has its files), hashing each as it goes: an object whose
 *    bytes do not match its name is refused (CorruptObjectError), on every kind of remote;
 *  - `download` streams objects from a db into a local db in parallel, into a temporary file
 *    beside the final name, hashing on the way (md5, or md5-dos2unix for DVC 2's layout), and
 *    renames only an object whose hash matches: never a partial or corrupt object under its
 *    final name, so a killed run simply runs again.
 * Local to local skips the streams (copies on the hashing pool or in batches on this thread).
 */
import { createHash } from 'node:crypto';
import { chmod, rename, stat, unlink } from 'node:fs/promises';
import {
  chmodSync,
  closeSync,
  constants as fsc,
  copyFileSync,
  createWriteStream,
  existsSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  open,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { Dos2UnixMd5, md5FileSync } from '../hash/md5.js';
import { CorruptObjectError, isCorrupt, VerifiedFileStream } from '../hash/verify.js';
import { copyObjects, type CopyResult } from '../hash/worker-ops.js';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpPath } from '../fs/local.js';
import { copyKnown, pick4 } from '../hash/known-copy.js';
import { parallel, type ObjectDb } from '../odb/db.js';
import type { ObjectStamp } from '../odb/write.js';
import type { UsedObject } from './used.js';

export { parallel } from '../odb/db.js';

/** What core's hash pool offers (hash/pool.ts): hash files and store them under their md5. */
export interface ObjectWriter {
  store(
    filesDir: string,
    paths: string[],
    opts?: { sizes?: number[]; onProgress?: (files: number, bytes: number) => void },
  ): Promise<Array<{ md5: string; size: number; stored?: boolean; obj?: ObjectStamp } | { error: string; code?: string }>>;
  /** Copies `[src, dest, oid]` objects, each verified against its md5 in the same pass (pool.copy). */
  copy?(
    triples: Array<[string, string, string]>,
    opts?: { onProgress?: (files: number, bytes: number) => void; known?: Float64Array },
  ): Promise<CopyResult[]>;
}

/** md5 and md5-dos2unix of no bytes: the only names an empty object may have. */
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const EMPTY_HASHES = new Set([EMPTY_MD5]);

export interface TransferOptions {
  /**
   * For local remotes: worker threads that read each file once, hash it and write it under its
   * md5 (atomically) on all cores. Without it, local copies run on the main thread.
   */
  writer?: ObjectWriter;
  /** Parallel transfers (DVC's -j; default 4 x cores). */
  jobs?: number;
  /** Called after each object: files, bytes. */
  onProgress?: (files: number, bytes: number) => void;
  /** Called once the work is known. */
  onTotal?: (total: { files: number; bytes?: number }) => void;
  /**
   * Uploads to a local remote: the stamps (inode, size, mtime, ctime; NaN when unknown) of these
   * cache objects when their bytes were last hashed (hash/state.ts objectStamps). An object that
   * still has its stamp is copied without hashing; every other one is hashed as it is copied.
   */
  known?: (oids: string[]) => Float64Array;
  /**
   * The stamp of each cache object this transfer hashed and found sound: uploads to a local
   * remote (the source object), downloads (the object written into the cache, as named).
   */
  onVerified?: (oid: string, stamp: ObjectStamp) => void;
}

export interface TransferFailure {
  object: UsedObject;
  error: unknown;
}

export interface TransferResult {
  /** Objects moved. */
  transferred: UsedObject[];
  /** Objects that could not be moved (source missing or an error). */
  failed: TransferFailure[];
  /** Objects the source lacks (a subset of `failed`'s causes, for the warning DVC prints). */
  missing: UsedObject[];
  bytes: number;
}

function isEnoent(e: unknown): boolean {
  return (e as { code?: string })?.code === 'ENOENT';
}

/** Objects up to this size are downloaded into memory, checked, then written at once. */
const SMALL_OBJECT = 1 << 20;
/** Whether files created 0444 need an explicit chmod (a umask that strips read bits). */
const UMASK_STRIPS_READ = (process.umask() & 0o444) !== 0;

/** The absolute path of an object of a db that must be local (the cache side of a transfer). */
function localPathOf(db: ObjectDb, oid: string): string {
  const p = db.localPath(oid);
  if (p === undefined) throw new Error(`${db.url}: a transfer needs the cache side on a local folder`);
  return p;
}

/** mkdir -p, once per folder per run (synchronous: local copies run in batches on the main thread). */
function dirMaker(): (dir: string) => void {
  const made = new Set<string>();
  return (dir) => {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    made.add(dir);
  };
}

/** Copies a file to `dest` through a temp name beside it (reflink when the file system can). */
function copyAtomicSync(src: string, dest: string, ensureDir: (d: string) => void, verifyOid?: string): number {
  ensureDir(dirname(dest));
  const tmp = tmpPath(dest);
  try {
    copyFileSync(src, tmp, fsc.COPYFILE_FICLONE);
    let size = -1;
    if (verifyOid) {
      const r = md5FileSync(tmp);
      if (r.md5 !== verifyOid.slice(0, 32)) throw corruptError(verifyOid, r.md5);
      size = r.size;
    }
    chmodSync(tmp, 0o444);
    renameSync(tmp, dest);
    return size;
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/**
 * Local to local: thread-pool round trips cost more than the copies themselves (small files), so
 * objects are copied synchronously in small batches, yielding between them (progress, signals).
 */
async function localBatches<T>(items: T[], fn: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!);
    if (i % 64 === 63) await new Promise((ok) => setImmediate(ok));
  }
}

/** Objects per round of an upload to a local remote (bounds the paths and stamps in memory). */
const LOCAL_CHUNK = 8192;

/** Uploads the objects of a local db (the cache) to another db (a remote): files first, then manifests. */
export async function upload(
  from: ObjectDb,
  to: ObjectDb,
  objects: UsedObject[],
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const jobs = opts.jobs ?? 16;
  const result: TransferResult = { transferred: [], failed: [], missing: [], bytes: 0 };
  const local = to.localBase !== undefined;
  const sizes = new Map<string, number>();
  if (local) opts.onTotal?.({ files: objects.length });
  else {
    let total = 0;
    for (const o of objects) {
      try {
        const size = statSync(localPathOf(from, o.oid)).size;
        sizes.set(o.oid, size);
        total += size;
      } catch {
        /* missing: reported below */
      }
    }
    opts.onTotal?.({ files: objects.length, bytes: total });
  }
  const begin = (o: UsedObject): number | undefined => {
    const size = sizes.get(o.oid);
    if (size === undefined) missing(o);
    return size;
  };
  const missing = (o: UsedObject) => {
    result.missing.push(o);
    result.failed.push({ object: o, error: Object.assign(new Error(`${o.name}: not in cache`), { code: 'ENOENT' }) });
  };
  const done = (o: UsedObject, size: number) => {
    result.transferred.push(o);
    result.bytes += size;
    opts.onProgress?.(1, size);
  };
  const corrupt = (o: UsedObject, actual: string | undefined) => {
    result.failed.push({ object: o, error: new CorruptObjectError(o.oid, actual ?? 'something else', localPathOf(from, o.oid)) });
  };
  /**
   * To a local remote: read once, hashed while copied unless the object's stamp shows it
   * unchanged since its bytes were last hashed, named only when sound (the pool's workers on all
   * cores when there are many; this thread for a few or without a pool). In rounds of
   * LOCAL_CHUNK objects, so paths and stamps never exist for all objects at once.
   */
  const runLocal = async (list: UsedObject[]) => {
    for (let start = 0; start < list.length; start += LOCAL_CHUNK) {
      const todo = list.slice(start, start + LOCAL_CHUNK);
      const triples = todo.map((o): [string, string, string] => [localPathOf(from, o.oid), to.localPath(o.oid)!, o.oid]);
      const known = opts.known?.(todo.map((o) => o.oid));
      const res: CopyResult[] = new Array<CopyResult>(todo.length);
      // Objects unchanged since they were hashed: the native addon's kernel copies, on threads.
      const rest = known
        ? await copyKnown({
            count: triples.length,
            paths: (i) => [triples[i]![0], triples[i]![1]],
            known,
            mode: 0o444,
            fixMode: UMASK_STRIPS_READ,
            onCopied: (i, size) => (res[i] = { size }),
            ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          })
        : triples.map((_, i) => i);
      const restTriples = rest.map((i) => triples[i]!);
      const restKnown = known && rest.length < todo.length ? pick4(known, rest) : known;
      let restRes: CopyResult[];
      if (opts.writer?.copy && from.hashName === 'md5' && rest.length > 64)
        restRes = await opts.writer.copy(restTriples, { onProgress: opts.onProgress, ...(restKnown ? { known: restKnown } : {}) });
      else {
        restRes = [];
        await localBatches(restTriples, (t) => {
          const i = restRes.length;
          restRes.push(...copyObjects([t], from.hashName, restKnown?.subarray(i * 4, i * 4 + 4)));
          const r = restRes[i]!;
          if ('size' in r) opts.onProgress?.(1, r.size);
        });
      }
      rest.forEach((i, k) => (res[i] = restRes[k]!));
      res.forEach((r, i) => {
        const o = todo[i]!;
        if ('size' in r) {
          result.transferred.push(o);
          result.bytes += r.size;
          if (r.obj) opts.onVerified?.(o.oid, r.obj);
        } else if (r.code === 'ECORRUPT') corrupt(o, r.actual);
        else if (r.code === 'ENOENT' && !existsSync(triples[i]![0])) missing(o);
        else result.failed.push({ object: o, error: Object.assign(new Error(r.error), { code: r.code }) });
      });
    }
  };
  const run = async (list: UsedObject[]) => {
    if (local) return runLocal(list);
    await parallel(list, jobs, async (o) => {
      const size = begin(o);
      if (size === undefined) return;
      // An empty upload has no last byte to hold back: an empty object is checked first.
      if (size === 0 && !EMPTY_HASHES.has(o.oid.slice(0, 32))) {
        corrupt(o, EMPTY_MD5);
        return;
      }
      // Hashed while it streams up; a mismatch stops the stream before its last byte leaves.
      const src = new VerifiedFileStream(localPathOf(from, o.oid), o.oid, from.hashName);
      try {
        await to.put(o.oid, src, size);
        if (src.corrupt) {
          // A backend that finished despite the error: take the object back off the remote.
          await to.delete(o.oid).catch(() => undefined);
          throw src.corrupt;
        }
        done(o, size);
      } catch (error) {
        src.destroy();
        if (src.corrupt || isCorrupt(error)) corrupt(o, src.corrupt?.actual ?? (error as { actual?: string }).actual);
        else result.failed.push({ object: o, error });
      }
    });
  };
  const files = objects.filter((o) => !o.oid.endsWith('.dir'));
  const dirs = objects.filter((o) => o.oid.endsWith('.dir'));
  await run(files);
  // A manifest goes up only when all its files did.
  const failedParents = new Set(result.failed.map((f) => f.object.parent).filter((p): p is string => !!p));
  const ready = dirs.filter((d) => {
    if (!failedParents.has(d.oid)) return true;
    result.failed.push({ object: d, error: Object.assign(new Error(`${d.name}: some of its files failed to upload`), { code: 'EDEPENDS' }) });
    return false;
  });
  await run(ready);
  return result;
}

function corruptError(oid: string, md5: string): Error {
  return Object.assign(new Error(`object '${oid}' on the remote is corrupted (its content hashes to ${md5})`), { code: 'ECORRUPT' });
}

const CREATE_NEW = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL;

function createNew(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, CREATE_NEW, 0o444, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/**
 * A small, verified object already in memory, written to `tmp` and renamed to `dest`. The file
 * is created on the thread pool: on a busy disk a create can wait milliseconds on the file
 * system's journal, and every download in flight would wait with it on this thread. The bytes
 * are then written, the file closed and renamed here (a thread-pool round trip for each of
 * those would cost more than the calls themselves).
 */
async function writeSmall(tmp: string, dest: string, chunks: Buffer[]): Promise<ObjectStamp> {
  const fd = await createNew(tmp);
  let named = false;
  try {
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
    if (UMASK_STRIPS_READ) fchmodSync(fd, 0o444);
    renameSync(tmp, dest);
    named = true;
    // Its stamp as named (a rename moves the ctime), read from the open file: no path lookup.
    return stampOf(fstatSync(fd));
  } catch (e) {
    if (!named) quietly(() => unlinkSync(tmp));
    throw e;
  } finally {
    quietly(() => closeSync(fd));
  }
}

const stampOf = (st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): ObjectStamp => [st.ino, st.size, st.mtimeMs, st.ctimeMs];

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    /* cleaning up after an error already thrown */
  }
}

/**
 * Downloads one object from `from` into the local db `to`, verified; returns its size. An md5
 * object's stamp as written (inode, size, mtime, ctime) goes to `onVerified`: its bytes were
 * hashed on the way in.
 */
export async function downloadObject(
  from: ObjectDb,
  to: ObjectDb,
  oid: string,
  ensureDir: (dir: string) => void = dirMaker(),
  onVerified?: (oid: string, stamp: ObjectStamp) => void,
): Promise<number> {
  if (to.hashName === 'md5-dos2unix') return downloadLegacyObject(from, to, oid);
  const dest = localPathOf(to, oid);
  ensureDir(dirname(dest));
  const tmp = tmpPath(dest);
  const hash = createHash('md5');
  let size = 0;
  const got = await from.getSmall(oid, SMALL_OBJECT);
  if (Array.isArray(got)) {
    // The whole object in memory (one request, no stream): checked, then written in one go.
    for (const c of got) {
      hash.update(c);
      size += c.length;
    }
    const md5 = hash.digest('hex');
    if (md5 !== oid.slice(0, 32)) throw corruptError(oid, md5);
    const stamp = await writeSmall(tmp, dest, got);
    onVerified?.(oid, stamp);
    return size;
  }
  const src = got;
  const it = (src as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    // Small objects (most of a dataset) are held in memory, checked, then written in one go;
    // larger ones stream to the temp file. Either way the name comes only after the md5 matches.
    const head: Buffer[] = [];
    let spilled = false;
    for (;;) {
      const { value, done } = await it.next();
      if (done) break;
      hash.update(value);
      size += value.length;
      head.push(value);
      if (size > SMALL_OBJECT) {
        spilled = true;
        break;
      }
    }
    if (!spilled) {
      const md5 = hash.digest('hex');
      if (md5 !== oid.slice(0, 32)) throw corruptError(oid, md5);
      const stamp = await writeSmall(tmp, dest, head);
      onVerified?.(oid, stamp);
      return size;
    } else {
      await pipeline(
        async function* () {
          yield* head;
          for (;;) {
            const { value, done } = await it.next();
            if (done) return;
            hash.update(value);
            size += value.length;
            yield value;
          }
        },
        createWriteStream(tmp, { flags: 'wx', mode: 0o444 }),
      );
      const md5 = hash.digest('hex');
      if (md5 !== oid.slice(0, 32)) throw corruptError(oid, md5);
    }
    if (UMASK_STRIPS_READ) await chmod(tmp, 0o444);
    await rename(tmp, dest);
    if (onVerified) {
      const st = await stat(dest).catch(() => undefined);
      if (st?.size === size) onVerified(oid, stampOf(st));
    }
    return size;
  } catch (e) {
    src.destroy();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Downloads objects from a db (a remote) into a local db (the cache); skips none: pass only what
 * is missing.
 */
export async function download(
  from: ObjectDb,
  to: ObjectDb,
  objects: UsedObject[],
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const wanted = new Set(objects.map((o) => o.oid));
  /** One object's outcome: its size, or the error that stopped it. */
  const record = (o: UsedObject, outcome: number | unknown) => {
    if (typeof outcome === 'number') {
      result.transferred.push(o);
      result.bytes += outcome;
      opts.onProgress?.(1, outcome);
    } else {
      if (isEnoent(outcome)) result.missing.push(o);
      result.failed.push({ object: o, error: outcome });
    }
  };
  const jobs = opts.jobs ?? 16;
  const result: TransferResult = { transferred: [], failed: [], missing: [], bytes: 0 };
  opts.onTotal?.({ files: objects.length });
  const ensureDir = dirMaker();
  // DVC 2's objects (md5-dos2unix) are checked by their own hash, always through the stream.
  const local = to.hashName === 'md5' && from.localBase !== undefined;
  if (local && opts.writer && objects.length > 64) {
    // Files through the pool (read once, hashed, stored under their md5); manifests below.
    // In rounds of LOCAL_CHUNK objects: paths and results never exist for all objects at once.
    const all = objects.filter((o) => !o.oid.endsWith('.dir'));
    for (let start = 0; start < all.length; start += LOCAL_CHUNK) {
      const plain = all.slice(start, start + LOCAL_CHUNK);
      const res = await opts.writer.store(to.localBase!, plain.map((o) => from.localPath(o.oid)!), {
        onProgress: opts.onProgress,
      });
      res.forEach((r, i) => {
        const o = plain[i]!;
        if ('error' in r) {
          const error = Object.assign(new Error(`${o.name}: ${r.error}`), { code: r.code });
          if (r.code === 'ENOENT') result.missing.push(o);
          result.failed.push({ object: o, error });
        } else if (r.md5 !== o.oid) {
          // Stored under its real hash, never under the name it claimed; that object is junk.
          if (r.stored && !wanted.has(r.md5)) removeSync(localPathOf(to, r.md5));
          result.failed.push({ object: o, error: corruptError(o.oid, r.md5) });
        } else {
          result.transferred.push(o);
          result.bytes += r.size;
          if (r.obj) opts.onVerified?.(o.oid, r.obj);
        }
      });
    }
    objects = objects.filter((o) => o.oid.endsWith('.dir'));
  }
  if (local) {
    // A local remote: copy (reflink when possible), hash the copy, then give it its name.
    await localBatches(objects, (o) => {
      try {
        record(o, copyAtomicSync(from.localPath(o.oid)!, localPathOf(to, o.oid), ensureDir, o.oid));
      } catch (error) {
        record(o, error);
      }
    });
    return result;
  }
  await parallel(objects, jobs, async (o) => {
    try {
      record(o, await downloadObject(from, to, o.oid, ensureDir, opts.onVerified));
    } catch (error) {
      record(o, error);
    }
  });
  return result;
}

function removeSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (!isEnoent(e)) throw e;
  }
}

/** Downloads one DVC 2 object into a local db of DVC 2's layout, checked against its md5-dos2unix name. */
async function downloadLegacyObject(from: ObjectDb, to: ObjectDb, oid: string): Promise<number> {
  const dest = localPathOf(to, oid);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  const tmp = tmpPath(dest);
  const h = new Dos2UnixMd5();
  let src: Readable | undefined;
  try {
    src = await from.get(oid);
    await pipeline(
      src,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          h.update(c);
          yield c;
        }
      },
      createWriteStream(tmp, { flags: 'wx', mode: 0o444 }),
    );
    const md5 = h.digest();
    if (md5 !== oid.slice(0, 32)) throw corruptError(oid, md5);
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
    return h.size;
  } catch (e) {
    src?.destroy();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
