/**
 * `dvc exp push|pull <git_remote>` and `dvc exp list <git_remote>` (DVC's experiments/push.py,
 * pull.py, ls.py): experiment refs (`refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`) go to and
 * come from a git remote (a remote's name or a URL) through the `git` command, each with DVC's
 * status (scmrepo's SyncStatus):
 *
 *   success      the ref was created or moved (a fast-forward, or anything with force)
 *   up_to_date   both sides already name the same commit
 *   diverged     the other side has another commit that is not an ancestor; left alone
 *
 * and, unless --no-cache, the DVC-tracked data of the experiments' commits (from the baseline,
 * exclusive, to the experiment) goes to or comes from the DVC remote, as `dvc push`/`dvc fetch`
 * with those revisions and without the workspace. `--run-cache` sends or brings the run cache
 * (`runs/<key[:2]>/<key>/<value>`) as well.
 */
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { dirname, join, relative, sep } from 'node:path';
import { DvcError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/local.js';
import type { Repo } from '../repo.js';
import type { ExpListEntry } from './manage.js';
import { describe } from './show.js';
import { AmbiguousExpRefError, EXPS_NAMESPACE, ExpRefInfo, ExperimentError, UnresolvedExpNamesError, expRefs, getRef, git, gitRun, headRev, isIgnoredExpRef } from './refs.js';

export type SyncStatus = 'success' | 'up_to_date' | 'diverged';

export interface ShareOptions {
  /** Experiment names (or full refs) to send or bring. */
  names?: string[];
  /** -A: every experiment (of this repository for push, of the git remote for pull). */
  allCommits?: boolean;
  /** --rev: experiments of these baselines (default HEAD). */
  revs?: string[];
  /** -n: that many first-parent commits from each `--rev` (negative: all of them). Default 1. */
  num?: number;
  /** -f: replace diverged experiments on the other side. */
  force?: boolean;
  /** false (--no-cache): refs only, no DVC data. Default true. */
  cache?: boolean;
  /** -r: the DVC remote for the data. */
  dvcRemote?: string;
  /** -j: parallel transfers for the data. */
  jobs?: number;
  /** --run-cache: the run cache as well. */
  runCache?: boolean;
}

export interface ShareResult {
  /** Experiment names by outcome. */
  success: string[];
  up_to_date: string[];
  diverged: string[];
  /** Files sent to the DVC remote (push) or brought into the cache (pull). */
  transferred: number;
}

/** The cache transfer failed after the refs went (DVC's UploadError: `failed to push cache`). */
export class CacheTransferError extends ExperimentError {
  constructor(
    message: string,
    readonly result: ShareResult,
    cause: unknown,
  ) {
    super(`${message}${cause instanceof Error ? ` - ${cause.message}` : ''}`, { cause });
  }
}

function scmRoot(repo: Repo): string {
  if (!repo.scm) throw new ExperimentError('Only available for Git repositories.');
  return repo.scm.root;
}

/**
 * The refs a git remote has under refs/exps (`git ls-remote`); DVC's InvalidRemote when the
 * remote cannot be read.
 */
export function remoteRefs(root: string, gitRemote: string): Map<string, string> {
  const r = gitRun(root, ['ls-remote', '--refs', '--', gitRemote, `${EXPS_NAMESPACE}/*`]);
  if (r.code !== 0) throw new ExperimentError(`'${gitRemote}' is not a valid Git remote or URL`);
  const refs = new Map<string, string>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [rev, ref] = line.split('\t') as [string, string];
    refs.set(ref, rev);
  }
  return refs;
}

/** Experiment refs of a git remote (bookkeeping namespaces left out), with their commits. */
export function remoteExpRefs(root: string, gitRemote: string): Array<{ info: ExpRefInfo; rev: string }> {
  const res: Array<{ info: ExpRefInfo; rev: string }> = [];
  for (const [ref, rev] of remoteRefs(root, gitRemote)) {
    if (isIgnoredExpRef(ref)) continue;
    const info = ExpRefInfo.fromRef(ref);
    if (info) res.push({ info, rev });
  }
  return res;
}

/**
 * DVC's iter_revs for --rev/-n: each rev and its first-parent ancestors, `num` commits in all
 * (negative: every one; 0: none), as commit SHAs.
 */
