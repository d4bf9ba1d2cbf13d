/**
 * Walks a tracked folder: every file below it (empty folders contribute nothing), honouring
 * `.dvcignore`, with a stat per file (inode, size, mtime) for the hash state.
 * Symbolic links are followed only when they stay inside the repository (links into the cache,
 * as `cache.type = symlink` makes, are fine); a link leading out is an error.
 */
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { DvcError, UnsafePathError } from '../errors.js';
import type { DvcIgnore } from '../formats/dvcignore.js';

export interface WalkedFile {
  /** Path relative to the walked folder, '/'-separated. */
  rel: string;
  abs: string;
  stat: Stats;
}

export interface WalkOptions {
  /** Repository root (absolute, real path): links must resolve inside it or inside `allowed`. */
  root: string;
  /** Extra real paths a link may point into (e.g. a cache outside the repo). */
  allowed?: string[];
  ignore?: DvcIgnore;
  /** Path of the walked folder relative to the root (for .dvcignore), '/'-separated. */
  relToRoot: string;
}

function inside(p: string, dirs: string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(d.endsWith(sep) ? d : d + sep));
}

/** Throws unless the symlink at `abs` resolves inside the allowed places. */
export function checkLink(abs: string, shown: string, opts: { root: string; allowed?: string[] }): string {
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new DvcError(`broken symlink '${shown}'`);
  }
  if (!inside(real, [opts.root, ...(opts.allowed ?? [])])) {
    throw new UnsafePathError(`'${shown}' is a symlink leading outside of the repository`);
  }
  return real;
}

export function walkFiles(dirAbs: string, opts: WalkOptions): WalkedFile[] {
  const out: WalkedFile[] = [];
  const ig = opts.ignore;
  const stack: Array<[string, string]> = [[dirAbs, '']];
  while (stack.length) {
    const [abs, rel] = stack.pop()!;
    const rootRel = opts.relToRoot ? (rel ? `${opts.relToRoot}/${rel}` : opts.relToRoot) : rel;
    // Only consult .dvcignore where some folder at or above this one has patterns.
    const checkIgnore = ig !== undefined && ig.anyRulesAbove(rootRel);
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const name = d.name;
      const childAbs = abs + sep + name;
      const childRel = rel ? `${rel}/${name}` : name;
      let isDir = d.isDirectory();
      if (d.isSymbolicLink()) {
        checkLink(childAbs, join(opts.relToRoot, childRel), opts);
        isDir = statSync(childAbs).isDirectory();
      }
      if (name === '.git' || name === '.dvc' || name === '.hg') {
        if (isDir) continue;
      }
      if (checkIgnore && ig.isIgnored(rootRel ? `${rootRel}/${name}` : name, isDir)) continue;
      if (isDir) {
        stack.push([childAbs, childRel]);
      } else if (d.isFile() || d.isSymbolicLink()) {
        out.push({ rel: childRel, abs: childAbs, stat: statSync(childAbs) });
      }
      // sockets, fifos, devices: skipped
    }
  }
  return out;
}
