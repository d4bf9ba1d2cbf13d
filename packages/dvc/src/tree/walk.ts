/**
 * Walks a tracked folder: every file below it (empty folders contribute nothing), honouring
 * `.dvcignore`, with inode, size and mtime per file for the hash state. Results are flat arrays
 * (no object per file) so a million files stay cheap.
 * Symbolic links are followed only when they stay inside the repository (links into the cache,
 * as `cache.type = symlink` makes, are fine); a link leading out is an error.
 */
import { realpathSync, statSync } from 'node:fs';
import { EntryKind, listDir } from '../fs/scan.js';
import { join, relative, sep } from 'node:path';
import { DvcError, UnsafePathError } from '../errors.js';
import type { DvcIgnore } from '../formats/dvcignore.js';

export interface WalkResult {
  /** Paths relative to the walked folder, '/'-separated. */
  rels: string[];
  ino: number[];
  size: number[];
  mtime: number[];
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
    real = realpathSync.native(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new DvcError(`symlink loop: '${shown}' resolves through links that point back to each other`);
    throw new DvcError(`broken symlink '${shown}'`);
  }
  if (!inside(real, [opts.root, ...(opts.allowed ?? [])])) {
    throw new UnsafePathError(`'${shown}' is a symlink leading outside of the repository`);
  }
  return real;
}

export function walkFiles(dirAbs: string, opts: WalkOptions): WalkResult {
  const res: WalkResult = { rels: [], ino: [], size: [], mtime: [] };
  const ig = opts.ignore;
  // Each folder carries the real paths of the folders it lies in that links led to (and of the
  // walked folder), so a link back to one of them (`sub/up -> ..`) is reported, not followed forever.
  const stack: Array<[string, string, string[] | null]> = [[dirAbs, '', null]];
  while (stack.length) {
    const [abs, rel, via] = stack.pop()!;
    const rootRel = opts.relToRoot ? (rel ? `${opts.relToRoot}/${rel}` : opts.relToRoot) : rel;
    // Only consult .dvcignore where some folder at or above this one has patterns.
    const checkIgnore = ig !== undefined && ig.anyRulesAbove(rootRel);
    const prefix = rel ? rel + '/' : '';
    const { names, kinds, stats } = listDir(abs);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let kind: number = kinds[i]!;
      if (kind === EntryKind.Vanished || kind === EntryKind.Other) continue; // sockets, fifos, devices: skipped
      const childAbs = abs + sep + name;
      let ino = stats[i * 3]!;
      let size = stats[i * 3 + 1]!;
      let mtime = stats[i * 3 + 2]!;
      let childVia = via;
      if (kind === EntryKind.Symlink) {
        const shown = join(opts.relToRoot, prefix + name);
        const target = checkLink(childAbs, shown, opts);
        const st = statSync(childAbs);
        if (st.isDirectory()) {
          kind = EntryKind.Dir;
          const here = realpathSync.native(abs);
          const above = [...(via ?? [realpathSync.native(dirAbs)]), here];
          const back = above.find((a) => a === target || a.startsWith(target + sep));
          if (back !== undefined) {
            const to = relative(opts.root, target) || '.';
            throw new DvcError(`symlink loop: '${shown}' points to '${to.split(sep).join('/')}', a folder that contains it`);
          }
          childVia = above;
        } else if (st.isFile()) {
          kind = EntryKind.File;
          ino = st.ino;
          size = st.size;
          mtime = st.mtimeMs;
        } else continue;
      }
      const isDir = kind === EntryKind.Dir;
      if (isDir && (name === '.git' || name === '.dvc' || name === '.hg')) continue;
      if (checkIgnore && ig.isIgnored(rootRel ? `${rootRel}/${name}` : name, isDir)) continue;
      if (isDir) {
        stack.push([childAbs, prefix + name, childVia]);
      } else {
        res.rels.push(prefix + name);
        res.ino.push(ino);
        res.size.push(size);
        res.mtime.push(mtime);
      }
    }
  }
  return res;
}
