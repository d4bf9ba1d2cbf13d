import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('add')
    .description('Track data files or directories with DVC.')
    .argument('<targets...>', 'Input files/directories to add.')
    .option('--no-commit', "Don't put files/directories into cache.")
    .option('--glob', 'Allows targets containing shell-style wildcards.')
    .option('-o, --out <path>', 'Destination path to put files to.')
    .option('--to-remote', 'Download it directly to the remote')
    .option('-r, --remote <name>', 'Remote storage to download to')
    .option('--remote-jobs <number>', "Only used along with '--to-remote'. Number of jobs to run simultaneously when pushing data to remote.The default value is 4 * cpu_count().")
    .option('-f, --force', 'Override local file or folder if exists.')
    .action(
      async (
        targets: string[],
        opts: { commit: boolean; glob?: boolean; out?: string; toRemote?: boolean; remote?: string; remoteJobs?: string; force?: boolean },
        cmd: Command,
      ) => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { ArgumentError, DvcError } = await import('../../errors.js');
        // DVC's CmdAdd.validate_args, in its order and words.
        let invalid: string | undefined;
        let message: string;
        if (opts.toRemote || opts.out) {
          message = `{option} can't be used with ${opts.toRemote ? '--to-remote' : '--out'}`;
          if (targets.length !== 1) invalid = 'multiple targets';
          else if (opts.glob) invalid = '--glob option';
          else if (!opts.commit) invalid = '--no-commit option';
        } else {
          message = "{option} can't be used without --to-remote";
          if (opts.remote) invalid = '--remote';
          else if (opts.remoteJobs !== undefined) invalid = '--remote-jobs';
        }
        if (invalid) throw new DvcError(message.replace('{option}', invalid));
        let jobs: number | undefined;
        if (opts.remoteJobs !== undefined) {
          jobs = Number(opts.remoteJobs);
          if (!Number.isInteger(jobs) || jobs < 1) throw new ArgumentError(`argument --remote-jobs: invalid int value: '${opts.remoteJobs}'`);
        }
        const repo = Repo.open();
        const { add, addTo, addToRemote } = await import('../../repo/add.js');
        if (opts.glob) {
          const { globTargets } = await import('../../repo/glob.js');
          targets = globTargets(targets);
        }
        const { progress } = await import('../progress.js');
        const bar = progress('Adding', { quiet: out.quiet });
        try {
          if (opts.toRemote) await addToRemote(repo, targets[0]!, { out: opts.out, remote: opts.remote, jobs, force: opts.force });
          else if (opts.out) await addTo(repo, targets[0]!, opts.out, { onProgress: bar.advance });
          else await add(repo, targets, { noCommit: !opts.commit, onProgress: bar.advance });
        } finally {
          bar.done();
        }
        const hint = await repo.scmContext.finish({ quiet: out.quiet });
        if (hint) out.info(hint);
      },
    );
}
