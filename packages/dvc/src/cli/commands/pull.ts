import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { syncOptions, syncTargets, toSyncOptions, warnMissing, wrapSyncError, type SyncCliOptions } from './push.js';

export function register(program: Command): void {
  syncOptions(
    program.command('pull').description('Download tracked files or directories from remote storage.'),
    'pull from',
  )
    .option('-f, --force', 'Do not prompt when removing working directory files.')
    .option('--allow-missing', 'Ignore errors if some of the files or directories are missing.')
    .action(async (targets: string[], opts: SyncCliOptions & { force?: boolean; allowMissing?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const { pull } = await import('../../repo/pull.js');
      const { CheckoutFailedError } = await import('../../repo/checkout.js');
      const { formatCheckoutChanges, pullSummary } = await import('../text/checkout.js');
      const { progress } = await import('../progress.js');
      const chosen = await syncTargets(repo, targets, opts);
      if (!chosen) return out.info('Everything is up to date.');
      targets = chosen;
      const bar = progress('Pulling', { quiet: out.quiet });
      let r;
      try {
        const sync = await toSyncOptions(opts);
        if (opts.runCache) await (await import('../../repo/run-cache-sync.js')).pullRunCache(repo, sync.remote, sync.jobs);
        r = await pull(repo, targets, {
          ...sync,
          force: !!opts.force,
          allowMissing: !!opts.allowMissing,
          onProgress: bar.advance,
          onTotal: bar.setTotal,
        });
      } catch (e) {
        bar.done();
        const res = (e as { result?: { missing?: Array<{ name: string; oid: string }> } }).result;
        if (res?.missing) warnMissing(out, res.missing);
        if (e instanceof CheckoutFailedError) for (const l of formatCheckoutChanges(e.result)) out.info(l);
        return wrapSyncError('failed to pull data from the cloud', e);
      }
      bar.done();
      warnMissing(out, r.fetch.missing);
      for (const l of formatCheckoutChanges(r.checkout)) out.info(l);
      out.info(pullSummary(r));
      const hint = await repo.scmContext.finish({ quiet: true, autostage: repo.config.autostage });
      if (hint) out.info(hint);
    });
}
