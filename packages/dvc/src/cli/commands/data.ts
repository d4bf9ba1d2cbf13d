import type { Command } from 'commander';
import { outputFor } from '../output.js';

const LABELS: Record<string, string> = {
  not_in_remote: 'Not in remote',
  not_in_cache: 'Not in cache',
  committed: 'DVC committed changes',
  uncommitted: 'DVC uncommitted changes',
  untracked: 'Untracked files',
  unchanged: 'DVC unchanged files',
};
const HINTS: Record<string, string[]> = {
  not_in_remote: ['use "dvc push <file>..." to upload files'],
  not_in_cache: ['use "dvc fetch <file>..." to download files'],
  committed: ['git commit the corresponding dvc files to update the repo'],
  uncommitted: ['use "dvc commit <file>..." to track changes', 'use "dvc checkout <file>..." to discard changes'],
  untracked: ['use "git add <file> ..." or "dvc add <file>..." to commit to git or to dvc'],
};

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v && typeof v === 'object') return Object.values(v).every(isEmpty);
  return !v;
}

export function register(program: Command): void {
  const data = program.command('data').description('Commands related to data management.');
  data
    .command('status')
    .description('Show changes between the last git commit, the dvcfiles and the workspace.')
    .argument('[targets...]', 'Limit command scope to these tracked files/directories, .dvc files and stage names.')
    .option('--json', 'Show output in JSON format.')
    .option('--granular', 'Show granular file-level info for DVC-tracked directories.')
    .option('--unchanged', 'Show unmodified DVC-tracked files.')
    .option('--untracked-files [mode]', 'Show untracked files (no or all; all when given alone).')
    .option('-r, --remote <name>', 'Remote storage to check (only applicable with --not-in-remote).')
    .option('--not-in-remote', 'Show files not in remote.')
    .action(
      async (
        targets: string[],
        o: { json?: boolean; granular?: boolean; unchanged?: boolean; untrackedFiles?: string | boolean; remote?: string; notInRemote?: boolean },
        cmd: Command,
      ) => {
        const out = outputFor(cmd);
        const { ArgumentError } = await import('../../errors.js');
        const mode = o.untrackedFiles === undefined ? 'no' : o.untrackedFiles === true ? 'all' : o.untrackedFiles;
        if (mode !== 'no' && mode !== 'all') throw new ArgumentError(`argument --untracked-files: invalid choice: '${mode}' (choose from 'no', 'all')`);
        const { Repo } = await import('../../repo/repo.js');
        const { dataStatus } = await import('../../repo/data-status.js');
        const st = await dataStatus(Repo.open(), {
          targets,
          granular: o.granular,
          untrackedFiles: mode === 'all',
          notInRemote: o.notInRemote,
          remote: o.remote,
        });
        const { git, ...rest } = st;
        const shown: Record<string, unknown> = { ...rest };
        if (!o.unchanged) delete shown.unchanged;
        if (mode === 'no') delete shown.untracked;
        if (o.json) {
          const { statusJson } = await import('../text/json.js');
          const compact: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(shown)) if (!isEmpty(v)) compact[k] = v;
          out.print(statusJson(compact as never));
          return;
        }
        const result = Object.entries(shown).filter(([, v]) => !isEmpty(v));
        if (!result.length) out.info(git.is_empty ? 'No changes in an empty git repo.' : 'No changes.');
        result.forEach(([stage, v], idx) => {
          if (idx) out.info();
          out.info(`${LABELS[stage] ?? stage}:`);
          for (const h of HINTS[stage] ?? []) out.info(`  (${h})`);
          const items = Array.isArray(v) ? (v as string[]) : Object.entries(v as Record<string, string[]>).flatMap(([state, list]) => list.map((p) => `${state}: ${p}`));
          for (const it of items) out.info(' '.repeat(8) + it);
        });
        if (git.is_dirty) out.info(`(there are ${result.length ? 'other ' : ''}changes not tracked by dvc, use "git status" to see)`);
      },
    );
}
