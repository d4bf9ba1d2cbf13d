import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  const params = program.command('params').description('Commands to display params.');
  params
    .command('diff')
    .description('Show changes in params between commits in the DVC repository, or between a commit and the workspace.')
    .argument('[a_rev]', 'Old Git commit to compare (defaults to HEAD)', 'HEAD')
    .argument('[b_rev]', 'New Git commit to compare (defaults to the current workspace)')
    .option('--all', 'Show unchanged params as well.')
    .option('--json', 'Show output in JSON format.')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .action(async (aRev: string, bRev: string | undefined, o: { all?: boolean; json?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { DvcError } = await import('../../errors.js');
        if (bRev !== undefined) throw new DvcError('comparing two revisions is not supported yet (compare a revision with the workspace)');
        const m = await import('../../repo/metrics.js');
        const rows = await m.diffFiles(Repo.open(), 'params', aRev, !!o.all);
        if (o.json) out.print(m.diffJson(rows));
        else {
          const t = m.paramsDiffTable(rows, aRev);
          if (t) out.print(t);
        }
      });
    });
}
