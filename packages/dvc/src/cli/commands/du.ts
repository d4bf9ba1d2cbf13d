import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { keyValuesArg } from './get.js';
import { naturalsize } from './ls.js';

export function register(program: Command): void {
  program
    .command('du')
    .description('Show disk usage.')
    .argument('<url>', 'Location of DVC repository')
    .argument('[path]', 'Path to directory within the repository')
    .option('--rev <commit>', 'Git revision (e.g. SHA, branch, tag)')
    .option('-s, --summarize', 'Show total disk usage.')
    .option('--config <path>', 'Path to a config file that will be merged with the config in the target repository.')
    .option('--remote <name>', 'Remote name to set as a default in the target repository.')
    .option('--remote-config <key=value...>', "Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.")
    .action(async (url: string, path: string | undefined, opts: { rev?: string; summarize?: boolean; config?: string; remote?: string; remoteConfig?: string[] }, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError } = await import('../../errors.js');
      const remoteConfig = keyValuesArg('--remote-config', opts.remoteConfig);
      const { SourceRepo } = await import('../../repo/source.js');
      let rows: Array<[string, number]>;
      try {
        const src = await SourceRepo.open(url, { rev: opts.rev, config: opts.config, remote: opts.remote, remoteConfig });
        try {
          rows = await src.du(path ?? '', { summarize: opts.summarize });
        } finally {
          await src.close();
        }
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to show disk usage of '${url}' - ${e.message}`, { cause: e });
        throw e;
      }
      const sizes = rows.map(([, n]) => naturalsize(n));
      const w = Math.max(...sizes.map((s) => s.length));
      out.print(rows.map(([p], i) => `${sizes[i]!.padEnd(w)}  ${p}`.replace(/\s+$/, '')).join('\n'));
    });
}
