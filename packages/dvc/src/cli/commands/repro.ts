import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('repro')
    .description('Reproduce complete or partial pipelines by executing their stages.')
    .argument('[targets...]', 'Stages to reproduce. \'dvc.yaml\' by default.')
    .option('-f, --force', 'Reproduce even if dependencies were not changed.')
    .option('-s, --single-item', 'Reproduce only single data item without recursive dependencies check.')
    .option('--dry', 'Only print the commands that would be executed without actually executing.')
    .option('--pull', 'Try automatically pulling missing data.')
    .option('--downstream', 'Start from the specified stages when reproducing pipelines.')
    .option('-P, --all-pipelines', 'Reproduce all pipelines in the repo.')
    .option('--no-commit', "Don't put files/directories into cache.")
    .option('--no-run-cache', 'Execute stage commands even if they have already been run with the same command/dependencies/outputs/etc before.')
    .action(async (targets: string[], o: { force?: boolean; singleItem?: boolean; dry?: boolean; pull?: boolean; downstream?: boolean; allPipelines?: boolean; commit: boolean; runCache: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { repro } = await import('../../repo/repro.js');
        const repo = Repo.open();
        let r;
        try {
          r = await repro(repo, targets, {
            force: o.force,
            single: o.singleItem,
            dry: o.dry,
            pull: o.pull,
            downstream: o.downstream,
            allPipelines: o.allPipelines,
            noCommit: !o.commit,
            noRunCache: !o.runCache,
            info: (l) => out.info(l),
            warn: (l) => out.warn(l),
          });
        } finally {
          const hint = await repo.scmContext.finish({ quiet: out.quiet });
          if (hint) out.info(hint);
        }
        if (!r.ran.length && !r.restored.length) out.info('Data and pipelines are up to date.');
        else out.info('Use `dvc push` to send your updates to remote storage.');
      });
    });
}
