/**
 * `dvc push`: upload the cache objects the targets use (workspace, or with -a / -T / -A every
 * branch, tag or commit) to the remote, skipping what it has. Outputs with `push: false` stay.
 */
import { DvcError } from '../errors.js';
import { byHashName, expandOuts, cacheManifests, type UsedObject } from '../sync/used.js';
import { upload } from '../sync/transfer.js';
import { CorruptObjectError } from '../hash/verify.js';
import { byRemote, jobsOf, onRemote, openRemoteDb, poolWriter, usedOuts, type SyncOptions } from './data-sync.js';
import { withData } from './context.js';
import type { Repo } from './repo.js';
import { trace } from '../trace.js';

export interface PushResult {
  /** Objects uploaded. */
  pushed: number;
  /** Objects the cache lacks (DVC warns about them). */
  missing: UsedObject[];
  /** Cache objects whose bytes do not match their md5 (not pushed; `actual`: what they hash to). */
  corrupt: Array<{ name: string; oid: string; actual: string }>;
}

/** The push failed for some objects (DVC: exit 1 with "N files failed to upload"). */
export class UploadError extends DvcError {
  constructor(
    readonly failed: number,
    readonly result: PushResult,
    detail?: string,
  ) {
    super(`${failed} files failed to upload${detail ? ` (${detail})` : ''}`);
  }
}

export async function push(repo: Repo, targets: string[] = [], opts: SyncOptions = {}): Promise<PushResult> {
  const jobs = jobsOf(opts.jobs);
  // Under the repository lock, as DVC: a concurrent gc cannot remove what is being pushed.
  return repo.withLock(() => withData(repo, async (d) => {
    const outs = (await usedOuts(repo, targets, opts)).filter((o) => o.push);
    const result: PushResult = { pushed: 0, missing: [], corrupt: [] };
    let failed = 0;
    let firstError: unknown;
    // DVC 2 outputs go from the cache's old layout to the remote's old layout.
    for (const part of byHashName(outs)) {
      const space = d.space(part.legacy);
      const store = space.store;
      const state = space.hash.state;
      for (const { rc, outs: group } of byRemote(repo, part.outs, opts.remote).values()) {
        const { objects, unreadable } = expandOuts(group, cacheManifests(store));
        const absent = new Set(store.missing(objects.map((o) => o.oid)));
        const inCache = objects.filter((o) => !absent.has(o.oid));
        const notInCache = objects.filter((o) => absent.has(o.oid));
        if (!inCache.length && !notInCache.length) continue;
        trace(`push: ${objects.length} objects collected`);
        const remote = await openRemoteDb(rc, part.legacy);
        const fs = remote.fs;
        try {
          const have = await onRemote(rc, fs, () => remote.hasMany(objects.map((o) => o.oid), jobs));
          trace(`push: the remote has ${have.size}`);
          // Missing locally but on the remote already: nothing to warn about.
          for (const o of notInCache) if (!have.has(o.oid)) result.missing.push(o);
          for (const o of unreadable) if (!have.has(o.oid) && !result.missing.includes(o)) result.missing.push(o);
          // A manifest goes up only when none of the files pushed with it is missing (all its
          // files, unless targets inside the folder chose some of them, as DVC does).
          const incomplete = new Set(result.missing.map((o) => o.parent).filter((p): p is string => !!p));
          const todo = inCache.filter((o) => !have.has(o.oid) && !incomplete.has(o.oid));
          if (!todo.length) continue;
          const r = await upload(store.db, remote, todo, {
            jobs,
            onProgress: opts.onProgress,
            onTotal: opts.onTotal,
            writer: poolWriter(d),
            // A local remote: objects unchanged since copper last hashed them are copied as they are.
            known: (oids) => state.objectStamps(oids),
            onVerified: (oid, stamp) => state.putObjectStamp(oid, stamp),
          });
          trace('push: uploaded');
          result.pushed += r.transferred.length;
          failed += r.failed.length;
          for (const f of r.failed) {
            if (f.error instanceof CorruptObjectError) result.corrupt.push({ name: f.object.name, oid: f.object.oid, actual: f.error.actual });
            else if ((f.error as { code?: string })?.code !== 'EDEPENDS') firstError ??= f.error;
          }
        } finally {
          await fs.close();
        }
      }
    }
    if (failed) {
      const e = firstError as Error | undefined;
      if (e && e instanceof DvcError) throw Object.assign(e, { result });
      const n = result.corrupt.length;
      throw new UploadError(failed, result, e?.message ?? (n ? `${n} corrupted cache ${n === 1 ? 'object' : 'objects'}` : undefined));
    }
    return result;
  }));
}
