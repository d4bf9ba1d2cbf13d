/**
 * Every `dvc` subcommand, one file each. A command file exports `register(program)` which adds
 * its commander definition; the action imports the library lazily so `dvc status` does not load
 * cloud SDKs.
 */
import type { Command } from 'commander';
import { register as add } from './add.js';
import { register as cache } from './cache.js';
import { register as checkIgnore } from './check-ignore.js';
import { register as checkout } from './checkout.js';
import { register as commit } from './commit.js';
import { register as config } from './config.js';
import { register as init } from './init.js';
import { register as diff } from './diff.js';
import { register as fetch } from './fetch.js';
import { register as gc } from './gc.js';
import { register as move } from './move.js';
import { register as pull } from './pull.js';
import { register as push } from './push.js';
import { register as remote } from './remote.js';
import { register as remove } from './remove.js';
import { register as root } from './root.js';
import { register as status } from './status.js';
import { register as unprotect } from './unprotect.js';
import { register as version } from './version.js';
import { register as stage } from './stage.js';
import { register as repro } from './repro.js';
import { register as dag } from './dag.js';
import { register as params } from './params.js';
import { register as metrics } from './metrics.js';
import { register as plots } from './plots.js';
import { register as exp } from './exp.js';
import { register as queue } from './queue.js';
import { register as install } from './install.js';
import { register as gitHook } from './git-hook.js';
import { register as list } from './ls.js';
import { register as get } from './get.js';
import { register as imp } from './import.js';
import { register as update } from './update.js';
import { register as getUrl } from './get-url.js';
import { register as lsUrl } from './ls-url.js';
import { register as du } from './du.js';
import { register as data } from './data.js';
import { register as importUrl } from './import-url.js';
import { register as freeze } from './freeze.js';
import { register as destroy } from './destroy.js';
import { register as completion } from './completion.js';

export const commands: Array<(program: Command) => void> = [
  init,
  add,
  status,
  checkout,
  commit,
  remove,
  move,
  unprotect,
  checkIgnore,
  config,
  remote,
  push,
  pull,
  fetch,
  gc,
  diff,
  cache,
  root,
  version,
  stage,
  repro,
  dag,
  params,
  metrics,
  plots,
  exp,
  queue,
  install,
  gitHook,
  list,
  get,
  imp,
  update,
  getUrl,
  lsUrl,
  du,
  data,
  importUrl,
  freeze,
  destroy,
  completion,
];
