/**
 * configobj-compatible INI, as DVC reads and writes `.dvc/config` and `.dvc/config.local`.
 *
 * - parseIni(text): sections `[name]` (also quoted, `['remote "x"']`), nested `[[sub]]`,
 *   `key = value` lines, `#` comments (full-line and after values), quoted values ('..', "..",
 *   triple quotes, multi-line triple quotes), comma lists (`a, b` -> ['a', 'b'], `a,` -> ['a']).
 *   Malformed input throws IniError with configobj's wording and the line number (one line).
 * - interpolateIni(section): the values configobj hands out (`ConfigObj(...).dict()`, which DVC
 *   reads): `%(name)s` replaced by option `name` of the same section, its DEFAULT section, or an
 *   enclosing one, recursively; a missing name or a loop is an IniError.
 * - writeIni(section): the bytes configobj's `ConfigObj(dict).write()` produces: scalars before
 *   sub-sections, 4-space indent per depth, `key = value`, configobj's quoting rules, '\n' line
 *   ends, and a final newline (an empty config writes "\n", as DVC does).
 *
 * DVC rewrites config files from a fresh ConfigObj built from a dict, so comments are not kept by
 * Python DVC either; writing without them is what keeps our files byte-identical to DVC's.
 */

export type IniValue = string | string[];
export interface IniSection {
  [key: string]: IniValue | IniSection;
}

export class IniError extends Error {}

const INDENT = '    ';
const WSPACE_PLUS = ' \r\n\v\t\'"';

export function isSection(v: IniValue | IniSection | undefined): v is IniSection {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes one level of matching quotes from a key or section name. */
function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) return s.slice(1, -1);
  return s;
}

