/**
 * `dvc gc`: remove the cache objects (and with `cloud`, the remote's objects) that no kept
 * version uses: the workspace (-w), every branch (-a), tag (-T) or commit (-A). Manifests of
 * kept folders keep their files. Temporary files left by an interrupted transfer go too.
 */
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DvcError } from '../errors.js';
import { OID_RE } from '../hash/md5.js';
import { listRemote, parallel } from '../sync/transfer.js';
import { legacyRemoteFs } from '../sync/legacy-transfer.js';
import { byHashName, cacheManifests, expandOuts } from '../sync/used.js';
import { FILES_PREFIX, legacyPathToOid, oidToPath, pathToOid } from '../odb/layout.js';
import { STALE_TEMP_AGE_MS } from '../fs/types.js';
import { withData } from './context.js';
import { jobsOf, onRemote, openRemoteFs, remoteConfig, usedOuts, type RevisionOptions } from './data-sync.js';
import type { Repo } from './repo.js';

export interface GcOptions extends RevisionOptions {
  workspace?: boolean;
  /** Also remove from the remote (-c). */
  cloud?: boolean;
  remote?: string;
  /** Report only (--dry). */
  dry?: boolean;
  jobs?: number;
}

export interface GcResult {
  /** Objects removed (or that would be, with dry) from the local cache. */
  removedLocal: number;
  /** Objects of DVC 2's layout (`.dvc/cache/<2>/<30>`) removed from the local cache. */
  removedLegacy: number;
  /** Objects removed from the remote, when cloud; undefined otherwise. */
  removedRemote?: number;
  /** Objects of DVC 2's layout (`<remote>/<2>/<30>`) removed from the remote, when cloud. */
  removedRemoteLegacy?: number;
  /**
   * Temp files of killed or failed uploads removed from the remote (older than
   * STALE_TEMP_AGE_MS), when cloud; never counted as objects.
   */
  removedRemoteTemps?: number;
  remoteName?: string;
}

/** Bad gc arguments (DVC raises InvalidArgumentError: exit 255). */
export class GcArgumentError extends DvcError {
  override readonly exitCode = 255;
}

export function validateGcOptions(o: GcOptions): void {
  if (!(o.workspace || o.allBranches || o.allTags || o.allCommits)) {
    throw new GcArgumentError(
      'Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags`, `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.',
    );
  }
}

/** DVC's warning text for the kept set. */
export function gcWarning(o: GcOptions): string {
  let msg = 'This will remove all cache except items used in the workspace';
  if (o.allCommits) msg += ' and all git commits';
  else if (o.allBranches && o.allTags) msg += ' and all git branches and tags';
  else if (o.allBranches) msg += ' and all git branches';
  else if (o.allTags) msg += ' and all git tags';
  msg += ' of the current repo.';
  if (o.cloud) msg += ' It will also remove the unused objects from the remote.';
  return msg;
}

