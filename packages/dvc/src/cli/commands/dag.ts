import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('dag')
    .description('Visualize DVC project DAG.')
    .argument('[target]', 'Stage name or output to show pipeline for.')
    .option('--dot', 'Print DAG with .dot format.')
    .option('--mermaid', 'Print DAG with mermaid format.')
    .option('--md', 'Print DAG with mermaid format wrapped in Markdown block.')
    .option('--full', 'Show full DAG that the target belongs too, instead of showing DAG consisting only of ancestors.')
    .option('-o, --outs', 'Print output files instead of stages.')
    .action(async (target: string | undefined, o: { dot?: boolean; mermaid?: boolean; md?: boolean; full?: boolean; outs?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { loadPipeline, buildGraph, checkOutputs, findStage } = await import('../../repo/pipeline.js');
        const dag = await import('../../repo/dag.js');
        const repo = Repo.open();
        const p = loadPipeline(repo);
        checkOutputs(p.stages);
        const g = buildGraph(p.stages);
        let d: import('../../repo/dag.js').DagGraph;
        if (o.outs) {
          const { collectDvcFiles, repoPath } = await import('../../repo/collect.js');
          const { relative, sep } = await import('node:path');
          const label = (abs: string) => relative(process.cwd(), abs).split(sep).join('/');
          const full = dag.outsDag(p.stages, collectDvcFiles(repo).flatMap((f) => f.outs), label);
          let targets: string[] = [];
          if (target) {
            const abs = repoPath(repo, target);
            targets = full.nodes.includes(label(abs)) ? [label(abs)] : findStage(p, target).outs.map((x) => label(x.abs));
          }
          d = dag.filterDag(full, targets, !!o.full);
        } else {
          d = dag.filterDag(dag.dagOf(p.stages, g), target ? [findStage(p, target).addressing] : [], !!o.full);
        }
        if (!d.nodes.length) return;
        if (o.dot) out.print(dag.showDot(d));
        else if (o.mermaid || o.md) out.print(dag.showMermaid(d, !!o.md));
        else out.print(dag.showAscii(d));
      });
    });
}
