/**
 * `dvc remove`: stop tracking: delete the .dvc file and the output's .gitignore line; with
 * `outs`, also delete the output from the workspace (its data stays in the cache).
 */
import { rmSync, unlinkSync } from 'node:fs';
import { DvcError } from '../errors.js';
import { resolveTargets } from './collect.js';
import type { Repo } from './repo.js';

export async function remove(repo: Repo, targets: string[], opts: { outs?: boolean } = {}): Promise<string[]> {
  if (!targets.length) throw new DvcError('no targets given');
  return repo.withLock(async () => {
    const resolved = resolveTargets(repo, targets.map((t) => t));
    const removed: string[] = [];
    for (const { file } of resolved) {
      if (removed.includes(file.abs)) continue;
      for (const out of file.outs) {
        if (repo.scm) {
          const g = repo.scm.ignoreRemove(out.abs);
          if (g) repo.scmContext.track(g);
        }
        if (opts.outs) rmSync(out.abs, { recursive: true, force: true });
      }
      unlinkSync(file.abs);
      removed.push(file.abs);
    }
    return removed;
  });
}
