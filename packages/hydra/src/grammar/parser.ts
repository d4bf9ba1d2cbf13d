/**
 * Hydra's command line override grammar (OverrideLexer.g4 / OverrideParser.g4), hand-written:
 *   key=value  +key=value  ++key=value  ~key  ~key=value  group=option  group@pkg=option
 * Values: int, float, bool, null, quoted/unquoted strings with escapes, [lists], {dicts},
 * ${interpolations}, sweeps a,b,c and functions choice(), range(), interval(), glob(), casts, sort...
 * Errors name the column of the offending character.
 */
import { OverrideParseError, HydraError } from '../errors.js';
import { FloatValue } from '../omegaconf/nodes.js';
import { functions, type FnArg } from './functions.js';
import {
  ChoiceSweep,
  Glob,
  IntervalSweep,
  ListExtension,
  Override,
  QuotedString,
  RangeSweep,
  type OverrideType,
  type ParsedElement,
  type ValueType,
} from './types.js';

interface Token {
  t: string;
  s: string;
  pos: number;
}

const INT_U = '(?:0|[1-9](?:_?[0-9])*)';
const POINT_FLOAT = `(?:${INT_U}?\\.[0-9](?:_?[0-9])*|${INT_U}\\.)`;
const EXP_FLOAT = `(?:(?:${POINT_FLOAT}|${INT_U})[eE][+-]?[0-9](?:_?[0-9])*)`;
const KEY_SPECIAL = '[a-zA-Z_$][a-zA-Z0-9_\\-$]*';

const KEY_TOKENS: Array<[string, RegExp]> = [
  ['EQUAL', /=[ \t]*/y],
  ['TILDE', /~/y],
  ['PLUS', /\+/y],
  ['AT', /@/y],
  ['COLON', /:/y],
  ['SLASH', /\//y],
  ['ID', /[a-zA-Z_][a-zA-Z0-9_-]*/y],
  ['KEY_SPECIAL', new RegExp(KEY_SPECIAL, 'y')],
  ['DOT_PATH', new RegExp(`(?:${KEY_SPECIAL}|${INT_U})(?:\\.(?:${KEY_SPECIAL}|${INT_U}))+`, 'y')],
];
const VALUE_TOKENS: Array<[string, RegExp]> = [
  ['POPEN', /[ \t]*\([ \t]*/y],
  ['COMMA', /[ \t]*,[ \t]*/y],
  ['PCLOSE', /[ \t]*\)/y],
  ['BRACKET_OPEN', /\[[ \t]*/y],
  ['BRACKET_CLOSE', /[ \t]*\]/y],
  ['BRACE_OPEN', /\{[ \t]*/y],
  ['BRACE_CLOSE', /[ \t]*\}/y],
  ['COLON', /[ \t]*:[ \t]*/y],
  ['EQUAL', /[ \t]*=[ \t]*/y],
  ['FLOAT', new RegExp(`[+-]?(?:${EXP_FLOAT}|${POINT_FLOAT}|[Ii][Nn][Ff]|[Nn][Aa][Nn])`, 'y')],
  ['INT', new RegExp(`[+-]?${INT_U}`, 'y')],
  ['BOOL', /[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]/y],
  ['NULL', /[Nn][Uu][Ll][Ll]/y],
  ['UNQUOTED_CHAR', /[/\-\\+.$%*@?|]/y],
  ['ID', /[a-zA-Z_][a-zA-Z0-9_-]*/y],
  ['ESC', /(?:\\\\|\\[()[\]{}:=, \t])+/y],
  ['WS', /[ \t]+/y],
  ['QUOTED_VALUE', /"(?:(?:\\\\)*|[^]*?[^\\](?:\\\\)*)"|'(?:(?:\\\\)*|[^]*?[^\\](?:\\\\)*)'/y],
  ['INTERPOLATION', /\$\{[^}]+\}/y],
];

const NAMES: Record<string, string> = {
  EQUAL: "'='",
  COMMA: "','",
  PCLOSE: "')'",
  BRACKET_CLOSE: "']'",
  BRACE_CLOSE: "'}'",
  COLON: "':'",
  EOF: 'end of input',
};

function tokenize(s: string, fail: (msg: string, pos: number) => never): Token[] {
  const out: Token[] = [];
  let mode: 'key' | 'value' = 'key';
  let pos = 0;
  while (pos < s.length) {
    const table = mode === 'key' ? KEY_TOKENS : VALUE_TOKENS;
    let best: Token | null = null;
    for (const [t, re] of table) {
      re.lastIndex = pos;
      const m = re.exec(s);
      if (m && m[0].length && (!best || m[0].length > best.s.length)) best = { t, s: m[0], pos };
    }
    if (!best) {
      const what = s[pos] === ' ' && mode === 'key' ? 'unexpected space in the key' : `unexpected character '${s[pos]}'`;
      fail(what, pos);
    }
    out.push(best);
    pos += best.s.length;
    if (mode === 'key' && best.t === 'EQUAL') mode = 'value';
  }
  out.push({ t: 'EOF', s: '', pos: s.length });
  return out;
}

