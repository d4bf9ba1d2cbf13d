import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('commit')
    .description('Record changes to files or directories tracked by DVC by storing the current versions in the cache.')
    .argument('[targets...]', 'Limit command scope to these tracked files/directories or .dvc files.')
    .option('-f, --force', 'Commit data even if hash values for dependencies or outputs did not change.')
    .option('-d, --with-deps', 'Commit all dependencies of the specified target.')
    .option('-R, --recursive', 'Commit cache for subdirectories of the specified directory.')
    .action(async (targets: string[], opts: { force?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { commit } = await import('../../repo/commit.js');
      const repo = Repo.open();
      await commit(repo, targets, { force: opts.force });
      const hint = await repo.scmContext.finish({ quiet: out.quiet });
      if (hint) out.info(hint);
    });
}
