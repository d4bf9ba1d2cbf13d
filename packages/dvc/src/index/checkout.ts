/**
 * Checkout of one output: compares what the workspace holds with what the .dvc file records,
 * plans the changes, refuses to touch a changed file whose content is not in the cache (unless
 * forced), then applies them: deletions first, then links (each atomic: temp name + rename).
 */
import { mkdirSync, rmSync, rmdirSync, statSync, lstatSync, unlinkSync, readdirSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { DvcError } from '../errors.js';
import type { DvcOut } from '../formats/dvcfile.js';
import type { LinkType } from '../fs/local.js';
import type { LocalObjectStore } from '../odb/local.js';
import { checkRelpath, type TreeEntry } from '../tree/manifest.js';
import { hashWorkspace, type HashContext, type WsFile } from './workspace.js';

/** Temp files this tool creates beside a destination (see fs/local.ts tmpPath). */
export const LEFTOVER_RE = /\.[0-9a-f]{16}\.tmp$/;

export type CheckoutChange = 'added' | 'modified' | 'deleted' | null;

export interface CheckoutPlan {
  out: DvcOut;
  /** What the output as a whole will show in the summary. */
  change: CheckoutChange;
  /** Workspace paths to delete before linking (absolute; files or folders). */
  remove: string[];
  /** [oid, absolute destination] pairs to link from the cache. */
  link: Array<[string, string]>;
  /** Changed workspace files whose content is not in the cache (deleting them loses data). */
  unsaved: string[];
  /** Cache objects that are needed but missing. */
  missing: string[];
  /** md5 per linked destination (for the hash state). */
  md5s: Map<string, string>;
  /** Workspace folders (absolute) that exist now; a link destination among them is cleared first. */
  wsDirs: Set<string>;
}

export interface CheckoutOptions {
  relink?: boolean;
}

function emptyPlan(out: DvcOut): CheckoutPlan {
  return { out, change: null, remove: [], link: [], unsaved: [], missing: [], md5s: new Map(), wsDirs: new Set() };
}

export async function planCheckout(
  ctx: HashContext,
  store: LocalObjectStore,
  out: DvcOut,
  opts: CheckoutOptions = {},
): Promise<CheckoutPlan> {
  const plan = emptyPlan(out);
  if (!out.md5) return plan;
  const ws = await hashWorkspace(ctx, out.abs);
  if (!out.isDir) {
    if (ws.kind === 'file' && ws.md5 === out.md5) {
      if (opts.relink) {
        if (!store.exists(out.md5)) plan.missing.push(out.md5);
        else plan.link.push([out.md5, out.abs]);
        plan.md5s.set(out.abs, out.md5);
      }
      return plan;
    }
    if (!store.exists(out.md5)) {
      plan.missing.push(out.md5);
      return plan;
    }
    if (ws.kind === 'file') {
      if (!store.exists(ws.md5)) plan.unsaved.push(out.abs);
      plan.change = 'modified';
    } else if (ws.kind === 'dir') {
      for (const f of ws.files) if (!store.exists(f.md5)) plan.unsaved.push(f.abs);
      plan.remove.push(out.abs);
      plan.change = 'modified';
    } else plan.change = 'added';
    plan.link.push([out.md5, out.abs]);
    plan.md5s.set(out.abs, out.md5);
    return plan;
  }

  // A folder.
  let entries: TreeEntry[] | undefined;
  entries = store.readManifest(out.md5);
  if (!entries) {
    plan.missing.push(out.md5);
    return plan;
  }
  const wsFiles = new Map<string, WsFile>();
  if (ws.kind === 'file') {
    if (!store.exists(ws.md5)) plan.unsaved.push(out.abs);
    plan.remove.push(out.abs);
  } else if (ws.kind === 'dir') {
    for (const f of ws.files) {
      wsFiles.set(f.relpath, f);
      let i = f.relpath.lastIndexOf('/');
      while (i > 0) {
        const d = out.abs + sep + f.relpath.slice(0, i);
        if (plan.wsDirs.has(d)) break;
        plan.wsDirs.add(d);
        i = f.relpath.lastIndexOf('/', i - 1);
      }
    }
  }
  const wanted = new Set<string>();
  let changed = ws.kind !== 'dir';
  const missingOids = new Set(store.missing(new Set(entries.map((e) => e.md5))));
  for (const e of entries) {
    checkRelpath(e.relpath, `'${out.md5}'`);
    wanted.add(e.relpath);
    const dest = out.abs + sep + (sep === '/' ? e.relpath : e.relpath.split('/').join(sep));
    const cur = wsFiles.get(e.relpath);
    if (cur && cur.md5 === e.md5 && !opts.relink) continue;
    if (missingOids.has(e.md5)) {
      plan.missing.push(e.md5);
      continue;
    }
    if (cur && cur.md5 !== e.md5) {
      if (!store.exists(cur.md5)) plan.unsaved.push(cur.abs);
      changed = true;
    } else if (!cur) changed = true;
    plan.link.push([e.md5, dest]);
    plan.md5s.set(dest, e.md5);
  }
  // Workspace files the manifest does not list; and files standing where a folder must go.
  const wantedDirs = new Set<string>();
  for (const rel of wanted) {
    let i = rel.lastIndexOf('/');
    while (i > 0) {
      const d = rel.slice(0, i);
      if (wantedDirs.has(d)) break;
      wantedDirs.add(d);
      i = d.lastIndexOf('/');
    }
  }
  for (const f of wsFiles.values()) {
    if (wanted.has(f.relpath)) continue;
    // A temp file of an interrupted checkout (`name.<16 hex>.tmp`) is ours to clean up.
    if (!store.exists(f.md5) && !LEFTOVER_RE.test(f.relpath)) plan.unsaved.push(f.abs);
    plan.remove.push(f.abs);
    changed = true;
  }
  void wantedDirs;
  if (changed) plan.change = ws.kind === 'missing' ? 'added' : 'modified';
  return plan;
}

/** Applies a plan (call only once `unsaved` was dealt with). Returns how many files were linked. */
export async function applyCheckout(
  ctx: HashContext,
  store: LocalObjectStore,
  plan: CheckoutPlan,
  types: LinkType[],
): Promise<number> {
  for (const p of plan.remove) rmSync(p, { recursive: true, force: true });
  // A folder output exists even when it has no files (an empty manifest).
  if (plan.out.isDir && plan.change) ensureDir(plan.out.abs);
  if (!plan.link.length) return 0;
  // Make the folders (a file standing in the way of a folder is removed: it was planned for).
  const dirs = new Set<string>();
  for (const [, dest] of plan.link) dirs.add(dirname(dest));
  for (const d of [...dirs].sort((a, b) => a.length - b.length)) ensureDir(d);
  const pairs: Array<[string, string]> = [];
  for (const [oid, dest] of plan.link) {
    if (plan.wsDirs.has(dest)) clearFolderAt(dest);
    pairs.push([store.path(oid), dest]);
  }
  const results = await ctx.pool().link(pairs, types, {
    onProgress: ctx.onProgress ? (n) => ctx.onProgress!(n, 0) : undefined,
  });
  const now = Date.now();
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    const dest = pairs[i]![1];
    if ('error' in r) throw new DvcError(`failed to check out '${ctx.root ? dest.slice(ctx.root.length + 1) : dest}': ${r.error}`);
    const md5 = plan.md5s.get(dest);
    if (md5) ctx.state.set(relKey(ctx.root, dest), r, md5, now);
  }
  return pairs.length;
}

function relKey(root: string, abs: string): string {
  const r = abs.slice(root.length + 1);
  return sep === '/' ? r : r.split(sep).join('/');
}

function ensureDir(d: string): void {
  try {
    if (statSync(d).isDirectory()) return;
  } catch {
    /* missing */
  }
  // A file where a folder must be: remove it (the plan checked it was saved).
  let cur = d;
  const stack: string[] = [];
  for (;;) {
    try {
      const st = lstatSync(cur);
      if (!st.isDirectory()) unlinkSync(cur);
      else break;
    } catch {
      /* missing */
    }
    stack.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  mkdirSync(d, { recursive: true });
}

function clearFolderAt(dest: string): void {
  try {
    const st = lstatSync(dest);
    if (st.isDirectory()) {
      if (readdirSync(dest).length === 0) rmdirSync(dest);
      else rmSync(dest, { recursive: true, force: true });
    }
  } catch {
    /* nothing there */
  }
}

