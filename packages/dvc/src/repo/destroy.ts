/**
 * `dvc destroy` (DVC's repo/destroy.py): every stage's cached outputs are unprotected (links to
 * the cache become plain copies, so no data goes with the cache), then every `.dvc` file, every
 * `dvc.yaml` with its `dvc.lock`, the root `.dvcignore` and the whole `.dvc` folder (config, local
 * config, cache in `.dvc/cache`, tmp) are removed. The data files stay, and so do `.gitignore`
 * entries. A cache configured outside `.dvc` is left where it is, as DVC leaves it.
 */
import { existsSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DVCIGNORE } from '../formats/dvcignore.js';
import { collectDvcFiles } from './collect.js';
import { loadPipeline } from './pipeline.js';
import type { Repo } from './repo.js';
import { unprotectPath } from './unprotect.js';

export interface DestroyResult {
  /** Files removed (absolute): `.dvc` files, dvc.yaml and dvc.lock files, .dvcignore. */
  removed: string[];
}

function removeFile(p: string, removed: string[]): void {
  try {
    unlinkSync(p);
    removed.push(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export async function destroy(repo: Repo): Promise<DestroyResult> {
  const removed: string[] = [];
  // DVC locks the stage removal only: the lock lives in .dvc/tmp, removed afterwards
  await repo.withLock(() => {
    const dvcFiles = collectDvcFiles(repo);
    const p = loadPipeline(repo);
    for (const f of dvcFiles) {
      for (const o of f.outs) if (o.cache && existsSync(o.abs)) unprotectPath(o.abs);
      removeFile(f.abs, removed);
    }
    for (const s of p.stages) for (const o of s.outs) if (o.cache && existsSync(o.abs)) unprotectPath(o.abs);
    for (const f of p.files) {
      removeFile(f.path, removed);
      removeFile(f.lockPath, removed);
    }
  });
  removeFile(join(repo.root, DVCIGNORE), removed);
  rmSync(repo.dvcDir, { recursive: true, force: true });
  return { removed };
}
