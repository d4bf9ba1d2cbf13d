/**
 * `dvc install`: git hooks that run `dvc git-hook ...` (byte for byte what Python DVC writes, so
 * either implementation first on PATH serves them), DVC's merge driver in git's config, or with
 * `usePreCommitTool` an entry in `.pre-commit-config.yaml` instead of the hooks.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DvcError } from '../errors.js';
import { writeFileAtomic } from '../fs/local.js';
import type { Repo } from './repo.js';
import { Y as yamlLib } from '../formats/dvcyaml.js';

export const HOOKS = ['post-checkout', 'pre-commit', 'pre-push'] as const;

/** A hook of that name is there already (DVC never overwrites one). */
export class HookExistsError extends DvcError {
  constructor(readonly hook: string) {
    super(`Hook '${hook}' already exists. Please refer to <https://man.dvc.org/install> for more info.`);
  }
}

/** Python's shutil.which: the first executable `name` on PATH, or null. */
export function which(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The text DVC's scmrepo writes for a hook: `#!<sh on PATH>\nexec dvc git-hook <name> $@\n`. */
export function hookScript(name: string): string {
  return `#!${which('sh') ?? '/bin/sh'}\nexec dvc git-hook ${name} $@\n`;
}

/** The DVC version Python's pre-commit entry names (we speak DVC 3.64's formats). */
export const PRE_COMMIT_REV = '3.64.0';

export interface InstallResult {
  /** Hooks written (absolute paths), or empty with usePreCommitTool / without git. */
  hooks: string[];
  /** The .pre-commit-config.yaml written, with usePreCommitTool. */
  preCommitConfig?: string;
}

export async function install(repo: Repo, opts: { usePreCommitTool?: boolean } = {}): Promise<InstallResult> {
  const scm = repo.scm;
  if (!scm) return { hooks: [] };
  await scm.setConfig('merge.dvc.name', 'DVC merge driver');
  await scm.setConfig('merge.dvc.driver', 'dvc git-hook merge-driver --ancestor %O --our %A --their %B ');
  if (opts.usePreCommitTool) return { hooks: [], preCommitConfig: await preCommitInstall(scm.root) };
  const hooksDir = join(scm.root, '.git', 'hooks');
  for (const h of HOOKS) if (existsSync(join(hooksDir, h))) throw new HookExistsError(h);
  mkdirSync(hooksDir, { recursive: true });
  const written: string[] = [];
  for (const h of HOOKS) {
    const p = join(hooksDir, h);
    writeFileSync(p, hookScript(h), { flag: 'wx' });
    chmodSync(p, 0o777);
    written.push(p);
  }
  return { hooks: written };
}

/** Adds DVC's three hooks to `.pre-commit-config.yaml` (once), keeping what is there. */
async function preCommitInstall(root: string): Promise<string> {
  const file = join(root, '.pre-commit-config.yaml');
  const Y = yamlLib();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const doc = Y.parseDocument(text);
  if (doc.errors.length) throw new DvcError(`unable to read '${file}': ${doc.errors[0]!.message.split('\n')[0]}`);
  const hook = (id: string, stage: string, always = false) => ({
    id,
    additional_dependencies: ['.[all]'],
    language_version: 'python3',
    stages: [stage],
    ...(always ? { always_run: true } : {}),
  });
  const entry = {
    repo: 'https://github.com/iterative/dvc',
    rev: PRE_COMMIT_REV,
    hooks: [hook('dvc-pre-commit', 'pre-commit'), hook('dvc-pre-push', 'pre-push'), hook('dvc-post-checkout', 'post-checkout', true)],
  };
  const data = (doc.toJSON() ?? {}) as { repos?: unknown[] };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new DvcError(`'${file}' is not a mapping`);
  const repos = Array.isArray(data.repos) ? data.repos : [];
  const same = repos.some((r) => JSON.stringify(r) === JSON.stringify(entry));
  if (!same) {
    if (!doc.contents || !Y.isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
    if (!Array.isArray(data.repos)) doc.set('repos', doc.createNode([]));
    (doc.get('repos') as import('yaml').YAMLSeq).add(doc.createNode(entry));
    writeFileAtomic(file, doc.toString({ indentSeq: false, lineWidth: 0 }));
  }
  return file;
}

/** For post-checkout: true while git is in the middle of a rebase (DVC then leaves the data alone). */
export function inRebase(cwd = process.cwd()): boolean {
  try {
    return statSync(join(cwd, '.git', 'rebase-merge')).isDirectory();
  } catch {
    return false;
  }
}
