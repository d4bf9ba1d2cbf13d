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
import { checkRelpath, manifestMd5, underPrefix, type TreeEntry } from '../tree/manifest.js';
import { isRacy, RACY_WINDOW_MS } from '../hash/state.js';
import { trace } from '../trace.js';
import { hashWorkspace, WsFile, type HashContext } from './workspace.js';

/** Temp files this tool creates beside a destination (see fs/local.ts tmpPath). */
export const LEFTOVER_RE = /\.[0-9a-f]{16}\.tmp$/;

export type CheckoutChange = 'added' | 'modified' | 'deleted' | null;

export interface FileCounts {
  added: number;
  modified: number;
  deleted: number;
}

export interface CheckoutPlan {
  out: DvcOut;
  /** What the output as a whole will show in the summary. */
  change: CheckoutChange;
  /**
   * Files (not folders) this plan adds (absent from the workspace), modifies (there with other
   * content) and deletes (there, not in the manifest): DVC's per-file `--summary` and pull counts.
   */
  files: FileCounts;
  /** Workspace paths to delete before linking (absolute; files or folders). */
  remove: string[];
  /** [oid, absolute destination] pairs to link from the cache. */
  link: Array<[string, string]>;
  /** Changed workspace files whose content is not in the cache (deleting them loses data). */
  unsaved: string[];
  /** Cache objects that are needed but missing. */
  missing: string[];
  /**
   * Filled by applyCheckout: cache objects found corrupt while being copied (not placed), with
   * the destinations they were meant for. The caller moves them aside (store.quarantine) once
   * every output is done, so that fetch/pull download them again.
   */
  corrupt: Array<{ oid: string; dest: string; actual: string }>;
  /** Workspace folders (absolute) that exist now; a link destination among them is cleared first. */
  wsDirs: Set<string>;
  /**
   * For a whole folder output: its manifest, the workspace files kept as they are, and for each
   * `link` pair the index of its entry, so that the folder's snapshot can be saved after the
   * checkout (the next status then needs no hashing and no per-file state rows).
   */
  whole?: { entries: TreeEntry[]; kept: Map<string, WsFile>; linkEntry: number[] };
}

export interface CheckoutOptions {
  relink?: boolean;
  /**
   * Only these paths inside a folder output ('/'-separated, relative to it: files or
   * subfolders), for targets inside a tracked folder. Files elsewhere in the folder are neither
   * checked nor touched.
   */
  prefixes?: string[];
}

function emptyPlan(out: DvcOut): CheckoutPlan {
  return { out, change: null, files: { added: 0, modified: 0, deleted: 0 }, remove: [], link: [], unsaved: [], missing: [], corrupt: [], wsDirs: new Set() };
}

