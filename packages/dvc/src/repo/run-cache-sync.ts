/**
 * `push/pull/fetch --run-cache`: the run cache (`.dvc/cache/runs/<k[:2]>/<k>/<v>`, repro.ts)
 * copied to or from a remote's `runs/` folder, every entry each time (DVC's StageCache.transfer
 * with force). HTTP remotes have no run cache (DVC: RunCacheNotSupported, skipped quietly).
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { parallel } from '../sync/transfer.js';
import { jobsOf, onRemote, openRemoteFs, remoteConfig } from './data-sync.js';
import type { Repo } from './repo.js';

function localRuns(repo: Repo): string {
  return join(repo.cacheDir, 'runs');
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (!n.endsWith('.tmp')) out.push(p);
  }
}

const HTTP = /^https?:\/\//i;

/** Copies every run-cache entry to the remote; how many. */
export async function pushRunCache(repo: Repo, remote?: string, jobs?: number): Promise<number> {
  const rc = remoteConfig(repo, remote);
  if (HTTP.test(rc.url)) return 0;
  const files: string[] = [];
  walk(localRuns(repo), files);
  if (!files.length) return 0;
  const fs = await openRemoteFs(rc);
  try {
    await onRemote(rc, fs, () =>
      parallel(files, jobsOf(jobs), async (f) => {
        const rel = relative(repo.cacheDir, f).split(sep).join('/');
        await fs.write(rel, createReadStream(f), statSync(f).size);
      }),
    );
  } finally {
    await fs.close();
  }
  return files.length;
}

/** Copies every run-cache entry of the remote here; how many. */
export async function pullRunCache(repo: Repo, remote?: string, jobs?: number): Promise<number> {
  const rc = remoteConfig(repo, remote);
  if (HTTP.test(rc.url)) return 0;
  const fs = await openRemoteFs(rc);
  try {
    return await onRemote(rc, fs, async () => {
      const keys: string[] = [];
      for await (const p of fs.list('runs')) keys.push(p);
      await parallel(keys, jobsOf(jobs), async (p) => {
        const parts = p.split('/');
        if (parts.length !== 4 || parts.some((x) => !x || x === '.' || x === '..')) return; // runs/<2>/<key>/<value> only
        const dest = join(repo.cacheDir, ...parts);
        mkdirSync(dirname(dest), { recursive: true });
        const tmp = `${dest}.${randomBytes(8).toString('hex')}.tmp`;
        try {
          await pipeline(await fs.read(p), createWriteStream(tmp, { flags: 'wx' }));
          renameSync(tmp, dest);
        } finally {
          rmSync(tmp, { force: true });
        }
      });
      return keys.length;
    });
  } finally {
    await fs.close();
  }
}
