/**
 * YAML in and out with OmegaConf's rules: YAML 1.1 implicit types as PyYAML resolves them
 * (yes/no/on/off are booleans, `1e-3` is a float, timestamps stay strings), duplicate keys are
 * errors, and output looks like `OmegaConf.to_yaml` (block style, indentless lists, quotes only
 * where a plain scalar would read back as another type).
 */
import { parseDocument, isMap, isSeq, isScalar, isAlias, isPair, type Document, type Scalar as YScalar } from 'yaml';
import { ConfigLoadError } from '../errors.js';
import { DictNode, ListNode, ValueNode, Node, pyFloatRepr, type Scalar } from './nodes.js';

const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT11_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const FLOAT_OC_RE =
  /^(?:[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)|\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?|[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function sexagesimal(s: string, float: boolean): number {
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  let v = 0;
  for (const part of s.split(':')) v = v * 60 + (float ? parseFloat(part) : parseInt(part, 10));
  return sign * v;
}

/** Resolves a plain (unquoted) YAML scalar the way OmegaConf's PyYAML loader does. */
export function resolvePlainScalar(text: string): { value: Scalar; isFloat: boolean } {
  if (BOOL_RE.test(text)) return { value: /^(?:yes|true|on)$/i.test(text), isFloat: false };
  if (FLOAT11_RE.test(text)) return { value: parseYamlFloat(text), isFloat: true };
  if (INT_RE.test(text)) return { value: parseYamlInt(text), isFloat: false };
  if (FLOAT_OC_RE.test(text)) return { value: parseYamlFloat(text), isFloat: true };
  if (NULL_RE.test(text)) return { value: null, isFloat: false };
  return { value: text, isFloat: false };
}

function parseYamlInt(t: string): number {
  let s = t.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s.startsWith('0b')) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith('0x')) return sign * parseInt(s.slice(2), 16);
  if (s.startsWith('0')) return sign * parseInt(s.slice(1), 8);
  if (s.includes(':')) return sign * sexagesimal(s, false);
  return sign * parseInt(s, 10);
}

function parseYamlFloat(t: string): number {
  let s = t.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '.inf') return sign * Infinity;
  if (s === '.nan') return NaN;
  if (s.includes(':')) return sign * sexagesimal(s, true);
  return sign * parseFloat(s);
}

export interface LoadOptions {
  /** File name used in error messages. */
  filename?: string;
}

