/**
 * `dvc commit`: record the current workspace state of tracked outputs in their .dvc files and
 * put the data in the cache (after `add --no-commit`, or after changing tracked data).
 */
import { resolveTargets } from './collect.js';
import { withData, type ProgressSink } from './context.js';
import { saveLegacyIfUnchanged, saveOutput } from './add.js';
import { isLegacyOut } from '../formats/dvcfile.js';
import type { Repo } from './repo.js';
import { DvcError } from '../errors.js';

export interface CommitOptions {
  force?: boolean;
  onProgress?: ProgressSink;
}

/** Returns the .dvc files rewritten. */
export async function commit(repo: Repo, targets: string[] = [], opts: CommitOptions = {}): Promise<string[]> {
  return repo.withLock(() =>
    withData(
      repo,
      async (d) => {
        const written: string[] = [];
        for (const { file, outs } of resolveTargets(repo, targets)) {
          let changed = false;
          for (const i of outs) {
            const out = file.outs[i]!;
            // A DVC 2 output with unchanged data stays one, as in DVC 3 (its objects go to the old
            // cache layout); changed data makes it a DVC 3 output (`hash: md5`, new layout).
            const kept = isLegacyOut(out) ? await saveLegacyIfUnchanged(d, file, i, out.cache) : undefined;
            if (kept) {
              changed ||= kept.updated;
              continue;
            }
            const ws = await saveOutput(d, out.abs, out.cache);
            if (ws.kind === 'missing') throw new DvcError(`output '${out.rel}' does not exist`);
            const h = ws.kind === 'dir' ? { md5: ws.oid, size: ws.size, nfiles: ws.nfiles } : { md5: ws.md5, size: ws.size };
            if (out.md5 !== h.md5 || out.size !== h.size || out.hash !== 'md5' || (ws.kind === 'dir' && out.nfiles !== ws.nfiles)) {
              file.setOutHash(i, h);
              changed = true;
            }
          }
          if (changed) {
            file.write();
            written.push(file.abs);
            repo.scmContext.track(file.abs);
          }
        }
        return written;
      },
      { onProgress: opts.onProgress },
    ),
  );
}
