/**
 * `dvc queue start|stop|status|logs|remove|kill`: the experiments task queue (../../repo/experiments/queue.ts),
 * worded as DVC's dvc/commands/queue/.
 */
import type { Command } from 'commander';
import { TextDecoder } from 'node:util';
import { ArgumentError } from '../../errors.js';
import { outputFor } from '../output.js';
import { jobsArg, selfCli } from './exp-queue.js';

async function queueOpen() {
  const { Repo } = await import('../../repo/repo.js');
  const { ExpQueue } = await import('../../repo/experiments/queue.js');
  return new ExpQueue(Repo.open());
}

/** tabulate(tablefmt="plain") with DVC's header padding, lines right-stripped. */
function plain(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => (r[i] ?? '').length)));
  return [headers, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

/** Python's repr of a list of str. */
const pyList = (xs: string[]) => `[${xs.map((x) => `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;

export function register(program: Command): void {
  const queue = program.command('queue').description('Commands to manage experiments queue.');

  queue
    .command('start')
    .description('Start the experiments task queue worker.')
    .option('-j, --jobs <number>', 'Maximum number of concurrent queue workers to start. Defaults to 1.', jobsArg, 1)
    .action(async (o: { jobs: number }, cmd: Command) => {
      const out = outputFor(cmd);
      const q = await queueOpen();
      const started = q.startWorkers(o.jobs, selfCli());
      out.info(`Started '${started}' new experiments task queue worker${started > 1 ? 's' : ''}.`);
    });

  queue
    .command('stop')
    .description('Stop all experiments task queue workers.')
    .option('--kill', 'Kill all running tasks before stopping the queue workers.')
    .action(async (o: { kill?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const q = await queueOpen();
      q.shutdown(!!o.kill);
      if (o.kill) out.info('All running tasks in the queue have been killed.Queue workers are stopping.');
      else out.info('Queue workers will stop after running tasks finish.');
    });

  queue
    .command('status')
    .description('Show the status of experiments queue tasks and workers.')
    .action(async (_o: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const q = await queueOpen();
      const { formatTime } = await import('../../repo/experiments/show.js');
      const { isoLocal } = await import('../../repo/experiments/collect.js');
      const result = q.status();
      if (result.length) {
        const rows = result.map((e) => [e.rev.slice(0, 7), e.name ?? '', formatTime(e.timestamp === null ? null : isoLocal(e.timestamp), { fillValue: '-' }), e.status]);
        out.info(plain(['Task', 'Name', 'Created', 'Status'], rows));
      } else out.info('No experiment tasks in the queue.');
      out.info('');
      const workers = q.workers();
      const active = workers.filter((w) => w.task).length;
      out.info(`Worker status: ${active} active, ${workers.length - active} idle`);
    });

  queue
    .command('logs')
    .description('Show output logs for running and completed experiment queue tasks.')
    .argument('<task>', 'Task to show.')
    .option('-e, --encoding <encoding>', 'Text encoding for log output. Defaults to system locale encoding.')
    .option('-f, --follow', 'Attach to task and follow additional live output. Only applicable if the task is still running.')
    .action(async (task: string, o: { encoding?: string; follow?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const q = await queueOpen();
      const { ExperimentError } = await import('../../repo/experiments/refs.js');
      const { UnresolvedQueueExpNamesError } = await import('../../repo/experiments/queue.js');
      let decoder: TextDecoder;
      try {
        decoder = new TextDecoder(o.encoding ?? 'utf-8');
      } catch {
        throw new ArgumentError(`unknown encoding: ${o.encoding}`);
      }
      const t = q.match([task], [...q.active(), ...q.done()]).get(task);
      if (!t) {
        if (q.match([task], q.queued()).get(task)) throw new ExperimentError(`Experiment '${task}' is in queue but has not been started`);
        throw new UnresolvedQueueExpNamesError([task]);
      }
      if (o.follow) {
        out.info(`Following logs for experiment '${task}'. Use Ctrl+C to stop following logs (experiment execution will continue).\n`);
        process.once('SIGINT', () => process.exit(0));
        await q.waitDone(t, (chunk) => process.stdout.write(decoder.decode(chunk, { stream: true })));
        return;
      }
      const proc = q.loadProc(t.entry.stash_rev);
      let data: Buffer | null = null;
      try {
        if (proc?.stdout) data = (await import('node:fs')).readFileSync(proc.stdout);
      } catch {
        data = null;
      }
      if (data === null) {
        let msg = `No output logs found for experiment '${task}'`;
        if (q.match([task], q.failed()).get(task)) msg += '\nExperiment likely failed during setup.';
        throw new ExperimentError(msg);
      }
      process.stdout.write(decoder.decode(data) + '\n');
    });

  queue
    .command('remove')
    .description('Remove queued and completed tasks from the queue.')
    .argument('[task...]', 'Tasks to remove.')
    .option('--all', 'Remove all queued and completed tasks from the queue.')
    .option('--queued', 'Remove all queued tasks from the queue.')
    .option('--success', 'Remove all successful tasks from the queue.')
    .option('--failed', 'Remove all failed tasks from the queue.')
    .action(async (tasks: string[], o: { all?: boolean; queued?: boolean; success?: boolean; failed?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { ExperimentError } = await import('../../repo/experiments/refs.js');
      const clear = !!(o.all || o.queued || o.failed || o.success);
      if (clear === tasks.length > 0) throw new ExperimentError('Either provide an `tasks` argument, or use the `--all`, `--queued`, `--failed`, `--success` flag.');
      const q = await queueOpen();
      const removed = clear ? q.clear({ queued: o.all || o.queued, failed: o.all || o.failed, success: o.all || o.success }) : q.remove(tasks);
      if (removed.length) out.info(`Removed tasks in queue: ${removed.join(', ')}`);
      else out.info(`No tasks found named ${pyList(tasks)}`);
    });

  queue
    .command('kill')
    .description('Gracefully interrupt running experiment queue tasks (equivalent to Ctrl-C)')
    .argument('[task...]', 'Tasks in queue to kill.')
    .option('-f, --force', 'Forcefully and immediately kill running experiment queue tasks')
    .action(async (tasks: string[], o: { force?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const q = await queueOpen();
      const { UnresolvedRunningExpNamesError } = await import('../../repo/experiments/queue.js');
      const r = q.kill(tasks, !!o.force);
      for (const n of r.killed) out.info(`${n} has been killed.`);
      if (r.missing.length) throw new UnresolvedRunningExpNamesError(r.missing);
    });
}
