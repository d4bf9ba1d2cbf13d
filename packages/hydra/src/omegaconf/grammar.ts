/**
 * OmegaConf's interpolation grammar (OmegaConfGrammarLexer/Parser.g4), hand-written:
 * `${a.b}`, `${..x}`, `${a[0]}`, `${resolver:arg1,arg2}`, nested interpolations, quoted strings,
 * lists and dicts as resolver arguments, and the escaping rules for `\${` and backslashes.
 */
import { GrammarParseError } from '../errors.js';

export type TextPart = { k: 's'; v: string } | { k: 'i'; v: Interp };
export type KeySeg = { sep: '.' | '['; v: string | Interp };
export type Interp =
  | { k: 'node'; dots: number; segs: KeySeg[]; src: string }
  | { k: 'resolver'; name: Array<string | Interp>; args: Element[]; argsText: string[]; src: string };
export type Tok = { t: string; s: string; v?: undefined } | { t: 'interp'; s?: undefined; v: Interp };
export type Element =
  | { k: 'prim'; toks: Tok[] }
  | { k: 'quoted'; parts: TextPart[] }
  | { k: 'list'; items: Element[] }
  | { k: 'dict'; pairs: Array<[Tok[], Element]> };

const ID_RE = /[a-zA-Z_][a-zA-Z0-9_-]*/y;
const INT_U = '(?:0|[1-9](?:_?[0-9])*)';
const POINT_FLOAT = `(?:${INT_U}?\\.[0-9](?:_?[0-9])*|${INT_U}\\.)`;
const EXP_FLOAT = `(?:(?:${INT_U}|${POINT_FLOAT})[eE][+-]?[0-9](?:_?[0-9])*)`;
const FLOAT_RE = new RegExp(`[+-]?(?:${EXP_FLOAT}|${POINT_FLOAT}|[Ii][Nn][Ff]|[Nn][Aa][Nn])`, 'y');
const INT_RE = new RegExp(`[+-]?${INT_U}`, 'y');
const BOOL_RE = /[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]/y;
const NULL_RE = /[Nn][Uu][Ll][Ll]/y;
const UNQ_RE = /[/\-\\+.$%*@?|]/y;
const ESC_RE = /(?:\\\\|\\[()[\]{}:=, \t])+/y;
const WS_RE = /[ \t]+/y;

