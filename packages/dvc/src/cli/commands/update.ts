import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { jobsArg } from './get.js';

export function register(program: Command): void {
  program
    .command('update')
    .description('Update data artifact imported (via dvc import or dvc import-url) from an external DVC repository or URL.')
    .argument('<targets...>', '.dvc files to update.')
    .option('--rev <commit>', 'Git revision (e.g. SHA, branch, tag)')
    .option('-R, --recursive', 'Update all stages in the specified directory.')
    .option('--no-download', 'Update .dvc file git revision/hash value(s) but do not download the file(s).')
    .option('--to-remote', 'Update data directly on the remote')
    .option('-r, --remote <name>', 'Remote storage to download to')
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously. The default value is 4 * cpu_count().')
    .action(async (targets: string[], opts: { rev?: string; recursive?: boolean; download?: boolean; jobs?: string; toRemote?: boolean; remote?: string }, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError } = await import('../../errors.js');
      const jobs = jobsArg(opts.jobs);
      const { Repo } = await import('../../repo/repo.js');
      const { update } = await import('../../repo/imp.js');
      const { relative } = await import('node:path');
      const repo = Repo.open();
      const rel = (p: string) => relative(process.cwd(), p).split('\\').join('/');
      let r;
      try {
        r = await update(repo, targets, { rev: opts.rev, recursive: opts.recursive, noDownload: opts.download === false, jobs, toRemote: opts.toRemote, remote: opts.remote });
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed update data - ${e.message}`, { cause: e });
        throw e;
      }
      for (const o of r.notPushed) out.warn(`Could not update '${rel(o)}', it was never pushed to a remote`);
      for (const f of r.unchanged) out.info(`'${rel(f)}' didn't change, skipping`);
      for (const u of r.updated) out.info(`Importing '${u.source}' -> '${rel(u.out)}'`);
      const hint = await repo.scmContext.finish({ quiet: true, autostage: repo.config.autostage });
      if (hint) out.info(hint);
    });
}
