import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('remove')
    .alias('rm')
    .description('Remove stages from dvc.yaml and/or stop tracking files or directories.')
    .argument('<targets...>', '.dvc files or stages to remove.')
    .option('--outs', 'Remove outputs as well.')
    .action(async (targets: string[], opts: { outs?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { remove } = await import('../../repo/remove.js');
      const repo = Repo.open();
      // dvc.yaml stages first (repo/stage.ts), then .dvc files
      const { removeStages } = await import('../../repo/stage.js');
      const rest = await removeStages(repo, targets, { outs: opts.outs });
      if (rest.length) await remove(repo, rest, { outs: opts.outs });
      const hint = await repo.scmContext.finish({ quiet: true });
      if (hint) out.info(hint);
    });
}
