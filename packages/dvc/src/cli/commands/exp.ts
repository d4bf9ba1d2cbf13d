import { Option, type Command } from 'commander';
import { ArgumentError, DvcError } from '../../errors.js';
import { outputFor } from '../output.js';
import { registerShare } from './exp-share.js';
import { expRemoveQueued, expRunQueue, jobsArg, registerExpQueue, type ExpRunCliOptions } from './exp-queue.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function intArg(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new ArgumentError(`invalid int value: '${v}'`);
  return Number(v);
}

/** humanize.join of DVC: 'a', 'a and b', 'a, b and c' (items repr'd). */
function humanJoin(items: string[]): string {
  const r = items.map((i) => `'${i}'`);
  if (r.length <= 1) return r.join('');
  return `${r.slice(0, -1).join(', ')} and ${r[r.length - 1]}`;
}

/** tabulate(tablefmt="plain") with DVC's header padding, lines right-stripped. */
function plain(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => (r[i] ?? '').length)));
  return [headers, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

async function repoOpen() {
  const { Repo } = await import('../../repo/repo.js');
  return Repo.open();
}

export function register(program: Command): void {
  const exp = program.command('exp').alias('experiments').description('Commands to run and compare experiments.');

  exp
    .command('run')
    .description('Run an experiment.')
    // DVC's exp run: dvc repro's shared arguments (commands/repro.py add_arguments), then its own
    .argument('[targets...]', "Stages to reproduce. 'dvc.yaml' by default.")
    .option('-f, --force', 'Reproduce even if dependencies were not changed.')
    .option('-i, --interactive', 'Ask for confirmation before reproducing each stage.')
    .option('-s, --single-item', 'Reproduce only single data item without recursive dependencies check.')
    .option('-p, --pipeline', 'Reproduce the whole pipeline that the specified targets belong to.')
    .option('-P, --all-pipelines', 'Reproduce all pipelines in the repo.')
    .option('-R, --recursive', 'Reproduce all stages in the specified directory.')
    .option('--downstream', 'Start from the specified stages when reproducing pipelines.')
    .option('--force-downstream', "Reproduce all descendants of a changed stage even if their direct dependencies didn't change.")
    .option('--pull', 'Try automatically pulling missing data.')
    .option('--allow-missing', 'Skip stages with missing data but no other changes.')
    .option('--dry', 'Only print the commands that would be executed without actually executing.')
    .option('-k, --keep-going', 'Continue executing, skipping stages having dependencies on the failed stages')
    .option('--ignore-errors', 'Ignore errors from stages.')
    .option('-n, --name <name>', 'Human-readable experiment name. If not specified, a name will be auto-generated.')
    .option('-S, --set-param <[<filename>:]<param_name>=<param_value>>', 'Use the specified param value when reproducing pipelines.', collect, [])
    .option('--queue', 'Stage this experiment in the run queue for future execution.')
    .option('--run-all', 'Execute all experiments in the run queue. Implies --temp.')
    .option('-j, --jobs <number>', 'Run the specified number of experiments at a time in parallel.', jobsArg, 1)
    .option('--temp', 'Run this experiment in a separate temporary directory instead of your workspace.')
    .option('-C, --copy-paths <COPY_PATHS>', 'List of ignored or untracked paths to copy into the temp directory. Only used if `--temp` or `--queue` is specified.', collect, [])
    .option('-m, --message <message>', 'Custom commit message to use when committing the experiment.')
    // DVC's obsolete -M, hidden as there
    .addOption(new Option('-M <message>').hideHelp())
    .action(async (targets: string[], o: ExpRunCliOptions & { M?: string }, cmd: Command) => {
      const out = outputFor(cmd);
      if (o.message === undefined && o.M !== undefined) o.message = o.M;
      const { onErrorOf, confirmStage } = await import('./repro.js');
      const onError = onErrorOf(o);
      if (await expRunQueue(targets, { ...o, onError }, out)) return;
      const repo = await repoOpen();
      const { withDvcExit } = await import('../../repo/pipeline.js');
      await withDvcExit(async () => {
        const { expRun } = await import('../../repo/experiments/run.js');
        const r = await expRun(repo, {
          name: o.name,
          setParams: o.setParam,
          force: o.force,
          single: o.singleItem,
          pipeline: o.pipeline,
          allPipelines: o.allPipelines,
          recursive: o.recursive,
          downstream: o.downstream,
          forceDownstream: o.forceDownstream,
          pull: o.pull,
          allowMissing: o.allowMissing,
          onError,
          confirm: o.interactive ? confirmStage(out) : undefined,
          message: o.message,
          targets,
          info: (l) => out.info(l),
          warn: (l) => out.warn(l),
        });
        out.info('');
        out.info(`Ran experiment(s): ${r.name}`);
        out.info('Experiment results have been applied to your workspace.');
      });
    });

  exp
    .command('save')
    .description('Save current workspace as an experiment.')
    .argument('[targets...]', 'Limit DVC caching to these stage names.')
    .option('-n, --name <name>', 'Human-readable experiment name. If not specified, a name will be auto-generated.')
    .option('-f, --force', 'Replace experiment if it already exists.')
    .option('-I, --include-untracked <path>', 'List of untracked paths to include in the experiment.', collect, [])
    .option('-m, --message <message>', 'Custom commit message to use when committing the experiment.')
    .option('--json', 'Show output in JSON format.')
    .action(async (targets: string[], o: { name?: string; force?: boolean; includeUntracked: string[]; message?: string; json?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const { DvcError } = await import('../../errors.js');
      const { expSave } = await import('../../repo/experiments/run.js');
      let r;
      try {
        r = await expSave(repo, { name: o.name, force: o.force, message: o.message, targets, includeUntracked: o.includeUntracked });
      } catch (e) {
        // as DVC: exit 1, "failed to save experiment - <why>"
        if (e instanceof DvcError) throw new DvcError(`failed to save experiment - ${e.message}`, { cause: e });
        throw e;
      }
      if (o.json) out.print(`{"ref": "${r.rev}"}`);
      else out.info(`Experiment has been saved as: ${r.name}`);
    });

  exp
    .command('show')
    .description('Print experiments.')
    .option('-A, --all-commits', 'Show experiments derived from all Git commits.')
    .option('--rev <commit>', 'Show experiments derived from the specified `<commit>` as baseline.', collect, [])
    .option('-n, --num <num>', 'Show experiments from the last `num` commits (first parents) starting from the `--rev` baseline.', intArg)
    .option('-a, --all-branches', 'Show experiments derived from the tip of all Git branches.')
    .option('-T, --all-tags', 'Show experiments derived from all Git tags.')
    .option('--no-pager', 'Do not pipe output into a pager (the table is fitted to the terminal).')
    .option('--only-changed', 'Only show metrics/params with values varying across the selected experiments.')
    .option('--drop <regex_pattern>', 'Remove the columns matching the specified regex pattern.', collect, [])
    .option('--keep <regex_pattern>', 'Preserve the columns matching the specified regex pattern.', collect, [])
    .option('--param-deps', 'Show only params that are stage dependencies.')
    .option('--sort-by <metric/param>', 'Sort related experiments by the specified metric or param.')
    .option('--sort-order <order>', "Sort order to use with --sort-by. Defaults to ascending ('asc').", 'asc')
    .option('--sha', 'Always show git commit SHAs instead of branch/tag names.')
    .option('--hide-workspace', 'Hide workspace row in the table.')
    .option('--json', 'Print output in JSON format instead of a human-readable table.')
    .option('--csv', 'Print output in csv format instead of a human-readable table.')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .option('--precision <n>', 'Round metrics/params to `n` digits precision after the decimal point (CSV). Rounds to 5 digits by default.', intArg)
    .option('-f, --force', 'Force re-collection of experiments (they are always collected afresh).')
    .action(
      async (
        o: {
          allCommits?: boolean;
          rev: string[];
          num?: number;
          allBranches?: boolean;
          allTags?: boolean;
          onlyChanged?: boolean;
          drop: string[];
          keep: string[];
          paramDeps?: boolean;
          sortBy?: string;
          sortOrder: string;
          sha?: boolean;
          hideWorkspace?: boolean;
          json?: boolean;
          csv?: boolean;
          precision?: number;
          pager: boolean;
          md?: boolean;
        },
        cmd: Command,
      ) => {
        const out = outputFor(cmd);
        if (o.sortOrder !== 'asc' && o.sortOrder !== 'desc') throw new ArgumentError(`argument --sort-order: invalid choice: '${o.sortOrder}' (choose from 'asc', 'desc')`);
        const repo = await repoOpen();
        const s = await import('../../repo/experiments/show.js');
        let states;
        try {
          states = s.showExperiments(repo, {
            revs: o.rev,
            num: o.num,
            allBranches: o.allBranches,
            allTags: o.allTags,
            allCommits: o.allCommits,
            hideWorkspace: o.hideWorkspace,
            sha: o.sha,
            paramDeps: o.paramDeps,
          });
        } catch (e) {
          // DVC's CmdExperimentsShow: any DvcException is 'failed to show experiments', exit 1.
          if (e instanceof DvcError) throw new DvcError(`failed to show experiments - ${e.message}`, { cause: e });
          throw e;
        }
        if (o.json) {
          out.print(s.pyJson(states));
          return;
        }
        const { renderShow } = await import('../../repo/experiments/render.js');
        const fill = o.csv ? '' : '-';
        // as DVC: --precision rounds the CSV; the table always uses 5 significant digits
        const table = s.tabulate(states, { fillValue: fill, precision: o.csv ? o.precision || undefined : 5, iso: !!o.csv, sortBy: o.sortBy, sortOrder: o.sortOrder as 'asc' | 'desc' });
        const text = renderShow(table, fill, {
          keep: o.keep,
          drop: o.drop,
          onlyChanged: o.onlyChanged,
          csv: o.csv,
          markdown: o.md && !o.csv,
          // as DVC: the full table (for its pager) unless --no-pager, then the terminal's width
          width: o.csv || o.pager ? undefined : process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || 80,
        });
        process.stdout.write(text);
      },
    );

  exp
    .command('diff')
    .description('Show changes between experiments.')
    .argument('[a_rev]', 'Old experiment to compare (defaults to HEAD)')
    .argument('[b_rev]', 'New experiment to compare (defaults to the current workspace)')
    .option('--all', 'Show unchanged metrics/params as well.')
    .option('--param-deps', 'Show only params that are stage dependencies.')
    .option('--json', 'Show output in JSON format.')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .option('--no-path', "Don't show metric/param path.")
    .option('--precision <n>', 'Round metrics/params to `n` digits precision after the decimal point. Rounds to 5 digits by default.', intArg)
    .action(async (a: string | undefined, b: string | undefined, o: { all?: boolean; paramDeps?: boolean; json?: boolean; md?: boolean; path: boolean; precision?: number }, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const m = await import('../../repo/experiments/manage.js');
      const s = await import('../../repo/experiments/show.js');
      const { markdownTable } = await import('../../repo/experiments/render.js');
      const d = m.diffExperiments(repo, a, b, { all: o.all, paramDeps: o.paramDeps });
      if (o.json) {
        out.print(s.pyJson(d));
        return;
      }
      const precision = o.precision || 5;
      const parts: string[] = [];
      for (const [kind, title] of [
        ['metrics', 'Metric'],
        ['params', 'Param'],
      ] as const) {
        const p = kind === 'metrics' ? precision : undefined;
        const rows: string[][] = [];
        for (const [file, entries] of Object.entries(d[kind])) {
          for (const [key, e] of Object.entries(entries)) {
            const f = (v: unknown) => (v === null || v === undefined ? '-' : s.formatField(v as never, p));
            rows.push([file, key, f(e.old), f(e.new), e.diff === undefined ? 'diff not supported' : f(e.diff)]);
          }
        }
        const headers = ['Path', title, a ?? 'HEAD', b ?? 'workspace', 'Change'];
        const [h, rs] = o.path ? [headers, rows] : [headers.slice(1), rows.map((r) => r.slice(1))];
        // DVC's --md: tabulate's github format plus an empty line
        parts.push(o.md ? markdownTable(h, rs) + '\n' : plain(h, rs));
      }
      if (o.md) process.stdout.write(parts.join('\n\n') + '\n');
      else out.print(parts.join('\n\n'));
    });

  exp
    .command('list')
    .alias('ls')
    .description('List local and remote experiments.')
    .argument('[git_remote]', 'Optional Git remote name or Git URL. If provided, experiments from the specified Git repository  will be listed instead of local ones.')
    .option('-A, --all-commits', 'List all experiments in the repository (overrides `--rev` and `--num`).')
    .option('--rev <commit>', 'List experiments derived from the specified `<commit>` as baseline (HEAD by default).', collect, [])
    .option('-n, --num <num>', 'List experiments from the last `num` commits (first parents) starting from the `--rev` baseline.', intArg)
    .option('--name-only, --names-only', 'Only output experiment names (without SHAs or parent commits).')
    .option('--sha-only, --shas-only', 'Only output experiment commit SHAs (without names or parent commits).')
    .action(async (gitRemote: string | undefined, o: { allCommits?: boolean; rev: string[]; num?: number; nameOnly?: boolean; namesOnly?: boolean; shaOnly?: boolean; shasOnly?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const nameOnly = o.nameOnly || o.namesOnly;
      const shaOnly = o.shaOnly || o.shasOnly;
      if (nameOnly && shaOnly) throw new ArgumentError('argument --sha-only/--shas-only: not allowed with argument --name-only/--names-only');
      const repo = await repoOpen();
      const m = await import('../../repo/experiments/manage.js');
      if (shaOnly && gitRemote) {
        const { ExperimentError } = await import('../../repo/experiments/refs.js');
        throw new ExperimentError('--sha-only not supported with git_remote.');
      }
      const list = gitRemote
        ? (await import('../../repo/experiments/share.js')).listRemoteExperiments(repo, gitRemote, { allCommits: o.allCommits, revs: o.rev, num: o.num })
        : m.listExperiments(repo, { allCommits: o.allCommits, revs: o.rev, num: o.num });
      const lines: string[] = [];
      for (const b of list) {
        if (!nameOnly && !shaOnly) lines.push(`${b.baselineName ?? b.baseline.slice(0, 7)}:`);
        // a git remote's experiments are listed by name only, as DVC
        for (const e of b.experiments) lines.push(nameOnly ? e.name : shaOnly ? e.rev : gitRemote ? `\t${e.name}` : `\t${e.rev.slice(0, 7)} [${e.name}]`);
      }
      if (lines.length) out.print(lines.join('\n'));
    });

  exp
    .command('apply')
    .description('Apply the changes from an experiment to your workspace.')
    .argument('<experiment>', 'Experiment to be applied.')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const m = await import('../../repo/experiments/manage.js');
      await m.applyExperiment(repo, name);
      out.info(`Changes for experiment '${name}' have been applied to your current workspace.`);
    });

  exp
    .command('branch')
    .description('Promote an experiment to a Git branch.')
    .argument('<experiment>', 'Experiment to be promoted.')
    .argument('[branch]', "Optional name for the new Git branch. Defaults to '{experiment-name}-branch'.")
    .action(async (name: string, branch: string | undefined, _o: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const m = await import('../../repo/experiments/manage.js');
      const r = m.branchExperiment(repo, name, branch);
      out.info(`Git branch '${r.branch}' has been created from experiment '${r.name}'.\nTo switch to the new branch run:\n\n\tgit checkout ${r.branch}`);
    });

  exp
    .command('remove')
    .alias('rm')
    .description('Remove experiments.')
    .argument('[experiment...]', 'Experiments to remove.')
    .option('-A, --all-commits', 'Remove all experiments.')
    .option('--rev <commit>', 'Remove experiments derived from the specified `<commit>` as baseline.', collect, [])
    .option('-n, --num <num>', 'Remove experiments from the last `num` commits (first parents) starting from the `--rev` baseline.', intArg)
    .option('--keep', 'Keep the selected experiments instead of removing them, and remove all others.')
    .option('--queue', 'Remove all queued experiments.')
    .option('-g, --git-remote <git_remote>', 'Name or URL of the Git remote to remove the experiment from')
    .action(async (names: string[], o: { allCommits?: boolean; rev: string[]; num?: number; keep?: boolean; queue?: boolean; gitRemote?: string }, cmd: Command) => {
      const out = outputFor(cmd);
      if (o.queue && o.gitRemote !== undefined) throw new ArgumentError('argument -g/--git-remote: not allowed with argument --queue');
      const { ExperimentError } = await import('../../repo/experiments/refs.js');
      if (!(o.allCommits || o.rev.length || o.queue) === !names.length) throw new ExperimentError('Either provide an `experiment` argument, or use the `--rev` or `--all-commits` or `--queue` flag.');
      if (o.keep && o.queue) throw new ExperimentError('Cannot use both `--keep` and `--queue`.');
      const repo = await repoOpen();
      if (o.gitRemote !== undefined) {
        const { removeRemoteExperiments } = await import('../../repo/experiments/share.js');
        const gone = removeRemoteExperiments(repo, o.gitRemote, { names, allCommits: o.allCommits, revs: o.rev, num: o.num, keep: o.keep });
        out.info(gone.length ? `Removed experiments: ${humanJoin(gone)}` : 'No experiments to remove.');
        return;
      }
      const m = await import('../../repo/experiments/manage.js');
      // queued experiments (exp remove --queue, or names of queue tasks) leave the queue first
      const q = o.queue || names.length ? await expRemoveQueued(names, !!o.queue) : { removed: [], rest: names };
      const more = q.rest.length || o.allCommits || o.rev.length ? m.removeExperiments(repo, { names: q.rest, allCommits: o.allCommits, revs: o.rev, num: o.num, keep: o.keep }) : [];
      const removed = [...q.removed, ...more];
      out.info(removed.length ? `Removed experiments: ${humanJoin(removed)}` : 'No experiments to remove.');
    });

  exp
    .command('rename')
    .description('Rename experiments.')
    .argument('<experiment>', 'Experiment to rename.')
    .argument('<name>', 'New name for the experiment.')
    .option('-f, --force', 'Replace experiment if it already exists.')
    .action(async (from: string, to: string, o: { force?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const m = await import('../../repo/experiments/manage.js');
      const renamed = m.renameExperiment(repo, from, to, !!o.force);
      out.info(renamed.length ? `Renamed experiments: ${humanJoin(renamed)}` : 'No experiments to rename.');
    });

  registerShare(exp);
  registerExpQueue(exp);
}
