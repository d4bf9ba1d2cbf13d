import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('Show added, modified, or deleted data between commits in the DVC repository, or between a commit and the workspace.')
    .argument('[a_rev]', 'Old Git commit to compare (defaults to HEAD)')
    .argument('[b_rev]', 'New Git commit to compare (defaults to the current workspace)')
    .option('--targets <paths...>', 'Specific DVC-tracked files to compare. Accepts one or more file paths.')
    .option('--json', 'Show output in JSON format.')
    .option('--show-hash', 'Display hash value for each entry')
    .option('--md', 'Show tabulated output in the Markdown format (GFM).')
    .option('--hide-missing', 'Hide missing cache file status.')
    .action(async (aRev: string | undefined, bRev: string | undefined, opts: { json?: boolean; targets?: string[]; showHash?: boolean; md?: boolean; hideMissing?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const d = { ...(await import('../../repo/diff.js')), ...(await import('../text/diff.js')) };
      const { statusJson } = await import('../text/json.js');
      const { DvcError } = await import('../../errors.js');
      let r;
      try {
        r = await d.diff(repo, aRev ?? 'HEAD', bRev, opts.targets);
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to get diff - ${e.message}`, { cause: e });
        throw e;
      }
      // DVC: comparing two commits never reports missing cache entries
      const view = { showHash: opts.showHash, hideMissing: bRev !== undefined || opts.hideMissing };
      if (opts.json) out.print(statusJson(d.diffJsonData(r, view) as never));
      else if (opts.md) out.print(d.formatDiffMarkdown(r, view));
      else {
        const text = d.formatDiff(r, view);
        if (text) out.info(text);
      }
    });
}
