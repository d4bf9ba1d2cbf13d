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
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(`${question} [y/n] `)).trim().toLowerCase();
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
    .option('-a, --all-branches', 'Keep data files for the tips of all Git branches.')
    .option('-T, --all-tags', 'Keep data files for all Git tags.')
    .option('-A, --all-commits', 'Keep data files for all Git commits.')
    .option('-c, --cloud', 'Collect garbage in remote storage in addition to local cache.')
    .option('-r, --remote <name>', 'Remote storage to collect garbage in')
    .option('-f, --force', 'Force garbage collection - automatically agree to all prompts.')
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously.')
    .option('--dry', 'Only print what would get removed without actually removing.')
    .action(async (opts: GcCliOptions, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { DvcError, ArgumentError } = await import('../../errors.js');
      const repo = Repo.open();
      const lib = await import('../../repo/gc.js');
      const o: import('../../repo/gc.js').GcOptions = {
        workspace: !!opts.workspace,
        allBranches: !!opts.allBranches,
        allTags: !!opts.allTags,
        allCommits: !!opts.allCommits,
        cloud: !!opts.cloud,
        dry: !!opts.dry,
      };
      if (opts.remote !== undefined) o.remote = opts.remote;
      if (opts.jobs !== undefined) {
        const n = Number(opts.jobs);
        if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`argument -j/--jobs: invalid positive int value: '${opts.jobs}'`);
        o.jobs = n;
      }
      lib.validateGcOptions(o);
      const { gcWarning } = await import('../text/gc.js');
      out.warn(gcWarning(o));
      if (!opts.force && !opts.dry) {
        if (!process.stdin.isTTY) {
          throw new DvcError('cannot ask for confirmation: stdin is not a terminal; use -f/--force to remove unused objects');
        }
        if (!(await confirm('Are you sure you want to proceed?'))) {
          process.exitCode = 1;
          return;
        }
      }
      const r = await lib.gc(repo, o);
      const verb = opts.dry ? 'Would remove' : 'Removed';
      out.info(r.removedLocal ? `${verb} ${r.removedLocal} objects from repo cache.` : "No unused 'repo' cache to remove.");
      out.info("No unused 'local' cache to remove.");
      out.info(r.removedLegacy ? `${verb} ${r.removedLegacy} objects from legacy cache.` : "No unused 'legacy' cache to remove.");
      // DVC sweeps the remote's DVC 3 area, then its DVC 2 area, with one line each.
      for (const n of [r.removedRemote, r.removedRemoteLegacy]) {
        if (n !== undefined) out.info(n ? `${verb} ${n} objects from remote.` : 'No unused cache to remove from remote.');
      }
    });
}
