import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { keyValuesArg } from './get.js';

export function register(program: Command): void {
  program
    .command('get-url')
    .description('Download or copy files from URL.')
    .argument('<url>', 'See `dvc import-url -h` for full list of supported URLs.')
    .argument('[out]', 'Destination path to put data to.')
    .option('-f, --force', 'Override local file or folder if exists.')
    .option('--fs-config <key=value...>', 'Config options for the target url.')
    .action(async (url: string, dest: string | undefined, opts: { force?: boolean; fsConfig?: string[] }, cmd: Command) => {
      outputFor(cmd);
      const { DvcError } = await import('../../errors.js');
      const fsConfig = keyValuesArg('--fs-config', opts.fsConfig);
      const { getUrl } = await import('../../repo/url.js');
      try {
        await getUrl(url, dest, { force: opts.force, fsConfig });
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to get '${url}' - ${e.message}`, { cause: e });
        throw e;
      }
    });
}
