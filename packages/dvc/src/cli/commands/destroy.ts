/**
 * `dvc destroy [-f]`: asks first (a line from stdin: y/yes goes on, n/no or end of input does not,
 * anything else asks again), as DVC's ui.confirm; refused without a yes: `failed to destroy DVC - cannot destroy without a
 * confirmation from the user. Use `-f` to force.` and exit 1.
 */
import type { Command } from 'commander';
import { outputFor } from '../output.js';

const STATEMENT =
  'This will destroy all information about your pipelines, all data files, as well as cache in .dvc/cache.\n' +
  'Are you sure you want to continue?';

/** Lines from stdin, one at a time (undefined at end of input); unread input stays buffered. */
function lineReader(): { next(): Promise<string | undefined>; close(): void } {
  const stdin = process.stdin;
  let buf = '';
  let ended = false;
  let waiting: (() => void) | undefined;
  const onData = (chunk: Buffer | string) => {
    buf += chunk.toString();
    waiting?.();
  };
  const onEnd = () => {
    ended = true;
    waiting?.();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  return {
    async next() {
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return line.replace(/\r$/, '');
        }
        if (ended) {
          const rest = buf;
          buf = '';
          return rest === '' ? undefined : rest;
        }
        stdin.resume();
        await new Promise<void>((r) => (waiting = r));
        waiting = undefined;
      }
    },
    close() {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    },
  };
}

/** DVC's ui.confirm: asks until the answer is yes/no/y/n; none (end of input) is a no. */
async function confirm(statement: string): Promise<boolean> {
  const lines = lineReader();
  try {
    for (;;) {
      process.stdout.write(`${statement} [y/n]: `);
      const a = await lines.next();
      if (a === undefined) {
        process.stdout.write('\n');
        return false;
      }
      const answer = a.toLowerCase();
      if (['yes', 'no', 'y', 'n'].includes(answer)) return answer.startsWith('y');
      process.stdout.write("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.\n");
    }
  } finally {
    lines.close();
  }
}

export function register(program: Command): void {
  program
    .command('destroy')
    .description('Remove DVC files, local DVC config and data cache.')
    .option('-f, --force', 'Force destruction.')
    .action(async (o: { force?: boolean }, cmd: Command) => {
      outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { DvcError } = await import('../../errors.js');
      const repo = Repo.open();
      try {
        // DVC's prompt goes to stdout
        if (!o.force && !(await confirm(STATEMENT))) {
          throw new DvcError('cannot destroy without a confirmation from the user. Use `-f` to force.');
        }
        const { destroy } = await import('../../repo/destroy.js');
        await destroy(repo);
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to destroy DVC - ${e.message}`, { cause: e });
        throw e;
      }
    });
}
