/**
 * `.dvc` files: read, validate and write them exactly as DVC 3 does. A new file is
 *
 *   outs:
 *   - md5: <md5>[.dir]
 *     size: <bytes>
 *     nfiles: <n>        (folders only)
 *     hash: md5
 *     path: <name>
 *
 * An existing file is updated in place through the YAML document (comments, key order and any
 * other fields kept; new keys appended), as DVC's round-trip dump does.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type { Document, YAMLMap, YAMLSeq } from 'yaml';
import { InvalidFileError, UnsafePathError } from '../errors.js';
import { OID_RE } from '../hash/md5.js';
import { assertInside } from '../fs/inside.js';
import { readUtf8, yamlSource } from './text.js';

export const DVC_FILE_SUFFIX = '.dvc';

export interface OutHash {
  md5: string;
  size: number;
  /** For folders (md5 ends with `.dir`). */
  nfiles?: number;
}

export interface DvcOut {
  /** The path as written in the file (relative to the file's folder, '/'-separated). */
  path: string;
  /** Absolute path of the output. */
  abs: string;
  /** Path relative to the repository root, '/'-separated. */
  rel: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  /** `hash: md5` (DVC 3); absent in DVC 2 files (see `isLegacyOut`). */
  hash?: string;
  /** `cache: false` outputs are tracked but never cached. */
  cache: boolean;
  push: boolean;
  remote?: string;
  isDir: boolean;
}

/**
 * True for an output recorded by DVC 2: a hash without the `hash: md5` line. DVC 3 reads its
 * `md5` as the legacy md5-dos2unix hash (CRLF -> LF in text files) and keeps its objects in DVC 2's
 * cache layout (`.dvc/cache/<2>/<30>`, `<remote>/<2>/<30>`).
 */
export function isLegacyOut(o: { md5?: string | undefined; hash?: string | undefined }): boolean {
  return !!o.md5 && o.hash === undefined;
}

const TOP_KEYS = new Set(['outs', 'deps', 'md5', 'frozen', 'wdir', 'meta', 'desc']);
const OUT_KEYS = new Set([
  'path', 'md5', 'size', 'nfiles', 'hash', 'cache', 'push', 'remote', 'persist', 'desc', 'type',
  'labels', 'meta', 'checkpoint', 'etag', 'version_id', 'cloud', 'files', 'isexec',
]);
const HASH_KEYS = ['md5', 'size', 'nfiles', 'hash', 'etag', 'checksum', 'files'];

const STRINGIFY = { indentSeq: false, lineWidth: 0, singleQuote: true } as const;

/** The `yaml` library, loaded on first need (most commands only read DVC-written files). */
let yamlLib: typeof import('yaml') | undefined;
function Y(): typeof import('yaml') {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/**
 * A path that YAML reads back as the same plain string (no quoting needed, not a number, bool
 * or null): letters, digits and `_ . / -` and spaces inside, starting with a letter or `_`.
 */
const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_./ -]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;
function isPlainPath(p: string): boolean {
  return PLAIN_PATH.test(p) && !p.endsWith(' ') && !RESERVED.test(p) && !p.includes('  ');
}

const FAST_OUT =
  /^- md5: ([0-9a-f]{32}(?:\.dir)?)\n  size: (0|[1-9][0-9]{0,15})\n(?:  nfiles: (0|[1-9][0-9]{0,15})\n)?  hash: md5\n  path: ([^\n]*)\n/;

/**
 * Reads the exact shape DVC writes for `dvc add` (see the header) without the YAML library;
 * undefined for anything else (comments, other keys, quoting), which then takes the full parser.
 */
function fastParse(text: string): Array<Record<string, string | number>> | undefined {
  if (!text.startsWith('outs:\n')) return undefined;
  let rest = text.slice('outs:\n'.length);
  const outs: Array<Record<string, string | number>> = [];
  while (rest.length) {
    const m = FAST_OUT.exec(rest);
    if (!m) return undefined;
    const [, md5, size, nfiles, path] = m;
    if (!isPlainPath(path!)) return undefined;
    if ((nfiles !== undefined) !== md5!.endsWith('.dir')) return undefined;
    const o: Record<string, string | number> = { md5: md5!, size: Number(size) };
    if (nfiles !== undefined) o.nfiles = Number(nfiles);
    o.hash = 'md5';
    o.path = path!;
    outs.push(o);
    rest = rest.slice(m[0].length);
  }
  return outs.length ? outs : undefined;
}

