/**
 * `dvc exp push` and `dvc exp pull` (DVC's commands/experiments/push.py and pull.py, same
 * flags and lines). Registered under `dvc exp` by ./exp.ts.
 */
import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import { outputFor } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function intArg(flag: string) {
  return (v: string): number => {
    if (!/^[-+]?\d+$/.test(v.trim())) throw new ArgumentError(`argument ${flag}: invalid int value: '${v}'`);
    return Number(v);
  };
}

/** Python's repr of a str (what DVC's `{remote!r}` prints). */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/** Python's repr of a list of str: `['a', 'b']`. */
function pyList(items: string[]): string {
  return `[${items.map(pyRepr).join(', ')}]`;
}

/** humanize.join: 'a', 'a and b', 'a, b and c'. */
function join(words: string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : (words[0] ?? '');
}

/** DVC's add_rev_selection_flags(parser, command, default=True) plus the flags push and pull share. */
function shareCommand(exp: Command, name: 'push' | 'pull'): Command {
  const Verb = name === 'push' ? 'Push' : 'Pull';
  const toFrom = name === 'push' ? 'to' : 'from';
  const when = name === 'push' ? 'pushing' : 'pulling';
  return exp
    .command(name)
    .description(name === 'push' ? 'Push a local experiment to a Git remote.' : 'Pull an experiment from a Git remote.')
    .argument('<git_remote>', 'Git remote name or Git URL.')
    .argument('[experiment...]', `Experiments to ${name}.`)
    .option('-A, --all-commits', `${Verb} all experiments in the repository (overrides \`--rev\` and \`--num\`).`)
    .option('--rev <commit>', `${Verb} experiments derived from the specified \`<commit>\` as baseline (HEAD by default).`, collect, [])
    .option(
      '-n, --num <num>',
      `${Verb} experiments from the last \`num\` commits (first parents) starting from the \`--rev\` baseline. Give a negative value to include all first-parent commits (similar to \`git log -n\`).`,
      intArg('-n/--num'),
      1,
    )
    .option('-f, --force', name === 'push' ? 'Replace experiment in the Git remote if it already exists.' : 'Replace local experiment if it already exists.')
    .option('--no-cache', `Do not ${name} cached outputs for this experiment ${toFrom} DVC remote storage.`)
    .option('-r, --remote <name>', `Name of the DVC remote to use when ${when} cached outputs.`)
    .option('-j, --jobs <number>', `Number of jobs to run simultaneously when ${when} ${toFrom} DVC remote storage.`, intArg('-j/--jobs'))
    .option('--run-cache', `${Verb} run history for all stages.`)
    .option('--no-run-cache', `Do not ${name} run history (the default).`);
}

interface ShareCli {
  allCommits?: boolean;
  rev: string[];
  num: number;
  force?: boolean;
  cache: boolean;
  remote?: string;
  jobs?: number;
  runCache?: boolean;
}

function toOptions(names: string[], o: ShareCli): import('../../repo/experiments/share.js').ShareOptions {
  return {
    names,
    allCommits: !!o.allCommits,
    revs: o.rev,
    num: o.num,
    force: !!o.force,
    cache: o.cache,
    ...(o.remote !== undefined ? { dvcRemote: o.remote } : {}),
    ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
    runCache: !!o.runCache,
  };
}

export function registerShare(exp: Command): void {
  shareCommand(exp, 'push').action(async (gitRemote: string, names: string[], o: ShareCli, cmd: Command) => {
    const out = outputFor(cmd);
    const { Repo } = await import('../../repo/repo.js');
    const repo = Repo.open();
    const share = await import('../../repo/experiments/share.js');
    const log = (r: import('../../repo/experiments/share.js').ShareResult) => {
      if (r.diverged.length) {
        process.stderr.write(`Local experiment ${join(r.diverged)} has diverged from remote experiment with the same name.\nTo override the remote experiment re-run with '--force'.\n`);
      }
      if (r.up_to_date.length) out.info(`Experiment ${join(r.up_to_date)} ${r.up_to_date.length > 1 ? 'are' : 'is'} up to date on Git remote ${pyRepr(gitRemote)}.`);
      if (r.success.length) out.info(`Pushed experiment ${join(r.success)} to Git remote ${pyRepr(gitRemote)}.`);
      if (!r.up_to_date.length && !r.success.length) out.info('No experiments to push.');
      if (r.transferred) out.info(`${r.transferred} file${r.transferred > 1 ? 's' : ''} uploaded`);
    };
    let r;
    try {
      r = await share.pushExperiments(repo, gitRemote, toOptions(names, o));
    } catch (e) {
      // as DVC: what went to the git remote is reported before the error
      if (e instanceof share.CacheTransferError) log(e.result);
      throw e;
    }
    log(r);
    // DVC's wording, missing space included
    if (!o.cache) out.info("To push cached outputs for this experiment to DVC remote storage,re-run this command without '--no-cache'.");
  });

  shareCommand(exp, 'pull').action(async (gitRemote: string, names: string[], o: ShareCli, cmd: Command) => {
    const out = outputFor(cmd);
    const { Repo } = await import('../../repo/repo.js');
    const repo = Repo.open();
    const share = await import('../../repo/experiments/share.js');
    const log = (r: import('../../repo/experiments/share.js').ShareResult) => {
      if (r.diverged.length) {
        out.warn(`Local experiment '${pyList(r.diverged)}' has diverged from remote experiment with the same name. To override the local experiment re-run with '--force'.`);
      }
      if (r.success.length) out.info(`Pulled experiment '${pyList(r.success)}' from Git remote '${gitRemote}'.`);
      else out.info('No experiments to pull.');
    };
    let r;
    try {
      r = await share.pullExperiments(repo, gitRemote, toOptions(names, o));
    } catch (e) {
      // the refs came; say so before the data's error
      if (e instanceof share.CacheTransferError) log(e.result);
      throw e;
    }
    log(r);
    // DVC's wording, missing spaces included
    if (!o.cache) out.info("To pull cached outputs for this experimentfrom DVC remote storage,re-run this command without '--no-cache'.");
  });
}
