/**
 * The objects a set of outputs uses: every cached output of the chosen `.dvc` files and `dvc.lock`
 * stages, in the workspace and (with -a / -T / -A) in every branch, tag or commit of the git
 * history, each folder expanded through its `.dir` manifest. Used by push, pull, fetch, status -c
 * and gc.
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidFileError } from '../errors.js';
import { isLegacyOut, type DvcOut } from '../formats/dvcfile.js';
import { yamlSource } from '../formats/text.js';
import { OID_RE } from '../hash/md5.js';
import type { LocalObjectStore } from '../odb/local.js';
import { underPrefix, type TreeEntry } from '../tree/manifest.js';

/** One output as recorded at one revision. */
export interface UsedOut {
  /** Path relative to the repository root, '/'-separated. */
  rel: string;
  oid: string;
  /** Per-output remote (`remote:` field), if any. */
  remote?: string | undefined;
  /** `push: false` outputs are not pushed. */
  push: boolean;
  /**
   * A DVC 2 output (no `hash: md5`): its objects are md5-dos2unix ones in DVC 2's layout, in the
   * cache (`.dvc/cache/<2>/<30>`) and on remotes (`<remote>/<2>/<30>`).
   */
  legacy?: boolean;
  /**
   * Only these paths inside a folder output (relative to it, '/'-separated: a file or a
   * subfolder), for a target inside a tracked folder. Undefined: the whole output.
   */
  prefixes?: string[];
}

export interface UsedObject {
  oid: string;
  /** A name for messages: `data/a.txt`, or `data` for a manifest. */
  name: string;
  /** The `.dir` object this file belongs to (undefined for a file output or a manifest). */
  parent?: string;
}

/** The outputs of a set of parsed `.dvc` files (only cached ones with a hash). */
export function outsOfDvcFiles(files: Array<{ outs: DvcOut[] }>, filter?: (o: DvcOut) => boolean): UsedOut[] {
  const res: UsedOut[] = [];
  for (const f of files) {
    for (const o of f.outs) {
      if (!o.cache || !o.md5) continue;
      if (filter && !filter(o)) continue;
      const u: UsedOut = { rel: o.rel, oid: o.md5, remote: o.remote, push: o.push };
      if (isLegacyOut(o)) u.legacy = true;
      res.push(u);
    }
  }
  return res;
}

/**
 * The cached outputs of a `dvc.lock` file (text), paths resolved from its folder (`lockRel` is
 * the lock file's path relative to the root). Outputs leaving the repository are refused.
 */
export function outsOfLockFile(text: string, lockRel: string): UsedOut[] {
  let data: unknown;
  try {
    // failsafe: every scalar stays a string (an all-digit md5 must not become a number)
    data = parseYaml(yamlSource(text, lockRel), { schema: 'failsafe' });
  } catch (e) {
    if (e instanceof InvalidFileError) throw e;
    throw new InvalidFileError(`'${lockRel}' is invalid: ${(e as Error).message.split('\n')[0]}`);
  }
  const res: UsedOut[] = [];
  const stages = (data as { stages?: Record<string, { outs?: unknown }> } | null)?.stages;
  if (!stages || typeof stages !== 'object') return res;
  const base = dirname(lockRel);
  for (const stage of Object.values(stages)) {
    const outs = stage?.outs;
    if (!Array.isArray(outs)) continue;
    for (const o of outs as Array<Record<string, unknown>>) {
      const md5 = o?.md5;
      const p = o?.path;
      if (typeof md5 !== 'string' || typeof p !== 'string' || !OID_RE.test(md5)) continue;
      if (String(o.cache) === 'false') continue;
      const rel = safeRel(base === '.' ? p : `${base}/${p}`, lockRel);
      const u: UsedOut = { rel, oid: md5, push: String(o.push) !== 'false' };
      if (typeof o.remote === 'string') u.remote = o.remote;
      // A dvc.lock written by DVC 2 has no `hash: md5` either.
      if (o.hash === undefined) u.legacy = true;
      res.push(u);
    }
  }
  return res;
}

