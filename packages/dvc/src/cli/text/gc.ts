/** `dvc gc` wording. */
import type { GcOptions } from '../../repo/gc.js';

/** DVC's warning text for the kept set. */
export function gcWarning(o: GcOptions): string {
  let msg = 'This will remove all cache except items used in the workspace';
  if (o.allCommits) msg += ' and all git commits';
  else if (o.allBranches && o.allTags) msg += ' and all git branches and tags';
  else if (o.allBranches) msg += ' and all git branches';
  else if (o.allTags) msg += ' and all git tags';
  msg += ' of the current repo.';
  if (o.cloud) msg += ' It will also remove the unused objects from the remote.';
  return msg;
}
