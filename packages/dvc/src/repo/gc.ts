/**
 * `dvc gc`: remove the cache objects (and with `cloud`, the remote's objects) that no kept
 * version uses: the workspace (always), every branch (-a), tag (-T) or commit (-A), `--rev R`
 * and the `-n N - 1` commits before it, the commits since `--date`, every experiment. Manifests
 * of kept folders keep their files. With `--not-in-remote`, only what the remote lacks is kept.
 * Temporary files left by an interrupted transfer go too. As DVC's dvc/repo/gc.py.
 */
import { rm } from 'node:fs/promises';
import { ConfigError, DvcError } from '../errors.js';
import { byHashName, cacheManifests, expandOuts, type UsedOut } from '../sync/used.js';
import { ObjectDb, parallel } from '../odb/db.js';
import { LAYOUT_V2, LAYOUT_V3 } from '../odb/layout.js';
import { LocalObjectStore } from '../odb/local.js';
import { STALE_TEMP_AGE_MS } from '../fs/types.js';
import { withData, type DataContext } from './context.js';
import { byRemote, jobsOf, onRemote, openRemoteDb, openRemoteFs, remoteConfig, revisionOuts, workspaceOuts, type RevisionOptions } from './data-sync.js';
import type { Repo } from './repo.js';

export interface GcOptions extends RevisionOptions {
  workspace?: boolean;
  /** Also remove from the remote (-c). */
  cloud?: boolean;
  remote?: string;
  /** Report only (--dry). */
  dry?: boolean;
  jobs?: number;
  /** --rev: keep what this commit uses (and with `num`, the `num - 1` commits before it). */
  rev?: string;
  /** -n/--num: with `rev`, how many commits back from it (DVC's default 1; negative: all). */
  num?: number;
  /** --date YYYY-MM-DD: keep what the commits since that day (committer time, local) use. */
  commitDate?: string;
  /** --all-experiments: keep what every experiment's commits use. */
  allExperiments?: boolean;
  /** --not-in-remote: of what is used, keep only what the remote lacks. */
  notInRemote?: boolean;
  /** --skip-failed: a revision whose DVC files cannot be read is skipped (a warning), not an error. */
  skipFailed?: boolean;
  /** Called with each revision skipped under `skipFailed` (DVC warns about each). */
  onSkipped?: (rev: string) => void;
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

/** A revision whose DVC files could not be read (DVC's RevCollectionError: exit 1). */
export class RevCollectionError extends DvcError {
  constructor(
    readonly rev: string,
    cause: unknown,
  ) {
    super(`Failed to collect '${rev}' - ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
}

/** DVC's _validate_args, in its order (InvalidArgumentError: exit 255). */
export function validateGcOptions(o: GcOptions): void {
  if (o.remote && !(o.cloud || o.notInRemote)) throw new GcArgumentError('`--remote` requires `--cloud` or `--not-in-remote`');
  if (o.notInRemote && o.cloud) throw new GcArgumentError('`--not-in-remote` and `--cloud` are mutually exclusive');
  if (!(o.workspace || o.allBranches || o.allTags || o.allCommits || o.allExperiments || o.commitDate || o.rev || o.num)) {
    throw new GcArgumentError(
      'Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.',
    );
  }
  if (o.num && !o.rev) throw new GcArgumentError('`--num` can only be used alongside `--rev`');
  if (o.commitDate !== undefined) dateStamp(o.commitDate);
}

/**
 * Python's datetime.strptime(d, "%Y-%m-%d").timestamp(): local midnight of that day, in seconds.
 * A malformed date is DVC's "unexpected error" (exit 255).
 */
export function dateStamp(d: string): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(d);
  const bad = () => new GcArgumentError(`unexpected error - time data '${d}' does not match format '%Y-%m-%d'`);
  if (!m) throw bad();
  const [y, mo, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(y, mo - 1, day);
  if (mo < 1 || mo > 12 || t.getFullYear() !== y || t.getMonth() !== mo - 1 || t.getDate() !== day) throw bad();
  return Math.floor(t.getTime() / 1000);
}

/** The commits whose outputs gc keeps besides the workspace's (DVC's iter_revs), deduplicated. */
async function keptRevisions(repo: Repo, o: GcOptions): Promise<string[]> {
  if (!(o.allBranches || o.allTags || o.allCommits || o.rev || o.commitDate || o.allExperiments)) return [];
  const scm = repo.scm;
  if (!scm) throw new ConfigError('-a/-T/-A/--rev/--date/--all-experiments need a git repository (core.no_scm is set or there is no git)');
  const revs = new Set<string>();
  if (o.rev) {
    const list = await scm.revAndAncestors(o.rev, o.num || 1);
    if (!list) throw new DvcError(`unknown Git revision '${o.rev}'`);
    for (const c of list) revs.add(c);
  }
  for (const c of await scm.revisions(o)) if (c !== 'workspace') revs.add(c);
  if (o.commitDate && !o.allCommits) for (const c of await scm.commitsSince(dateStamp(o.commitDate))) revs.add(c);
  if (o.allExperiments) for (const c of await scm.experimentCommits()) revs.add(c);
  return [...revs];
}

/** The outputs of the workspace and of every kept revision. */
async function keptOuts(repo: Repo, o: GcOptions): Promise<UsedOut[]> {
  const outs = workspaceOuts(repo, []);
  for (const rev of await keptRevisions(repo, o)) {
    try {
      outs.push(
        ...(await revisionOuts(repo, rev, [], false, (e) => {
          throw e;
        })),
      );
    } catch (e) {
      if (!(e instanceof DvcError)) throw e;
      if (!o.skipFailed) throw new RevCollectionError(rev, e);
      o.onSkipped?.(rev);
    }
  }
  return outs;
}

export async function gc(repo: Repo, opts: GcOptions): Promise<GcResult> {
  validateGcOptions(opts);
  const jobs = jobsOf(opts.jobs);
  return repo.withLock(() =>
    withData(repo, async (d) => {
      const outs = await keptOuts(repo, opts);
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
      if (opts.notInRemote) await dropWhatTheRemoteHas(repo, d, outs, keep, opts.remote, jobs);
      const result: GcResult = { removedLocal: 0, removedLegacy: 0 };

      // Local cache: every object not kept (DVC 3's `files/md5/<2>/<30>`, then DVC 2's `<2>/<30>`
      // right under the cache folder; `files/` and `runs/` are not of that shape), plus the temp
      // files of interrupted writes once old (a fresh one may belong to a running process).
      const cache = d.store.db;
      // Not d.space(true): that would open DVC 2's hash state, which gc has no use for.
      const legacyCache = new LocalObjectStore(repo.cacheDir, { hashName: 'md5-dos2unix' }).db;
      result.removedLocal = await sweep(cache, keep.modern, opts.dry, 16);
      result.removedLegacy = await sweep(legacyCache, keep.legacy, opts.dry, 16, (oid) => {
        // DVC 2 unpacked some folders beside their manifest (`<oid>.dir.unpacked`).
        if (oid.endsWith('.dir')) return rm(legacyCache.localPath(oid)! + '.unpacked', { recursive: true, force: true });
      });
      if (!opts.dry) {
        await cache.removeStaleTemps(CACHE_TEMP_AGE_MS);
        await legacyCache.removeStaleTemps(CACHE_TEMP_AGE_MS);
      }

      if (opts.cloud) {
        const rc = remoteConfig(repo, opts.remote);
        result.remoteName = rc.name;
        const fs = await openRemoteFs(rc);
        const remote = new ObjectDb(fs, LAYOUT_V3);
        // The remote's DVC 2 area (`<remote>/<2>/<30>`), as DVC sweeps it too.
        const legacyRemote = new ObjectDb(fs, LAYOUT_V2);
        try {
          try {
            result.removedRemote = await onRemote(rc, fs, () => sweep(remote, keep.modern, opts.dry, jobs));
          } catch (e) {
            if ((e as { code?: string }).code === 'ENOTSUP') {
              throw new DvcError(`gc -c needs a remote that can list its objects; the ${fs.protocol} remote '${rc.name}' cannot`);
            }
            throw e;
          }
          result.removedRemoteLegacy = await onRemote(rc, fs, () => sweep(legacyRemote, keep.legacy, opts.dry, jobs));
          // The temp files of killed or failed pushes, once old enough that no running upload
          // can own them: on every backend that leaves any (SSH `.tmp`, WebDAV `.copper-tmp-*`,
          // unfinished S3 multipart uploads...).
          if (!opts.dry && (remote.localBase !== undefined || fs.removeStaleTemps)) {
            result.removedRemoteTemps = await onRemote(rc, fs, async () => {
              return (await remote.removeStaleTemps(STALE_TEMP_AGE_MS)) + (await legacyRemote.removeStaleTemps(STALE_TEMP_AGE_MS));
            });
          }
        } finally {
          await fs.close();
        }
      }
      return result;
    }),
  );
}

/** How old a temp file in the local cache must be before gc removes it (an hour). */
const CACHE_TEMP_AGE_MS = 3600_000;

/**
 * Deletes (unless `dry`) every object of `db` that `keep` lacks, as the listing streams by, in
 * batches of `jobs` parallel deletes: memory holds one batch and one listed folder or page, never
 * the whole store. Returns how many objects went (or would go).
 */
async function sweep(
  db: ObjectDb,
  keep: Set<string>,
  dry: boolean | undefined,
  jobs: number,
  after?: (oid: string) => Promise<void> | void,
): Promise<number> {
  let n = 0;
  let batch: string[] = [];
  const flush = async () => {
    const b = batch;
    batch = [];
    await parallel(b, jobs, async (oid) => {
      await db.delete(oid);
      await after?.(oid);
    });
  };
  for await (const oid of db.list()) {
    if (keep.has(oid)) continue;
    n++;
    if (dry) continue;
    batch.push(oid);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return n;
}

/**
 * `--not-in-remote`: removes from `keep` every object a remote already has (the output's own
 * remote, or `remote`, or the default; DVC 2's objects in the remote's DVC 2 area), as DVC's
 * _used_obj_ids_not_in_remote. Folders count with their files.
 */
async function dropWhatTheRemoteHas(
  repo: Repo,
  d: DataContext,
  outs: UsedOut[],
  keep: { modern: Set<string>; legacy: Set<string> },
  remote: string | undefined,
  jobs: number,
): Promise<void> {
  for (const part of byHashName(outs)) {
    const set = part.legacy ? keep.legacy : keep.modern;
    for (const { rc, outs: group } of byRemote(repo, part.outs, remote).values()) {
      const { objects } = expandOuts(group, cacheManifests(d.space(part.legacy).store));
      if (!objects.length) continue;
      const db = await openRemoteDb(rc, part.legacy);
      try {
        const have = await onRemote(rc, db.fs, () => db.hasMany(objects.map((o) => o.oid), jobs));
        for (const oid of have) set.delete(oid);
      } finally {
        await db.close();
      }
    }
  }
}
