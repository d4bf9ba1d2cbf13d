import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('checkout')
    .description('Checkout data files from cache.')
    .argument('[targets...]', 'Limit command scope to these tracked files/directories or .dvc files.')
    .option('--summary', 'Show summary of the changes.')
    .option('-f, --force', 'Do not prompt when removing working directory files.')
    .option('--relink', 'Recreate links or copies from cache to workspace.')
    .option('-d, --with-deps', 'Checkout all dependencies of the specified target.')
    .option('-R, --recursive', 'Checkout all subdirectories of the specified directory.')
    .option('--allow-missing', 'Ignore errors if some of the files or directories are missing.')
    .action(async (targets: string[], opts: { summary?: boolean; force?: boolean; relink?: boolean; allowMissing?: boolean; withDeps?: boolean; recursive?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const co = { ...(await import('../../repo/checkout.js')), ...(await import('../text/checkout.js')) };
      const repo = Repo.open();
      if (opts.withDeps || opts.recursive) {
        const { expandTargets } = await import('../../repo/targets.js');
        const given = targets.length;
        targets = expandTargets(repo, targets, { withDeps: opts.withDeps, recursive: opts.recursive, outputs: true });
        if (given && !targets.length) return;
      }
      const { progress } = await import('../progress.js');
      const bar = progress('Checking out', { quiet: out.quiet });
      let result;
      try {
        result = await co.checkout(repo, targets, { force: opts.force, relink: opts.relink, allowMissing: opts.allowMissing, onProgress: bar.advance });
      } catch (e) {
        bar.done();
        if (e instanceof co.CheckoutFailedError && !out.quiet) {
          for (const l of co.formatCheckoutChanges(e.result)) out.info(l);
        }
        throw e;
      }
      bar.done();
      if (opts.summary) out.info(co.formatCheckoutSummary(result));
      else for (const l of co.formatCheckoutChanges(result)) out.info(l);
      const hint = await repo.scmContext.finish({ quiet: true, autostage: repo.config.autostage });
      if (hint) out.info(hint);
    });
}
