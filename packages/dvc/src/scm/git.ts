/**
 * Git, through the `git` command (no library: the user's git, hooks and config apply as usual).
 *
 *   const git = Git.find('/path/in/repo')     // walks up to the folder holding .git; null if none
 *   await git.add(['data.dvc', '.gitignore']) // stage (autostage, init)
 *   await git.isIgnored('data')               // `git check-ignore`
 *   await git.isTracked('data.dvc')           // `git ls-files --error-unmatch`
 *   await git.show('HEAD~1', 'data.dvc')      // a file's bytes at a revision, or null
 *   await git.listFiles('v1.0')               // every file path at a revision
 *   await git.branches(); git.tags(); git.allCommits(); git.resolveRev('HEAD')
 *   await git.revisions({ allBranches, allTags, allCommits })  // for -a/-T/-A
 *   git.ignore('/abs/data')           // appends `/data` to the .gitignore beside it (as DVC),
 *                                     //   returns that .gitignore's path, or null if already ignored
 *   git.ignoreRemove('/abs/data')     // drops the line (deletes the .gitignore when it empties)
 *
 * Paths given to and returned by these methods are relative to `root` and use '/'.
 */
import { execFile, spawnSync, type ExecFileOptions } from 'node:child_process';
import { existsSync, openSync, readFileSync, closeSync, writeSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DvcError } from '../errors.js';

export class ScmError extends DvcError {}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const MAX_BUFFER = 1 << 30;

