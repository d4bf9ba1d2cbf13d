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

  cache
    .command('check')
    .description(
      'Verify every cache object against its hash; move corrupted ones to the quarantine folder of the cache, so that the next fetch or pull downloads them again.',
    )
    .option('-j, --jobs <number>', 'Number of threads hashing at once. The default is one per CPU core (at most 16).')
    .option('--remove', 'Delete corrupted objects instead of moving them to the quarantine folder.')
    .action(async (opts: { jobs?: string; remove?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      let jobs: number | undefined;
      if (opts.jobs !== undefined) {
        jobs = Number(opts.jobs);
        if (!Number.isInteger(jobs) || jobs < 1) {
          const { ArgumentError } = await import('../../errors.js');
          throw new ArgumentError(`argument -j/--jobs: invalid positive int value: '${opts.jobs}'`);
        }
      }
      const { Repo } = await import('../../repo/repo.js');
      const { checkCache } = await import('../../repo/cache-check.js');
      const { shownPath } = await import('../../repo/collect.js');
      const { progress } = await import('../progress.js');
      const repo = Repo.open();
      const bar = progress('Checking', { quiet: out.quiet });
      let r;
      try {
        r = await checkCache(repo, { jobs, remove: !!opts.remove, onTotal: bar.setTotal, onProgress: bar.advance });
      } finally {
        bar.done();
      }
      for (const b of r.corrupt) {
        const where = b.movedTo ? `moved to '${shownPath(b.movedTo)}'` : 'deleted';
        out.info(`corrupted: '${shownPath(b.path)}' (its content hashes to ${b.actual}): ${where}`);
      }
      for (const b of r.unreadable) out.error(`unable to read '${shownPath(b.path)}': ${b.error}`);
      const n = r.checked;
      out.info(`${n} cache ${n === 1 ? 'object' : 'objects'} checked, ${r.corrupt.length} corrupted${r.unreadable.length ? `, ${r.unreadable.length} unreadable` : ''}`);
      if (r.corrupt.length || r.unreadable.length) {
        const hint = r.corrupt.length ? " - run 'dvc pull' (or 'dvc fetch') to download the corrupted objects again" : '';
        throw new DvcError(`the cache has ${r.corrupt.length + r.unreadable.length} bad ${r.corrupt.length + r.unreadable.length === 1 ? 'object' : 'objects'}${hint}`);
      }
    });
}
