import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('move')
    .alias('mv')
    .description('Rename or move a DVC controlled data file or a directory.')
    .argument('<src>', 'Source path to a data file or directory.')
    .argument('<dst>', 'Destination path.')
    .action(async (src: string, dst: string, _opts: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { move } = await import('../../repo/move.js');
      const repo = Repo.open();
      await move(repo, src, dst);
      const hint = await repo.scmContext.finish({ quiet: out.quiet });
      if (hint) out.info(hint);
    });
}
