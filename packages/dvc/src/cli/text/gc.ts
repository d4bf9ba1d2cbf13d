/** `dvc gc` wording, as DVC's dvc/commands/gc.py and dvc/repo/gc.py print it. */
import type { GcOptions, GcResult } from '../../repo/gc.js';

/** DVC's warning text for the kept set. */
export function gcWarning(o: GcOptions): string {
  let msg = 'This will remove all cache except items used in the workspace';
  if (o.allCommits) msg += ' and all git commits';
  else {
    if (o.allBranches && o.allTags) msg += ' and all git branches and tags';
    else if (o.allBranches) msg += ' and all git branches';
    else if (o.allTags) msg += ' and all git tags';
    if (o.commitDate) msg += ` and all git commits before date ${o.commitDate}`;
    if (o.rev) msg += ` and last ${o.num || 1} commits from ${o.rev}`;
  }
  if (o.allExperiments) msg += ' and all experiments';
  if (o.notInRemote) msg += ' that are not present in the DVC remote';
  return msg + ' of the current repo.';
}

/**
 * One line per cache DVC sweeps: `repo`, `local` (the same folder: with --dry it finds the same
 * objects again, else none are left), `legacy`, then with -c the remote's two areas. DVC says
 * "Removed" under --dry too.
 */
export function gcSummary(r: GcResult, o: GcOptions): string[] {
  const cache = (n: number, scheme: string) => (n ? `Removed ${n} objects from ${scheme} cache.` : `No unused '${scheme}' cache to remove.`);
  const lines = [cache(r.removedLocal, 'repo'), cache(o.dry ? r.removedLocal : 0, 'local'), cache(r.removedLegacy, 'legacy')];
  for (const n of [r.removedRemote, r.removedRemoteLegacy]) {
    if (n !== undefined) lines.push(n ? `Removed ${n} objects from remote.` : 'No unused cache to remove from remote.');
  }
  return lines;
}
