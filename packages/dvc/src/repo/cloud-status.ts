/**
 * `dvc status -c [-r NAME]`: compares the objects the targets use in the local cache with the
 * remote: `new` (only in the cache: push would upload it), `deleted` (only on the remote: pull
 * would download it), `missing` (in neither). Folders are expanded through their manifests.
 */
import { byHashName, cacheManifests, expandOuts } from '../sync/used.js';
import { parseManifest, type TreeEntry } from '../tree/manifest.js';
import { withData } from './context.js';
import { byRemote, jobsOf, onRemote, openRemoteDb, usedOuts, type SyncOptions } from './data-sync.js';
import type { Repo } from './repo.js';

export type CloudState = 'new' | 'deleted' | 'missing';

export interface CloudStatusResult {
  /** Remote names compared. */
  remotes: string[];
  /** Name (as `data/a.txt`, or `data` for a folder's manifest) -> state, in sorted order. */
  changes: Record<string, CloudState>;
}

export async function cloudStatus(repo: Repo, targets: string[] = [], opts: SyncOptions = {}): Promise<CloudStatusResult> {
  const jobs = jobsOf(opts.jobs);
  // `status -c` is DVC's status too: it holds the repository lock.
  return repo.withLock(() => withData(repo, async (d) => {
    const outs = await usedOuts(repo, targets, opts);
    const result: CloudStatusResult = { remotes: [], changes: {} };
    // DVC 2 outputs are compared in the old layouts of the cache and the remote.
    for (const part of byHashName(outs)) {
      const store = d.space(part.legacy).store;
      for (const { rc, outs: group } of byRemote(repo, part.outs, opts.remote).values()) {
        if (!result.remotes.includes(rc.name)) result.remotes.push(rc.name);
        if (!group.length) continue;
        const remote = await openRemoteDb(rc, part.legacy);
        const fs = remote.fs;
        try {
          // A manifest only on the remote still names its files: read it from there.
          const local = cacheManifests(store);
          const { objects, unreadable } = expandOuts(group, local);
          const have = await onRemote(rc, fs, () => remote.hasMany(objects.map((o) => o.oid), jobs));
          const remoteManifests = new Map<string, TreeEntry[]>();
          for (const u of unreadable) {
            if (!have.has(u.oid)) continue;
            try {
              const chunks: Buffer[] = [];
              for await (const c of await remote.get(u.oid)) chunks.push(c as Buffer);
              remoteManifests.set(u.oid, parseManifest(Buffer.concat(chunks).toString('utf8'), `'${u.oid}'`));
            } catch {
              /* unreadable there too: the folder alone is reported */
            }
          }
          let all = objects;
          if (remoteManifests.size) {
            all = expandOuts(group, (oid) => local(oid) ?? remoteManifests.get(oid)).objects;
            const first = new Set(objects.map((o) => o.oid));
            const more = all.filter((o) => !first.has(o.oid)).map((o) => o.oid);
            for (const oid of await onRemote(rc, fs, () => remote.hasMany(more, jobs))) have.add(oid);
          }
          // One listing per prefix folder, not a stat per object.
          const absent = new Set(store.missing(all.map((o) => o.oid)));
          for (const o of all) {
            const inCache = !absent.has(o.oid);
            const there = have.has(o.oid);
            if (inCache && there) continue;
            result.changes[o.name] = inCache ? 'new' : there ? 'deleted' : 'missing';
          }
        } finally {
          await fs.close();
        }
      }
    }
    return result;
  }));
}

