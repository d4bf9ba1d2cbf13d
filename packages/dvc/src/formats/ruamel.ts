/**
 * A YAML writer that reproduces what DVC writes with ruamel.yaml (`dvc.yaml`, `dvc.lock`, run
 * cache entries): block style, mappings indented by 2, sequences not indented under their key
 * (`deps:\n- a`), plain scalars when YAML reads them back as the same string, single quotes
 * otherwise (double quotes for non-printable text), and ruamel's line folding: a plain or
 * single-quoted scalar breaks at the first space after column 80, continuing two columns deeper
 * than its key.
 *
 * Values: a string, a `number` (written as a Python float), a `bigint` (an int), a boolean,
 * null, an array, or a plain object / Map (insertion order is the output order).
 */

export type YamlValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | YamlValue[]
  | { [k: string]: YamlValue }
  | Map<string, YamlValue>;

const BEST_WIDTH = 80;

function entries(v: { [k: string]: YamlValue } | Map<string, YamlValue>): Array<[string, YamlValue]> {
  return v instanceof Map ? [...v.entries()] : Object.entries(v);
}

function isMapping(v: YamlValue): v is { [k: string]: YamlValue } | Map<string, YamlValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Python's repr() of a float, as ruamel writes it. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  let s = String(n);
  // JS: 1e-7 / 1e+21; Python repr switches to exponent below 1e-4 and at 1e16.
  const abs = Math.abs(n);
  if (abs < 1e-4 || abs >= 1e16) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const exp = Number(e);
    s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    if (!m.includes('.')) s = s.replace('e', '.0e');
  }
  return s;
}

// What YAML 1.2 (ruamel's resolver) would read as something other than a string.
const RESOLVES_AS_OTHER = [
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?[0-9][0-9_]*$/,
  /^[-+]?0o[0-7_]+$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^[-+]?0b[0-1_]+$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
  /^=$/,
  /^<<$/,
];

function printable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    c === 0x09 || c === 0x0a || c === 0x0d || c === 0x85 ||
    (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

/** ruamel's analyze_scalar, reduced to the block-context choice: plain, single or double quotes. */
function scalarStyle(s: string, isKey: boolean): 'plain' | 'single' | 'double' {
  if (s === '') return 'single';
  if (RESOLVES_AS_OTHER.some((re) => re.test(s))) return 'single';
  let plain = true;
  let single = true;
  if (s.startsWith('---') || s.startsWith('...')) plain = false;
  const first = s[0]!;
  if ('#,[]{}&*!|>\'"%@`'.includes(first)) plain = false;
  if ('?:-'.includes(first) && (s.length === 1 || ' \t\n'.includes(s[1]!))) plain = false;
  if (first === ' ' || s.endsWith(' ')) plain = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\n' || ch === '\r' || ch === '\t') plain = false;
    if (ch === '\n' || ch === '\r') single = false;
    if (!printable(ch)) {
      plain = false;
      single = false;
    }
    if (ch === ':' && (i + 1 === s.length || s[i + 1] === ' ')) plain = false;
    if (ch === '#' && i > 0 && s[i - 1] === ' ') plain = false;
    if (ch === ' ' && s[i + 1] === ' ' && isKey) plain = false;
  }
  if (/[^\x00-\x7f]/.test(s)) {
    // ruamel writes non-ASCII as is (allow_unicode); nothing to change
  }
  if (plain) return 'plain';
  return single ? 'single' : 'double';
}

/** Writes `words` (already escaped text) folding at spaces once past the best width. */
class Writer {
  out = '';
  column = 0;

  write(s: string): void {
    this.out += s;
    const nl = s.lastIndexOf('\n');
    this.column = nl >= 0 ? s.length - nl - 1 : this.column + s.length;
  }

  newline(indent: number): void {
    this.out += '\n' + ' '.repeat(indent);
    this.column = indent;
  }

  /** ruamel's write_plain / write_single_quoted folding: break at a single space past the width. */
  folded(text: string, indent: number, quote: string): void {
    this.write(quote);
    let start = 0;
    let end = 0;
    let spaces = false;
    while (end <= text.length) {
      const ch = end < text.length ? text[end]! : undefined;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && start !== 0 && end !== text.length) {
            this.newline(indent);
          } else {
            this.write(text.slice(start, end));
          }
          start = end;
        }
      } else if (ch === undefined || ch === ' ') {
        let chunk = text.slice(start, end);
        if (quote === "'") chunk = chunk.replace(/'/g, "''");
        this.write(chunk);
        start = end;
      }
      if (ch !== undefined) spaces = ch === ' ';
      end++;
    }
    this.write(quote);
  }
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 0) out += '\\0';
    else if (!printable(ch)) out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : c <= 0xffff ? `\\u${c.toString(16).padStart(4, '0')}` : `\\U${c.toString(16).padStart(8, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function writeScalar(w: Writer, v: string | number | bigint | boolean | null, indent: number, isKey = false): void {
  if (v === null) return w.write('');
  if (typeof v === 'boolean') return w.write(v ? 'true' : 'false');
  if (typeof v === 'bigint') return w.write(v.toString());
  if (typeof v === 'number') return w.write(pyFloat(v));
  const style = scalarStyle(v, isKey);
  if (style === 'double') return w.write(doubleQuoted(v));
  if (isKey) return w.write(style === 'single' ? `'${v.replace(/'/g, "''")}'` : v);
  w.folded(v, indent, style === 'single' ? "'" : '');
}

function isEmptyCollection(v: YamlValue): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isMapping(v)) return entries(v).length === 0;
  return false;
}

/** Writes a mapping's entries at `indent` (the cursor is already at that column for the first). */
function writeMapping(w: Writer, m: Array<[string, YamlValue]>, indent: number, first: boolean): void {
  m.forEach(([k, v], i) => {
    if (i > 0 || !first) w.newline(indent);
    writeScalar(w, k, indent, true);
    w.write(':');
    writeValue(w, v, indent);
  });
}

/** Writes the value of a mapping key at `indent` (cursor just after the colon). */
function writeValue(w: Writer, v: YamlValue, indent: number): void {
  if (isEmptyCollection(v)) {
    w.write(Array.isArray(v) ? ' []' : ' {}');
    return;
  }
  if (Array.isArray(v)) {
    writeSequence(w, v, indent, false);
  } else if (isMapping(v)) {
    writeMapping(w, entries(v), indent + 2, false);
  } else {
    if (v !== null) w.write(' ');
    writeScalar(w, v, indent + 2);
  }
}

function writeSequence(w: Writer, items: YamlValue[], indent: number, first: boolean): void {
  items.forEach((item, i) => {
    if (i > 0 || !first) w.newline(indent);
    w.write('-');
    if (isEmptyCollection(item)) {
      w.write(Array.isArray(item) ? ' []' : ' {}');
    } else if (Array.isArray(item)) {
      w.write(' ');
      writeSequence(w, item, indent + 2, true);
    } else if (isMapping(item)) {
      w.write(' ');
      writeMapping(w, entries(item), indent + 2, true);
    } else {
      if (item !== null) w.write(' ');
      writeScalar(w, item, indent + 2);
    }
  });
}

/** The YAML text of a top-level mapping, ending with a newline. */
export function dumpYaml(doc: { [k: string]: YamlValue } | Map<string, YamlValue>): string {
  const w = new Writer();
  const e = entries(doc);
  if (!e.length) return '{}\n';
  writeMapping(w, e, 0, true);
  return w.out + '\n';
}
