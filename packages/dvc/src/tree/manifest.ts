/**
 * `.dir` manifests: the JSON list that names the files of a tracked directory, written exactly as
 * Python DVC writes it (`json.dumps(entries, sort_keys=True)`): entries sorted by relpath in
 * Unicode code-point order, separators `", "` / `": "`, non-ASCII escaped as lowercase `\uXXXX`
 * (surrogate pairs above U+FFFF), no trailing newline. The directory's hash is the md5 of those
 * bytes plus `.dir`.
 */
import { InvalidFileError, UnsafePathError } from '../errors.js';
import { createHash } from '../hash/crypto.js';
import { md5Bytes, MD5_RE } from '../hash/md5.js';

export interface TreeEntry {
  /** POSIX path relative to the directory. */
  relpath: string;
  md5: string;
  /** Size in bytes when known (not part of the manifest). */
  size?: number;
}

/**
 * Compares two strings by Unicode code point (Python's str order). JavaScript's `<` compares
 * UTF-16 units, which puts astral characters (surrogates, 0xD800-0xDFFF) before U+E000-U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Map surrogates above the rest of the BMP, keep order otherwise.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export function sortEntries<T extends { relpath: string }>(entries: T[]): T[] {
  return entries.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string literal exactly as Python's json.dumps(ensure_ascii=True) writes it. */
export function pyJsonString(s: string): string {
  // Fast path: printable ASCII without quote/backslash.
  if (/^[ !#-[\]-~]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && ch !== '"' && ch !== '\\') out += ch;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** The manifest bytes for `entries` (sorted here; the input array is sorted in place). */
export function serializeManifest(entries: TreeEntry[]): string {
  sortEntries(entries);
  const parts: string[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    parts[i] = `{"md5": ${pyJsonString(e.md5)}, "relpath": ${pyJsonString(e.relpath)}}`;
  }
  return '[' + parts.join(', ') + ']';
}

/**
 * Manifest text from entries given in code-point order (`order` indexes `rels`/`md5s`), as
 * chunks of a few thousand entries each (a million-file manifest is never one array of a
 * million strings), with its md5 computed on the way.
 */
export function serializeChunks(rels: string[], md5s: string[], order: ArrayLike<number>): { chunks: string[]; md5: string } {
  const h = createHash('md5');
  const chunks: string[] = [];
  const CHUNK = 4096;
  const n = order.length;
  if (n === 0) chunks.push('[]');
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const parts: string[] = new Array(end - start);
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      parts[k - start] = `{"md5": ${pyJsonString(md5s[i]!)}, "relpath": ${pyJsonString(rels[i]!)}}`;
    }
    const chunk = (start === 0 ? '[' : ', ') + parts.join(', ') + (end === n ? ']' : '');
    chunks.push(chunk);
  }
  for (const c of chunks) h.update(c, 'utf8');
  return { chunks, md5: h.digest('hex') };
}

/**
 * The md5 of the manifest of `n` entries given in code-point order (`relAt(k)`, `md5At(k)`),
 * hashed as it is serialized, a few thousand entries at a time (no text of the whole manifest).
 */
export function manifestMd5(n: number, relAt: (k: number) => string, md5At: (k: number) => string): string {
  const h = createHash('md5');
  const CHUNK = 4096;
  if (n === 0) h.update('[]');
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const parts: string[] = new Array(end - start);
    for (let k = start; k < end; k++) parts[k - start] = `{"md5": ${pyJsonString(md5At(k))}, "relpath": ${pyJsonString(relAt(k))}}`;
    h.update((start === 0 ? '[' : ', ') + parts.join(', ') + (end === n ? ']' : ''), 'utf8');
  }
  return h.digest('hex');
}

/** Serializes and hashes a manifest: `{ oid: '<md5>.dir', text }`. */
export function hashManifest(entries: TreeEntry[]): { oid: string; text: string } {
  const text = serializeManifest(entries);
  return { oid: md5Bytes(text) + '.dir', text };
}

/** Throws UnsafePathError unless `rel` is a clean relative POSIX path inside its folder. */
export function checkRelpath(rel: string, source: string): void {
  if (UNSAFE_REL.test(rel)) throw new UnsafePathError(`unsafe path '${rel}' in ${source}`);
}

/** Empty, absolute, a drive letter, a NUL, a `.` or `..` segment, or an empty segment. */
const UNSAFE_REL = /^$|^\/|^[A-Za-z]:|\0|(?:^|\/)\.\.?(?:\/|$)|\/\/|\/$/;

/**
 * Parses manifest text; validates every entry (md5, safe relpath, no duplicates, no file that is
 * also a folder of another entry). `source` names the manifest in error messages.
 */
export function parseManifest(text: string, source: string): TreeEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InvalidFileError(`${source} is not a valid directory manifest: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new InvalidFileError(`${source} is not a valid directory manifest: not a list`);
  const out: TreeEntry[] = [];
  const seen = new Set<string>();
  for (const item of data) {
    if (!item || typeof item !== 'object') throw new InvalidFileError(`${source}: entry is not an object`);
    const { md5, relpath } = item as { md5?: unknown; relpath?: unknown };
    if (typeof relpath !== 'string') throw new InvalidFileError(`${source}: entry without relpath`);
    if (typeof md5 !== 'string' || !MD5_RE.test(md5)) {
      throw new InvalidFileError(`${source}: bad md5 for '${relpath}'`);
    }
    checkRelpath(relpath, source);
    if (seen.has(relpath)) throw new InvalidFileError(`${source}: duplicate entry '${relpath}'`);
    seen.add(relpath);
    // The parsed object itself (a million-entry manifest is not copied), unless it carries a
    // key of ours.
    out.push('size' in item ? { relpath, md5 } : (item as TreeEntry));
  }
  for (const e of out) {
    let i = e.relpath.lastIndexOf('/');
    while (i > 0) {
      const parent = e.relpath.slice(0, i);
      if (seen.has(parent)) throw new InvalidFileError(`${source}: '${parent}' is both a file and a folder`);
      i = parent.lastIndexOf('/');
    }
  }
  return sortEntries(out);
}

export interface TreeDiff {
  added: TreeEntry[];
  modified: Array<{ old: TreeEntry; new: TreeEntry }>;
  deleted: TreeEntry[];
  unchanged: TreeEntry[];
}

/** What changes turn `oldEntries` into `newEntries`. */
export function diffTrees(oldEntries: TreeEntry[], newEntries: TreeEntry[]): TreeDiff {
  const before = new Map(oldEntries.map((e) => [e.relpath, e]));
  const d: TreeDiff = { added: [], modified: [], deleted: [], unchanged: [] };
  for (const e of newEntries) {
    const o = before.get(e.relpath);
    if (!o) d.added.push(e);
    else {
      before.delete(e.relpath);
      if (o.md5 === e.md5) d.unchanged.push(e);
      else d.modified.push({ old: o, new: e });
    }
  }
  d.deleted = [...before.values()];
  return d;
}

/** True when `relpath` is `prefix` or inside it (both '/'-separated, relative to one folder). */
export function underPrefix(relpath: string, prefix: string): boolean {
  return relpath === prefix || (relpath.length > prefix.length && relpath.startsWith(prefix) && relpath[prefix.length] === '/');
}

/** md5 of the empty manifest `[]`. */
export const EMPTY_DIR_OID = 'd751713988987e9331980363e24189ce.dir';
