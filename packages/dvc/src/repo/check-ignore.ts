/** `dvc check-ignore`: which paths .dvcignore excludes, and by which pattern. */
import { existsSync, statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { DvcIgnore, type IgnoreMatch } from '../formats/dvcignore.js';
import { repoPath } from './collect.js';
import type { Repo } from './repo.js';

export function checkIgnore(repo: Repo, targets: string[]): Array<{ target: string; match?: IgnoreMatch; /** Every matching pattern, in order (-a). */ all: IgnoreMatch[] }> {
  const ig = new DvcIgnore(repo.root);
  return targets.map((target) => {
    const abs = repoPath(repo, target);
    const rel = relative(repo.root, abs).split(sep).join('/');
    if (!rel) return { target, all: [] };
    const isDir = target.endsWith('/') || (existsSync(abs) && statSync(abs).isDirectory());
    // A parent folder's match decides for everything below it.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const m = ig.match(parts.slice(0, i).join('/'), true);
      if (m?.ignored) return { target, match: m, all: [m] };
    }
    const match = ig.match(rel, isDir);
    const all = match ? ig.matchAll(rel, isDir) : [];
    return { target, match, all: all.length ? all : match ? [match] : [] };
  });
}