export async function planCheckout(
  ctx: HashContext,
  store: LocalObjectStore,
  out: DvcOut,
  opts: CheckoutOptions = {},
): Promise<CheckoutPlan> {
  const plan = emptyPlan(out);
  if (!out.md5) return plan;
  // Nothing lies inside a file output.
  if (opts.prefixes && !out.isDir) return plan;
  if (opts.prefixes) return planPart(ctx, store, plan, opts.prefixes, opts);
  const ws = await hashWorkspace(ctx, out.abs);
  if (!out.isDir) {
    if (ws.kind === 'file' && ws.md5 === out.md5) {
      if (opts.relink) {
        if (!store.exists(out.md5)) plan.missing.push(out.md5);
        else plan.link.push([out.md5, out.abs]);
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
    plan.files[plan.change] = 1;
    plan.link.push([out.md5, out.abs]);
    return plan;
  }

  // A folder.
  const entries = store.readManifest(out.md5);
  if (!entries) {
    plan.missing.push(out.md5);
    return plan;
  }
  const wsFiles = new Map<string, WsFile>();
  if (ws.kind === 'file') {
    if (!store.exists(ws.md5)) plan.unsaved.push(out.abs);
    plan.remove.push(out.abs);
  } else if (ws.kind === 'dir') {
    for (const f of ws.files) wsFiles.set(f.relpath, f);
  }
  trace(`checkout: manifest read (${entries.length} entries)`);
  plan.whole = { entries, kept: wsFiles, linkEntry: [] };
  const changed = planEntries(store, plan, entries, wsFiles, opts);
  if (changed || ws.kind !== 'dir') plan.change = ws.kind === 'missing' ? 'added' : 'modified';
  trace(`checkout: planned (${plan.link.length} to link)`);
  return plan;
}

/**
 * The plan for some paths inside a folder output: only the manifest entries under them are
 * linked, only the workspace files under them are compared (and removed when the manifest does
 * not list them).
 */
async function planPart(
  ctx: HashContext,
  store: LocalObjectStore,
  plan: CheckoutPlan,
  prefixes: string[],
  opts: CheckoutOptions,
): Promise<CheckoutPlan> {
  const out = plan.out;
  const all = store.readManifest(out.md5!);
  if (!all) {
    plan.missing.push(out.md5!);
    return plan;
  }
  const parts = [...new Set(prefixes)];
  for (const p of parts) checkRelpath(p, `target '${p}'`);
  const entries = all.filter((e) => parts.some((p) => underPrefix(e.relpath, p)));
  const existed = pathKind(out.abs) !== 'missing';
  const wsFiles = new Map<string, WsFile>();
  const blockers = new Set<string>();
  for (const p of parts) {
    // A file standing where a folder of the path must be goes (if its data is saved), when the
    // manifest has something to put there.
    const needed = entries.some((e) => underPrefix(e.relpath, p));
    const names = p.split('/');
    let blocked = false;
    for (let i = 0; i < names.length; i++) {
      const cur = i === 0 ? out.abs : out.abs + sep + names.slice(0, i).join(sep);
      const k = pathKind(cur);
      if (k === 'dir') continue;
      blocked = true;
      if (k === 'file' && needed && !blockers.has(cur)) {
        blockers.add(cur);
        const w = await hashWorkspace(ctx, cur);
        if (w.kind === 'file' && !store.exists(w.md5)) plan.unsaved.push(cur);
        plan.remove.push(cur);
      }
      break;
    }
    if (blocked) continue;
    const ws = await hashWorkspace(ctx, out.abs + sep + names.join(sep));
    if (ws.kind === 'file') wsFiles.set(p, new WsFile(p, ws.md5, ws.size, out.abs, ws.stat.ino));
    else if (ws.kind === 'dir') {
      for (const f of ws.files) {
        const rel = `${p}/${f.relpath}`;
        wsFiles.set(rel, new WsFile(rel, f.md5, f.size, out.abs, f.ino));
      }
    }
  }
  const changed = planEntries(store, plan, entries, wsFiles, opts);
  if (changed || blockers.size) plan.change = existed ? 'modified' : 'added';
  return plan;
}

/** 'dir' (a folder, or a link to one), 'file' (anything else there) or 'missing'. */
function pathKind(p: string): 'dir' | 'file' | 'missing' {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    try {
      lstatSync(p);
      return 'file'; // a dangling link
    } catch {
      return 'missing';
    }
  }
}

/**
 * Plans the links for `entries` of a folder output against the workspace files found for them
 * (`wsFiles`, keyed by path inside the output): links what differs or is missing, removes what
 * the entries do not list. Returns whether anything changes.
 */
function planEntries(
  store: LocalObjectStore,
  plan: CheckoutPlan,
  entries: TreeEntry[],
  wsFiles: Map<string, WsFile>,
  opts: CheckoutOptions,
): boolean {
  const out = plan.out;
  for (const rel of wsFiles.keys()) {
    let i = rel.lastIndexOf('/');
    while (i > 0) {
      const d = out.abs + sep + (sep === '/' ? rel.slice(0, i) : rel.slice(0, i).split('/').join(sep));
      if (plan.wsDirs.has(d)) break;
      plan.wsDirs.add(d);
      i = rel.lastIndexOf('/', i - 1);
    }
  }
  // Only needed to find workspace files the manifest does not list.
  const wanted = wsFiles.size ? new Set<string>() : undefined;
  let changed = false;
  const missingOids = new Set(store.missing(new Set(entries.map((e) => e.md5))));
  const linkEntry = plan.whole?.linkEntry;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    checkRelpath(e.relpath, `'${out.md5}'`);
    wanted?.add(e.relpath);
    const cur = wsFiles.get(e.relpath);
    if (cur && cur.md5 === e.md5 && !opts.relink) continue;
    if (missingOids.has(e.md5)) {
      plan.missing.push(e.md5);
      continue;
    }
    if (cur && cur.md5 !== e.md5) {
      if (!store.exists(cur.md5)) plan.unsaved.push(cur.abs);
      changed = true;
      plan.files.modified++;
    } else if (!cur) {
      changed = true;
      plan.files.added++;
    }
    plan.link.push([e.md5, `${out.abs}${sep}${sep === '/' ? e.relpath : e.relpath.split('/').join(sep)}`]);
    linkEntry?.push(k);
  }
  // Workspace files the manifest does not list.
  for (const f of wsFiles.values()) {
    if (wanted!.has(f.relpath)) continue;
    // A temp file of an interrupted checkout (`name.<16 hex>.tmp`) is ours to clean up.
    if (!store.exists(f.md5) && !LEFTOVER_RE.test(f.relpath)) plan.unsaved.push(f.abs);
    plan.remove.push(f.abs);
    changed = true;
    plan.files.deleted++;
  }
  return changed;
}

