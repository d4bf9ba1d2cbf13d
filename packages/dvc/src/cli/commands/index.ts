/**
 * Every `dvc` subcommand, one file each. A command file exports `register(program)` which adds
 * its commander definition; the action imports the library lazily so `dvc status` does not load
 * cloud SDKs.
 */
import type { Command } from 'commander';
import { register as cache } from './cache.js';
import { register as config } from './config.js';
import { register as init } from './init.js';
import { register as remote } from './remote.js';
import { register as root } from './root.js';
import { register as version } from './version.js';

export const commands: Array<(program: Command) => void> = [
  init,
  config,
  remote,
  cache,
  root,
  version,
];
