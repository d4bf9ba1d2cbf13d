/**
 * Experiment refs as Python DVC stores them (dvc/repo/experiments/refs.py):
 *
 *   refs/exps/<baseline[:2]>/<baseline[2:]>/<name>   one per experiment, at its commit, whose parent
 *                                                    is the baseline
 *   refs/exps/apply/..., exec/..., celery/..., temp/..., refs/exps/stash   bookkeeping, never listed
 *
 * and the git plumbing the experiment commands need (through the `git` command, synchronously: the
 * commands make a handful of calls).
 */
import { spawnSync } from 'node:child_process';
import { DvcError } from '../../errors.js';

export const EXPS_NAMESPACE = 'refs/exps';
export const EXPS_STASH = `${EXPS_NAMESPACE}/stash`;
export const APPLY_NAMESPACE = `${EXPS_NAMESPACE}/apply`;
export const APPLY_HEAD = `${APPLY_NAMESPACE}/ORIG_HEAD`;
export const APPLY_STASH = `${APPLY_NAMESPACE}/stash`;
export const CELERY_NAMESPACE = `${EXPS_NAMESPACE}/celery`;
export const CELERY_STASH = `${CELERY_NAMESPACE}/stash`;
export const EXEC_NAMESPACE = `${EXPS_NAMESPACE}/exec`;
export const EXEC_APPLY = `${EXEC_NAMESPACE}/EXEC_APPLY`;
/** The baseline of the last workspace run (Python DVC's executor leaves it). */
export const EXEC_HEAD = `${EXEC_NAMESPACE}/EXEC_HEAD`;
export const TEMP_NAMESPACE = `${EXPS_NAMESPACE}/temp`;
const SKIP = [APPLY_NAMESPACE, CELERY_NAMESPACE, EXEC_NAMESPACE, TEMP_NAMESPACE];
const STASHES = new Set([EXPS_STASH, CELERY_STASH]);

/** Exit 255 as DVC's DvcException. */
export class ExperimentError extends DvcError {
  override readonly exitCode = 255;
}

/** DVC's ExperimentExistsError. */
export class ExperimentExistsError extends ExperimentError {
  constructor(readonly expName: string, command = 'run') {
    super(`Experiment conflicts with existing experiment '${expName}'. To overwrite the existing experiment run:\n\n\tdvc exp ${command} -f ...\n\n`);
  }
}

/** DVC's InvalidExpRevError. */
export class InvalidExpRevError extends ExperimentError {
  constructor(rev: string) {
    super(`'${rev}' does not appear to be an experiment commit.`);
  }
}

export class ExpRefInfo {
  constructor(
    readonly baselineSha: string,
    public name: string,
  ) {}

  toString(): string {
    return `${EXPS_NAMESPACE}/${this.baselineSha.slice(0, 2)}/${this.baselineSha.slice(2)}${this.name ? '/' + this.name : ''}`;
  }

  /** Parses `refs/exps/ab/cdef.../name`; null when the ref is not an experiment ref. */
  static fromRef(ref: string): ExpRefInfo | null {
    const parts = ref.split('/');
    if (parts.length < 4 || parts.length > 5 || `${parts[0]}/${parts[1]}` !== EXPS_NAMESPACE) return null;
    return new ExpRefInfo(parts[2]! + parts[3]!, parts[4] ?? '');
  }
}

/** DVC's AmbiguousExpRefInfo. */
export class AmbiguousExpRefError extends ExperimentError {
  constructor(name: string, refs: ExpRefInfo[]) {
    super(
      [`Ambiguous name '${name}' refers to multiple experiments. Use one of the following full refnames instead:`, '', ...refs.map((r) => `\t${r}`)].join('\n'),
    );
  }
}