/** The canonical text for outputs in DVC's order, when every path is a plain scalar. */
function canonicalText(outs: Array<{ md5?: string; size?: number; nfiles?: number; path: string }>): string | undefined {
  let t = 'outs:\n';
  for (const o of outs) {
    if (o.md5 === undefined || o.size === undefined || !isPlainPath(o.path)) return undefined;
    t += `- md5: ${o.md5}\n  size: ${o.size}\n`;
    if (o.md5.endsWith('.dir')) t += `  nfiles: ${o.nfiles ?? 0}\n`;
    t += `  hash: md5\n  path: ${o.path}\n`;
  }
  return t;
}

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Resolves an out path from a .dvc file and checks it stays inside the repository. */
export function resolveOutPath(root: string, fileDir: string, outPath: string, shown: string): string {
  if (typeof outPath !== 'string' || outPath === '' || outPath.includes('\0')) {
    throw new InvalidFileError(`${shown}: output path must be a non-empty string`);
  }
  if (isAbsolute(outPath) || /^[A-Za-z]:[\\/]/.test(outPath) || /^[a-z0-9+]+:\/\//i.test(outPath)) {
    throw new UnsafePathError(`${shown}: output path '${outPath}' is absolute or external; only paths inside the repository are supported`);
  }
  const abs = resolve(fileDir, outPath);
  assertInside(root, abs, `${shown}: output path '${outPath}'`, { internal: true });
  return abs;
}

export class DvcFile {
  readonly dir: string;
  /** Path of the file relative to the root, '/'-separated. */
  readonly rel: string;
  outs: DvcOut[] = [];

  /** The YAML document (parsed on first need), or null while `text` is DVC's canonical shape. */
  private doc: Document | null;
  /** Current text while `doc` is null. */
  private text: string;

  private constructor(
    readonly root: string,
    readonly abs: string,
    doc: Document | null,
    text: string,
  ) {
    this.doc = doc;
    this.text = text;
    this.dir = dirname(abs);
    this.rel = posix(relative(root, abs));
  }

  /** The default .dvc file for an output: `<out>.dvc` beside it. */
  static pathFor(outAbs: string): string {
    return outAbs + DVC_FILE_SUFFIX;
  }

  static isDvcFileName(p: string): boolean {
    return p.endsWith(DVC_FILE_SUFFIX) && basename(p) !== DVC_FILE_SUFFIX;
  }

  /** Reads and validates a .dvc file (throws InvalidFileError / UnsafePathError). */
  static read(root: string, abs: string, shown = posix(relative(root, abs))): DvcFile {
    const text = readUtf8(abs, shown);
    return DvcFile.parse(root, abs, text, shown);
  }

  static parse(root: string, abs: string, raw: string, shown = posix(relative(root, abs))): DvcFile {
    const label = `'${shown}'`;
    const text = yamlSource(raw, shown);
    let items: Array<Record<string, unknown>>;
    let f: DvcFile;
    const fast = fastParse(text);
    if (fast) {
      f = new DvcFile(root, abs, null, text);
      items = fast;
    } else {
      const { isMap, isSeq, parseDocument } = Y();
      const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
      if (doc.errors.length) {
        const msg = doc.errors[0]!.message.split('\n')[0];
        throw new InvalidFileError(`${label} is invalid: ${msg}`);
      }
      f = new DvcFile(root, abs, doc, text);
      const contents = doc.contents;
      if (contents === null) {
        throw new InvalidFileError(`${label} is invalid: the file is empty`);
      }
      if (!isMap(contents)) throw new InvalidFileError(`${label} is invalid: expected a mapping`);
      for (const pair of contents.items) {
        const k = String((pair.key as { value?: unknown })?.value ?? pair.key);
        if (!TOP_KEYS.has(k)) throw new InvalidFileError(`${label} is invalid: extra key '${k}' not allowed`);
      }
      const outs = contents.get('outs', true);
      if (outs === undefined) return f;
      if (!isSeq(outs)) throw new InvalidFileError(`${label} is invalid: 'outs' must be a list`);
      items = [];
      for (const item of (outs as YAMLSeq).items) {
        if (!isMap(item)) throw new InvalidFileError(`${label} is invalid: each output must be a mapping`);
        items.push((item as YAMLMap).toJSON() as Record<string, unknown>);
      }
    }
    const seen = new Set<string>();
    for (const o of items) {
      for (const k of Object.keys(o)) {
        if (!OUT_KEYS.has(k)) throw new InvalidFileError(`${label} is invalid: extra key '${k}' in output`);
      }
      if (typeof o.path !== 'string') throw new InvalidFileError(`${label} is invalid: output without a 'path'`);
      const outAbs = resolveOutPath(root, f.dir, o.path, label);
      const rel = posix(relative(root, outAbs));
      if (seen.has(rel)) throw new InvalidFileError(`${label} is invalid: output '${o.path}' is listed twice`);
      seen.add(rel);
      if (o.md5 !== undefined && o.md5 !== null && (typeof o.md5 !== 'string' || !OID_RE.test(o.md5))) {
        throw new InvalidFileError(`${label} is invalid: bad md5 '${String(o.md5)}' for '${o.path}'`);
      }
      for (const k of ['size', 'nfiles'] as const) {
        if (o[k] !== undefined && o[k] !== null && (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0)) {
          throw new InvalidFileError(`${label} is invalid: bad ${k} for '${o.path}'`);
        }
      }
      const md5 = (o.md5 as string | undefined) ?? undefined;
      f.outs.push({
        path: o.path,
        abs: outAbs,
        rel,
        md5: md5 ?? undefined,
        size: (o.size as number | undefined) ?? undefined,
        nfiles: (o.nfiles as number | undefined) ?? undefined,
        hash: typeof o.hash === 'string' ? o.hash : undefined,
        cache: o.cache !== false,
        push: o.push !== false,
        remote: typeof o.remote === 'string' ? o.remote : undefined,
        isDir: !!md5 && md5.endsWith('.dir'),
      });
    }
    return f;
  }

