/**
 * Finding the .dvc files of a repository and resolving command-line targets to them.
 * The walk honours .dvcignore and never enters tracked output folders (a folder `X` beside an
 * `X.dvc` that tracks it), so it costs little even next to a million data files.
 */
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { DvcError, UnsafePathError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { describeEscape, pathEscape } from '../fs/inside.js';
import { DvcIgnore } from '../formats/dvcignore.js';
import type { Repo } from './repo.js';

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/**
 * Walks the repository's folders, root first, then depth first by name: never `.git`, `.dvc`,
 * `.hg`, a `node_modules` beside a `package.json`, or a folder .dvcignore excludes. `visit` sees
 * each folder's entries and returns the names of child folders not to enter (outputs).
 */
export function walkRepoFolders(
  repo: Repo,
  ignore: DvcIgnore,
  visit: (rel: string, abs: string, ents: Dirent[], names: Set<string>) => Set<string> | undefined,
): void {
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const abs = rel ? join(repo.root, rel) : repo.root;
    let ents;
    try {
      ents = readdirSync(abs, { withFileTypes: true });
    } catch {
      continue;
    }
    const names = new Set(ents.map((d) => d.name));
    const skip = visit(rel, abs, ents, names);
    const children: string[] = [];
    for (const d of ents) {
      if (!d.isDirectory()) continue;
      const name = d.name;
      if (name === '.git' || name === '.dvc' || name === '.hg' || (name === 'node_modules' && names.has('package.json'))) continue;
      if (skip?.has(name)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      if (ignore.isIgnored(childRel, true)) continue;
      children.push(childRel);
    }
    stack.push(...children.sort().reverse());
  }
}

/** Every .dvc file in the repository, parsed (throws on an invalid one). Sorted by path. */
export function collectDvcFiles(repo: Repo, ignore = new DvcIgnore(repo.root)): DvcFile[] {
  const found: DvcFile[] = [];
  walkRepoFolders(repo, ignore, (rel, abs, ents) => {
    const skip = new Set<string>();
    for (const d of ents) {
      const name = d.name;
      if (!name.endsWith('.dvc') || name === '.dvc') continue;
      const childRel = rel ? `${rel}/${name}` : name;
      if (!(d.isFile() || (d.isSymbolicLink() && statSync(join(abs, name)).isFile()))) continue;
      if (ignore.isIgnored(childRel, false)) continue;
      const f = DvcFile.read(repo.root, join(abs, name), childRel);
      found.push(f);
      for (const o of f.outs) {
        const base = name.slice(0, -4);
        if (o.rel === (rel ? `${rel}/${base}` : base)) skip.add(base);
      }
    }
    return skip;
  });
  return found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * Absolute path of a user-given path, checked to be inside the repository, also through the real
 * path of its existing parents (`dvc add ext/f` with `ext` a link to elsewhere is refused).
 */
export function repoPath(repo: Repo, target: string, cwd = process.cwd()): string {
  const abs = resolve(cwd, target);
  const e = pathEscape(repo.root, abs, { allowRoot: true });
  if (e?.kind === 'outside') throw new UnsafePathError(`'${target}' is outside of the repository '${repo.root}'`);
  if (e) throw new UnsafePathError(describeEscape(e, `'${target}'`));
  return abs;
}

export interface ResolvedTarget {
  file: DvcFile;
  /** Indices of the outputs the target names (all of them for a .dvc file target). */
  outs: number[];
  /**
   * For a target inside a tracked folder (`data/sub/f.txt` of output `data`): the path inside
   * the output ('/'-separated, `sub/f.txt`). `outs` then holds that one output.
   */
  sub?: string;
}

/**
 * Resolves targets (a .dvc file, or an output path) to .dvc files. No targets: every .dvc file.
 * `notFound` builds the error for a target that names nothing.
 */
export function resolveTargets(
  repo: Repo,
  targets: string[],
  notFound: (target: string, abs: string) => Error = (t, abs) => new DvcError(`'${abs}' does not exist`),
  all?: DvcFile[],
): ResolvedTarget[] {
  if (!targets.length) {
    return (all ?? collectDvcFiles(repo)).map((file) => ({ file, outs: file.outs.map((_, i) => i) }));
  }
  const res: ResolvedTarget[] = [];
  let everything: DvcFile[] | undefined = all;
  for (const t of targets) {
    const abs = repoPath(repo, t);
    if (DvcFile.isDvcFileName(abs) && existsSync(abs) && statSync(abs).isFile()) {
      const file = DvcFile.read(repo.root, abs);
      res.push({ file, outs: file.outs.map((_, i) => i) });
      continue;
    }
    if (existsSync(abs + '.dvc')) {
      const file = DvcFile.read(repo.root, abs + '.dvc');
      const idx = file.outs.findIndex((o) => o.abs === abs);
      if (idx >= 0) {
        res.push({ file, outs: [idx] });
        continue;
      }
    }
    everything ??= collectDvcFiles(repo);
    let hit = false;
    for (const file of everything) {
      file.outs.forEach((o, i) => {
        if (o.abs === abs) res.push({ file, outs: [i] });
        else if (abs.startsWith(o.abs + sep)) res.push({ file, outs: [i], sub: posix(abs.slice(o.abs.length + 1)) });
        else return;
        hit = true;
      });
    }
    if (!hit) throw notFound(t, abs);
  }
  return res;
}

/** A path for messages: relative to the current folder, '/'-separated. */
export function shownPath(abs: string, cwd = process.cwd()): string {
  return posix(relative(cwd, abs)) || '.';
}