export function baselinesOf(root: string, revs: string[], num = 1): Set<string> {
  const out = new Set<string>();
  if (num === 0) return out;
  for (const rev of revs) {
    const r = gitRun(root, ['rev-list', '--first-parent', ...(num > 0 ? ['-n', String(num)] : []), `${rev}^{commit}`, '--']);
    if (r.code !== 0) throw new ExperimentError(`unknown Git revision '${rev}'`);
    for (const c of r.stdout.split('\n').filter(Boolean)) out.add(c);
  }
  return out;
}

/** DVC's resolve_name against a list of refs: full names as they are, short names unique or of HEAD. */
function resolveIn(root: string, all: Array<{ info: ExpRefInfo; rev: string }>, names: string[], gitRemote?: string): Array<{ info: ExpRefInfo; rev: string }> {
  const head = getRef(root, 'HEAD');
  const found: Array<{ info: ExpRefInfo; rev: string }> = [];
  const missing: string[] = [];
  for (const name of names) {
    let hit: { info: ExpRefInfo; rev: string } | undefined;
    if (name.startsWith('refs/')) hit = all.find((r) => String(r.info) === name);
    else {
      const hits = all.filter((r) => r.info.name === name);
      if (hits.length === 1) hit = hits[0];
      else if (hits.length > 1) {
        hit = hits.find((r) => r.info.baselineSha === head);
        if (!hit) throw new AmbiguousExpRefError(name, hits.map((h) => h.info));
      }
    }
    if (hit) found.push(hit);
    else missing.push(name);
  }
  if (missing.length) throw new UnresolvedExpNamesError(missing, gitRemote);
  return found;
}

/**
 * `dvc exp remove -g <git_remote>`: deletes experiment refs on the git remote (`git push <remote>
 * :<ref>...`), chosen among the remote's by names, -A, or --rev/-n (--keep: all the others). The
 * local refs are left alone. Returns the removed names.
 */
