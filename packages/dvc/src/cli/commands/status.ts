import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show changed stages, compare local cache and a remote storage.')
    .argument('[targets...]', 'Limit command scope to these tracked files/directories, .dvc files and stage names.')
    .option('--json', 'Show status in JSON format.')
    .action(async (targets: string[], opts: { json?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const st = await import('../../repo/status.js');
      const repo = Repo.open();
      const r = await st.status(repo, targets);
      const changed = Object.keys(r.report).length > 0;
      if (opts.json) out.print(st.statusJson(r.report));
      else out.info(st.formatStatus(r));
      // DVC: with -q the exit code says whether anything changed.
      if (out.quiet && changed) process.exitCode = 1;
    });
}
