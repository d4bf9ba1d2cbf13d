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
    .action(async (targets: string[], opts: { force?: boolean; withDeps?: boolean; recursive?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { commit } = await import('../../repo/commit.js');
      const repo = Repo.open();
      if (opts.withDeps || opts.recursive) {
        const { expandTargets } = await import('../../repo/targets.js');
        const given = targets.length;
        targets = expandTargets(repo, targets, { withDeps: opts.withDeps, recursive: opts.recursive });
        if (given && !targets.length) return;
      }
      // dvc.yaml stages (repo/repro.ts commitStages), then .dvc files
      const { commitStages } = await import('../../repo/repro.js');
      const { DvcError } = await import('../../errors.js');
      let rest: string[];
      try {
        rest = await commitStages(repo, targets, { force: opts.force, info: (l) => out.info(l) });
      } catch (e) {
        // DVC's commit command reports a failure and exits 1
        if (e instanceof DvcError && e.exitCode === 255) throw new DvcError(`failed to commit - ${e.message}`, { cause: e });
        throw e;
      }
      if (!targets.length || rest.length) await commit(repo, rest, { force: opts.force });
      const hint = await repo.scmContext.finish({ quiet: out.quiet });
      if (hint) out.info(hint);
    });
}
