import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('repro')
    .description('Reproduce complete or partial pipelines by executing their stages.')
    .argument('[targets...]', 'Stages to reproduce. \'dvc.yaml\' by default.')
    .option('-f, --force', 'Reproduce even if dependencies were not changed.')
    .option('-s, --single-item', 'Reproduce only single data item without recursive dependencies check.')
    .option('--dry', 'Only print the commands that would be executed without actually executing.')
    .option('--pull', 'Try automatically pulling missing data.')
    .option('--downstream', 'Start from the specified stages when reproducing pipelines.')
    .option('-P, --all-pipelines', 'Reproduce all pipelines in the repo.')
    .option('--no-commit', "Don't put files/directories into cache.")
    .option('--no-run-cache', 'Execute stage commands even if they have already been run with the same command/dependencies/outputs/etc before.')
    .option('-i, --interactive', 'Ask for confirmation before reproducing each stage.')
    .option('-p, --pipeline', 'Reproduce the whole pipeline that the specified targets belong to.')
    .option('-R, --recursive', 'Reproduce all stages in the specified directory.')
    .option('--force-downstream', 'Reproduce all descendants of a changed stage even if their direct dependencies didn\'t change.')
    .option('--allow-missing', 'Skip stages with missing data but no other changes.')
    .option('--glob', 'Allows targets containing shell-style wildcards.')
    .option('-k, --keep-going', 'Continue executing, skipping stages having dependencies on the failed stages')
    .option('--ignore-errors', 'Ignore errors from stages.')
    .action(
      async (
        targets: string[],
        o: {
          force?: boolean;
          singleItem?: boolean;
          dry?: boolean;
          pull?: boolean;
          downstream?: boolean;
          allPipelines?: boolean;
          commit: boolean;
          runCache: boolean;
          interactive?: boolean;
          pipeline?: boolean;
          recursive?: boolean;
          forceDownstream?: boolean;
          allowMissing?: boolean;
          glob?: boolean;
          keepGoing?: boolean;
          ignoreErrors?: boolean;
        },
        cmd: Command,
      ) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { repro } = await import('../../repo/repro.js');
        const repo = Repo.open();
        let r;
        try {
          r = await repro(repo, targets, {
            force: o.force,
            single: o.singleItem,
            dry: o.dry,
            pull: o.pull,
            downstream: o.downstream,
            allPipelines: o.allPipelines,
            noCommit: !o.commit,
            noRunCache: !o.runCache,
            recursive: o.recursive,
            pipeline: o.pipeline,
            glob: o.glob,
            forceDownstream: o.forceDownstream,
            allowMissing: o.allowMissing,
            // argparse's store_const into one dest: the last of -k/--ignore-errors given wins.
            onError: onErrorOf(o),
            confirm: o.interactive ? confirmStage(out) : undefined,
            info: (l) => out.info(l),
            warn: (l) => out.warn(l),
          });
        } finally {
          const hint = await repo.scmContext.finish({ quiet: out.quiet });
          if (hint) out.info(hint);
        }
        if (!r.ran.length && !r.restored.length) out.info('Data and pipelines are up to date.');
        else out.info('Use `dvc push` to send your updates to remote storage.');
      });
      },
    );
}

/** -k/--keep-going and --ignore-errors (DVC's on_error; exp run has them too). */
export function onErrorOf(o: { keepGoing?: boolean; ignoreErrors?: boolean }): 'fail' | 'keep-going' | 'ignore' {
  if (!o.keepGoing && !o.ignoreErrors) return 'fail';
  if (o.keepGoing && !o.ignoreErrors) return 'keep-going';
  if (!o.keepGoing) return 'ignore';
  const args = process.argv;
  const last = (names: string[]) => Math.max(...names.map((n) => args.lastIndexOf(n)));
  return last(['-k', '--keep-going']) > last(['--ignore-errors']) ? 'keep-going' : 'ignore';
}

/**
 * DVC's prompt.confirm before each stage: `... [y/n]` until yes/no/y/n; without a terminal (or at
 * the end of input) the answer is no.
 */
export function confirmStage(out: import('../output.js').Output): (stage: string) => Promise<boolean> {
  return async (stage) => {
    if (!process.stdout.isTTY) return false;
    const { createInterface } = await import('node:readline');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const ended = new Promise<undefined>((ok) => rl.once('close', () => ok(undefined)));
    try {
      for (;;) {
        const line = await Promise.race([new Promise<string>((ok) => rl.question(`Going to reproduce stage: '${stage}'. Are you sure you want to continue? [y/n] `, ok)), ended]);
        if (line === undefined) return false;
        const a = line.trim().toLowerCase();
        if (['yes', 'no', 'y', 'n'].includes(a)) return a.startsWith('y');
        out.info("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.");
      }
    } finally {
      rl.close();
    }
  };
}
