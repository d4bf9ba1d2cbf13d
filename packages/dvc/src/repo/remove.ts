/**
 * `dvc remove`: stop tracking: delete the .dvc file and the output's .gitignore line; with
 * `outs`, also delete the output from the workspace (its data stays in the cache). An output
 * with changes that are not in the cache is never deleted (nothing is lost without a commit).
 */
import { rmSync, unlinkSync } from 'node:fs';
import { DvcError, WorkspaceChangedError } from '../errors.js';
import { isLegacyOut } from '../formats/dvcfile.js';
import { hashWorkspace } from '../sync/workspace.js';
import { resolveTargets, shownPath } from './collect.js';
import { withData } from './context.js';
import type { Repo } from './repo.js';

export async function remove(repo: Repo, targets: string[], opts: { outs?: boolean } = {}): Promise<string[]> {
  if (!targets.length) throw new DvcError('no targets given');
  return repo.withLock(() =>
    withData(repo, async (d) => {
      const resolved = resolveTargets(repo, targets);
      const files = resolved.map((r) => r.file).filter((f, i, all) => all.findIndex((g) => g.abs === f.abs) === i);
      if (opts.outs) {
        // Check every output before deleting any.
        for (const file of files) {
          for (const out of file.outs) {
            const { hash, store } = d.space(isLegacyOut(out));
            const ws = await hashWorkspace(hash, out.abs);
            if (ws.kind === 'missing') continue;
            const cur = ws.kind === 'dir' ? ws.oid : ws.md5;
            if (cur === out.md5) continue;
            const saved = ws.kind === 'dir' ? store.missing(new Set(ws.md5List())).length === 0 : store.exists(ws.md5);
            if (!saved) {
              throw new WorkspaceChangedError(
                `'${shownPath(out.abs)}' has changes that are not in the cache; run \`dvc commit\` first or delete it yourself`,
              );
            }
          }
        }
      }
      const removed: string[] = [];
      for (const file of files) {
        for (const out of file.outs) {
          if (repo.scm) {
            const g = repo.scm.ignoreRemove(out.abs);
            if (g) repo.scmContext.track(g);
          }
          if (opts.outs) rmSync(out.abs, { recursive: true, force: true });
        }
        unlinkSync(file.abs);
        repo.scmContext.track(file.abs);
        removed.push(file.abs);
      }
      return removed;
    }),
  );
}
