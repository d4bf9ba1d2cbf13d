import type { Command } from 'commander';
import { outputFor } from '../output.js';

interface GcCliOptions {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  cloud?: boolean;
  remote?: string;
  force?: boolean;
  dry?: boolean;
  jobs?: string;
  rev?: string;
  num?: string;
  date?: string;
  allExperiments?: boolean;
  notInRemote?: boolean;
  skipFailed?: boolean;
}

/**
 * DVC's ui.confirm: `<question> [y/n]: ` on stdout, one line read from stdin (a terminal or a
 * pipe: `echo y | dvc gc -w`); no answer (end of input) is no.
 */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  process.stdout.write(`${question} [y/n]: `);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    const line = await new Promise<string | undefined>((ok) => {
      rl.once('line', ok);
      rl.once('close', () => ok(undefined));
    });
    const a = (line ?? '').trim().toLowerCase();
    return a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  program
    .command('gc')
    .description('Garbage collect unused objects from cache or remote storage.')
    .option('-w, --workspace', 'Keep data files used in the current workspace.')
    .option('--rev <commit>', 'Keep data files used in the specified <commit>.')
    .option(
      '-n, --num <num>',
      'Keep data files used in the last `num` commits starting from the `--rev` <commit>. Only used if `--rev` is also provided. Defaults to `1`.',
    )
    .option('-a, --all-branches', 'Keep data files for the tips of all Git branches.')
    .option('-T, --all-tags', 'Keep data files for all Git tags.')
    .option('-A, --all-commits', 'Keep data files for all Git commits.')
    .option(
      '--date <yyyy-mm-dd>',
      'Keep cached data referenced in the commits after ( inclusive ) a certain time. Date must match the extended ISO 8601 format (yyyy-mm-dd).',
    )
    .option('--all-experiments', 'Keep data files for all experiments.')
    .option('--not-in-remote', 'Keep data files that are not present in the remote.')
    .option('-c, --cloud', 'Collect garbage in remote storage in addition to local cache.')
    .option('-r, --remote <name>', 'Remote storage to collect garbage in')
    .option('--skip-failed', 'Skip revisions that fail when collected.')
    .option('-f, --force', 'Force garbage collection - automatically agree to all prompts.')
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously.')
    .option('--dry', 'Only print what would get removed without actually removing.')
    .action(async (opts: GcCliOptions, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { ArgumentError } = await import('../../errors.js');
      const repo = Repo.open();
      const lib = await import('../../repo/gc.js');
      const o: import('../../repo/gc.js').GcOptions = {
        workspace: !!opts.workspace,
        allBranches: !!opts.allBranches,
        allTags: !!opts.allTags,
        allCommits: !!opts.allCommits,
        cloud: !!opts.cloud,
        dry: !!opts.dry,
        allExperiments: !!opts.allExperiments,
        notInRemote: !!opts.notInRemote,
        skipFailed: !!opts.skipFailed,
        onSkipped: (rev) => out.warn(`Failed to collect '${rev}', skipping`),
      };
      if (opts.rev !== undefined) o.rev = opts.rev;
      if (opts.date !== undefined) o.commitDate = opts.date;
      if (opts.num !== undefined) {
        // argparse's type=int
        if (!/^\s*[-+]?\d+\s*$/.test(opts.num)) throw new ArgumentError(`argument -n/--num: invalid int value: '${opts.num}'`);
        o.num = Number(opts.num);
      }
      if (opts.remote !== undefined) o.remote = opts.remote;
      if (opts.jobs !== undefined) {
        const n = Number(opts.jobs);
        if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`argument -j/--jobs: invalid positive int value: '${opts.jobs}'`);
        o.jobs = n;
      }
      lib.validateGcOptions(o);
      // DVC: --rev alone keeps one commit
      if (o.rev) o.num = o.num || 1;
      const { gcWarning, gcSummary } = await import('../text/gc.js');
      out.warn(gcWarning(o));
      if (!opts.force && !opts.dry) {
        if (!(await confirm('Are you sure you want to proceed?'))) {
          process.exitCode = 1;
          return;
        }
      }
      const r = await lib.gc(repo, o);
      for (const line of gcSummary(r, o)) out.info(line);
    });
}
