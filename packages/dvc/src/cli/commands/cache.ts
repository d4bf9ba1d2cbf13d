import type { Command } from 'commander';
import { DvcError } from '../../errors.js';
import { addLevelOptions, levelOf } from '../config-level.js';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  const cache = program.command('cache').description('Manage cache settings.');
  addLevelOptions(
    cache
      .command('dir')
      .description('Configure cache directory location.')
      .argument(
        '[value]',
        'Path to cache directory. Relative paths are resolved relative to the current directory and saved to config relative to the config file location.',
      ),
  )
    .option('-u, --unset', 'Unset option.')
    .action(async (value: string | undefined, opts: { unset?: boolean; global?: boolean; system?: boolean; project?: boolean; local?: boolean }, cmd: Command) => {
      const lib = await import('../../repo/config.js');
      const level = levelOf(opts);
      const config = lib.openConfig(process.cwd());
      if (value === undefined && !opts.unset) {
        outputFor(cmd).info(lib.cacheDirGet(config, { level }));
        return;
      }
      if (opts.unset && value !== undefined) throw new DvcError("-u/--unset can't be used together with a value");
      if (opts.unset) lib.cacheDirUnset(config, { level });
      else lib.cacheDirSet(config, value!, { level });
    });
}
