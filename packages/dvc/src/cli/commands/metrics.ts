import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  const metrics = program.command('metrics').description('Commands to display and compare metrics.');
  metrics
    .command('show')
    .description('Print metrics, with optional formatting.')
    .argument('[targets...]', 'Limit command scope to these metrics files.')
    .option('--json', 'Show output in JSON format.')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .option('-a, --all-branches', 'Show metrics for all branches.')
    .option('-T, --all-tags', 'Show metrics for all tags.')
    .option('-A, --all-commits', 'Show metrics for all commits.')
    .action(async (targets: string[], o: { json?: boolean; md?: boolean; allBranches?: boolean; allTags?: boolean; allCommits?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const m = { ...(await import('../../repo/metrics.js')), ...(await import('../text/metrics.js')) };
        if (o.allBranches || o.allTags || o.allCommits) {
          const revs = await m.metricsShowRevs(Repo.open(), targets, o);
          if (o.json) out.print(m.metricsShowRevsJson(revs));
          else if ([...revs.values()].some((r) => r.size)) out.print(m.metricsShowRevsTable(revs, o.md));
          else out.info('No metrics found.');
          return;
        }
        const res = m.metricsShow(Repo.open(), targets);
        if (o.json) out.print(m.metricsShowJson(res));
        else if (res.size) out.print(m.metricsShowTable(res, o.md));
        else out.info('No metrics found.');
        if ([...res.values()].some((r) => r.error)) process.stderr.write("DVC failed to load some metrics for following revisions: ''.\n");
      });
    });
  addDiffCommand(metrics, 'metrics');
}

/** `dvc metrics diff` / `dvc params diff`: the same command over metrics or params files. */
export function addDiffCommand(group: Command, kind: 'metrics' | 'params'): void {
  group
    .command('diff')
    .description(`Show changes in ${kind} between commits in the DVC repository, or between a commit and the workspace.`)
    .argument('[a_rev]', 'Old Git commit to compare (defaults to HEAD)', 'HEAD')
    .argument('[b_rev]', 'New Git commit to compare (defaults to the current workspace)')
    .option('--all', `Show unchanged ${kind} as well.`)
    .option('--json', 'Show output in JSON format.')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .action(async (aRev: string, bRev: string | undefined, o: { all?: boolean; json?: boolean; md?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const m = { ...(await import('../../repo/metrics.js')), ...(await import('../text/metrics.js')) };
        const rows = await m.diffFiles(Repo.open(), kind, aRev, !!o.all, bRev);
        if (o.json) out.print(m.diffJson(rows));
        else {
          const t = kind === 'metrics' ? m.metricsDiffTable(rows, aRev, bRev, o.md) : m.paramsDiffTable(rows, aRev, bRev, o.md);
          if (t) out.print(t);
        }
      });
    });
}
