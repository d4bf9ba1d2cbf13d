import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('unprotect')
    .description('Unprotect tracked files or directories (when hardlinks or symlinks have been enabled with `dvc config cache.type`).')
    .argument('<targets...>', 'Data files/directories to unprotect.')
    .action(async (targets: string[]) => {
      const { Repo } = await import('../../repo/repo.js');
      const { unprotect } = await import('../../repo/unprotect.js');
      await unprotect(Repo.open(), targets);
    });
}
