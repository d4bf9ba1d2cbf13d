/**
 * `dvc cache check` (copper's; DVC has none, restic's `check --read-data` is the model): reads
 * every object in the cache, DVC 3's (`files/md5`, md5) and DVC 2's (`<2>/<30>` at the cache
 * root, md5-dos2unix), `.dir` manifests included, on all cores, and compares each object's hash
 * with its name. A bad object (a flipped bit, a cut-short file) is moved to
 * `<cache>/quarantine/` (or deleted with `remove`), so the cache no longer claims to have it and
 * the next `dvc fetch`/`dvc pull` downloads it again.
 */
import { join } from 'node:path';
import { HashPool } from '../hash/pool.js';
import type { HashName } from '../hash/md5.js';
import { OID_RE } from '../hash/md5.js';
import { LocalObjectStore, QUARANTINE } from '../odb/local.js';
import type { Repo } from './repo.js';

export interface CacheCheckOptions {
  /** Worker threads hashing at once (default: one per core, at most 16). */
  jobs?: number;
  /** Delete bad objects instead of moving them to the quarantine folder. */
  remove?: boolean;
  onTotal?: (total: { files: number }) => void;
  onProgress?: (files: number, bytes: number) => void;
}

export interface BadObject {
  oid: string;
  /** Absolute path the object had in the cache. */
  path: string;
  /** DVC 2's layout (md5-dos2unix). */
  legacy: boolean;
  /** What its bytes hash to; undefined when it could not be read. */
  actual?: string;
  /** Why it could not be read. */
  error?: string;
  /** Where it was moved (undefined when deleted, or when unreadable and left in place). */
  movedTo?: string;
}

export interface CacheCheckResult {
  /** Objects read. */
  checked: number;
  bytes: number;
  /** Objects whose bytes do not match their name (moved aside or deleted). */
  corrupt: BadObject[];
  /** Objects that could not be read (left where they are). */
  unreadable: BadObject[];
}

export async function checkCache(repo: Repo, opts: CacheCheckOptions = {}): Promise<CacheCheckResult> {
  return repo.withLock(async () => {
    const spaces: Array<{ store: LocalObjectStore; hashName: HashName }> = [
      { store: new LocalObjectStore(repo.cacheDir), hashName: 'md5' },
      { store: new LocalObjectStore(repo.cacheDir, { hashName: 'md5-dos2unix' }), hashName: 'md5-dos2unix' },
    ];
    const lists = spaces.map((s) => [...s.store.listOids()].filter((o) => OID_RE.test(o)).sort());
    opts.onTotal?.({ files: lists.reduce((n, l) => n + l.length, 0) });
    const result: CacheCheckResult = { checked: 0, bytes: 0, corrupt: [], unreadable: [] };
    for (let i = 0; i < spaces.length; i++) {
      const { store, hashName } = spaces[i]!;
      const oids = lists[i]!;
      if (!oids.length) continue;
      const pool = new HashPool(opts.jobs, { hashName });
      try {
        const paths = oids.map((o) => store.path(o));
        const res = await pool.hash(paths, { onProgress: opts.onProgress });
        for (let k = 0; k < oids.length; k++) {
          const oid = oids[k]!;
          const r = res[k]!;
          const bad: BadObject = { oid, path: paths[k]!, legacy: hashName !== 'md5' };
          if ('error' in r) {
            if (r.code === 'ENOENT') continue; // removed meanwhile (not by dvc: we hold the lock)
            bad.error = r.error;
            result.unreadable.push(bad);
            continue;
          }
          result.checked++;
          result.bytes += r.size;
          if (r.md5 === oid.slice(0, 32)) continue;
          bad.actual = r.md5;
          if (opts.remove) store.remove(oid);
          else bad.movedTo = store.quarantine(oid);
          result.corrupt.push(bad);
        }
      } finally {
        await pool.close();
      }
    }
    return result;
  });
}

/** The quarantine folder of a repository's cache. */
export function quarantineDir(repo: Repo): string {
  return join(repo.cacheDir, QUARANTINE);
}
