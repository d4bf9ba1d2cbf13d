/**
 * A DVC repository: where it is, its configuration, its git, and its lock. Every operation in
 * src/repo/*.ts takes a Repo.
 *
 *   const repo = Repo.open(cwd)          // = Repo.find: walks up to the folder holding `.dvc/`;
 *                                        //   NotDvcRepoError (exit 253) with DVC's message if none
 *   repo.root                            // absolute repository folder
 *   repo.dvcDir, repo.tmpDir             // <root>/.dvc, <root>/.dvc/tmp
 *   repo.cacheDir                        // config `cache.dir` (resolved) or <root>/.dvc/cache
 *   repo.config.get('core', 'autostage') // merged system < global < repo < local, validated
 *   repo.config.autostage / .noScm / .cacheTypes / .remote(name?) / .defaultRemote
 *   repo.scm                             // Git (../scm/git.ts) or null (`core.no_scm`, or no git)
 *   await repo.withLock(async () => ...) // holds .dvc/tmp/lock (shared with Python DVC); a second
 *                                        //   process waits ~3 s then fails with LockError
 *   repo.scmContext.track(path)          // files the operation wrote (.dvc, .gitignore)
 *   await repo.scmContext.finish()       // stages them when core.autostage, else returns the
 *                                        //   "To track the changes with git, run:" hint to print
 *
 * Repo.open is synchronous and cheap (a few stats and the config files): `dvc status` starts fast.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Config } from '../config/config.js';
import { NotDvcRepoError } from '../errors.js';
import { withLock } from '../lock.js';
import { Git } from '../scm/git.js';

export const DVC_DIR = '.dvc';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Python's os.path.ismount: a different device than the parent, or the root itself. */
function isMount(p: string): boolean {
  const parent = dirname(p);
  if (parent === p) return true;
  try {
    const a = statSync(p);
    const b = statSync(parent);
    return a.dev !== b.dev || a.ino === b.ino;
  } catch {
    return false;
  }
}

/** shlex.quote, for the `git add ...` hint. */
function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

export interface RepoOptions {
  /** Do not use git even when there is one (as `core.no_scm`). */
  noScm?: boolean;
  /** Skip config validation (DVC's `dvc config` reads unvalidated so a bad file can be fixed). */
  validateConfig?: boolean;
}

/** Files an operation wrote that git should track; staged or mentioned at the end. */
export class ScmContext {
  private readonly files = new Set<string>();

  constructor(private readonly repo: Repo) {}

  /** Remember a file (absolute or relative to the cwd) the user should commit to git. */
  track(...paths: string[]): void {
    for (const p of paths) this.files.add(resolve(p));
  }

  get tracked(): string[] {
    return [...this.files];
  }

  /**
   * Ends the operation: with autostage (default: `core.autostage`) stages the tracked files in
   * git; otherwise returns the hint DVC prints (null when nothing to say: no git, no files, or quiet).
   */
  async finish(opts: { autostage?: boolean; quiet?: boolean } = {}): Promise<string | null> {
    const files = this.tracked;
    this.files.clear();
    const scm = this.repo.scm;
    if (!files.length || !scm) return null;
    const autostage = opts.autostage ?? this.repo.config.autostage;
    if (autostage) {
      await scm.add(files);
      return null;
    }
    if (opts.quiet) return null;
    const cwd = process.cwd();
    const list = files.map((f) => shellQuote(toPosix(relative(cwd, f) || '.'))).join(' ');
    return (
      `\nTo track the changes with git, run:\n\n\tgit add ${list}\n` +
      `\nTo enable auto staging, run:\n\n\tdvc config core.autostage true`
    );
  }
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

export class Repo {
  /** Absolute path of the repository (the folder holding `.dvc`). */
  readonly root: string;
  readonly dvcDir: string;
  readonly tmpDir: string;
  readonly config: Config;
  readonly scm: Git | null;
  readonly scmContext: ScmContext;

  constructor(root: string, opts: RepoOptions = {}) {
    this.root = resolve(root);
    this.dvcDir = join(this.root, DVC_DIR);
    this.tmpDir = join(this.dvcDir, 'tmp');
    this.config = new Config(this.dvcDir, { validate: opts.validateConfig ?? true });
    this.scm = opts.noScm || this.config.noScm ? null : Git.find(this.root);
    this.scmContext = new ScmContext(this);
    try {
      mkdirSync(this.tmpDir, { recursive: true });
    } catch {
      /* a read-only checkout can still be read */
    }
    this.ignoreInternals();
  }

  /**
   * As DVC on every open: git ignores `.dvc/config.local`, `.dvc/tmp` and `.dvc/cache` through
   * `.dvc/.gitignore` (written by `dvc init`; re-added here if a line is missing).
   */
  private ignoreInternals(): void {
    if (!this.scm) return;
    let text = '';
    try {
      text = readFileSync(join(this.dvcDir, '.gitignore'), 'utf8');
    } catch {
      /* missing: write it */
    }
    const have = new Set(text.split('\n'));
    for (const name of ['config.local', 'tmp', 'cache']) {
      if (have.has(`/${name}`)) continue;
      const gitignore = this.scm.ignore(join(this.dvcDir, name));
      if (gitignore) this.scmContext.track(gitignore);
    }
  }

  /**
   * The repository root at or above `cwd` (DVC's find_root: stops at a mount point).
   * Throws NotDvcRepoError (exit 253).
   */
  static findRoot(cwd: string = process.cwd()): string {
    let dir = resolve(cwd);
    if (!isDir(dir)) throw new NotDvcRepoError(`directory '${cwd}' does not exist`);
    for (;;) {
      if (isDir(join(dir, DVC_DIR))) return dir;
      if (isMount(dir)) break;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    throw new NotDvcRepoError(`you are not inside of a DVC repository (checked up to mount point '${dir}')`);
  }

  /** The repository containing `cwd` (default: the current folder). */
  static find(cwd: string = process.cwd(), opts: RepoOptions = {}): Repo {
    return new Repo(Repo.findRoot(cwd), opts);
  }

  /** Same as find(): opens the repository containing `cwd`. */
  static open(cwd: string = process.cwd(), opts: RepoOptions = {}): Repo {
    return Repo.find(cwd, opts);
  }

  /** The local cache folder: config `cache.dir` (relative to its config file) or `.dvc/cache`. */
  get cacheDir(): string {
    return this.config.cacheDir ?? join(this.dvcDir, 'cache');
  }

  /** The lock file Python DVC uses too. */
  get lockPath(): string {
    return join(this.tmpDir, 'lock');
  }

  /** Runs `fn` holding the repository lock (re-entrant within this process). */
  withLock<T>(fn: () => Promise<T> | T, opts: { timeoutMs?: number } = {}): Promise<T> {
    return withLock(this.lockPath, fn, opts);
  }

  /** A path relative to the root, with '/' (for messages and .dvc files). */
  relPath(abs: string): string {
    return toPosix(relative(this.root, resolve(abs)));
  }
}
