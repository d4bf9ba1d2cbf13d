/**
 * Every `dvc` command, one file each, in `dvc --help`'s order, with the names and aliases each
 * file registers: the one list of the CLI's commands. A command file exports `register(program)`,
 * which adds its commander definition; the action imports the library lazily, so `dvc status`
 * does not load cloud SDKs.
 *
 * `dvc <command>` loads and registers only that command's file, since start-up is most of a
 * quick command's time (`dvc version`, a no-op `dvc status`). `dvc`, `dvc --help`, a name not
 * listed here and the commands that describe the whole CLI (completion) register every file. A
 * test checks the names against what each file registers.
 */
import type { Command } from 'commander';

type Loader = () => Promise<{ register: (program: Command) => void }>;

const FILES: ReadonlyArray<readonly [names: readonly string[], load: Loader]> = [
  [['init'], () => import('./init.js')],
  [['add'], () => import('./add.js')],
  [['status'], () => import('./status.js')],
  [['checkout'], () => import('./checkout.js')],
  [['commit'], () => import('./commit.js')],
  [['remove', 'rm'], () => import('./remove.js')],
  [['move', 'mv'], () => import('./move.js')],
  [['unprotect'], () => import('./unprotect.js')],
  [['check-ignore'], () => import('./check-ignore.js')],
  [['config'], () => import('./config.js')],
  [['remote'], () => import('./remote.js')],
  [['push'], () => import('./push.js')],
  [['pull'], () => import('./pull.js')],
  [['fetch'], () => import('./fetch.js')],
  [['gc'], () => import('./gc.js')],
  [['diff'], () => import('./diff.js')],
  [['cache'], () => import('./cache.js')],
  [['root'], () => import('./root.js')],
  [['version', 'doctor'], () => import('./version.js')],
  [['stage'], () => import('./stage.js')],
  [['repro'], () => import('./repro.js')],
  [['dag'], () => import('./dag.js')],
  [['params'], () => import('./params.js')],
  [['metrics'], () => import('./metrics.js')],
  [['plots'], () => import('./plots.js')],
  [['exp', 'experiments'], () => import('./exp.js')],
  [['queue'], () => import('./queue.js')],
  [['install'], () => import('./install.js')],
  [['git-hook'], () => import('./git-hook.js')],
  [['list', 'ls'], () => import('./ls.js')],
  [['get'], () => import('./get.js')],
  [['import'], () => import('./import.js')],
  [['update'], () => import('./update.js')],
  [['get-url'], () => import('./get-url.js')],
  [['ls-url'], () => import('./ls-url.js')],
  [['du'], () => import('./du.js')],
  [['data'], () => import('./data.js')],
  [['import-url'], () => import('./import-url.js')],
  [['freeze', 'unfreeze'], () => import('./freeze.js')],
  [['destroy'], () => import('./destroy.js')],
  [['completion'], () => import('./completion.js')],
];

/** Commands that need every other command registered (they describe the whole CLI). */
export const NEEDS_FULL_TREE = new Set(['completion']);

/** The file of each command name and alias that can be registered alone. */
export const COMMAND_FILES: Readonly<Record<string, Loader>> = Object.fromEntries(
  FILES.flatMap(([names, load]) => names.filter((n) => !NEEDS_FULL_TREE.has(n)).map((n) => [n, load])),
);

/** Every command file's `register`, in help order. */
export async function allCommands(): Promise<Array<(program: Command) => void>> {
  return (await Promise.all(FILES.map(([, load]) => load()))).map((file) => file.register);
}

/** Registers every command, in help order. */
export async function registerAll(program: Command): Promise<void> {
  for (const register of await allCommands()) register(program);
}

/** The command word of a `dvc` command line: the first argument that is not a global option. */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--cd') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}
