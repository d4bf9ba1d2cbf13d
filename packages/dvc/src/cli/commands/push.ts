import type { Command } from 'commander';
import { outputFor, type Output } from '../output.js';

/** The options push, pull, fetch (and status -c) share, as DVC spells them. */
export function syncOptions(cmd: Command, verb: string): Command {
  return cmd
    .argument('[targets...]', `Limit command scope to these tracked files/directories, .dvc files and stage names.`)
    .option('-r, --remote <name>', `Remote storage to ${verb}`)
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously. The default value is 4 * cpu_count(), at least 16.')
    .option('-a, --all-branches', `${capital(verb)} cache for all branches.`)
    .option('-T, --all-tags', `${capital(verb)} cache for all tags.`)
    .option('-A, --all-commits', `${capital(verb)} cache for all commits.`)
    .option('-d, --with-deps', `${capital(verb)} cache for all dependencies of the specified target.`)
    .option('-R, --recursive', `${capital(verb)} cache for subdirectories of the specified directory.`)
    .option('--run-cache', `${capital(verb)} run history for all stages.`)
    .option('--glob', 'Allows targets containing shell-style wildcards.');
}

/**
 * The targets with -d/-R applied (repo/targets.ts: stages as their outputs); null when targets
 * were given but name nothing then (a folder without stages): the command has nothing to do.
 */
export async function syncTargets(repo: import('../../repo/repo.js').Repo, targets: string[], o: SyncCliOptions): Promise<string[] | null> {
  if (!o.withDeps && !o.recursive) return targets;
  const { expandTargets } = await import('../../repo/targets.js');
  const t = expandTargets(repo, targets, { withDeps: o.withDeps, recursive: o.recursive, outputs: true });
  return targets.length && !t.length ? null : t;
}

/** 'push to' -> 'Push'. */
function capital(verb: string): string {
  const w = verb.split(' ')[0]!;
  return w[0]!.toUpperCase() + w.slice(1);
}

export interface SyncCliOptions {
  remote?: string;
  jobs?: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  glob?: boolean;
  withDeps?: boolean;
  recursive?: boolean;
  runCache?: boolean;
}

/** CLI options -> library options (-j checked: a positive integer). */
export async function toSyncOptions(o: SyncCliOptions): Promise<import('../../repo/data-sync.js').SyncOptions> {
  const r: import('../../repo/data-sync.js').SyncOptions = {
    allBranches: !!o.allBranches,
    allTags: !!o.allTags,
    allCommits: !!o.allCommits,
    glob: !!o.glob,
  };
  if (o.remote !== undefined) r.remote = o.remote;
  if (o.jobs !== undefined) {
    const n = Number(o.jobs);
    if (!Number.isInteger(n) || n < 1) {
      const { ArgumentError } = await import('../../errors.js');
      throw new ArgumentError(`argument -j/--jobs: invalid positive int value: '${o.jobs}'`);
    }
    r.jobs = n;
  }
  return r;
}

/**
 * DVC's push/pull/fetch report any failure as `failed to <verb> data to/from the cloud - <why>`
 * with exit 1 (a missing default remote included).
 */
export async function wrapSyncError(what: string, e: unknown): Promise<never> {
  const { ArgumentError, DvcError, NotDvcRepoError } = await import('../../errors.js');
  const { NoRemoteError } = await import('../../config/config.js');
  if (e instanceof NotDvcRepoError || e instanceof ArgumentError) throw e;
  if (e instanceof NoRemoteError) throw new DvcError(`${what} - config file error: ${e.reason}`);
  if (e instanceof DvcError) {
    const err = new DvcError(`${what} - ${e.message}`, { cause: e });
    throw err;
  }
  throw e;
}

/** DVC's warning for objects neither the cache nor the remote has. */
export function warnMissing(out: Output, missing: Array<{ name: string; oid: string }>): void {
  if (!missing.length) return;
  const lines = missing.map((m) => `name: ${m.name}, md5: ${m.oid}`);
  out.warn(`Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n${lines.join('\n')}`);
}

export function register(program: Command): void {
  syncOptions(program.command('push').description('Upload tracked files or directories to remote storage.'), 'push to').action(
    async (targets: string[], opts: SyncCliOptions, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const repo = Repo.open();
      const { push } = await import('../../repo/push.js');
      const { summary } = await import('../text/checkout.js');
      const { progress } = await import('../progress.js');
      const chosen = await syncTargets(repo, targets, opts);
      if (!chosen) return out.info('Everything is up to date.');
      targets = chosen;
      const bar = progress('Pushing', { quiet: out.quiet });
      let r;
      let runs = 0;
      try {
        const sync = await toSyncOptions(opts);
        if (opts.runCache) runs = await (await import('../../repo/run-cache-sync.js')).pushRunCache(repo, sync.remote, sync.jobs);
        r = await push(repo, targets, { ...sync, onProgress: bar.advance, onTotal: bar.setTotal });
      } catch (e) {
        bar.done();
        const failed = (e as { result?: import('../../repo/push.js').PushResult }).result;
        if (failed?.missing) warnMissing(out, failed.missing);
        for (const c of failed?.corrupt ?? []) {
          out.error(
            `not pushed: cache object of '${c.name}' (md5: ${c.oid}) is corrupted (its content hashes to ${c.actual}); 'dvc cache check' moves it aside`,
          );
        }
        return wrapSyncError('failed to push data to the cloud', e);
      }
      bar.done();
      warnMissing(out, r.missing);
      out.info(summary([['pushed', r.pushed + runs]]) || 'Everything is up to date.');
    },
  );
}