/**
 * Applies a plan (call only once `unsaved` was dealt with). Returns how many files were linked.
 * Copies are verified against their oid in the same pass (hash/worker-ops.ts linkFiles); a
 * corrupt object is listed in `plan.corrupt`, never placed. Reflinks, hardlinks
 * and symlinks share the cache object's blocks and are not read (`dvc cache check` verifies the
 * whole cache). Objects in `verified` (those this process has just downloaded, each hashed as
 * it arrived) are copied without being hashed a second time, and so are objects whose stamp
 * (inode, size, mtime, ctime) is still the one they had when their bytes were last hashed (by
 * add/commit writing them, or by an earlier checkout copy): see StateDb.objectStamps.
 */
export async function applyCheckout(
  ctx: HashContext,
  store: LocalObjectStore,
  plan: CheckoutPlan,
  types: LinkType[],
  verified?: ReadonlySet<string>,
): Promise<number> {
  for (const p of plan.remove) rmSync(p, { recursive: true, force: true });
  // A folder output exists even when it has no files (an empty manifest).
  if (plan.out.isDir && plan.change) ensureDir(plan.out.abs);
  if (!plan.link.length) return 0;
  // Make the folders (a file standing in the way of a folder is removed: it was planned for).
  const dirs = new Set<string>();
  for (const [, dest] of plan.link) dirs.add(dirname(dest));
  for (const d of [...dirs].sort((a, b) => a.length - b.length)) ensureDir(d);
  // In chunks, so a million-file checkout never holds a million cache paths and results at once.
  const whole = plan.whole && !plan.missing.length ? plan.whole : undefined;
  const stamps = whole ? new Float64Array(whole.entries.length * 3).fill(NaN) : undefined;
  const CHUNK = 8192;
  const total = plan.link.length;
  // Two chunks in flight: the pool never waits while this thread handles a chunk's results.
  const submit = (start: number) => {
    // [oid, dest] pairs as planned: the workers find each object in the cache themselves.
    const chunk = plan.link.slice(start, start + CHUNK);
    if (plan.wsDirs.size) for (const [, dest] of chunk) if (plan.wsDirs.has(dest)) clearFolderAt(dest);
    const copies = types.includes('copy');
    const done = ctx.pool().link(chunk, types, {
      filesDir: store.filesDir,
      ...(verified?.size ? { trusted: chunk.map(([oid]) => verified.has(oid)) } : {}),
      // Objects unchanged since their bytes were last hashed are copied without hashing again.
      ...(copies ? { known: ctx.state.objectStamps(chunk.map(([oid]) => oid)) } : {}),
      onProgress: ctx.onProgress ? (n) => ctx.onProgress!(n, 0) : undefined,
    });
    // Awaited in order below; a failure there ends the checkout (no unhandled rejection meanwhile).
    done.catch(() => undefined);
    return { start, chunk, done };
  };
  /** Whether this file system keeps sub-second mtimes (then a whole second is chance). */
  let fine = false;
  /** Files written within the clock's granularity of being recorded: recorded at the end. */
  const recent: Array<{ rel: string; oid: string; k: number; r: { ino: number; size: number; mtimeMs: number } }> = [];
  const record = (rel: string, oid: string, k: number, r: { ino: number; size: number; mtimeMs: number }, now: number) => {
    if (stamps) {
      stamps[k * 3] = r.ino;
      stamps[k * 3 + 1] = r.size;
      stamps[k * 3 + 2] = r.mtimeMs;
    } else ctx.state.set(rel, r, oid, now, fine);
  };
  let next = total ? submit(0) : undefined;
  while (next) {
    const { start, chunk, done } = next;
    next = start + CHUNK < total ? submit(start + CHUNK) : undefined;
    const results = await done;
    const now = Date.now();
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const [oid, dest] = chunk[i]!;
      if ('error' in r) {
        // A copy found the object corrupt: not placed; the others go on.
        if (r.code === 'ECORRUPT') {
          plan.corrupt.push({ oid, dest, actual: r.actual ?? '' });
          continue;
        }
        throw new DvcError(`failed to check out '${ctx.root ? dest.slice(ctx.root.length + 1) : dest}': ${r.error}`);
      }
      // A copy that hashed its object and found it sound: no need to hash it next time.
      if (r.obj) ctx.state.putObjectStamp(oid, r.obj);
      // A whole folder is remembered by its snapshot below; other links file by file.
      const k = stamps ? whole!.linkEntry[start + i]! : -1;
      fine ||= r.mtimeMs % 1000 !== 0;
      if (isRacy(r.mtimeMs, now, fine)) recent.push({ rel: relKey(ctx.root, dest), oid, k, r });
      else record(relKey(ctx.root, dest), oid, k, r, now);
    }
  }
  if (recent.length) {
    // Past the clock's granularity, a later change gets a new mtime: the files just written are
    // then as safe to remember as the others (waits a few ms, not for coarse-clock file systems).
    const newest = recent.reduce((m, x) => Math.max(m, x.r.mtimeMs), -Infinity);
    // (timers may fire a millisecond early: check again, a few times at most)
    for (let tries = 0; tries < 5 && isRacy(newest, Date.now(), fine); tries++) {
      const wait = RACY_WINDOW_MS + 2 - (Date.now() - newest);
      if (wait <= 0 || wait > RACY_WINDOW_MS + 2) break;
      await new Promise((ok) => setTimeout(ok, wait));
    }
    const now = Date.now();
    for (const x of recent) if (!isRacy(x.r.mtimeMs, now, fine)) record(x.rel, x.oid, x.k, x.r, now);
  }
  trace('checkout: linked');
  // The link list is done with: let it go before the snapshot is built (a million entries).
  plan.link = [];
  if (whole) whole.linkEntry = [];
  if (whole && stamps && !plan.corrupt.length) saveSnapshot(ctx, plan.out, whole, stamps);
  trace('checkout: snapshot saved');
  return total - plan.corrupt.length;
}

