/**
 * Which command file defines each top-level command name (and alias), so `dvc <command>` loads
 * and registers that one file instead of all of them: start-up is most of a quick command's time
 * (`dvc version`, a no-op `dvc status`). `dvc`, `dvc --help` and a name not listed here register
 * every command (./index.ts). A test checks this table against the full command tree.
 */
import type { Command } from 'commander';

type Loader = () => Promise<{ register: (program: Command) => void }>;

export const COMMAND_FILES: Record<string, Loader> = {
  init: () => import('./init.js'),
  add: () => import('./add.js'),
  status: () => import('./status.js'),
  checkout: () => import('./checkout.js'),
  commit: () => import('./commit.js'),
  remove: () => import('./remove.js'),
  rm: () => import('./remove.js'),
  move: () => import('./move.js'),
  mv: () => import('./move.js'),
  unprotect: () => import('./unprotect.js'),
  'check-ignore': () => import('./check-ignore.js'),
  config: () => import('./config.js'),
  remote: () => import('./remote.js'),
  push: () => import('./push.js'),
  pull: () => import('./pull.js'),
  fetch: () => import('./fetch.js'),
  gc: () => import('./gc.js'),
  diff: () => import('./diff.js'),
  cache: () => import('./cache.js'),
  root: () => import('./root.js'),
  version: () => import('./version.js'),
  doctor: () => import('./version.js'),
  stage: () => import('./stage.js'),
  repro: () => import('./repro.js'),
  dag: () => import('./dag.js'),
  params: () => import('./params.js'),
  metrics: () => import('./metrics.js'),
  plots: () => import('./plots.js'),
  exp: () => import('./exp.js'),
  experiments: () => import('./exp.js'),
  install: () => import('./install.js'),
  'git-hook': () => import('./git-hook.js'),
  list: () => import('./ls.js'),
  ls: () => import('./ls.js'),
  get: () => import('./get.js'),
  import: () => import('./import.js'),
  update: () => import('./update.js'),
  'get-url': () => import('./get-url.js'),
  'ls-url': () => import('./ls-url.js'),
  du: () => import('./du.js'),
  data: () => import('./data.js'),
  'import-url': () => import('./import-url.js'),
  freeze: () => import('./freeze.js'),
  unfreeze: () => import('./freeze.js'),
  destroy: () => import('./destroy.js'),
  queue: () => import('./queue.js'),
};

/** Commands that need every other command registered (they describe the whole CLI). */
export const NEEDS_FULL_TREE = new Set(['completion']);

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