/** Parses YAML text into a node tree (an empty document gives an empty DictNode). */
export function loadYaml(text: string, opts: LoadOptions = {}): Node {
  const where = opts.filename ? ` in '${opts.filename}'` : '';
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { version: '1.1', schema: 'failsafe', uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    throw new ConfigLoadError(`Invalid YAML${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const at = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    throw new ConfigLoadError(`Invalid YAML${where}${at}: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents === null) return new DictNode();
  let count = 0;
  const aliasTargets = new Map<unknown, unknown>();
  const resolveAlias = (a: { resolve(d: Document.Parsed): unknown }) => {
    if (!aliasTargets.has(a)) aliasTargets.set(a, a.resolve(doc));
    return aliasTargets.get(a);
  };
  const convert = (n: unknown, depth: number): Node => {
    if (depth > 200) throw new ConfigLoadError(`Invalid YAML${where}: nesting too deep`);
    if (++count > 200_000) throw new ConfigLoadError(`Invalid YAML${where}: aliases expand to more than 200000 nodes`);
    if (isAlias(n)) return convert(resolveAlias(n), depth + 1);
    if (isMap(n)) {
      const d = new DictNode();
      const merged: Array<[string, Node]> = [];
      for (const p of n.items) {
        if (!isPair(p)) continue;
        const k = p.key;
        if (isScalar(k) && k.type === 'PLAIN' && k.value === '<<') {
          const src = isAlias(p.value) ? resolveAlias(p.value) : p.value;
          const list = isSeq(src) ? src.items.map((x) => (isAlias(x) ? resolveAlias(x) : x)) : [src];
          for (const m of list.reverse()) {
            const mn = convert(m, depth + 1);
            if (!(mn instanceof DictNode)) throw new ConfigLoadError(`Invalid YAML${where}: expected a mapping for merging (<<)`);
            for (const [mk, mv] of mn.map) merged.push([mk, mv]);
          }
          continue;
        }
        const keyNode = convert(k, depth + 1);
        if (!(keyNode instanceof ValueNode)) throw new ConfigLoadError(`Invalid YAML${where}: mapping keys must be scalars`);
        const key = keyNode.value === null ? 'null' : typeof keyNode.value === 'boolean' ? (keyNode.value ? 'True' : 'False') : String(keyNode.value);
        d.set(key, p.value === null ? new ValueNode(null) : convert(p.value, depth + 1));
      }
      for (const [mk, mv] of merged) if (!d.map.has(mk)) d.set(mk, mv.clone());
      return d;
    }
    if (isSeq(n)) {
      const l = new ListNode();
      for (const x of n.items) l.push(x === null ? new ValueNode(null) : convert(x, depth + 1));
      return l;
    }
    if (isScalar(n)) {
      const s = n as YScalar;
      const raw = s.value === null || s.value === undefined ? '' : String(s.value);
      const tag = s.tag;
      if (tag && tag !== '!' && tag.startsWith('tag:yaml.org,2002:')) {
        const t = tag.slice('tag:yaml.org,2002:'.length);
        if (t === 'str') return new ValueNode(raw);
        if (t === 'int') return new ValueNode(parseYamlInt(raw));
        if (t === 'float') return new ValueNode(parseYamlFloat(raw), true);
        if (t === 'bool') return new ValueNode(/^(?:yes|true|on)$/i.test(raw));
        if (t === 'null') return new ValueNode(null);
      }
      if (s.type === 'PLAIN' && !tag) {
        const r = resolvePlainScalar(raw);
        return new ValueNode(r.value, r.isFloat);
      }
      return new ValueNode(raw);
    }
    if (n === null || n === undefined) return new ValueNode(null);
    throw new ConfigLoadError(`Invalid YAML${where}: unsupported node`);
  };
  return convert(doc.contents, 0);
}

// ----------------------------------------------------------------------------------------
// Output

// What PyYAML's (dumping) resolver would read a plain scalar as: YAML 1.1 bool/int/float/null,
// timestamps, merge `<<` and value `=`. Anything but str must be quoted.
const TIMESTAMP_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
function dumperResolvesToStr(s: string): boolean {
  return !(BOOL_RE.test(s) || FLOAT11_RE.test(s) || INT_RE.test(s) || NULL_RE.test(s) || TIMESTAMP_RE.test(s) || s === '<<' || s === '=');
}

// OmegaConf's str_representer forces single quotes on strings that look like bools (incl. y/n)
// or that Python's int()/float() accept.
const OC_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF']);
const PY_NUM = '\\d(?:_?\\d)*';
const PY_INT_RE = new RegExp(`^\\s*[+-]?${PY_NUM}\\s*$`);
const PY_FLOAT_RE = new RegExp(`^\\s*[+-]?(?:(?:(?:${PY_NUM})?\\.${PY_NUM}|${PY_NUM}\\.?)(?:[eE][+-]?${PY_NUM})?|inf|infinity|nan)\\s*$`, 'i');
function forcedQuotes(s: string): boolean {
  return OC_BOOLS.has(s) || PY_INT_RE.test(s) || PY_FLOAT_RE.test(s);
}

/** True when `s` can be written as a plain scalar (PyYAML's analyze_scalar, block context). */
function plainAllowed(s: string, flow: boolean): boolean {
  if (s === '') return false;
  if (s.startsWith('---') || s.startsWith('...')) return false;
  if (/^[\s]|[\s]$/.test(s)) return false;
  if (/[\n\r\x85\u2028\u2029]/.test(s)) return false;
  const first = s[0]!;
  const followedBySpace = (i: number) => i + 1 >= s.length || /\s/.test(s[i + 1]!);
  if ('#,[]{}&*!|>\'"%@`'.includes(first)) return false;
  if ((first === '?' || first === ':') && (flow || followedBySpace(0))) return false;
  if (first === '-' && followedBySpace(0)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (flow && ',?[]{}'.includes(c)) return false;
    if (c === ':' && (flow || followedBySpace(i))) return false;
    if (c === '#' && /\s/.test(s[i - 1]!)) return false;
  }
  return dumperResolvesToStr(s);
}

function needsDoubleQuotes(s: string): boolean {
  // PyYAML (allow_unicode): anything outside printable ASCII, \n and the printable unicode ranges
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x09\x0b-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]/.test(s);
}

const BEST_WIDTH = 80;
const isBreak = (c: string | undefined) => c === '\n' || c === '\x85' || c === '\u2028' || c === '\u2029';

/** PyYAML's write_plain: a single space past column 80 becomes a line break. */
function foldPlain(text: string, indent: string, column: number): string {
  let out = '';
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = end < text.length ? text[end] : undefined;
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && column > BEST_WIDTH) {
          out += '\n' + indent;
          column = indent.length;
        } else {
          out += text.slice(start, end);
          column += end - start;
        }
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      out += text.slice(start, end);
      column += end - start;
      start = end;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
  return out;
}

/** PyYAML's write_single_quoted, line breaks and folding included. */
function quoteSingle(text: string, indent: string, column: number): string {
  let out = "'";
  column += 1;
  let spaces = false;
  let breaks = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = end < text.length ? text[end] : undefined;
    if (spaces) {
      if (ch === undefined || ch !== ' ') {
        if (start + 1 === end && column > BEST_WIDTH && start !== 0 && end !== text.length) {
          out += '\n' + indent;
          column = indent.length;
        } else {
          out += text.slice(start, end);
          column += end - start;
        }
        start = end;
      }
    } else if (breaks) {
      if (ch === undefined || !isBreak(ch)) {
        if (text[start] === '\n') out += '\n';
        for (const br of text.slice(start, end)) out += br === '\n' ? '\n' : br;
        out += indent;
        column = indent.length;
        start = end;
      }
    } else if (ch === undefined || ch === ' ' || isBreak(ch) || ch === "'") {
      if (start < end) {
        out += text.slice(start, end);
        column += end - start;
        start = end;
      }
    }
    if (ch === "'") {
      out += "''";
      column += 2;
      start = end + 1;
    }
    if (ch !== undefined) {
      spaces = ch === ' ';
      breaks = isBreak(ch);
    }
  }
  return out + "'";
}