function run(cwd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const opts: ExecFileOptions & { encoding: 'buffer' } = {
      cwd,
      encoding: 'buffer',
      maxBuffer: MAX_BUFFER,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    };
    execFile('git', args, opts, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') reject(new ScmError('git is not installed (the `git` command was not found)'));
        else reject(new ScmError(`git ${args[0]} failed: ${e.message}`));
        return;
      }
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolvePromise({ code: typeof code === 'number' ? code : 1, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** The folder holding `.git` (a folder or a worktree's `.git` file) at or above `dir`, or null. */
export function findGitRoot(dir: string, searchParents = true): string | null {
  let cur = resolve(dir);
  for (;;) {
    try {
      statSync(join(cur, '.git'));
      return cur;
    } catch {
      /* not here */
    }
    if (!searchParents) return null;
    const parent = dirname(cur);
    if (parent === cur) return null;
    cur = parent;
  }
}

export class Git {
  /** The working tree's top folder (absolute). */
  readonly root: string;
  /** The name of git's ignore file, for callers that write it. */
  readonly ignoreFile = '.gitignore';

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The git repository containing `dir`, or null (searchParents=false: `dir` must be its top). */
  static find(dir: string, searchParents = true): Git | null {
    const root = findGitRoot(dir, searchParents);
    return root ? new Git(root) : null;
  }

  /** Runs git in the working tree; throws ScmError on a non-zero exit. */
  private async git(args: string[]): Promise<Buffer> {
    const r = await run(this.root, args);
    if (r.code !== 0) {
      const msg = r.stderr.trim().split('\n')[0] ?? '';
      throw new ScmError(`git ${args[0]} failed: ${msg || `exit code ${r.code}`}`);
    }
    return r.stdout;
  }

  private rel(p: string): string {
    const abs = isAbsolute(p) ? p : join(this.root, p);
    return toPosix(relative(this.root, abs) || '.');
  }

  /** Stages files (paths absolute or relative to root). Missing files are staged as removals. */
  async add(paths: Iterable<string>): Promise<void> {
    const list = [...new Set([...paths].map((p) => this.rel(p)))];
    if (!list.length) return;
    // -A: a tracked file that was deleted (dvc remove) is staged as deleted, as DVC's scmrepo does.
    await this.git(['add', '-A', '--', ...list]);
  }

  /** Is the path ignored by git's rules (.gitignore, info/exclude, core.excludesFile)? */
  async isIgnored(path: string): Promise<boolean> {
    const r = await run(this.root, ['check-ignore', '-q', '--no-index', '--', this.rel(path)]);
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new ScmError(`git check-ignore failed: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }

  /** Is the path in git's index? */
  async isTracked(path: string): Promise<boolean> {
    const r = await run(this.root, ['ls-files', '--error-unmatch', '--', this.rel(path)]);
    return r.code === 0;
  }

  /** `git config KEY VALUE` (the repository's own config file). */
  async setConfig(key: string, value: string): Promise<void> {
    await this.git(['config', key, value]);
  }

  /** Does the repository have at least one commit? */
  async hasCommits(): Promise<boolean> {
    const r = await run(this.root, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
    return r.code === 0;
  }

  /** The full commit id a revision names, or null when it names none. */
  async resolveRev(rev: string): Promise<string | null> {
    const r = await run(this.root, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
  }

  /** The current branch name, or null when HEAD is detached. */
  async activeBranch(): Promise<string | null> {
    const r = await run(this.root, ['symbolic-ref', '--short', '-q', 'HEAD']);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
  }

  /** A file's bytes at a revision (`git show REV:path`), or null when it is not there. */
  async show(rev: string, path: string): Promise<Buffer | null> {
    const r = await run(this.root, ['cat-file', 'blob', `${rev}:${this.rel(path)}`]);
    return r.code === 0 ? r.stdout : null;
  }

  /** Every file path at a revision (below `prefix` when given), relative to root. */
  async listFiles(rev: string, prefix?: string): Promise<string[]> {
    const args = ['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev];
    if (prefix) args.push('--', this.rel(prefix));
    const out = await this.git(args);
    return out
      .toString('utf8')
      .split('\0')
      .filter((s) => s !== '');
  }

  private async refs(pattern: string): Promise<Array<{ name: string; commit: string }>> {
    const out = await this.git(['for-each-ref', '--format=%(refname:short)%00%(objectname)%00%(*objectname)', pattern]);
    return out
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, obj, peeled] = line.split('\0');
        return { name: name!, commit: peeled || obj! };
      });
  }

  /** Local branches with their commit ids. */
  branches(): Promise<Array<{ name: string; commit: string }>> {
    return this.refs('refs/heads');
  }

  /** Tags with the commit ids they point to (annotated tags peeled). */
  tags(): Promise<Array<{ name: string; commit: string }>> {
    return this.refs('refs/tags');
  }

  /** Every commit reachable from any ref (`git rev-list --all`). */
  async allCommits(): Promise<string[]> {
    if (!(await this.hasCommits())) return [];
    const out = await this.git(['rev-list', '--all']);
    return out.toString('utf8').split('\n').filter(Boolean);
  }

  /**
   * `rev` and the `num - 1` commits before it along first parents (`rev~1`, `rev~2`, ... as DVC's
   * `--rev R -n N`), stopping at the root. Null when `rev` names no commit.
   */
  async revAndAncestors(rev: string, num: number): Promise<string[] | null> {
    const first = await this.resolveRev(rev);
    if (!first) return null;
    if (num <= 1) return [first];
    const out = await this.git(['rev-list', '--first-parent', `--max-count=${num}`, first]);
    return out.toString('utf8').split('\n').filter(Boolean);
  }

  /** Every commit reachable from any ref whose committer time is at or after `epochSeconds`. */
  async commitsSince(epochSeconds: number): Promise<string[]> {
    if (!(await this.hasCommits())) return [];
    const out = await this.git(['log', '--all', '--format=%H %ct']);
    return out
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string])
      .filter(([, t]) => Number(t) >= epochSeconds)
      .map(([c]) => c);
  }

  /**
   * The commits of every experiment (`refs/exps/<2>/<38 baseline>/<name>`): from the experiment's
   * tip back to, not including, its baseline commit (DVC's exp_commits).
   */
  async experimentCommits(): Promise<string[]> {
    const refs = await this.git(['for-each-ref', '--format=%(refname)', 'refs/exps/']);
    const out = new Set<string>();
    for (const ref of refs.toString('utf8').split('\n').filter(Boolean)) {
      const m = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/[^/]+$/.exec(ref);
      if (!m) continue;
      const list = await run(this.root, ['rev-list', ref, `^${m[1]}${m[2]}`]);
      if (list.code !== 0) continue;
      for (const c of list.stdout.toString('utf8').split('\n').filter(Boolean)) out.add(c);
    }
    return [...out];
  }

  /**
   * The commits DVC visits for `-a` (all branches), `-T` (all tags), `-A` (all commits), plus the
   * workspace (always, as 'workspace'), deduplicated, workspace first.
   */
  async revisions(opts: { allBranches?: boolean; allTags?: boolean; allCommits?: boolean }): Promise<string[]> {
    const revs = new Set<string>(['workspace']);
    if (opts.allCommits) for (const c of await this.allCommits()) revs.add(c);
    else {
      if (opts.allBranches) for (const b of await this.branches()) revs.add(b.commit);
      if (opts.allTags) for (const t of await this.tags()) revs.add(t.commit);
    }
    return [...revs];
  }

  /** `git check-ignore`, synchronously (for the few checks made while opening a repository). */
  isIgnoredSync(path: string): boolean {
    const r = spawnSync('git', ['check-ignore', '-q', '--no-index', '--', this.rel(path)], {
      cwd: this.root,
      stdio: 'ignore',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return r.status === 0;
  }

  /** The .gitignore beside `path` and the line naming it (`/name`), as scmrepo computes them. */
  private gitignoreEntry(path: string): { entry: string; gitignore: string } {
    const abs = resolve(this.root, path);
    const dir = dirname(abs);
    const gitignore = join(dir, this.ignoreFile);
    // As scmrepo: the .gitignore to write, links resolved, must be inside the working tree (the
    // path itself may be a link, e.g. a symlink checkout into a cache outside the repository).
    let real: string;
    try {
      real = realpathSync(gitignore);
    } catch {
      try {
        real = join(realpathSync(dir), this.ignoreFile);
      } catch {
        real = gitignore;
      }
    }
    if (!real.startsWith(realpathSync(this.root) + sep)) {
      throw new ScmError(`'${gitignore}' is outside of git repository '${this.root}'`);
    }
    let entry = toPosix(relative(dir, abs));
    if (entry.length > 0 && entry[0] !== '/') entry = '/' + entry;
    return { entry, gitignore };
  }

  /**
   * Makes git ignore `path`: appends `/name` (wildmatch-escaped) to the .gitignore in its folder
   * unless git already ignores it. Returns the .gitignore written, or null.
   */
  ignore(path: string): string | null {
    const { entry, gitignore } = this.gitignoreEntry(path);
    const escaped = entry.replace(/[[\]!*#?]/g, (c) => '\\' + c);
    let existing = '';
    try {
      existing = readFileSync(gitignore, 'utf8');
    } catch {
      /* a new file */
    }
    const lines = existing.split(/(?<=\n)/);
    // Fast path, no git process: the folder's own .gitignore names it and negates nothing. That
    // file outranks every other ignore source for this path, so git ignores it.
    const named = lines.some((l) => l.replace(/\r?\n$/, '') === escaped);
    if (named && !lines.some((l) => l.startsWith('!'))) return null;
    if (this.isIgnoredSync(path)) return null;
    const prefix = existing === '' || existing.endsWith('\n') ? '' : '\n';
    const line = `${prefix}${escaped}\n`;
    if (!new Set(lines).has(line)) {
      const fd = openSync(gitignore, 'a');
      try {
        writeSync(fd, line);
      } finally {
        closeSync(fd);
      }
    }
    return gitignore;
  }

  /** Removes `path`'s line from its .gitignore; deletes the file when nothing is left. */
  ignoreRemove(path: string): string | null {
    const { entry, gitignore } = this.gitignoreEntry(path);
    if (!existsSync(gitignore)) return null;
    const lines = readFileSync(gitignore, 'utf8').split(/(?<=\n)/).filter((l) => l !== '');
    const kept = lines.filter((l) => l.trim() !== entry.trim());
    if (!kept.length) {
      unlinkSync(gitignore);
      return null;
    }
    writeFileSync(gitignore, kept.join(''));
    return gitignore;
  }
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
