/** The --global/--system/--project/--local options shared by config, remote and cache dir. */
import { Option, type Command } from 'commander';
import type { Level } from '../config/config.js';
import { ArgumentError } from '../errors.js';

export function addLevelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--global', 'Use global config.'))
    .addOption(new Option('--system', 'Use system config.'))
    .addOption(new Option('--project', 'Use project config (.dvc/config).'))
    .addOption(new Option('--local', 'Use local config (.dvc/config.local).'));
}

/** The level the options name, or undefined; two at once is a usage error (exit 254). */
export function levelOf(opts: { global?: boolean; system?: boolean; project?: boolean; local?: boolean }): Level | undefined {
  const given: Array<[string, Level]> = [];
  if (opts.global) given.push(['--global', 'global']);
  if (opts.system) given.push(['--system', 'system']);
  if (opts.project) given.push(['--project', 'repo']);
  if (opts.local) given.push(['--local', 'local']);
  if (given.length > 1) {
    throw new ArgumentError(`argument ${given[1]![0]}: not allowed with argument ${given[0]![0]}`);
  }
  return given[0]?.[1];
}
