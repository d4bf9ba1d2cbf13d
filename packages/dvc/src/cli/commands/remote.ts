import type { Command } from 'commander';
import { addLevelOptions, levelOf } from '../config-level.js';
import { expandTabs, outputFor } from '../output.js';

type LevelOpts = { global?: boolean; system?: boolean; project?: boolean; local?: boolean };

const lib = () => import('../../repo/remote.js');
const config = async () => (await import('../../repo/config.js')).openConfig(process.cwd());

export function register(program: Command): void {
  const remote = program.command('remote').description('Set up and manage data remotes.');

  addLevelOptions(
    remote
      .command('add')
      .description('Add a new data remote.')
      .argument('<name>', 'Name of the remote')
      .argument('<url>', 'Remote location. See full list of supported URLs at <https://man.dvc.org/remote>'),
  )
    .option('-d, --default', 'Set as default remote.')
    .option('-f, --force', 'Force overwriting existing configs')
    .action(async (name: string, url: string, opts: LevelOpts & { default?: boolean; force?: boolean }, cmd: Command) => {
      const level = levelOf(opts);
      if (opts.default) outputFor(cmd).info(`Setting '${name.toLowerCase()}' as a default remote.`);
      (await lib()).remoteAdd(await config(), name, url, { level, default: opts.default, force: opts.force });
    });

  addLevelOptions(
    remote
      .command('default')
      .description('Set/unset the default data remote.')
      .argument('[name]', 'Name of the remote'),
  )
    .option('-u, --unset', 'Unset default remote.')
    .action(async (name: string | undefined, opts: LevelOpts & { unset?: boolean }, cmd: Command) => {
      const level = levelOf(opts);
      const l = await lib();
      const conf = await config();
      if (name === undefined && !opts.unset) {
        const out = outputFor(cmd);
        const def = l.remoteDefault(conf, { level });
        if (def === undefined) {
          out.info('No default remote set');
          process.exitCode = 1;
          return;
        }
        out.info(def);
        return;
      }
      l.remoteSetDefault(conf, opts.unset ? null : name!, { level });
    });

  addLevelOptions(
    remote
      .command('modify')
      .description('Modify the configuration of a data remote.')
      .argument('<name>', 'Name of the remote')
      .argument('<option>', 'Name of the option to modify.')
      .argument('[value]', '(optional) Value of the option.'),
  )
    .option('-u, --unset', 'Unset option.')
    .action(async (name: string, option: string, value: string | undefined, opts: LevelOpts & { unset?: boolean }) => {
      (await lib()).remoteModify(await config(), name, option, value, { level: levelOf(opts), unset: opts.unset });
    });

  addLevelOptions(remote.command('list').description('List all available data remotes.')).action(
    async (opts: LevelOpts, cmd: Command) => {
      const out = outputFor(cmd);
      for (const r of (await lib()).remoteList(await config(), { level: levelOf(opts) })) {
        out.info(expandTabs(r.isDefault ? `${r.name}\t${r.url}\t(default)` : `${r.name}\t${r.url}`));
      }
    },
  );

  addLevelOptions(
    remote.command('remove').description('Remove a data remote.').argument('<name>', 'Name of the remote to remove.'),
  ).action(async (name: string, opts: LevelOpts) => {
    (await lib()).remoteRemove(await config(), name, { level: levelOf(opts) });
  });

  addLevelOptions(
    remote
      .command('rename')
      .description('Rename a DVC remote')
      .argument('<name>', 'Remote to be renamed')
      .argument('<new>', 'New name of the remote'),
  ).action(async (name: string, newName: string, opts: LevelOpts) => {
    (await lib()).remoteRename(await config(), name, newName, { level: levelOf(opts) });
  });
}
