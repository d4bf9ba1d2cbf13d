/**
 * `dvc unprotect`: replace links to the cache (hardlink/symlink cache types) with writable copies
 * so the files can be edited in place.
 */
import { copyFileSync, lstatSync, readdirSync, renameSync, statSync, unlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { DvcError } from '../errors.js';
import { tmpPath } from '../fs/local.js';
import { repoPath } from './collect.js';
import type { Repo } from './repo.js';

function unprotectFile(p: string): void {
  const l = lstatSync(p);
  const st = statSync(p);
  if (!l.isSymbolicLink() && st.nlink <= 1 && (st.mode & 0o200) !== 0) return;
  const tmp = tmpPath(p);
  try {
    copyFileSync(p, tmp);
    chmodSync(tmp, 0o666 & ~process.umask());
    renameSync(tmp, p);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/** Unprotects a file or every file of a folder (links to the cache become writable copies). */
export function unprotectPath(p: string): void {
  walk(p);
}

function walk(p: string): void {
  const l = lstatSync(p);
  if (l.isDirectory()) {
    for (const name of readdirSync(p)) walk(join(p, name));
  } else unprotectFile(p);
}

export async function unprotect(repo: Repo, targets: string[]): Promise<void> {
  if (!targets.length) throw new DvcError('no targets given');
  await repo.withLock(async () => {
    for (const t of targets) {
      const abs = repoPath(repo, t);
      try {
        lstatSync(abs);
      } catch {
        throw new DvcError(`'${t}' does not exist`);
      }
      walk(abs);
    }
  });
}