/**
 * After a whole folder was checked out, the workspace holds exactly its manifest: remembered as
 * the folder's snapshot (files kept as they were keep their walked stamps; racy ones are left
 * unknown and hashed again next time).
 */
function saveSnapshot(ctx: HashContext, out: DvcOut, whole: NonNullable<CheckoutPlan['whole']>, stamps: Float64Array): void {
  const { entries, kept } = whole;
  const n = entries.length;
  const md5s = Buffer.allocUnsafe(n * 16);
  const order = new Uint32Array(n);
  const rels: string[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const e = entries[k]!;
    rels[k] = e.relpath;
    order[k] = k;
    md5s.write(e.md5, k * 16, 'hex');
    if (Number.isNaN(stamps[k * 3 + 2]!)) {
      const f = kept.get(e.relpath);
      if (f && f.md5 === e.md5) {
        stamps[k * 3] = f.ino;
        stamps[k * 3 + 1] = f.size;
        stamps[k * 3 + 2] = f.mtimeMs;
      }
    }
  }
  // The hash these files give as a folder: the recorded one unless its manifest was written
  // another way (extra keys, other spacing: DVC 2), then the hash we would compute.
  const md5 = manifestMd5(n, (k) => entries[k]!.relpath, (k) => entries[k]!.md5);
  ctx.state.putDir(relKey(ctx.root, out.abs), { md5, rels, stamps, md5s, order });
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

