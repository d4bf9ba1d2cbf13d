/**
 * Shell-style wildcards over the file system, as Python's `glob.iglob(pattern, recursive=True)`
 * expands DVC's `--glob` targets: `*`, `?`, `[...]` within one path segment, `**` across folders;
 * names starting with '.' match only a segment that starts with '.'. Files and folders both match.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DvcError } from '../errors.js';

const MAGIC = /[*?[]/;

function segmentRe(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, j);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir || '.').sort();
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p || '.').isDirectory();
  } catch {
    return false;
  }
}

/** Every path below `dir` (folders and files, recursively), not entering hidden ones. */
function walk(dir: string, out: string[]): void {
  for (const e of entries(dir)) {
    if (e.startsWith('.')) continue;
    const p = dir ? join(dir, e) : e;
    out.push(p);
    if (isDir(p)) walk(p, out);
  }
}

function expand(base: string, segs: string[]): string[] {
  if (!segs.length) return [base];
  const [seg, ...rest] = segs;
  if (seg === '**') {
    // `**` matches zero or more folders; last in the pattern, everything below.
    const all: string[] = [];
    walk(base, all);
    if (!rest.length) return all;
    return [base, ...all.filter(isDir)].flatMap((d) => expand(d, rest));
  }
  if (!MAGIC.test(seg!)) {
    const p = base ? join(base, seg!) : seg!;
    if (rest.length ? isDir(p) : (isDir(p) || exists(p))) return expand(p, rest);
    return [];
  }
  const re = segmentRe(seg!);
  const res: string[] = [];
  for (const e of entries(base)) {
    if (e.startsWith('.') && !seg!.startsWith('.')) continue;
    if (!re.test(e)) continue;
    const p = base ? join(base, e) : e;
    if (rest.length && !isDir(p)) continue;
    res.push(...expand(p, rest));
  }
  return res;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The paths each pattern names (relative patterns: relative to the current folder). */
export function globPaths(pattern: string): string[] {
  if (!MAGIC.test(pattern)) return exists(pattern) ? [pattern] : [];
  const abs = isAbsolute(pattern);
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  if (abs) segs[0] = '/';
  const base = abs ? '/' : '';
  return expand(base, abs ? segs.slice(1) : segs);
}

/** DVC's glob_targets: every target expanded; none matching at all is an error. */
export function globTargets(targets: string[]): string[] {
  const res = [...new Set(targets.flatMap(globPaths))];
  if (!res.length) throw new DvcError(`Glob [${targets.map((t) => `'${t}'`).join(', ')}] has no matches.`);
  return res;
}
