/**
 * `.dvcignore` files: gitignore semantics (the `ignore` package), one file per folder at any
 * depth, patterns relative to the folder holding the file; deeper files override shallower ones.
 * `.git`, `.hg` and `.dvc` folders are always ignored, as in DVC.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore, Options } from 'ignore';

/** The `ignore` library, loaded only when some .dvcignore has patterns. */
let ignoreLib: ((o?: Options) => Ignore) | undefined;
function ignore(o?: Options): Ignore {
  ignoreLib ??= createRequire(import.meta.url)('ignore') as (o?: Options) => Ignore;
  return ignoreLib(o);
}

export const DVCIGNORE = '.dvcignore';
const ALWAYS = new Set(['.git', '.hg', '.dvc']);

export interface IgnoreMatch {
  /** The .dvcignore file (relative to the root) and the 1-based line of the deciding pattern. */
  file: string;
  line: number;
  pattern: string;
  ignored: boolean;
}

interface Rules {
  ig: Ignore;
  lines: string[];
}

export class DvcIgnore {
  /** Folder (relative to root, '' for the root) -> its rules, or null when it has none. */
  private rules = new Map<string, Rules | null>();
  constructor(readonly root: string) {}

  private rulesFor(dir: string): Rules | null {
    let r = this.rules.get(dir);
    if (r !== undefined) return r;
    r = null;
    try {
      const text = readFileSync(join(this.root, dir, DVCIGNORE), 'utf8');
      const lines = text.split(/\r?\n/);
      // A file of comments and blank lines (as `dvc init` writes) has no rules.
      if (lines.some((l) => l.trim() !== '' && !l.startsWith('#'))) {
        r = { ig: ignore({ allowRelativePaths: true }).add(lines), lines };
      }
    } catch {
      /* no file: no rules */
    }
    this.rules.set(dir, r);
    return r;
  }

  /** True when the folder has a .dvcignore with at least one pattern. */
  hasRules(dir: string): boolean {
    return this.rulesFor(dir) !== null;
  }

  /** True when `dir` or any folder above it has patterns (else nothing below can be ignored). */
  anyRulesAbove(dir: string): boolean {
    if (this.hasRules('')) return true;
    let i = dir.indexOf('/');
    while (dir) {
      if (this.hasRules(i < 0 ? dir : dir.slice(0, i))) return true;
      if (i < 0) break;
      i = dir.indexOf('/', i + 1);
    }
    return false;
  }

  /**
   * Whether `rel` (relative to the root, '/'-separated) is ignored. `isDir` matters for
   * patterns ending in '/'. Parents are not checked here (a walk never enters ignored folders);
   * use `isIgnoredPath` for a standalone check.
   */
  isIgnored(rel: string, isDir: boolean): boolean {
    return this.match(rel, isDir)?.ignored ?? false;
  }

  /** Like isIgnored, but also true when any parent folder is ignored. */
  isIgnoredPath(rel: string, isDir: boolean): boolean {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.isIgnored(parts.slice(0, i).join('/'), true)) return true;
    }
    return this.isIgnored(rel, isDir);
  }

  /**
   * Every pattern that matches `rel` (ignoring or re-including it), in the order DVC applies them
   * (root .dvcignore first, then each folder's, top to bottom): `dvc check-ignore -d -a`.
   */
  matchAll(rel: string, isDir: boolean): IgnoreMatch[] {
    const res: IgnoreMatch[] = [];
    let dir = '';
    for (;;) {
      const r = this.rulesFor(dir);
      if (r) {
        const sub = dir ? rel.slice(dir.length + 1) : rel;
        r.lines.forEach((line, i) => {
          if (line.trim() === '' || line.startsWith('#')) return;
          const t = ignore({ allowRelativePaths: true }).add(line).test(isDir ? sub + '/' : sub);
          if (t.ignored || t.unignored) res.push({ file: dir ? `${dir}/${DVCIGNORE}` : DVCIGNORE, line: i + 1, pattern: line, ignored: t.ignored });
        });
      }
      const next = rel.indexOf('/', dir ? dir.length + 1 : 0);
      if (next < 0) break;
      dir = rel.slice(0, next);
    }
    return res;
  }

  /** The deciding rule for `rel`, or undefined when no pattern matches. */
  match(rel: string, isDir: boolean): IgnoreMatch | undefined {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (ALWAYS.has(name) && isDir) return { file: '', line: 0, pattern: name, ignored: true };
    if (name === '.git') return { file: '', line: 0, pattern: name, ignored: true };
    let result: IgnoreMatch | undefined;
    let dir = '';
    for (;;) {
      const r = this.rulesFor(dir);
      if (r) {
        const sub = dir ? rel.slice(dir.length + 1) : rel;
        const t = r.ig.test(isDir ? sub + '/' : sub);
        if ((t.ignored || t.unignored) && t.rule) {
          const line = r.lines.indexOf(t.rule.pattern) + 1;
          result = {
            file: dir ? `${dir}/${DVCIGNORE}` : DVCIGNORE,
            line,
            pattern: t.rule.pattern,
            ignored: t.ignored,
          };
        }
      }
      const next = rel.indexOf('/', dir ? dir.length + 1 : 0);
      if (next < 0) break;
      dir = rel.slice(0, next);
    }
    return result;
  }
}
