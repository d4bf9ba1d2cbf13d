import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('add')
    .description('Track data files or directories with DVC.')
    .argument('<targets...>', 'Input files/directories to add.')
    .option('--no-commit', "Don't put files/directories into cache.")
    .option('-o, --out <path>', 'Destination path to put files to.')
    .option('-f, --force', 'Override local file or folder if exists.')
    .action(async (targets: string[], opts: { commit: boolean; out?: string; force?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { ArgumentError } = await import('../../errors.js');
      if (opts.out && targets.length !== 1) throw new ArgumentError('--out can only be used with a single target');
      if (opts.out && !opts.commit) throw new ArgumentError('--out cannot be used with --no-commit');
      const repo = Repo.open();
      const { add, addTo } = await import('../../repo/add.js');
      const { progress } = await import('../progress.js');
      const bar = progress('Adding', { quiet: out.quiet });
      try {
        if (opts.out) await addTo(repo, targets[0]!, opts.out, { onProgress: bar.advance });
        else await add(repo, targets, { noCommit: !opts.commit, onProgress: bar.advance });
      } finally {
        bar.done();
      }
      const hint = await repo.scmContext.finish({ quiet: out.quiet });
      if (hint) out.info(hint);
    });
}
