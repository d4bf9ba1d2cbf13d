import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { syncOptions, toSyncOptions, warnMissing, wrapSyncError, type SyncCliOptions } from './push.js';

export function register(program: Command): void {
  syncOptions(
    program.command('fetch').description('Download files or directories from remote storage to the cache.'),
    'fetch from',
  ).action(async (targets: string[], opts: SyncCliOptions, cmd: Command) => {
    const out = outputFor(cmd);
    const { Repo } = await import('../../repo/repo.js');
    const repo = Repo.open();
    const { fetch } = await import('../../repo/fetch.js');
    const { summary } = await import('../text/checkout.js');
    const { progress } = await import('../progress.js');
    const bar = progress('Fetching', { quiet: out.quiet });
    let r;
    try {
      r = await fetch(repo, targets, { ...(await toSyncOptions(opts)), onProgress: bar.advance, onTotal: bar.setTotal });
    } catch (e) {
      bar.done();
      const res = (e as { result?: { missing?: Array<{ name: string; oid: string }> } }).result;
      if (res?.missing) warnMissing(out, res.missing);
      return wrapSyncError('failed to fetch data from the cloud', e);
    }
    bar.done();
    out.info(summary([['fetched', r.fetched]]) || 'Everything is up to date.');
  });
}