/** DVC's UnresolvedExpNamesError. */
export class UnresolvedExpNamesError extends ExperimentError {
  constructor(names: string[], gitRemote?: string) {
    super(
      gitRemote
        ? `Experiment '${names.join('; ')}' does not exist in '${gitRemote}'`
        : names.length > 1
          ? `'${names.join('; ')}' are not valid experiment names`
          : `'${names[0]}' is not a valid experiment name`,
    );
  }
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git in `root` (extra environment, stdin); never throws for a non-zero exit. */
export function gitRun(root: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): GitResult {
  const r = spawnSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    input: opts.input,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env },
  });
  if (r.error) throw new ExperimentError((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed (the `git` command was not found)' : `git ${args[0]} failed: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs git; a non-zero exit becomes an error naming git's first line of complaint. */
export function git(root: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = gitRun(root, args, opts);
  if (r.code !== 0) throw new ExperimentError(`git ${args[0]} failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`}`);
  return r.stdout;
}

/** The commit a ref or revision names, or null. */
export function getRef(root: string, ref: string): string | null {
  const r = gitRun(root, ['rev-parse', '--verify', '-q', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** HEAD's commit; DVC's error when the repository has none. */
export function headRev(root: string): string {
  const rev = getRef(root, 'HEAD');
  if (!rev) throw new ExperimentError('Empty Git repo. Add a commit to use experiments.');
  return rev;
}

/** Every ref under `base` with its commit, in git's (sorted) order. */
export function iterRefs(root: string, base = EXPS_NAMESPACE): Array<{ ref: string; rev: string }> {
  const out = git(root, ['for-each-ref', '--format=%(refname) %(objectname)', base]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return { ref: l.slice(0, i), rev: l.slice(i + 1) };
    });
}

/** Bookkeeping refs (apply, exec, celery, temp namespaces and the stashes), never listed. */
export function isIgnoredExpRef(ref: string): boolean {
  return ignored(ref);
}

function ignored(ref: string): boolean {
  return SKIP.some((ns) => ref.startsWith(ns)) || STASHES.has(ref);
}

export interface ExpRef {
  info: ExpRefInfo;
  /** The experiment's commit. */
  rev: string;
}

/** Every experiment ref (DVC's exp_refs): bookkeeping namespaces and stashes skipped. */
export function expRefs(root: string): ExpRef[] {
  const res: ExpRef[] = [];
  for (const { ref, rev } of iterRefs(root)) {
    if (ignored(ref)) continue;
    const info = ExpRefInfo.fromRef(ref);
    if (info) res.push({ info, rev });
  }
  return res;
}

/** `git check-ref-format` plus DVC's own rule (no '/' in a name). */
export function checkRefFormat(root: string, info: ExpRefInfo): void {
  if (info.name.includes('/') || gitRun(root, ['check-ref-format', String(info)]).code !== 0) {
    throw new ExperimentError(`Invalid exp name ${info.name}, the exp name must follow rules in https://git-scm.com/docs/git-check-ref-format`);
  }
}

/**
 * DVC's resolve_name: full `refs/exps/...` names are taken as they are; a short name matching
 * several experiments picks the one whose baseline is HEAD, else AmbiguousExpRefInfo.
 * Unmatched names map to null.
 */
export function resolveNames(root: string, names: string[]): Map<string, ExpRef | null> {
  const all = expRefs(root);
  const head = getRef(root, 'HEAD');
  const res = new Map<string, ExpRef | null>();
  for (const name of names) {
    if (name.startsWith('refs/')) {
      const found = all.find((r) => String(r.info) === name);
      res.set(name, found ?? null);
      continue;
    }
    const hits = all.filter((r) => r.info.name === name);
    if (!hits.length) res.set(name, null);
    else if (hits.length === 1) res.set(name, hits[0]!);
    else {
      const mine = hits.find((r) => r.info.baselineSha === head);
      if (!mine) throw new AmbiguousExpRefError(name, hits.map((h) => h.info));
      res.set(name, mine);
    }
  }
  return res;
}

/**
 * An experiment given by name (or full ref) or by commit (DVC's resolve_rev then the name):
 * the experiment's ref and commit. Throws InvalidExpRevError when it names none.
 */
export function resolveExp(root: string, given: string): ExpRef {
  const byName = resolveNames(root, [given]).get(given);
  if (byName) return byName;
  const rev = /^[0-9a-f]{4,40}$/i.test(given) ? getRef(root, given) : null;
  if (rev) {
    const hits = expRefs(root).filter((r) => r.rev === rev);
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) {
      const head = getRef(root, 'HEAD');
      const mine = hits.find((h) => h.info.baselineSha === head);
      if (mine) return mine;
      throw new ExperimentError(`Ambiguous commit '${rev.slice(0, 7)}' belongs to multiple experiment branches.`);
    }
  }
  throw new InvalidExpRevError(given);
}

/** Sets a ref (with a reflog message), or deletes it when `rev` is null. */
export function setRef(root: string, ref: string, rev: string | null, message?: string): void {
  if (rev === null) git(root, ['update-ref', '-d', ref]);
  else git(root, ['update-ref', ...(message ? ['-m', message] : []), ref, rev]);
}