// configobj's value grammar (list_values=True): comma-separated items, each "..", '..' or bare;
// a lone comma is an empty list; a trailing `# comment` is dropped.
const VALUE_RE = new RegExp(
  '^(?:(?:(' +
    '(?:(?:(?:".*?")|(?:\'.*?\')|(?:[^\'",#][^,#]*?))\\s*,\\s*)*' +
    ')(' +
    '(?:".*?")|(?:\'.*?\')|(?:[^\'",#\\s][^,]*?)|(?:(?<!,))' +
    ')?)|(,))\\s*(#.*)?$',
);
const LIST_ITEM_RE = /((?:".*?")|(?:'.*?')|(?:[^'",#]?.*?))\s*,\s*/g;

/** Drops one pair of matching outer quotes (configobj's _unquote). */
function unquoteValue(v: string): string {
  if (v.length > 0 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) return v.slice(1, -1);
  return v;
}

/** A single-line value as configobj reads it; undefined when it does not parse. */
function parseValue(raw: string): IniValue | undefined {
  const m = VALUE_RE.exec(raw);
  if (!m) return undefined;
  if (m[3] !== undefined) return [];
  const listPart = m[1];
  // JavaScript leaves an optional group that matched empty undefined; Python gives ''.
  let single: string | undefined = m[2] ?? '';
  if (listPart && !single) single = undefined;
  else single = unquoteValue(single || '""');
  if (!listPart) return single ?? '';
  const items = [...listPart.matchAll(LIST_ITEM_RE)].map((x) => unquoteValue(x[1]!));
  if (single !== undefined) items.push(single);
  return items;
}

/** Parses configobj INI text. Keys keep their case; callers lower-case them if they wish. */
export function parseIni(text: string): IniSection {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Python's str.splitlines(), as configobj splits the file.
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const root: IniSection = {};
  // stack[d] = the section at depth d (root at 0)
  const stack: IniSection[] = [root];
  let current = root;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    const lineNo = ln + 1;
    const stripped = line.trim();
    if (stripped === '' || stripped.startsWith('#')) continue;
    const sect = /^\s*((?:\[\s*)+)(.*?)\s*((?:\s*\])+)\s*(#.*)?$/.exec(line);
    if (sect) {
      const depth = (sect[1]!.match(/\[/g) ?? []).length;
      const close = (sect[3]!.match(/\]/g) ?? []).length;
      if (depth !== close) throw new IniError(`Cannot compute the section depth at line ${lineNo}.`);
      if (depth > stack.length) throw new IniError(`Section too nested at line ${lineNo}.`);
      const name = unquote(sect[2]!.trim());
      const parent = stack[depth - 1]!;
      if (Object.prototype.hasOwnProperty.call(parent, name)) {
        throw new IniError(`Duplicate section name at line ${lineNo}.`);
      }
      const s: IniSection = {};
      parent[name] = s;
      stack.length = depth;
      stack.push(s);
      current = s;
      continue;
    }
    const kv = /^(\s*)((?:".*?")|(?:'.*?')|(?:[^'"=].*?))\s*=\s*(.*)$/.exec(line);
    if (!kv) {
      throw new IniError(`Invalid line ('${line}') (matched as neither section nor keyword) at line ${lineNo}.`);
    }
    const key = unquote(kv[2]!.trim());
    const rawValue = kv[3]!;
    let value: IniValue | undefined;
    const triple = /^('''|""")/.exec(rawValue);
    if (triple) {
      const q = triple[1]!;
      const rest = rawValue.slice(3);
      const end = rest.indexOf(q);
      if (end >= 0) {
        const after = rest.slice(end + 3).trim();
        if (after && !after.startsWith('#')) throw new IniError(`Parse error in value at line ${lineNo}.`);
        value = rest.slice(0, end);
      } else {
        const parts = [rest];
        let found = false;
        while (++ln < lines.length) {
          const l = lines[ln]!;
          const e = l.indexOf(q);
          if (e >= 0) {
            parts.push(l.slice(0, e));
            const after = l.slice(e + 3).trim();
            if (after && !after.startsWith('#')) throw new IniError(`Parse error in value at line ${ln + 1}.`);
            found = true;
            break;
          }
          parts.push(l);
        }
        if (!found) throw new IniError(`Parse error in value at line ${lineNo}.`);
        value = parts.join('\n');
      }
    } else {
      value = parseValue(rawValue);
      if (value === undefined) throw new IniError(`Parse error in value at line ${lineNo}.`);
    }
    if (Object.prototype.hasOwnProperty.call(current, key)) {
      throw new IniError(`Duplicate keyword name at line ${lineNo}.`);
    }
    current[key] = value;
  }
  return root;
}

function singleQuote(value: string): string {
  if (value.includes("'") && value.includes('"')) {
    throw new IniError(`Value "${value}" cannot be safely quoted.`);
  }
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/** configobj's `_quote` (list_values=True, the default DVC uses). */
export function quoteIni(value: IniValue, multiline = true): string {
  if (Array.isArray(value)) {
    if (!multiline) throw new IniError('nested lists cannot be written');
    if (value.length === 0) return ',';
    if (value.length === 1) return quoteIni(value[0]!, false) + ',';
    return value.map((v) => quoteIni(v, false)).join(', ');
  }
  if (value === '') return '""';
  const hasSq = value.includes("'");
  const hasDq = value.includes('"');
  const needTriple = multiline && ((hasSq && hasDq) || value.includes('\n'));
  const hashTriple = multiline && !needTriple && hasSq && hasDq && value.includes('#');
  let out: string;
  if (!needTriple && !hashTriple) {
    if (value.includes('\n')) throw new IniError(`Value "${value}" cannot be safely quoted.`);
    if (!WSPACE_PLUS.includes(value[0]!) && !WSPACE_PLUS.includes(value[value.length - 1]!) && !value.includes(',')) {
      out = value.includes('#') ? singleQuote(value) : value;
    } else {
      out = singleQuote(value);
    }
  } else {
    if (value.includes('"""') && value.includes("'''")) {
      throw new IniError(`Value "${value}" cannot be safely quoted.`);
    }
    out = value.includes('"""') ? `"""${value}"""` : `'''${value}'''`;
  }
  return out;
}

function writeSection(section: IniSection, depth: number, out: string[]): void {
  const indent = INDENT.repeat(depth);
  const keys = Object.keys(section);
  for (const key of keys) {
    const v = section[key]!;
    if (!isSection(v)) out.push(`${indent}${quoteIni(key, false)} = ${quoteIni(v)}`);
  }
  for (const key of keys) {
    const v = section[key]!;
    if (isSection(v)) {
      out.push(`${indent}${'['.repeat(depth + 1)}${quoteIni(key, false)}${']'.repeat(depth + 1)}`);
      writeSection(v, depth + 1, out);
    }
  }
}

/** Serializes like configobj: see the file header. */
export function writeIni(root: IniSection): string {
  const out: string[] = [];
  writeSection(root, 0, out);
  let text = out.join('\n');
  if (!text.endsWith('\n')) text += '\n';
  return text;
}

const INTERP_RE = /%\(([^)]*)\)s/g;

/** configobj's ConfigParser-style interpolation over a whole tree (what `.dict()` returns). */
export function interpolateIni(root: IniSection): IniSection {
  const parents = new Map<IniSection, IniSection | null>();
  const names = new Map<IniSection, string | null>();
  const index = (s: IniSection, parent: IniSection | null, name: string | null) => {
    parents.set(s, parent);
    names.set(s, name);
    for (const [k, v] of Object.entries(s)) if (isSection(v)) index(v, s, k);
  };
  index(root, null, null);

  const fetch = (section: IniSection, key: string): [string, IniSection] => {
    for (let cur: IniSection | null = section; cur; cur = parents.get(cur) ?? null) {
      const own = Object.prototype.hasOwnProperty.call(cur, key) ? cur[key] : undefined;
      if (typeof own === 'string') return [own, cur];
      const dflt = cur.DEFAULT;
      const d = isSection(dflt) && Object.prototype.hasOwnProperty.call(dflt, key) ? dflt[key] : undefined;
      if (typeof d === 'string') return [d, cur];
    }
    throw new IniError(`missing option "${key}" in interpolation.`);
  };

  const interpolate = (key: string, value: string, section: IniSection, trail: Set<string>): string => {
    if (!value.includes('%')) return value;
    const mark = `${key}\0${names.get(section)}`;
    if (trail.has(mark)) throw new IniError(`interpolation loop detected in value "${key}".`);
    trail.add(mark);
    let out = value;
    let from = 0;
    for (;;) {
      INTERP_RE.lastIndex = from;
      const m = INTERP_RE.exec(out);
      if (!m) break;
      const [v, s] = fetch(section, m[1]!);
      const replacement = interpolate(m[1]!, v, s, trail);
      out = out.slice(0, m.index) + replacement + out.slice(m.index + m[0].length);
      from = m.index + replacement.length;
    }
    trail.delete(mark);
    return out;
  };

  const walk = (s: IniSection): IniSection => {
    const out: IniSection = {};
    for (const [k, v] of Object.entries(s)) {
      if (isSection(v)) out[k] = walk(v);
      else if (Array.isArray(v)) out[k] = v.map((x) => interpolate(k, x, s, new Set()));
      else out[k] = interpolate(k, v, s, new Set());
    }
    return out;
  };
  return walk(root);
}
