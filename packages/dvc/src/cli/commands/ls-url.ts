import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { keyValuesArg } from './get.js';
import { naturalsize } from './ls.js';

export function register(program: Command): void {
  program
    .command('ls-url')
    .description('List directory contents from URL.')
    .argument('<url>', 'See `dvc import-url -h` for full list of supported URLs.')
    .option('-R, --recursive', 'Recursively list files.')
    .option('-L, --level <depth>', 'Limit the depth of recursion.')
    .option('--size', 'Show sizes.')
    .option('--fs-config <key=value...>', 'Config options for the target url.')
    .action(async (url: string, opts: { recursive?: boolean; level?: string; size?: boolean; fsConfig?: string[] }, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError, ArgumentError } = await import('../../errors.js');
      const fsConfig = keyValuesArg('--fs-config', opts.fsConfig);
      const level = opts.level === undefined ? undefined : Number(opts.level);
      if (level !== undefined && !Number.isInteger(level)) throw new ArgumentError(`argument -L/--level: invalid int value: '${opts.level}'`);
      const { lsUrl } = await import('../../repo/url.js');
      let entries;
      try {
        entries = await lsUrl(url, { recursive: opts.recursive || level !== undefined, maxdepth: level, fsConfig, withSize: opts.size });
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to list '${url}' - ${e.message}`, { cause: e });
        throw e;
      }
      if (!entries.length) return;
      if (!opts.size) {
        out.print(entries.map((e) => e.path).join('\n'));
        return;
      }
      const sizes = entries.map((e) => (e.size === undefined || e.isdir ? '' : naturalsize(e.size)));
      const w = Math.max(...sizes.map((s) => s.length));
      out.print(entries.map((e, i) => `${sizes[i]!.padStart(w)}  ${e.path}`).join('\n'));
    });
}
