import type { Command } from 'commander';
import { relative } from 'node:path';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('root')
    .description('Return the relative path to the root of the DVC project.')
    .action(async (_opts: unknown, cmd: Command) => {
      const { Repo } = await import('../../repo/repo.js');
      const root = Repo.findRoot(process.cwd());
      outputFor(cmd).info(relative(process.cwd(), root) || '.');
    });
}
