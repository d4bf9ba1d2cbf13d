import type { Command } from 'commander';
import { DvcError } from '../../errors.js';
import { addLevelOptions, levelOf } from '../config-level.js';
import { outputFor } from '../output.js';

interface Opts {
  global?: boolean;
  system?: boolean;
  project?: boolean;
  local?: boolean;
  unset?: boolean;
  list?: boolean;
  showOrigin?: boolean;
}

export function register(program: Command): void {
  addLevelOptions(
    program
      .command('config')
      .description('Get or set config options.')
      .argument('[name]', 'Option name (section.option or remote.name.option).')
      .argument('[value]', 'Option value.'),
  )
    .option('-u, --unset', 'Unset option.')
    .option('-l, --list', 'List all defined config values.')
    .option('--show-origin', 'Show the source file containing each config value.')
    .action(async (name: string | undefined, value: string | undefined, opts: Opts, cmd: Command) => {
      const out = outputFor(cmd);
      const lib = await import('../../repo/config.js');
      const parsed = name !== undefined ? lib.parseConfigName(name) : undefined;
      const level = levelOf(opts);
      if (opts.showOrigin && (value !== undefined || opts.unset)) {
        throw new DvcError("--show-origin can't be used together with any of these options: -u/--unset, value");
      }
      const config = lib.openConfig(process.cwd());
      if (opts.list) {
        if (name !== undefined || value !== undefined || opts.unset) {
          throw new DvcError("-l/--list can't be used together with any of these options: -u/--unset, name, value");
        }
        for (const line of lib.configList(config, { level, showOrigin: opts.showOrigin })) out.info(line);
        return;
      }
      if (!parsed) throw new DvcError('name argument is required');
      if (value === undefined && !opts.unset) {
        const got = lib.configGet(config, parsed, { level });
        if (got) out.info((opts.showOrigin ? lib.originOf(config, got.level) + '\t' : '') + lib.pyStr(got.value));
        return;
      }
      if (opts.unset) lib.configUnset(config, parsed, { level });
      else lib.configSet(config, parsed, value!, { level });
    });
}
