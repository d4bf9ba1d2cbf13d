/**
 * `dvc init`: creates `.dvc/` (an empty `config`, `.gitignore` for config.local/tmp/cache),
 * `.dvcignore` (unless present) and stages them in git, byte-identical to DVC 3.x.
 *
 *   const repo = await init(dir, { noScm, force, subdir })
 *
 * Without git (and without noScm) it fails as DVC does; with noScm it writes `core.no_scm = True`.
 * `force` replaces an existing `.dvc/` (removing its cache, as DVC warns in its help).
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeConfigFile } from '../config/config.js';
import { DvcError } from '../errors.js';
import { Git } from '../scm/git.js';
import { DVC_DIR, Repo } from './repo.js';

/** DVC's InitError; the CLI prints it after "failed to initiate DVC - ". */
export class InitError extends DvcError {
  constructor(message: string) {
    super(`failed to initiate DVC - ${message}`);
  }
}

/** `--no-scm` with `--subdir` (DVC's InvalidArgumentError, exit 255). */
export class InvalidArgumentError extends DvcError {
  override readonly exitCode = 255;
}

export const DVCIGNORE_TEXT =
  '# Add patterns of files dvc should ignore, which could improve\n' +
  '# the performance. Learn more at\n' +
  '# https://dvc.org/doc/user-guide/dvcignore\n';

export interface InitOptions {
  noScm?: boolean;
  force?: boolean;
  subdir?: boolean;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function init(rootDir: string = process.cwd(), opts: InitOptions = {}): Promise<Repo> {
  if (opts.noScm && opts.subdir) {
    throw new InvalidArgumentError('Cannot initialize repo with `--no-scm` and `--subdir`');
  }
  const root = resolve(rootDir);
  const dvcDir = join(root, DVC_DIR);

  let scm: Git | null = null;
  if (!opts.noScm) {
    scm = Git.find(root, !!opts.subdir);
    if (!scm) {
      throw new InitError(
        `${root} is not tracked by any supported SCM tool (e.g. Git). ` +
          "Use `--no-scm` if you don't want to use any SCM or " +
          '`--subdir` if initializing inside a subdirectory of a parent SCM repository.',
      );
    }
    if (scm.isIgnoredSync(dvcDir)) {
      throw new InitError(
        // DVC breaks this line in two; one line keeps the CLI's one-line errors.
        `${dvcDir} is ignored by your SCM tool. Make sure that it's tracked, for example, by adding '!.dvc' to .gitignore.`,
      );
    }
  }

  if (isDir(dvcDir)) {
    if (!opts.force) {
      throw new InitError(`'${relative(process.cwd(), dvcDir) || '.'}' exists. Use \`-f\` to force.`);
    }
    rmSync(dvcDir, { recursive: true, force: true });
  }
  mkdirSync(dvcDir, { recursive: true });

  const configFile = join(dvcDir, 'config');
  if (opts.noScm) writeConfigFile(configFile, '[core]\n    no_scm = True\n');
  else writeFileSync(configFile, '');

  const dvcignore = join(root, '.dvcignore');
  if (!existsSync(dvcignore)) writeFileSync(dvcignore, DVCIGNORE_TEXT, { flag: 'wx' });

  // Opening the repository writes .dvc/.gitignore (config.local, tmp, cache) as DVC does.
  const repo = new Repo(root, { noScm: opts.noScm });
  if (repo.scm) {
    repo.scmContext.track(configFile, dvcignore, join(dvcDir, repo.scm.ignoreFile));
    await repo.scmContext.finish({ autostage: true });
  }
  return repo;
}
