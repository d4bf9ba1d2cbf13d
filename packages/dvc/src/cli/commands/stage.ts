import type { Command } from 'commander';
import { outputFor } from '../output.js';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** DVC's parse_cmd: one argument is the command; several are joined, quoting those with spaces. */
export function parseCmd(words: string[]): string {
  if (words.length < 2) return words.join(' ');
  return words.map((a) => (!a ? '""' : a.includes(' ') && !a.includes('"') ? `"${a}"` : a)).join(' ');
}

export function register(program: Command): void {
  const stage = program.command('stage').description('Commands to list and create stages.').enablePositionalOptions();
  stage
    .command('add')
    .description('Create stage')
    .requiredOption('-n, --name <name>', 'Name of the stage to add')
    .option('-d, --deps <path>', 'Declare dependencies for reproducible cmd.', collect)
    .option('-p, --params <[path:]params_list>', 'Declare parameter to use as additional dependency.', collect)
    .option('-o, --outs <path>', 'Declare output file or directory.', collect)
    .option('-O, --outs-no-cache <path>', 'Declare output file or directory (do not put into DVC cache).', collect)
    .option('--outs-persist <path>', 'Declare output file or directory that will not be removed upon repro.', collect)
    .option('--outs-persist-no-cache <path>', 'Declare output file or directory that will not be removed upon repro (do not put into DVC cache).', collect)
    .option('-m, --metrics <path>', 'Declare output metrics file.', collect)
    .option('-M, --metrics-no-cache <path>', 'Declare output metrics file (do not put into DVC cache).', collect)
    .option('--plots <path>', 'Declare output plot file.', collect)
    .option('--plots-no-cache <path>', 'Declare output plot file (do not put into DVC cache).', collect)
    .option('-w, --wdir <path>', 'Directory within your repo to run your command in.')
    .option('-f, --force', 'Overwrite existing stage')
    .option('--always-changed', 'Always consider this stage as changed.')
    .option('--desc <text>', 'User description of the stage (optional).')
    .argument('<command...>', 'Command to execute.')
    .passThroughOptions()
    .action(async (words: string[], o: Record<string, string[] | string | boolean | undefined>, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { stageAdd } = await import('../../repo/stage.js');
        const repo = Repo.open();
        const list = (k: string) => o[k] as string[] | undefined;
        const def = await stageAdd(repo, {
          name: o.name as string,
          cmd: parseCmd(words),
          deps: list('deps'),
          params: list('params'),
          outs: list('outs'),
          outsNoCache: list('outsNoCache'),
          outsPersist: list('outsPersist'),
          outsPersistNoCache: list('outsPersistNoCache'),
          metrics: list('metrics'),
          metricsNoCache: list('metricsNoCache'),
          plots: list('plots'),
          plotsNoCache: list('plotsNoCache'),
          wdir: o.wdir as string | undefined,
          force: !!o.force,
          alwaysChanged: !!o.alwaysChanged,
          desc: o.desc as string | undefined,
        });
        out.info(`Added stage '${def.name}' in 'dvc.yaml'`);
        const hint = await repo.scmContext.finish({ quiet: out.quiet });
        if (hint) out.info(hint);
      });
    });
  stage
    .command('list')
    .description('List stages.')
    .argument('[targets...]', "Show stages from a dvc.yaml/.dvc file or a directory. 'dvc.yaml' by default")
    .option('--all', 'List all of the stages in the repo.')
    .option('--fail', 'Fail immediately, do not suppress any syntax errors.')
    .option('-R, --recursive', 'List all stages inside the specified directory.')
    .option('--name-only, --names-only', 'List only stage names.')
    .action(async (targets: string[], o: { all?: boolean; fail?: boolean; recursive?: boolean; nameOnly?: boolean; namesOnly?: boolean }, cmd: Command) => {
      const { withDvcExit } = await import('../../repo/pipeline.js');
      return withDvcExit(async () => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { listStages } = await import('../../repo/stage-list.js');
        const stages = listStages(Repo.open(), targets, { all: o.all, recursive: o.recursive, fail: o.fail });
        if (!stages.length) return;
        const width = Math.max(...stages.map((s) => s.addressing.length));
        for (const s of stages) out.info(o.nameOnly || o.namesOnly || !s.description ? s.addressing : `${s.addressing.padEnd(width)}  ${s.description}`);
      });
    });
}