export async function gc(repo: Repo, opts: GcOptions): Promise<GcResult> {
  validateGcOptions(opts);
  const jobs = jobsOf(opts.jobs);
  return repo.withLock(() =>
    withData(repo, async (d) => {
      const outs = await usedOuts(repo, [], opts);
      // DVC 3 objects and DVC 2 (md5-dos2unix) objects are kept apart, as DVC does: an object of
      // one layout is kept only when an output of that kind uses it.
      const keep = { modern: new Set<string>(), legacy: new Set<string>() };
      for (const part of byHashName(outs)) {
        const { objects, unreadable } = expandOuts(part.outs, cacheManifests(d.space(part.legacy).store));
        if (unreadable.length && opts.cloud) {
          // Without the manifest we cannot tell which remote files the folder needs.
          throw new DvcError(
            `cannot collect the files of '${unreadable[0]!.name}': its manifest ${unreadable[0]!.oid} is not in the cache (run dvc fetch first)`,
          );
        }
        const set = part.legacy ? keep.legacy : keep.modern;
        for (const o of objects) set.add(o.oid);
      }
      const result: GcResult = { removedLocal: 0, removedLegacy: 0 };

      // Local cache: every object not kept, plus leftover temp files.
      const filesDir = join(repo.cacheDir, FILES_PREFIX);
      const doomed = await unusedIn(filesDir, keep.modern);
      result.removedLocal = doomed.length;
      // DVC 2's objects right under the cache folder (`<2>/<30>`; `files/` and `runs/` are not
      // of that shape).
      const doomedLegacy = await unusedIn(repo.cacheDir, keep.legacy);
      result.removedLegacy = doomedLegacy.length;
      // Temp files of interrupted transfers, once old (a fresh one may belong to a running process).
      doomed.push(...(await staleTemps(filesDir)), ...(await staleTemps(repo.cacheDir)));
      if (!opts.dry) {
        await parallel([...doomed, ...doomedLegacy], 16, async (f) => unlink(f).catch(() => undefined));
        // DVC 2 unpacked some folders beside their manifest (`<oid>.dir.unpacked`).
        for (const f of doomedLegacy) if (f.endsWith('.dir')) await rm(f + '.unpacked', { recursive: true, force: true });
      }

      if (opts.cloud) {
        const rc = remoteConfig(repo, opts.remote);
        result.remoteName = rc.name;
        const fs = await openRemoteFs(rc);
        try {
          let remoteOids: Set<string>;
          try {
            remoteOids = await onRemote(rc, fs, () => listRemote(fs));
          } catch (e) {
            if ((e as { code?: string }).code === 'ENOTSUP') {
              throw new DvcError(`gc -c needs a remote that can list its objects; the ${fs.protocol} remote '${rc.name}' cannot`);
            }
            throw e;
          }
          const gone = [...remoteOids].filter((oid) => !keep.modern.has(oid));
          result.removedRemote = gone.length;
          if (!opts.dry) await parallel(gone, jobs, async (oid) => fs.delete(oidToPath(oid)));
          // The remote's DVC 2 area (`<remote>/<2>/<30>`), as DVC sweeps it too.
          const legacyFs = legacyRemoteFs(fs);
          const legacyOids = await onRemote(rc, fs, () => listRemote(legacyFs));
          const goneLegacy = [...legacyOids].filter((oid) => !keep.legacy.has(oid));
          result.removedRemoteLegacy = goneLegacy.length;
          if (!opts.dry) await parallel(goneLegacy, jobs, async (oid) => legacyFs.delete(oidToPath(oid)));
          // The temp files of killed or failed pushes, once old enough that no running upload
          // can own them: on every backend that leaves any (SSH `.tmp`, WebDAV `.copper-tmp-*`,
          // unfinished S3 multipart uploads...).
          if (!opts.dry) {
            const root = (fs as { root?: unknown }).root;
            if (fs.protocol === 'local' && typeof root === 'string') {
              const stale = [...(await staleTemps(join(root, FILES_PREFIX), STALE_TEMP_AGE_MS)), ...(await staleTemps(root, STALE_TEMP_AGE_MS))];
              await parallel(stale, 16, async (f) => unlink(f).catch(() => undefined));
              result.removedRemoteTemps = stale.length;
            } else if (fs.removeStaleTemps) {
              result.removedRemoteTemps = (await onRemote(rc, fs, () => fs.removeStaleTemps!('', STALE_TEMP_AGE_MS, isObjectPath))).length;
            }
          }
        } finally {
          await fs.close();
        }
      }
      return result;
    }),
  );
}

/** A remote path where an object lives (DVC 3 or DVC 2 layout): gc sweeps only those uploads' temp files. */
function isObjectPath(p: string): boolean {
  return pathToOid(p) !== undefined || legacyPathToOid(p) !== undefined;
}

/** The objects (absolute paths) below a `<2 hex>/<30 hex>` layout folder that `keep` lacks. */
async function unusedIn(dir: string, keep: Set<string>): Promise<string[]> {
  let prefixes: string[] = [];
  try {
    prefixes = await readdir(dir);
  } catch {
    return []; // no cache yet
  }
  const out: string[] = [];
  for (const p of prefixes) {
    if (!/^[0-9a-f]{2}$/.test(p)) continue;
    let names: string[];
    try {
      names = await readdir(join(dir, p));
    } catch {
      continue; // not a folder
    }
    for (const name of names) {
      const oid = p + name;
      if (OID_RE.test(oid) && !keep.has(oid)) out.push(join(dir, p, name));
    }
  }
  return out;
}

/** Temp files (`<name>.<16 hex>.tmp`) older than `age` ms (an hour) below a `files/md5` folder. */
async function staleTemps(filesDir: string, age = 3600_000): Promise<string[]> {
  const out: string[] = [];
  let prefixes: string[] = [];
  try {
    prefixes = await readdir(filesDir);
  } catch {
    return out;
  }
  const old = async (path: string) => {
    const st = await stat(path).catch(() => undefined);
    return !!st && st.isFile() && Date.now() - st.mtimeMs > age;
  };
  for (const p of prefixes) {
    // Large objects are staged as `files/md5/.<hex>.tmp` (see hash/worker-ops.ts).
    if (/^\.[0-9a-f]{16}\.tmp$/.test(p)) {
      if (await old(join(filesDir, p))) out.push(join(filesDir, p));
      continue;
    }
    if (!/^[0-9a-f]{2}$/.test(p)) continue;
    for (const name of await readdir(join(filesDir, p)).catch(() => [] as string[])) {
      if (!/\.[0-9a-f]{16}\.tmp$/.test(name)) continue;
      const st = await stat(join(filesDir, p, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > age) out.push(join(filesDir, p, name));
    }
  }
  return out;
}
