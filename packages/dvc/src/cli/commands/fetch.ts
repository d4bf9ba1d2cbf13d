import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { syncOptions, syncTargets, toSyncOptions, warnMissing, wrapSyncError, type SyncCliOptions } from './push.js';

export function register(program: Command): void {
  syncOptions(
    program.command('fetch').description('Download files or directories from remote storage to the cache.'),
    'fetch from',
  )
    .option('--max-size <bytes>', 'Fetch data files/directories that are each below specified size (bytes).')
    .option('--type <type>', 'Only fetch data files/directories that are of a particular type (metrics, plots).', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (targets: string[], opts: SyncCliOptions & { maxSize?: string; type?: string[] }, cmd: Command) => {
      const out = outputFor(cmd);
      const { ArgumentError } = await import('../../errors.js');
      let maxSize: number | undefined;
      if (opts.maxSize !== undefined) {
        maxSize = Number(opts.maxSize);
        if (!/^-?\d+$/.test(opts.maxSize.trim())) throw new ArgumentError(`argument --max-size: invalid int value: '${opts.maxSize}'`);
      }
      for (const t of opts.type ?? []) {
        if (t !== 'metrics' && t !== 'plots') throw new ArgumentError(`argument --type: invalid choice: '${t}' (choose from 'metrics', 'plots')`);
      }
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const { fetch } = await import('../../repo/fetch.js');
      const { summary } = await import('../text/checkout.js');
      const { progress } = await import('../progress.js');
      const chosen = await syncTargets(repo, targets, opts);
      if (!chosen) return out.info('Everything is up to date.');
      targets = chosen;
      const bar = progress('Fetching', { quiet: out.quiet });
      let r;
      try {
        const sync = await toSyncOptions(opts);
        if (opts.runCache) await (await import('../../repo/run-cache-sync.js')).pullRunCache(repo, sync.remote, sync.jobs);
        r = await fetch(repo, targets, { ...sync, maxSize, types: opts.type as Array<'metrics' | 'plots'> | undefined, onProgress: bar.advance, onTotal: bar.setTotal });
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
