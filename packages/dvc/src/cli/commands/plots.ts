import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  const plots = program.command('plots').description('Commands to visualize and compare plot data.');
  plots
    .command('show')
    .description('Generate plots from target files.')
    .argument('[targets...]', 'Plots files to visualize.')
    .option('-o, --out <path>', 'Directory to save plots to.', 'dvc_plots')
    .option('--json', 'Show output in JSON format.')
    .action(async (targets: string[], o: { out: string }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const m = await import('../../repo/metrics.js');
        const { pathToFileURL } = await import('node:url');
        const r = m.plotsShow(Repo.open(), o.out, targets);
        out.print(pathToFileURL(r.page).href);
        if (r.failed) process.stderr.write("DVC failed to load some plots for following revisions: 'workspace'.\n");
      });
    });
}
