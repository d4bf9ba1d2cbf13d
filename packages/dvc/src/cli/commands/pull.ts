import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { syncOptions, toSyncOptions, warnMissing, wrapSyncError, type SyncCliOptions } from './push.js';

export function register(program: Command): void {
  syncOptions(
    program.command('pull').description('Download tracked files or directories from remote storage.'),
    'pull from',
  )
    .option('-f, --force', 'Do not prompt when removing working directory files.')
    .action(async (targets: string[], opts: SyncCliOptions & { force?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const { pull } = await import('../../repo/pull.js');
      const { CheckoutFailedError } = await import('../../repo/checkout.js');
      const { formatCheckoutChanges, pullSummary } = await import('../text/checkout.js');
      const { progress } = await import('../progress.js');
      const bar = progress('Pulling', { quiet: out.quiet });
      let r;
      try {
        r = await pull(repo, targets, {
          ...(await toSyncOptions(opts)),
          force: !!opts.force,
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
      for (const l of formatCheckoutChanges(r.checkout)) out.info(l);
      out.info(pullSummary(r));
      const hint = await repo.scmContext.finish({ quiet: true, autostage: repo.config.autostage });
      if (hint) out.info(hint);
    });
}
