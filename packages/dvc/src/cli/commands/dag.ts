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
    .action(async (target: string | undefined, o: { dot?: boolean; mermaid?: boolean; md?: boolean; full?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { loadPipeline, buildGraph, checkOutputs, findStage, postorder } = await import('../../repo/pipeline.js');
        const dag = await import('../../repo/dag.js');
        const p = loadPipeline(Repo.open());
        checkOutputs(p.stages);
        const g = buildGraph(p.stages);
        let stages = p.stages;
        if (target) {
          const t = findStage(p, target);
          const keep = new Set(postorder(g, [t]));
          if (o.full) {
            const comp = dag.pipelines(dag.dagOf(p.stages, g)).find((c) => c.nodes.includes(t.addressing))!;
            stages = p.stages.filter((s) => comp.nodes.includes(s.addressing));
          } else stages = p.stages.filter((s) => keep.has(s));
        }
        const sub = new Map([...g].filter(([s]) => stages.includes(s)).map(([s, u]) => [s, u.filter((x) => stages.includes(x))]));
        const d = dag.dagOf(stages, sub);
        if (!d.nodes.length) return;
        if (o.dot) out.print(dag.showDot(d));
        else if (o.mermaid || o.md) out.print(dag.showMermaid(d, !!o.md));
        else out.print(dag.showAscii(d));
      });
    });
}