class OverrideParser {
  toks: Token[] = [];
  i = 0;
  constructor(public line: string) {}

  fail(msg: string, pos: number): never {
    throw new OverrideParseError(
      `Invalid override '${this.line}': ${msg} at column ${pos + 1}. See https://hydra.cc/docs/advanced/override_grammar/basic/ (quote values with special characters)`,
      this.line,
      pos,
    );
  }
  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    return this.toks[this.i++]!;
  }
  unexpected(expected: string): never {
    const t = this.peek();
    const got = t.t === 'EOF' ? 'end of input' : `'${t.s.trim() || t.s}'`;
    this.fail(`expected ${expected} but found ${got}`, t.t === 'EOF' ? this.line.length : t.pos + (t.s.length - t.s.trimStart().length));
  }
  expect(t: string): Token {
    if (this.peek().t !== t) this.unexpected(NAMES[t] ?? t);
    return this.next();
  }

  parse(): Override {
    this.toks = tokenize(this.line, (m, p) => this.fail(m, p));
    let type: OverrideType = 'change';
    const first = this.peek();
    if (first.t === 'PLUS') {
      this.next();
      type = 'add';
      if (this.peek().t === 'PLUS') {
        this.next();
        type = 'force_add';
      }
    } else if (first.t === 'TILDE') {
      this.next();
      type = 'delete';
    }
    const { key, pkg } = this.key();
    let valueType: ValueType | null = null;
    let value: FnArg | undefined;
    if (type === 'delete' && this.peek().t === 'EOF') {
      value = undefined;
    } else {
      if (this.peek().t !== 'EQUAL') {
        if (type === 'delete') this.unexpected("'=' or end of input");
        this.unexpected(`'=' after the key (e.g. ${key}=value, or ~${key} to delete it)`);
      }
      this.next();
      if (this.peek().t === 'EOF') {
        value = '';
        valueType = 'element';
      } else {
        value = this.value();
        if (this.peek().t !== 'EOF') this.unexpected("',' or end of input");
        if (value instanceof ChoiceSweep) valueType = value.simpleForm ? 'simple_choice_sweep' : 'choice_sweep';
        else if (value instanceof Glob) valueType = 'glob_choice_sweep';
        else if (value instanceof IntervalSweep) valueType = 'interval_sweep';
        else if (value instanceof RangeSweep) valueType = 'range_sweep';
        else {
          valueType = 'element';
          if (value instanceof ListExtension) {
            if (type !== 'change') throw new HydraError(`Invalid override '${this.line}': extend_list() cannot be used with +, ++ or ~`);
            type = 'extend_list';
          }
        }
      }
    }
    return new Override(type, key, valueType, value as never, pkg, this.line);
  }

  key(): { key: string; pkg: string | null } {
    const t = this.peek();
    let key: string;
    if (t.t === 'ID' && this.peek(1).t === 'SLASH') {
      const parts = [this.next().s];
      while (this.peek().t === 'SLASH') {
        this.next();
        if (this.peek().t !== 'ID') this.unexpected('a config group name after /');
        parts.push(this.next().s);
      }
      key = parts.join('/');
    } else if (t.t === 'ID' || t.t === 'KEY_SPECIAL' || t.t === 'DOT_PATH') {
      key = this.next().s;
    } else if (t.t === 'AT') {
      key = ''; // `@pkg=option`: the empty group, as Hydra's grammar allows
    } else this.unexpected('a key (e.g. db.user or group/subgroup)');
    let pkg: string | null = null;
    if (this.peek().t === 'AT') {
      this.next();
      const p = this.peek();
      if (p.t === 'ID' || p.t === 'KEY_SPECIAL' || p.t === 'DOT_PATH') pkg = this.next().s;
      else pkg = '';
    }
    return { key, pkg };
  }

  value(): FnArg {
    const first = this.element();
    if (this.peek().t !== 'COMMA') return first;
    const list: ParsedElement[] = [first as ParsedElement];
    while (this.peek().t === 'COMMA') {
      this.next();
      list.push(this.element() as ParsedElement);
    }
    for (const x of list) {
      if (x instanceof ChoiceSweep || x instanceof RangeSweep || x instanceof IntervalSweep || x instanceof Glob) {
        throw new HydraError(`Invalid override '${this.line}': a sweep cannot be an element of another sweep`);
      }
    }
    return new ChoiceSweep(list, true);
  }

  element(): FnArg {
    const t = this.peek();
    if (t.t === 'ID' && this.peek(1).t === 'POPEN') return this.func();
    if (t.t === 'BRACKET_OPEN') {
      this.next();
      const items: ParsedElement[] = [];
      if (this.peek().t !== 'BRACKET_CLOSE') {
        items.push(this.element() as ParsedElement);
        while (this.peek().t === 'COMMA') {
          this.next();
          items.push(this.element() as ParsedElement);
        }
      }
      if (this.peek().t !== 'BRACKET_CLOSE') this.unexpected("',' or ']'");
      this.next();
      return items;
    }
    if (t.t === 'BRACE_OPEN') {
      this.next();
      const o: Record<string, ParsedElement> = {};
      if (this.peek().t !== 'BRACE_CLOSE') {
        for (;;) {
          const k = this.primitive(true);
          if (k === undefined) this.unexpected('a dictionary key');
          if (this.peek().t !== 'COLON') this.unexpected("':'");
          this.next();
          o[String(k instanceof FloatValue ? k.toString() : k)] = this.element() as ParsedElement;
          if (this.peek().t !== 'COMMA') break;
          this.next();
        }
      }
      if (this.peek().t !== 'BRACE_CLOSE') this.unexpected("',' or '}'");
      this.next();
      return o;
    }
    const p = this.primitive(false);
    if (p === undefined) this.unexpected('a value');
    return p;
  }

  func(): FnArg {
    const nameTok = this.next();
    const popen = this.next();
    const args: FnArg[] = [];
    const kwargs: Record<string, FnArg> = {};
    let inKw = false;
    if (this.peek().t !== 'PCLOSE') {
      for (;;) {
        if (this.peek().t === 'ID' && this.peek(1).t === 'EQUAL') {
          const n = this.next().s;
          this.next();
          kwargs[n] = this.element();
          inKw = true;
        } else {
          if (inKw) this.fail('positional argument follows keyword argument', this.peek().pos);
          args.push(this.element());
        }
        if (this.peek().t !== 'COMMA') break;
        this.next();
      }
    }
    if (this.peek().t !== 'PCLOSE') this.unexpected("',' or ')'");
    const close = this.next();
    const fn = functions[nameTok.s];
    const text = this.line.slice(nameTok.pos, close.pos + close.s.length);
    if (!fn) {
      this.fail(`unknown function '${nameTok.s}' (known: ${Object.keys(functions).join(', ')})`, nameTok.pos);
    }
    void popen;
    try {
      return fn(args, kwargs);
    } catch (e) {
      throw new HydraError(`Invalid override '${this.line}': error evaluating '${text}': ${(e as Error).message}`);
    }
  }

  primitive(isKey: boolean): ParsedElement | undefined {
    const t = this.peek();
    if (!isKey && t.t === 'QUOTED_VALUE') {
      this.next();
      return unescapeQuoted(t.s);
    }
    const allowed = isKey
      ? ['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'UNQUOTED_CHAR', 'ESC', 'WS']
      : ['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'INTERPOLATION', 'UNQUOTED_CHAR', 'COLON', 'ESC', 'WS'];
    const toks: Token[] = [];
    while (allowed.includes(this.peek().t)) {
      // a function call inside a primitive sequence is not allowed: ID POPEN starts a function
      toks.push(this.next());
    }
    if (!toks.length) return undefined;
    let a = 0;
    let b = toks.length;
    if (toks[0]!.t === 'WS') {
      if (toks.length === 1) this.fail('a value cannot be only whitespace', toks[0]!.pos);
      a = 1;
    }
    if (toks[b - 1]!.t === 'WS') b--;
    if (b - a > 1) {
      let s = '';
      for (let i = a; i < b; i++) {
        const tk = toks[i]!;
        s += tk.t === 'ESC' ? unescapeEsc(tk.s) : tk.s;
      }
      return s;
    }
    const tk = toks[a]!;
    switch (tk.t) {
      case 'INT':
        return parseInt(tk.s.replace(/_/g, ''), 10);
      case 'FLOAT': {
        const x = tk.s.replace(/_/g, '').toLowerCase();
        const u = x.replace(/^[+-]/, '');
        const sign = x.startsWith('-') ? -1 : 1;
        if (u === 'inf') return new FloatValue(sign * Infinity);
        if (u === 'nan') return new FloatValue(NaN);
        return new FloatValue(parseFloat(x));
      }
      case 'NULL':
        return null;
      case 'BOOL':
        return tk.s.toLowerCase() === 'true';
      case 'ESC':
        return unescapeEsc(tk.s);
      default:
        return tk.s;
    }
  }
}

function unescapeEsc(s: string): string {
  let out = '';
  for (let i = 1; i < s.length; i += 2) out += s[i];
  return out;
}

/** `"abc\"def"` -> abc"def; backslashes before a quote are halved. */
function unescapeQuoted(text: string): QuotedString {
  const q = text[0] as "'" | '"';
  const body = text.slice(1, -1);
  let out = '';
  let i = 0;
  while (i < body.length) {
    if (body[i] === '\\') {
      let n = 0;
      while (body[i + n] === '\\') n++;
      const next = body[i + n];
      if (next === q) {
        out += '\\'.repeat(Math.floor(n / 2)) + q;
        i += n + 1;
      } else if (next === undefined) {
        out += '\\'.repeat(Math.floor(n / 2));
        i += n;
      } else {
        out += '\\'.repeat(n);
        i += n;
      }
    } else out += body[i++];
  }
  return new QuotedString(out, q);
}

/** Parses one override string. Throws OverrideParseError with the column of the bad character. */
export function parseOverride(s: string): Override {
  return new OverrideParser(s).parse();
}

/** Parses a list of overrides (e.g. the command line). */
export function parseOverrides(list: string[]): Override[] {
  return list.map(parseOverride);
}