function quoteDouble(s: string): string {
  let out = '"';
  const ESC: Record<string, string> = { '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r', '\x1b': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P' };
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ESC[ch] !== undefined) out += '\\' + ESC[ch];
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xfeff) out += `\\x${c.toString(16).padStart(2, '0').toUpperCase()}`;
    else out += ch;
  }
  return out + '"';
}

export function formatScalar(v: unknown, isFloat: boolean, indent = '  ', flow = false, column = -1): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') {
    if (!isFloat && Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return '.nan';
    if (v === Infinity) return '.inf';
    if (v === -Infinity) return '-.inf';
    let r = pyFloatRepr(v).toLowerCase();
    if (!r.includes('.') && r.includes('e')) r = r.replace('e', '.0e');
    return r;
  }
  const s = typeof v === 'string' ? v : String(v);
  if (needsDoubleQuotes(s)) return quoteDouble(s);
  if (!forcedQuotes(s) && plainAllowed(s, flow)) return column < 0 ? s : foldPlain(s, indent, column);
  return quoteSingle(s, indent, column < 0 ? 0 : column);
}

/** A plain value tree (from toContainer) or a node tree as YAML text. */
export type Dumpable = Node | unknown;

interface DumpOpts {
  sortKeys?: boolean;
}

type Entry = { kind: 'dict'; entries: Array<[string, Entry]> } | { kind: 'list'; items: Entry[] } | { kind: 'scalar'; value: unknown; isFloat: boolean };

function toEntry(v: unknown): Entry {
  if (v instanceof DictNode) return { kind: 'dict', entries: [...v.map].map(([k, x]) => [k, toEntry(x)]) };
  if (v instanceof ListNode) return { kind: 'list', items: v.items.map(toEntry) };
  if (v instanceof ValueNode) return { kind: 'scalar', value: v.value, isFloat: v.isFloat };
  if (Array.isArray(v)) return { kind: 'list', items: v.map(toEntry) };
  if (v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null))
    return { kind: 'dict', entries: Object.entries(v as object).map(([k, x]) => [k, toEntry(x)]) };
  if (v !== null && typeof v === 'object' && 'value' in (v as object) && (v as { constructor: { name: string } }).constructor.name === 'FloatValue')
    return { kind: 'scalar', value: (v as { value: number }).value, isFloat: true };
  return { kind: 'scalar', value: v, isFloat: false };
}

/** Writes a config (node tree or plain values) as YAML the way OmegaConf.to_yaml does. */
export function dumpYaml(v: Dumpable, opts: DumpOpts = {}): string {
  const e = toEntry(v);
  const lines: string[] = [];
  const key = (k: string) => formatScalar(k, false);
  const emit = (en: Entry, indent: number): void => {
    const pad = ' '.repeat(indent);
    if (en.kind === 'dict') {
      const entries = opts.sortKeys ? [...en.entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : en.entries;
      for (const [k, x] of entries) {
        if (x.kind === 'dict' && x.entries.length) {
          lines.push(`${pad}${key(k)}:`);
          emit(x, indent + 2);
        } else if (x.kind === 'list' && x.items.length) {
          lines.push(`${pad}${key(k)}:`);
          emit(x, indent);
        } else lines.push(`${pad}${key(k)}: ${inline(x, indent + 2, indent + key(k).length + 2)}`);
      }
    } else if (en.kind === 'list') {
      for (const x of en.items) {
        if (x.kind === 'dict' && x.entries.length) {
          const sub: string[] = [];
          const saved = lines.length;
          emit(x, indent + 2);
          sub.push(...lines.splice(saved));
          sub[0] = `${pad}- ${sub[0]!.slice(indent + 2)}`;
          lines.push(...sub);
        } else if (x.kind === 'list' && x.items.length) {
          const saved = lines.length;
          emit(x, indent + 2);
          const sub = lines.splice(saved);
          sub[0] = `${pad}- ${sub[0]!.slice(indent + 2)}`;
          lines.push(...sub);
        } else lines.push(`${pad}- ${inline(x, indent + 2, indent + 2)}`);
      }
    }
  };
  const inline = (x: Entry, indent: number, column: number): string => {
    if (x.kind === 'dict') return '{}';
    if (x.kind === 'list') return '[]';
    return formatScalar(x.value, x.isFloat, ' '.repeat(indent), false, column);
  };
  if (e.kind === 'scalar') return formatScalar(e.value, e.isFloat) + '\n';
  if (e.kind === 'dict' && !e.entries.length) return '{}\n';
  if (e.kind === 'list' && !e.items.length) return '[]\n';
  emit(e, 0);
  return lines.join('\n') + '\n';
}
