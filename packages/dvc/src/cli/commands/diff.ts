import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('Show added, modified, or deleted data between commits in the DVC repository, or between a commit and the workspace.')
    .argument('[a_rev]', 'Old Git commit to compare (defaults to HEAD)')
    .argument('[b_rev]', 'New Git commit to compare (defaults to the current workspace)')
    .option('--json', 'Show output in JSON format.')
    .action(async (aRev: string | undefined, bRev: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const { diff, formatDiff } = await import('../../repo/diff.js');
      const { statusJson } = await import('../../repo/status.js');
      const r = await diff(repo, aRev ?? 'HEAD', bRev);
      if (opts.json) out.print(statusJson(r as never));
      else {
        const text = formatDiff(r);
        if (text) out.info(text);
      }
    });
}
