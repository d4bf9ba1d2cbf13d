import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('install')
    .description('Install DVC git hooks into the repository.')
    .option('--use-pre-commit-tool', 'Install DVC hooks using pre-commit (https://pre-commit.com) if it is installed.')
    .action(async (opts: { usePreCommitTool?: boolean }, cmd: Command) => {
      outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { install } = await import('../../repo/install.js');
      const { DvcError } = await import('../../errors.js');
      const repo = Repo.open();
      try {
        await install(repo, { usePreCommitTool: opts.usePreCommitTool });
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to install DVC Git hooks - ${e.message}`, { cause: e });
        throw e;
      }
    });
}
