/**
 * The one check that a path DVC will write (an output, a .dvc file, a target from the command
 * line) stays inside the repository: lexically (no `..`, not absolute), and through the real path
 * of every parent folder that exists, so a symlink committed in git (`evil -> /elsewhere`) cannot
 * carry a write out of the repository. The path itself is not followed: an output that is a link
 * (as `cache.type = symlink` makes) is replaced, never written through; folder walks check such
 * links themselves (tree/walk.ts).
 *
 *   pathEscape(root, abs)            // null when inside, else why not (data)
 *   assertInside(root, abs, label)   // throws UnsafePathError with one line naming the link
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { UnsafePathError } from '../errors.js';

export type PathEscape =
  /** `..` or absolute: lexically outside the root (or the root itself). */
  | { kind: 'outside' }
  /** Inside `.dvc` or `.git`. */
  | { kind: 'internal'; dir: string }
  /** An existing parent resolves outside the root: `link` (relative to the root) points to `target`. */
  | { kind: 'link'; link: string; target: string }
  /** A parent is a link that resolves nowhere (`loop`: a cycle of links). */
  | { kind: 'broken'; link: string; loop: boolean };

export interface EscapeOptions {
  internal?: boolean;
  allowRoot?: boolean;
  parents?: boolean;
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** The first link below `root` on the way to `dir` whose real path leaves `rootReal`. */
function culprit(root: string, dir: string, rootReal: string): { link: string; target: string } {
  const parts = relative(root, dir).split(sep);
  let p = root;
  for (const part of parts) {
    p = join(p, part);
    let r: string;
    try {
      r = realpathSync.native(p);
    } catch {
      break;
    }
    if (!isUnder(r, rootReal)) {
      let target = r;
      try {
        target = readlinkSync(p);
      } catch {
        /* a parent of p is the link: show where p ends up */
      }
      return { link: relative(root, p).split(sep).join('/'), target };
    }
  }
  return { link: relative(root, dir).split(sep).join('/'), target: real(dir) };
}

/** Whether an existing folder between `root` and `abs` (exclusive both) is a symbolic link. */
function linkAmongParents(root: string, abs: string): boolean {
  const rel = relative(root, dirname(abs));
  if (rel === '') return false;
  let p = root;
  for (const part of rel.split(sep)) {
    p = p + sep + part;
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) return false; // the rest does not exist yet
    if (st.isSymbolicLink()) return true;
    if (!st.isDirectory()) return false; // nothing can be written below a file
  }
  return false;
}

/**
 * Why `abs` is not a safe place to write inside `root`, or null. `internal`: also refuse `.dvc`
 * and `.git` (outputs); `allowRoot`: the root itself is acceptable (a command-line target `.`);
 * `parents: false`: the lexical checks only (a path that is only read, e.g. a stage dependency).
 */
export function pathEscape(root: string, abs: string, opts: EscapeOptions = {}): PathEscape | null {
  const rel = relative(root, abs);
  if ((rel === '' && !opts.allowRoot) || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return { kind: 'outside' };
  if (rel === '') return null;
  if (opts.internal) {
    const first = rel.split(sep)[0]!;
    if (first === '.dvc' || first === '.git') return { kind: 'internal', dir: first };
  }
  if (opts.parents === false) return null;
  // Fast path (one lstat per folder below the root): without a link among them nothing leads out.
  if (!linkAmongParents(root, abs)) return null;
  const rootReal = real(root);
  // The deepest existing parent; its real path covers every link above it.
  for (let dir = dirname(abs); isUnder(dir, root) && dir !== root; dir = dirname(dir)) {
    let r: string;
    try {
      r = realpathSync.native(dir);
    } catch (e) {
      const c = code(e);
      if (c === 'ELOOP') return { kind: 'broken', link: relative(root, dir).split(sep).join('/'), loop: true };
      if (c !== 'ENOENT') continue; // ENOTDIR and the like: nothing can be written below it
      try {
        if (lstatSync(dir).isSymbolicLink()) return { kind: 'broken', link: relative(root, dir).split(sep).join('/'), loop: false };
      } catch {
        /* really absent: look at its parent */
      }
      continue;
    }
    if (isUnder(r, rootReal)) return null;
    return { kind: 'link', ...culprit(root, dir, rootReal) };
  }
  return null;
}

/** One line for an escape; `label` names the path as the user gave it (e.g. `output path 'x'`). */
export function describeEscape(e: PathEscape, label: string): string {
  switch (e.kind) {
    case 'outside':
      return `${label} is outside of the repository`;
    case 'internal':
      return `${label} is inside '${e.dir}'`;
    case 'link':
      return `${label} is outside of the repository: '${e.link}' is a symlink to '${e.target}'`;
    case 'broken':
      return e.loop
        ? `${label} cannot be written: '${e.link}' is a symlink loop`
        : `${label} cannot be written: '${e.link}' is a broken symlink`;
  }
}

/** Throws UnsafePathError unless `abs` is a safe place to write inside `root` (see pathEscape). */
export function assertInside(root: string, abs: string, label: string, opts: EscapeOptions = {}): void {
  const e = pathEscape(root, abs, opts);
  if (e) throw new UnsafePathError(describeEscape(e, label));
}