  /** A new .dvc file with one output per entry (paths absolute). */
  static create(root: string, abs: string, outs: Array<{ abs: string } & Partial<OutHash>>): DvcFile {
    const dir = dirname(abs);
    const fast = canonicalText(outs.map((o) => ({ ...o, path: posix(relative(dir, o.abs)) })));
    if (fast) return DvcFile.parse(root, abs, fast);
    const data = {
      outs: outs.map((o) => ({
        ...(o.md5 !== undefined ? hashFields(o as OutHash) : {}),
        path: posix(relative(dir, o.abs)),
      })),
    };
    const text = new (Y().Document)(data).toString(STRINGIFY);
    return DvcFile.parse(root, abs, text);
  }

  /** The YAML document, parsed now if the file was read through the fast path. */
  private ensureDoc(): Document {
    if (!this.doc) this.doc = Y().parseDocument(this.text, { prettyErrors: false, uniqueKeys: true });
    return this.doc;
  }

  private outNode(i: number): YAMLMap {
    return ((this.ensureDoc().contents as YAMLMap).get('outs', true) as unknown as YAMLSeq).items[i] as YAMLMap;
  }

  /**
   * Records a new hash for output `i` (DVC's field order for new keys: md5, size, nfiles, hash).
   * With `legacy`, the output stays a DVC 2 one: no `hash: md5` line is added (DVC 3 rewrites a
   * DVC 2 output that way while its data is unchanged).
   */
  setOutHash(i: number, h: OutHash | undefined, opts: { legacy?: boolean } = {}): void {
    if (opts.legacy && h) {
      const o = this.outs[i]!;
      const node = this.outNode(i);
      const fields = hashFields(h);
      delete fields.hash;
      for (const k of HASH_KEYS) if (!(k in fields) && k !== 'hash' && node.has(k)) node.delete(k);
      for (const [k, v] of Object.entries(fields)) if (node.get(k) !== v) node.set(k, v);
      o.md5 = h.md5;
      o.size = h.size;
      o.nfiles = h.md5.endsWith('.dir') ? (h.nfiles ?? 0) : undefined;
      o.isDir = h.md5.endsWith('.dir');
      return;
    }
    // Canonical file, same keys before and after: re-render without the YAML library.
    if (!this.doc && h) {
      const o = this.outs[i]!;
      if ((o.nfiles !== undefined) === h.md5.endsWith('.dir')) {
        const next = this.outs.map((x, k) => (k === i ? { ...x, md5: h.md5, size: h.size, nfiles: h.nfiles } : x));
        const t = canonicalText(next);
        if (t) {
          this.text = t;
          Object.assign(o, { md5: h.md5, size: h.size, nfiles: h.md5.endsWith('.dir') ? (h.nfiles ?? 0) : undefined, hash: 'md5', isDir: h.md5.endsWith('.dir') });
          return;
        }
      }
    }
    const node = this.outNode(i);
    const fields = h ? hashFields(h) : {};
    for (const k of HASH_KEYS) if (!(k in fields) && node.has(k)) node.delete(k);
    for (const [k, v] of Object.entries(fields)) node.set(k, v);
    const o = this.outs[i]!;
    o.md5 = h?.md5;
    o.size = h?.size;
    o.nfiles = h?.nfiles;
    o.hash = h ? 'md5' : undefined;
    o.isDir = !!h && h.md5.endsWith('.dir');
  }

  /** Points output `i` at a new absolute path (for `dvc move`). */
  setOutPath(i: number, outAbs: string): void {
    const p = posix(relative(this.dir, outAbs));
    this.outNode(i).set('path', p);
    const o = this.outs[i]!;
    o.path = p;
    o.abs = outAbs;
    o.rel = posix(relative(this.root, outAbs));
  }

  /** The same content under another file name (for `dvc move`); output paths re-relativised. */
  moveTo(newAbs: string): DvcFile {
    const text = this.toString();
    const f = DvcFile.parse(this.root, newAbs, text);
    for (let i = 0; i < this.outs.length; i++) f.setOutPath(i, this.outs[i]!.abs);
    return f;
  }

  toString(): string {
    return this.doc ? this.doc.toString(STRINGIFY) : this.text;
  }

  /** Writes the file atomically (temp file + rename). */
  write(): void {
    const tmp = `${this.abs}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, this.toString(), { flag: 'wx', mode: 0o666 });
      renameSync(tmp, this.abs);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* not created */
      }
      throw e;
    }
  }
}

function hashFields(h: OutHash): Record<string, unknown> {
  const r: Record<string, unknown> = { md5: h.md5, size: h.size };
  if (h.md5.endsWith('.dir')) r.nfiles = h.nfiles ?? 0;
  r.hash = 'md5';
  return r;
}

