/**
 * `dvc status` (workspace vs .dvc files vs cache), in DVC's shape:
 * `{ "data.dvc": [{ "changed outs": { "data": "modified" } }] }` (paths relative to the cwd).
 */
import { isLegacyOut } from '../formats/dvcfile.js';
import { outStatus, type OutStatus } from '../sync/status.js';
import { resolveTargets, shownPath } from './collect.js';
import { withData } from './context.js';
import { pipelineStatus } from './pipeline-status.js';
import type { Repo } from './repo.js';
import { Y as yamlLib } from '../formats/dvcyaml.js';

export type StatusReport = Record<string, Array<{ 'changed outs': Record<string, OutStatus> } | Record<string, unknown> | string>>;

export interface StatusResult {
  report: StatusReport;
  /** Number of .dvc files looked at (0: nothing tracked). */
  tracked: number;
  /** Frozen stages and `.dvc` files looked at (DVC warns that their dependencies are not shown). */
  frozen: string[];
}

/** Holds the repository lock as DVC's `@locked` status does: never reads a half-done `add`. */
export async function status(repo: Repo, targets: string[] = []): Promise<StatusResult> {
  return repo.withLock(() => statusLocked(repo, targets));
}

async function statusLocked(repo: Repo, targets: string[]): Promise<StatusResult> {
  return withData(repo, async (d) => {
    // dvc.yaml stages first take the targets that name them (pipeline-status.ts)
    const ps = await pipelineStatus(repo, d, targets);
    const resolved = targets.length && !ps.rest.length ? [] : resolveTargets(repo, ps.rest, undefined);
    const report: StatusReport = {};
    const frozen: string[] = [];
    for (const { file, outs } of resolved) {
      const text = file.toString();
      // A frozen `.dvc` file other than a repository import (import-url, `dvc freeze x.dvc`)
      if (text.includes('frozen:') && !text.includes('repo:')) {
        const { dvcFileFrozen } = await import('./freeze.js');
        if (dvcFileFrozen(text)) frozen.push(shownPath(file.abs));
      }
      // An import (`deps: - repo: ...`): 'update available' when its source moved (imp.ts).
      if (!text.startsWith('outs:') && text.includes('repo:')) {
        const imp = await import('./imp.js');
        const info = imp.importInfoOf(file.abs, text, yamlLib());
        if (info && (await imp.importStatus(info))) {
          (report[shownPath(file.abs)] ??= []).push({ 'changed deps': { [`${info.path} (${info.repo.url})`]: 'update available' } });
        }
      }
      const changed: Record<string, OutStatus> = {};
      for (const i of outs) {
        const out = file.outs[i]!;
        // A DVC 2 output is compared by its md5-dos2unix hash, against the old cache layout.
        const sp = d.space(isLegacyOut(out));
        const s = await outStatus(sp.hash, sp.store, out);
        if (s) changed[shownPath(out.abs)] = s;
      }
      if (Object.keys(changed).length) {
        const key = shownPath(file.abs);
        (report[key] ??= []).push({ 'changed outs': changed });
      }
    }
    Object.assign(report, ps.report);
    return { report, tracked: resolved.length + ps.stages, frozen: [...frozen, ...ps.frozen] };
  });
}