/** Normalises a root-relative path from a file; throws when it leaves the repository. */
function safeRel(p: string, source: string): string {
  const root = '/r';
  const abs = resolve(root, p);
  const rel = relative(root, abs);
  if (!rel || rel === '..' || rel.startsWith('..' + sep) || p.startsWith('/')) {
    throw new InvalidFileError(`'${source}': output path '${p}' is outside of the repository`);
  }
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/** A manifest source: the local cache, then (for fetch) whatever the caller can download. */
export type ManifestReader = (oid: string) => TreeEntry[] | undefined;

export function cacheManifests(store: LocalObjectStore): ManifestReader {
  return (oid) => {
    try {
      return store.readManifest(oid);
    } catch {
      return undefined; // corrupt: treated as missing (fetch gets it again)
    }
  };
}

export interface Expanded {
  /** Every object, deduplicated by oid, in a stable order (files of a folder before its `.dir`). */
  objects: UsedObject[];
  /** `.dir` objects whose manifest could not be read (their files are unknown). */
  unreadable: UsedObject[];
}

/**
 * DVC 3 and DVC 2 (legacy) outputs apart, as their objects live in different places: the DVC 3
 * part first, then the legacy part. Empty parts are left out, except that with no outputs at
 * all one empty DVC 3 part remains (so a missing remote is still reported).
 */
export function byHashName(outs: UsedOut[]): Array<{ outs: UsedOut[]; legacy: boolean }> {
  const modern: UsedOut[] = [];
  const legacy: UsedOut[] = [];
  for (const o of outs) (o.legacy ? legacy : modern).push(o);
  const parts: Array<{ outs: UsedOut[]; legacy: boolean }> = [];
  if (modern.length || !legacy.length) parts.push({ outs: modern, legacy: false });
  if (legacy.length) parts.push({ outs: legacy, legacy: true });
  return parts;
}

/**
 * Expands outputs into objects (folders through their manifests). An output limited to
 * `prefixes` gives its manifest and only the files under them; the same folder used whole
 * elsewhere gives all of them.
 */
export function expandOuts(outs: UsedOut[], manifests: ManifestReader): Expanded {
  // Per folder oid: the first output naming it and the union of the parts used (null: whole).
  const dirs = new Map<string, { out: UsedOut; prefixes: Set<string> | null }>();
  for (const o of outs) {
    if (!o.oid.endsWith('.dir')) continue;
    const d = dirs.get(o.oid);
    const mine = o.prefixes ? new Set(o.prefixes) : null;
    if (!d) dirs.set(o.oid, { out: o, prefixes: mine });
    else if (d.prefixes && mine) for (const p of mine) d.prefixes.add(p);
    else d.prefixes = null;
  }
  const seen = new Set<string>();
  const objects: UsedObject[] = [];
  const unreadable: UsedObject[] = [];
  for (const o of outs) {
    if (seen.has(o.oid)) continue;
    seen.add(o.oid);
    if (!o.oid.endsWith('.dir')) {
      objects.push({ oid: o.oid, name: o.rel });
      continue;
    }
    const entries = manifests(o.oid);
    if (!entries) {
      unreadable.push({ oid: o.oid, name: o.rel });
      objects.push({ oid: o.oid, name: o.rel });
      continue;
    }
    const prefixes = dirs.get(o.oid)!.prefixes;
    const wanted = prefixes ? [...prefixes] : undefined;
    for (const e of entries) {
      if (wanted && !wanted.some((p) => underPrefix(e.relpath, p))) continue;
      if (seen.has(e.md5)) continue;
      seen.add(e.md5);
      objects.push({ oid: e.md5, name: `${o.rel}/${e.relpath}`, parent: o.oid });
    }
    objects.push({ oid: o.oid, name: o.rel });
  }
  return { objects, unreadable };
}

/** `join` for root-relative POSIX paths. */
export function posixJoin(...parts: string[]): string {
  return join(...parts).split(sep).join('/');
}