export function removeRemoteExperiments(
  repo: Repo,
  gitRemote: string,
  opts: { names?: string[]; allCommits?: boolean; revs?: string[]; num?: number; keep?: boolean },
): string[] {
  const root = scmRoot(repo);
  headRev(root);
  const all = remoteExpRefs(root, gitRemote);
  let chosen: Array<{ info: ExpRefInfo; rev: string }> = [];
  let removed: string[] = [];
  if (opts.names?.length) {
    chosen = resolveIn(root, all, opts.names, gitRemote);
    removed = [...opts.names];
  } else if (opts.revs?.length) {
    // as DVC: one experiment per name (the last one listed wins)
    const bases = baselinesOf(root, opts.revs, opts.num ?? 1);
    const byName = new Map<string, { info: ExpRefInfo; rev: string }>();
    for (const r of all) if (bases.has(r.info.baselineSha)) byName.set(r.info.name, r);
    removed = [...byName.keys()];
    chosen = [...byName.values()];
  } else if (opts.allCommits) {
    chosen = all;
    removed = all.map((r) => r.info.name);
  }
  if (opts.keep) {
    const keep = new Set(chosen.map((r) => String(r.info)));
    chosen = all.filter((r) => !keep.has(String(r.info)));
    removed = chosen.map((r) => r.info.name);
  }
  if (chosen.length) {
    const r = gitRun(root, ['push', '--quiet', '--', gitRemote, ...chosen.map((c) => `:${c.info}`)]);
    if (r.code !== 0) throw new ExperimentError(`failed to remove experiments from '${gitRemote}': ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return removed;
}

/** The refs a push or pull works on, chosen from `all` by names, -A, or --rev/-n (HEAD by default). */
function select(root: string, all: Array<{ info: ExpRefInfo; rev: string }>, opts: ShareOptions, push: boolean): Array<{ info: ExpRefInfo; rev: string }> {
  const chosen = new Map<string, { info: ExpRefInfo; rev: string }>();
  const add = (r: { info: ExpRefInfo; rev: string }) => chosen.set(String(r.info), r);
  if (opts.allCommits) all.forEach(add);
  // as DVC: push adds named experiments to -A's; pull takes -A over names
  if (opts.names?.length && (push || !opts.allCommits)) resolveIn(root, all, opts.names).forEach(add);
  else if (!opts.names?.length && !(opts.allCommits && !push)) {
    const bases = baselinesOf(root, opts.revs?.length ? opts.revs : ['HEAD'], opts.num ?? 1);
    for (const r of all) if (bases.has(r.info.baselineSha)) add(r);
  }
  return [...chosen.values()];
}

function isAncestor(root: string, older: string, newer: string): boolean {
  return gitRun(root, ['merge-base', '--is-ancestor', older, newer]).code === 0;
}

/** The experiments' commits, from each experiment back to its baseline (exclusive), first parents. */
export function expCommits(root: string, refs: Array<{ info: ExpRefInfo; rev: string }>): string[] {
  const out = new Set<string>();
  for (const r of refs) {
    const res = gitRun(root, ['rev-list', '--first-parent', r.rev, `^${r.info.baselineSha}`, '--']);
    const revs = res.code === 0 ? res.stdout.split('\n').filter(Boolean) : [r.rev];
    for (const c of revs) out.add(c);
  }
  return [...out];
}

function emptyResult(): ShareResult {
  return { success: [], up_to_date: [], diverged: [], transferred: 0 };
}

/** `dvc exp push <git_remote> [exp...]`. */
export async function pushExperiments(repo: Repo, gitRemote: string, opts: ShareOptions = {}): Promise<ShareResult> {
  const root = scmRoot(repo);
  headRev(root);
  await checkDvcRemote(repo, opts);
  return repo.withLock(async () => {
    const refs = select(root, expRefs(root), opts, true);
    const theirs = refs.length ? remoteRefs(root, gitRemote) : new Map<string, string>();
    const result = emptyResult();
    const specs: string[] = [];
    const sent: Array<{ info: ExpRefInfo; rev: string }> = [];
    for (const r of refs) {
      const ref = String(r.info);
      const there = theirs.get(ref);
      if (there === r.rev) result.up_to_date.push(r.info.name);
      else if (there && !opts.force && !isAncestor(root, there, r.rev)) {
        result.diverged.push(r.info.name);
        continue;
      } else {
        specs.push(`${there && opts.force ? '+' : ''}${ref}:${ref}`);
        result.success.push(r.info.name);
      }
      sent.push(r);
    }
    if (specs.length) {
      const p = gitRun(root, ['push', '--quiet', '--no-verify', '--', gitRemote, ...specs]);
      if (p.code !== 0) {
        const why = p.stderr.split('\n').find((l) => /^(error|fatal|remote|\s*!)/.test(l.trim()))?.trim() ?? `exit code ${p.code}`;
        throw new ExperimentError(`Git failed to push some refs to '${gitRemote}' (${why})`);
      }
    }
    if (opts.cache !== false && (sent.length || opts.runCache)) {
      try {
        result.transferred = await pushCache(repo, expCommits(root, sent), opts);
      } catch (e) {
        throw new CacheTransferError('failed to push cache', result, e);
      }
    }
    return result;
  });
}

/** `dvc exp pull <git_remote> [exp...]`. */
export async function pullExperiments(repo: Repo, gitRemote: string, opts: ShareOptions = {}): Promise<ShareResult> {
  const root = scmRoot(repo);
  headRev(root);
  await checkDvcRemote(repo, opts);
  return repo.withLock(async () => {
    const refs = select(root, remoteExpRefs(root, gitRemote), opts, false);
    const result = emptyResult();
    const wanted = refs.filter((r) => gitRun(root, ['cat-file', '-e', `${r.rev}^{commit}`]).code !== 0);
    if (wanted.length) {
      const f = gitRun(root, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', gitRemote, ...new Set(wanted.map((r) => String(r.info)))]);
      if (f.code !== 0) throw new ExperimentError(`Git failed to fetch ref from '${gitRemote}'`);
    }
    const got: Array<{ info: ExpRefInfo; rev: string }> = [];
    for (const r of refs) {
      const ref = String(r.info);
      const mine = getRef(root, ref);
      if (mine === r.rev) result.up_to_date.push(r.info.name);
      else if (mine && !opts.force && !isAncestor(root, mine, r.rev)) {
        result.diverged.push(r.info.name);
        continue;
      } else {
        git(root, ['update-ref', '-m', `dvc: pulled from '${gitRemote}'`, ref, r.rev]);
        result.success.push(r.info.name);
      }
      got.push(r);
    }
    if (opts.cache !== false && (got.length || opts.runCache)) {
      try {
        result.transferred = await fetchCache(repo, expCommits(root, got), opts);
      } catch (e) {
        throw new CacheTransferError('failed to pull cache', result, e);
      }
    }
    return result;
  });
}

/** A DVC remote named with -r must exist before any ref moves. */
async function checkDvcRemote(repo: Repo, opts: ShareOptions): Promise<void> {
  if (opts.cache === false || opts.dvcRemote === undefined) return;
  const { remoteConfig } = await import('../data-sync.js');
  remoteConfig(repo, opts.dvcRemote);
}

/** DVC's repo.push(revs=..., workspace=False) (and the run cache): files uploaded. */
async function pushCache(repo: Repo, revs: string[], opts: ShareOptions): Promise<number> {
  let n = opts.runCache ? await transferRunCache(repo, 'push', opts.dvcRemote) : 0;
  const sync = { revs, workspace: false, ...(opts.dvcRemote !== undefined ? { remote: opts.dvcRemote } : {}), ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}) };
  const { usedOuts } = await import('../data-sync.js');
  if (!revs.length || !(await usedOuts(repo, [], sync)).length) return n;
  const { push } = await import('../push.js');
  const r = await push(repo, [], sync);
  n += r.pushed;
  if (r.missing.length) throw new DvcError(`${r.missing.length} files are neither in the cache nor on the remote: ${r.missing.map((m) => m.name).join(', ')}`);
  return n;
}

/** DVC's repo.fetch(revs=..., workspace=False) (and the run cache): files downloaded. */
async function fetchCache(repo: Repo, revs: string[], opts: ShareOptions): Promise<number> {
  if (opts.runCache) await transferRunCache(repo, 'pull', opts.dvcRemote);
  const sync = { revs, workspace: false, ...(opts.dvcRemote !== undefined ? { remote: opts.dvcRemote } : {}), ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}) };
  const { usedOuts } = await import('../data-sync.js');
  if (!revs.length || !(await usedOuts(repo, [], sync)).length) return 0;
  const { fetch } = await import('../fetch.js');
  return (await fetch(repo, [], sync)).fetched;
}

/**
 * DVC's StageCache.push/pull: every file under the run cache (`.dvc/cache/runs/...`) copied to
 * `runs/...` at the remote's root, or back (each entry is a small YAML file, always copied).
 * Remotes over HTTP have no run cache (DVC skips them too). Returns the files copied.
 */
export async function transferRunCache(repo: Repo, dir: 'push' | 'pull', remote?: string): Promise<number> {
  const { openRemoteFs, remoteConfig } = await import('../data-sync.js');
  const rc = remoteConfig(repo, remote);
  const fs = await openRemoteFs(rc);
  try {
    if (fs.protocol === 'http' || fs.protocol === 'https') return 0;
    const local = join(repo.cacheDir, 'runs');
    let n = 0;
    if (dir === 'push') {
      for (const abs of walk(local)) {
        const rel = ['runs', ...relative(local, abs).split(sep)].join('/');
        const data = readFileSync(abs);
        await fs.write(rel, Readable.from([data]), data.length);
        n++;
      }
    } else {
      for await (const rel of fs.list('runs/')) {
        const parts = rel.split('/');
        if (parts.length !== 4 || parts.some((p) => !p || p === '..' || p === '.')) continue;
        const chunks: Buffer[] = [];
        for await (const c of await fs.read(rel)) chunks.push(Buffer.from(c as Uint8Array));
        const dest = join(repo.cacheDir, ...parts);
        mkdirSync(dirname(dest), { recursive: true });
        writeFileAtomic(dest, Buffer.concat(chunks));
        n++;
      }
    }
    return n;
  } finally {
    await fs.close();
  }
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const abs = join(dir, name);
    if (statSync(abs).isDirectory()) yield* walk(abs);
    else yield abs;
  }
}

/**
 * `dvc exp list <git_remote>`: the git remote's experiments whose baselines are HEAD (or
 * `revs`, -n) here, or all of them (-A), grouped by baseline (named as the local branch or tag
 * naming it, if any).
 */
export function listRemoteExperiments(repo: Repo, gitRemote: string, opts: { allCommits?: boolean; revs?: string[]; num?: number } = {}): ExpListEntry[] {
  const root = scmRoot(repo);
  headRev(root);
  const bases = opts.allCommits ? null : baselinesOf(root, opts.revs?.length ? opts.revs : ['HEAD'], opts.num ?? 1);
  const by = new Map<string, Array<{ name: string; rev: string }>>();
  for (const r of remoteExpRefs(root, gitRemote)) {
    if (bases && !bases.has(r.info.baselineSha)) continue;
    const list = by.get(r.info.baselineSha) ?? [];
    list.push({ name: r.info.name, rev: r.rev });
    by.set(r.info.baselineSha, list);
  }
  const names = describe(repo, [...by.keys()]);
  return [...by].map(([baseline, experiments]) => ({ baseline, baselineName: names.get(baseline) ?? null, experiments }));
}
