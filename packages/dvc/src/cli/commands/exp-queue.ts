/**
 * The queue side of `dvc exp`: `exp run --queue / --run-all / -j`, Hydra sweeps, `exp remove
 * --queue`, `exp clean`, and the hidden `exp queue-worker` / `exp exec-run` that queue workers run
 * (DVC's names). exp.ts calls in here; the wording is DVC's.
 */
import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import type { Output } from '../output.js';
import { outputFor } from '../output.js';

async function repoOpen() {
  const { Repo } = await import('../../repo/repo.js');
  return Repo.open();
}

/** How to start this same CLI again (workers, experiment runs). */
export function selfCli(): { node: string; script: string } {
  return { node: process.execPath, script: process.argv[1]! };
}

export function jobsArg(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new ArgumentError(`argument -j/--jobs: invalid int value: '${v}'`);
  return Number(v);
}

/** `exp run`'s options as commander gives them. */
export interface ExpRunCliOptions {
  setParam: string[];
  name?: string;
  force?: boolean;
  interactive?: boolean;
  singleItem?: boolean;
  pipeline?: boolean;
  allPipelines?: boolean;
  recursive?: boolean;
  downstream?: boolean;
  forceDownstream?: boolean;
  pull?: boolean;
  allowMissing?: boolean;
  dry?: boolean;
  keepGoing?: boolean;
  ignoreErrors?: boolean;
  message?: string;
  queue?: boolean;
  /** --temp: run at once in a temporary worktree, the workspace left alone. */
  temp?: boolean;
  runAll?: boolean;
  jobs?: number;
  /** -C: untracked/ignored paths copied into the temporary worktree (--temp, --queue). */
  copyPaths: string[];
}

export interface ExpRunQueueOptions extends ExpRunCliOptions {
  /** -k / --ignore-errors as one (the last given wins). */
  onError: 'fail' | 'keep-going' | 'ignore';
}

/**
 * The part of `exp run` that is about the queue and temporary worktrees (--queue, --temp, --dry,
 * which runs in one as DVC's, --run-all). Returns false when the run is an ordinary one in the
 * workspace (after refusing sweeps there, as DVC).
 */
export async function expRunQueue(targets: string[], o: ExpRunQueueOptions, out: Output): Promise<boolean> {
  if (o.runAll) {
    await runAll(o.jobs ?? 1, out);
    return true;
  }
  // DVC's experiments.run: `if kwargs.get("dry"): tmp_dir = True`
  const temp = o.temp || o.dry;
  const hasParams = o.setParam.length > 0;
  if (!o.queue && !temp && !hasParams) return false;
  const repo = await repoOpen();
  const h = await import('../../repo/experiments/hydra.js');
  const { ExperimentError } = await import('../../repo/experiments/refs.js');
  const groups = hasParams ? h.pathOverrides(repo, o.setParam) : new Map<string, string[]>();
  const sweep = hasParams && (await h.isSweep(groups));
  if (sweep && !o.queue) throw new ExperimentError("Sweep overrides can't be used without `--queue`");
  if (!o.queue && !temp) return false;
  const { copyPathsOf } = await import('../../repo/experiments/queue.js');
  const copyPaths = copyPathsOf(repo, o.copyPaths);
  const all = hasParams ? groups : h.pathOverrides(repo, []);
  const repro = {
    targets,
    force: o.force,
    single: o.singleItem,
    dry: o.dry,
    interactive: o.interactive,
    pipeline: o.pipeline,
    allPipelines: o.allPipelines,
    downstream: o.downstream,
    recursive: o.recursive,
    forceDownstream: o.forceDownstream,
    pull: o.pull,
    allowMissing: o.allowMissing,
    onError: o.onError,
    message: o.message,
    copyPaths,
  };
  if (!o.queue) {
    await runTemp(repo, repro, o.name, h.toSetParams(all), out);
    return true;
  }
  const sweeps = sweep ? await h.hydraSweeps(all) : [all];
  const { prepareRun } = await import('../../repo/experiments/run.js');
  const { ExpQueue } = await import('../../repo/experiments/queue.js');
  const q = new ExpQueue(repo);
  for (const [i, ovs] of sweeps.entries()) {
    const setParams = h.toSetParams(ovs);
    const name = sweep && o.name !== undefined ? `${o.name}-${i + 1}` : o.name;
    const { baseline, name: expName } = prepareRun(repo, { name, setParams, force: o.force });
    await repo.withLock(() => q.put({ ...repro, baseline, name: expName, writeParams: (dir) => h.writeParams(repo, setParams, dir) }));
    if (ovs.size) out.info(`Queueing with overrides '${h.overridesRepr(ovs)}'.`);
    out.info(`Queued experiment '${expName}' for future execution.`);
  }
  return true;
}

/**
 * `exp run --temp` (and --dry): DVC's reproduce_one with tmp_dir, in the foreground, wording as
 * DVC's; a dry run says nothing more than what its stages would run.
 */
