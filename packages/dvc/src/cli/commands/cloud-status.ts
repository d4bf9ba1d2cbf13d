/** `dvc status -c [-r NAME]`: wired from status.ts (not a command of its own). */
import type { Output } from '../output.js';
import { toSyncOptions, type SyncCliOptions } from './push.js';

export async function cloudStatusAction(targets: string[], opts: SyncCliOptions & { json?: boolean }, out: Output): Promise<void> {
  const { Repo } = await import('../../repo/repo.js');
  const repo = Repo.open();
  const { cloudStatus } = await import('../../repo/cloud-status.js');
  const { formatCloudStatus } = await import('../text/cloud-status.js');
  let r;
  try {
    r = await cloudStatus(repo, targets, await toSyncOptions(opts));
  } catch (e) {
    const { NoRemoteError } = await import('../../config/config.js');
    // DVC: `ERROR: config file error: no remote specified ...`, exit 1.
    if (e instanceof NoRemoteError) {
      const { DvcError } = await import('../../errors.js');
      throw new DvcError(`config file error: ${e.reason}`);
    }
    throw e;
  }
  if (opts.json) {
    const { statusJson } = await import('../text/json.js');
    out.print(statusJson(r.changes as never));
  } else out.info(formatCloudStatus(r));
  if (out.quiet && Object.keys(r.changes).length) process.exitCode = 1;
}
