import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show changed stages, compare local cache and a remote storage.')
    .argument('[targets...]', 'Limit command scope to these tracked files/directories, .dvc files and stage names.')
    .option('--json', 'Show status in JSON format.')
    .option('-c, --cloud', 'Show status of a local cache compared to a remote repository.')
    .option('-r, --remote <name>', 'Remote storage to compare local cache to.')
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously.')
    .option('-a, --all-branches', 'Show status of a local cache compared to a remote repository for all branches.')
    .option('-T, --all-tags', 'Show status of a local cache compared to a remote repository for all tags.')
    .option('-A, --all-commits', 'Show status of a local cache compared to a remote repository for all commits.')
    .action(async (targets: string[], opts: { json?: boolean; cloud?: boolean; remote?: string; allBranches?: boolean; allTags?: boolean; allCommits?: boolean; jobs?: string }, cmd: Command) => {
      const out = outputFor(cmd);
      if (opts.cloud || opts.remote) {
        // remotes-2: cloud status lives in cli/commands/cloud-status.ts
        const { cloudStatusAction } = await import('./cloud-status.js');
        return cloudStatusAction(targets, opts, out);
      }
      // As DVC: the revision and jobs options only mean something against a remote.
      const meaningless = (
        [
          ['--all-branches', opts.allBranches],
          ['--all-tags', opts.allTags],
          ['--all-commits', opts.allCommits],
          ['--jobs', opts.jobs !== undefined],
        ] as const
      ).filter(([, on]) => on).map(([name]) => name);
      if (meaningless.length) {
        const { DvcError } = await import('../../errors.js');
        throw new DvcError(`The following options are meaningless for local status: ${meaningless.join(', ')}`);
      }
      const { Repo } = await import('../../repo/repo.js');
      const st = { ...(await import('../../repo/status.js')), ...(await import('../text/status.js')) };
      const repo = Repo.open();
      const r = await st.status(repo, targets);
      const changed = Object.keys(r.report).length > 0;
      for (const f of r.frozen) out.warn(`stage: '${f}' is frozen. Its dependencies are not going to be shown in the status output.`);
      if (opts.json) out.print(st.statusJson(r.report));
      else out.info(st.formatStatus(r));
      // DVC: with -q the exit code says whether anything changed.
      if (out.quiet && changed) process.exitCode = 1;
    });
}