async function runTemp(
  repo: import('../../repo/repo.js').Repo,
  repro: Omit<import('../../repo/experiments/queue.js').PutOptions, 'baseline' | 'name' | 'writeParams'>,
  expName: string | undefined,
  setParams: string[],
  out: Output,
): Promise<void> {
  const h = await import('../../repo/experiments/hydra.js');
  const { prepareRun } = await import('../../repo/experiments/run.js');
  const { ExpQueue } = await import('../../repo/experiments/queue.js');
  const { DvcError } = await import('../../errors.js');
  const { baseline, name } = prepareRun(repo, { name: expName, setParams, force: repro.force });
  const q = new ExpQueue(repo);
  const r = await q.runTemp({ ...repro, baseline, name, writeParams: (dir) => h.writeParams(repo, setParams, dir) }, selfCli());
  if ('dry' in r) return;
  if ('failed' in r) throw new DvcError(`Failed to reproduce experiment '${r.failed.slice(0, 7)}'`);
  out.info(`\nRan experiment(s): ${r.name}`);
  out.info('To apply the results of an experiment to your workspace run:\n\n\tdvc exp apply <exp>');
}

/** DVC's reproduce_celery: start workers, follow every active and queued task's log to its end. */
async function runAll(jobs: number, out: Output): Promise<void> {
  const repo = await repoOpen();
  const { ExpQueue } = await import('../../repo/experiments/queue.js');
  const q = new ExpQueue(repo);
  const entries = [...q.active(), ...q.queued()];
  if (!entries.length) return;
  q.startWorkers(jobs, selfCli());
  // Ctrl+C stops following; the workers (detached) carry on
  process.once('SIGINT', () => {
    out.info("Experiment(s) are still executing in the background. To abort execution use 'dvc queue kill' or 'dvc queue stop'.");
    process.exit(0);
  });
  out.info('Following logs for all queued experiments. Use Ctrl+C to stop following logs (experiment execution will continue).\n');
  const failed: string[] = [];
  const ran: string[] = [];
  for (const t of entries) {
    const done = await q.waitDone(t, (chunk) => {
      if (!out.quiet) process.stdout.write(chunk);
    });
    if (done?.ref) ran.push(done.ref.name);
    else failed.push(t.entry.name || t.entry.stash_rev.slice(0, 7));
  }
  if (failed.length) out.error(`Failed to reproduce experiment(s) '${failed.join(', ')}'`);
  if (ran.length) {
    out.info(`\nRan experiment(s): ${ran.join(', ')}`);
    out.info('To apply the results of an experiment to your workspace run:\n\n\tdvc exp apply <exp>');
  }
}

/**
 * `exp remove --queue` and queued names given to `exp remove` (DVC's get_ref_and_entry_by_names):
 * removes them from the queue; returns the removed names and the names left for the experiment refs.
 */
export async function expRemoveQueued(names: string[], queue: boolean): Promise<{ removed: string[]; rest: string[] }> {
  const repo = await repoOpen();
  const { ExpQueue } = await import('../../repo/experiments/queue.js');
  const { resolveNames } = await import('../../repo/experiments/refs.js');
  const q = new ExpQueue(repo);
  const removed: string[] = queue ? q.clear({ queued: true }) : [];
  const rest: string[] = [];
  if (names.length) {
    const refs = resolveNames(q.root, names);
    const m = q.match(names, [...q.queued(), ...q.done()]);
    for (const n of names) {
      const t = m.get(n);
      if (t && !refs.get(n)) {
        q.remove([n]);
        removed.push(n);
      } else {
        if (t) q.remove([n]);
        rest.push(n);
      }
    }
  }
  return { removed, rest };
}

export function registerExpQueue(exp: Command): void {
  exp
    .command('clean')
    .description('Cleanup experiments temporary internal files.')
    .action(async (_o: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const { ExpQueue } = await import('../../repo/experiments/queue.js');
      out.info('Cleaning up dvc-task messages...');
      new ExpQueue(repo).clean();
      out.info('Done!');
    });

  exp
    .command('queue-worker', { hidden: true })
    .description('Run the experiments task queue worker (started by `dvc queue start`).')
    .argument('<name>', 'Worker node name.')
    .option('--clean', 'Accepted for DVC compatibility.')
    .action(async (name: string) => {
      const repo = await repoOpen();
      const { ExpQueue } = await import('../../repo/experiments/queue.js');
      await new ExpQueue(repo).work(name, selfCli());
    });

  exp
    .command('exec-run', { hidden: true })
    .description('Run an experiment from a queue task (used by queue workers).')
    .requiredOption('--infofile <path>', 'Executor info file.')
    .option('-C, --copy-paths <COPY_PATHS>', 'Paths of the repository (DVC_ROOT) to copy into this one before the run.', (v: string, prev: string[] = []) => [...prev, v], [])
    .option('-m, --message <message>', 'Custom commit message to use when committing the experiment.')
    .action(async (o: { infofile: string; message?: string; copyPaths: string[] }, cmd: Command) => {
      const out = outputFor(cmd);
      const repo = await repoOpen();
      const { execRun } = await import('../../repo/experiments/queue.js');
      const { withDvcExit } = await import('../../repo/pipeline.js');
      const { confirmStage } = await import('./repro.js');
      // -i: asked on the terminal of `exp run --temp -i` (a queued run has none: the answer is no)
      const confirm = process.stdin.isTTY ? confirmStage(out) : async () => false;
      await withDvcExit(() => execRun(repo, o.infofile, { message: o.message, copyPaths: o.copyPaths, info: (l) => out.info(l), warn: (l) => out.warn(l), confirm }));
    });
}