/** VALUE_MODE tokens, in grammar order (ANTLR takes the longest match, ties go to the first). */
const VALUE_TOKENS: Array<[string, RegExp]> = [
  ['INTER_OPEN', /\$\{[ \t]*/y],
  ['BRACE_OPEN', /\{[ \t]*/y],
  ['BRACE_CLOSE', /[ \t]*\}/y],
  ['QUOTE_SINGLE', /'/y],
  ['QUOTE_DOUBLE', /"/y],
  ['COMMA', /[ \t]*,[ \t]*/y],
  ['BRACKET_OPEN', /\[[ \t]*/y],
  ['BRACKET_CLOSE', /[ \t]*\]/y],
  ['COLON', /[ \t]*:[ \t]*/y],
  ['FLOAT', FLOAT_RE],
  ['INT', INT_RE],
  ['BOOL', BOOL_RE],
  ['NULL', NULL_RE],
  ['UNQUOTED_CHAR', UNQ_RE],
  ['ID', ID_RE],
  ['ESC', ESC_RE],
  ['WS', WS_RE],
];

function matchAt(re: RegExp, s: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0].length : 0;
}

class Parser {
  pos = 0;
  constructor(public s: string) {}

  fail(msg: string): never {
    const near = this.pos >= this.s.length ? 'end of string' : `'${this.s[this.pos]}' (position ${this.pos})`;
    throw new GrammarParseError(`Invalid interpolation '${this.s}': ${msg} at ${near}`);
  }

  /** Top level / quoted text. `quote` is the closing quote character in quoted mode. */
  text(quote: '' | "'" | '"'): TextPart[] {
    const parts: TextPart[] = [];
    let buf = '';
    const flush = () => {
      if (buf) parts.push({ k: 's', v: buf });
      buf = '';
    };
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (quote && c === quote) break;
      if (c === '\\') {
        let n = 0;
        while (s[this.pos + n] === '\\') n++;
        const after = this.pos + n;
        if (s.startsWith('${', after)) {
          if (n % 2 === 1) {
            buf += '\\'.repeat((n - 1) / 2) + '${';
            this.pos = after + 2;
          } else {
            buf += '\\'.repeat(n / 2);
            this.pos = after;
          }
          continue;
        }
        if (quote && s[after] === quote) {
          if (n % 2 === 1) {
            buf += '\\'.repeat((n - 1) / 2) + quote;
            this.pos = after + 1;
          } else {
            buf += '\\'.repeat(n / 2);
            this.pos = after;
          }
          continue;
        }
        buf += '\\'.repeat(n);
        this.pos = after;
        continue;
      }
      if (c === '$' && s[this.pos + 1] === '{') {
        flush();
        this.pos += 2;
        parts.push({ k: 'i', v: this.interpolation() });
        continue;
      }
      buf += c;
      this.pos++;
    }
    flush();
    return parts;
  }

  skipWs(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }

  /** After `${`. */
  interpolation(): Interp {
    const start = this.pos - 2;
    this.skipWs();
    // Try resolver: name (ID | interpolation) ('.' ...)* followed by ':'.
    const save = this.pos;
    const name: Array<string | Interp> = [];
    for (;;) {
      if (this.s.startsWith('${', this.pos)) {
        this.pos += 2;
        name.push(this.interpolation());
      } else {
        const n = matchAt(ID_RE, this.s, this.pos);
        if (!n) break;
        name.push(this.s.slice(this.pos, this.pos + n));
        this.pos += n;
      }
      if (this.s[this.pos] === '.') this.pos++;
      else break;
    }
    const afterName = this.pos;
    this.skipWs();
    if (name.length && this.s[this.pos] === ':' && this.s[afterName - 1] !== '.') {
      this.pos++;
      this.skipWs();
      const { items, texts } = this.sequence('}');
      this.expect('BRACE_CLOSE');
      return { k: 'resolver', name, args: items, argsText: texts, src: this.s.slice(start, this.pos) };
    }
    this.pos = save;
    return this.nodeInterpolation(start);
  }

  nodeInterpolation(start: number): Interp {
    let dots = 0;
    while (this.s[this.pos] === '.') {
      dots++;
      this.pos++;
    }
    const segs: KeySeg[] = [];
    let first = true;
    for (;;) {
      const c = this.s[this.pos];
      if (c === '[') {
        this.pos++;
        segs.push({ sep: '[', v: this.configKey() });
        if (this.s[this.pos] !== ']') this.fail("expected ']'");
        this.pos++;
      } else if (first || c === '.') {
        if (!first) this.pos++;
        segs.push({ sep: '.', v: this.configKey() });
      } else break;
      first = false;
    }
    this.skipWs();
    if (this.s[this.pos] !== '}') this.fail("expected '}'");
    this.pos++;
    return { k: 'node', dots, segs, src: this.s.slice(start, this.pos) };
  }

  configKey(): string | Interp {
    if (this.s.startsWith('${', this.pos)) {
      this.pos += 2;
      return this.interpolation();
    }
    const st = this.pos;
    while (this.pos < this.s.length && !/[\\{}()[\]:. \t'"]/.test(this.s[this.pos]!)) this.pos++;
    if (st === this.pos) this.fail('expected a config key');
    return this.s.slice(st, this.pos);
  }

  peekToken(): { t: string; len: number } | null {
    if (this.pos >= this.s.length) return null;
    let best: { t: string; len: number } | null = null;
    for (const [t, re] of VALUE_TOKENS) {
      const n = matchAt(re, this.s, this.pos);
      if (n && (!best || n > best.len)) best = { t, len: n };
    }
    return best;
  }

  expect(t: string): string {
    const tok = this.peekToken();
    if (!tok || tok.t !== t) this.fail(`expected ${t === 'BRACE_CLOSE' ? "'}'" : t === 'BRACKET_CLOSE' ? "']'" : t}`);
    const text = this.s.slice(this.pos, this.pos + tok.len);
    this.pos += tok.len;
    return text;
  }

  /** sequence? up to (not including) the closing token. */
  sequence(close: '}' | ']'): { items: Element[]; texts: string[] } {
    const items: Element[] = [];
    const texts: string[] = [];
    const closeTok = close === '}' ? 'BRACE_CLOSE' : 'BRACKET_CLOSE';
    let tok = this.peekToken();
    if (tok && tok.t === closeTok) return { items, texts };
    let prevComma = true;
    for (;;) {
      tok = this.peekToken();
      if (!tok) this.fail(`expected '${close}'`);
      if (tok.t === closeTok) {
        if (prevComma) {
          items.push({ k: 'quoted', parts: [] });
          texts.push('');
        }
        return { items, texts };
      }
      if (tok.t === 'COMMA') {
        if (prevComma) {
          items.push({ k: 'quoted', parts: [] });
          texts.push('');
        }
        this.pos += tok.len;
        prevComma = true;
        continue;
      }
      if (!prevComma) this.fail("expected ','");
      const st = this.pos;
      items.push(this.element());
      texts.push(this.s.slice(st, this.pos));
      prevComma = false;
    }
  }

  element(): Element {
    const tok = this.peekToken();
    if (!tok) this.fail('expected a value');
    if (tok.t === 'QUOTE_SINGLE' || tok.t === 'QUOTE_DOUBLE') {
      const q = this.s[this.pos] as "'" | '"';
      this.pos++;
      const parts = this.text(q);
      if (this.s[this.pos] !== q) this.fail(`unterminated quoted string, expected ${q}`);
      this.pos++;
      return { k: 'quoted', parts };
    }
    if (tok.t === 'BRACKET_OPEN') {
      this.pos += tok.len;
      const { items } = this.sequence(']');
      this.expect('BRACKET_CLOSE');
      return { k: 'list', items };
    }
    if (tok.t === 'BRACE_OPEN') {
      this.pos += tok.len;
      const pairs: Array<[Tok[], Element]> = [];
      let t2 = this.peekToken();
      if (t2 && t2.t === 'BRACE_CLOSE') {
        this.pos += t2.len;
        return { k: 'dict', pairs };
      }
      for (;;) {
        const key = this.primitiveTokens(true);
        if (!key.length) this.fail('expected a dictionary key');
        this.expect('COLON');
        pairs.push([key, this.element()]);
        t2 = this.peekToken();
        if (t2 && t2.t === 'COMMA') {
          this.pos += t2.len;
          continue;
        }
        this.expect('BRACE_CLOSE');
        return { k: 'dict', pairs };
      }
    }
    const toks = this.primitiveTokens(false);
    if (!toks.length) this.fail('expected a value');
    return { k: 'prim', toks };
  }

  primitiveTokens(isKey: boolean): Tok[] {
    const toks: Tok[] = [];
    for (;;) {
      const tok = this.peekToken();
      if (!tok) break;
      if (tok.t === 'INTER_OPEN') {
        if (isKey) break;
        this.pos += 2;
        toks.push({ t: 'interp', v: this.interpolation() });
        continue;
      }
      const allowed = ['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'UNQUOTED_CHAR', 'ESC', 'WS'];
      if (!isKey) allowed.push('COLON');
      if (!allowed.includes(tok.t)) break;
      toks.push({ t: tok.t, s: this.s.slice(this.pos, this.pos + tok.len) });
      this.pos += tok.len;
    }
    if (this.pos < this.s.length && toks.length === 0) {
      const tok = this.peekToken();
      if (!tok) this.fail('unexpected character');
    }
    return toks;
  }
}

const cache = new Map<string, TextPart[]>();

/** Parses a config string value that contains `${`. Results are cached. */
export function parseConfigValue(s: string): TextPart[] {
  let r = cache.get(s);
  if (!r) {
    const p = new Parser(s);
    r = p.text('');
    if (p.pos !== s.length) p.fail('unexpected input');
    if (cache.size > 10000) cache.clear();
    cache.set(s, r);
  }
  return r;
}

/** Parses one element (as used by oc.decode): `[1,2]`, `{a:1}`, `3.5`, `'str'`, `${x}`. */
export function parseSingleElement(s: string): Element {
  const p = new Parser(s);
  p.skipWs();
  const e = p.element();
  p.skipWs();
  if (p.pos !== s.length) p.fail('unexpected input');
  return e;
}

/** Converts a single primitive token to its typed value (int, float, bool, null, str). */
export function primitiveValue(tok: { t: string; s: string }): { value: string | number | boolean | null; isFloat: boolean } {
  switch (tok.t) {
    case 'NULL':
      return { value: null, isFloat: false };
    case 'INT':
      return { value: parseInt(tok.s.replace(/_/g, ''), 10), isFloat: false };
    case 'FLOAT': {
      const t = tok.s.replace(/_/g, '').toLowerCase();
      const sign = t.startsWith('-') ? -1 : 1;
      const u = t.replace(/^[+-]/, '');
      if (u === 'inf') return { value: sign * Infinity, isFloat: true };
      if (u === 'nan') return { value: NaN, isFloat: true };
      return { value: parseFloat(t), isFloat: true };
    }
    case 'BOOL':
      return { value: tok.s.toLowerCase() === 'true', isFloat: false };
    case 'ESC':
      return { value: unescapeEsc(tok.s), isFloat: false };
    default:
      return { value: tok.s, isFloat: false };
  }
}

export function unescapeEsc(s: string): string {
  let out = '';
  for (let i = 1; i < s.length; i += 2) out += s[i];
  return out;
}
