/** Grammar functions usable in override values: casts, sweeps, sort/shuffle/tag/glob. */
import { FloatValue } from '../omegaconf/nodes.js';
import {
  ChoiceSweep,
  Glob,
  IntervalSweep,
  ListExtension,
  QuotedString,
  RangeSweep,
  Sweep,
  shuffleInPlace,
  type ParsedElement,
} from './types.js';

export type FnArg = ParsedElement | Sweep | Glob | ListExtension;
export type GrammarFunction = (args: FnArg[], kwargs: Record<string, FnArg>) => FnArg;

const isNum = (v: unknown): v is number | FloatValue => typeof v === 'number' || v instanceof FloatValue;
const num = (v: unknown): number => (v instanceof FloatValue ? v.value : (v as number));

function normalizeCast(args: FnArg[], kwargs: Record<string, FnArg>): FnArg {
  if (args.length && 'value' in kwargs) throw new Error('cannot use both position and named arguments');
  if ('value' in kwargs) return kwargs.value!;
  if (!args.length) throw new Error('No positional args or value specified');
  if (args.length === 1) return args[0]!;
  return new ChoiceSweep(args as ParsedElement[], true);
}

function castWith(v: FnArg, f: (x: ParsedElement) => ParsedElement, name: string): FnArg {
  if (v instanceof QuotedString) return f(v.text);
  if (v instanceof ChoiceSweep) {
    const c = new ChoiceSweep(v.list.map((x) => castWith(x, f, name) as ParsedElement), v.simpleForm, v.shuffle);
    c.tags = new Set(v.tags);
    return c;
  }
  if (v instanceof RangeSweep) {
    if (name !== 'int' && name !== 'float') throw new Error('Range can only be cast to int or float');
    const isF = name === 'float';
    const conv = (x: number) => (isF ? x : Math.trunc(x));
    return new RangeSweep(conv(v.start), conv(v.stop), conv(v.step), isF, v.shuffle);
  }
  if (v instanceof IntervalSweep) {
    if (name !== 'int' && name !== 'float') throw new Error(`Intervals cannot be cast to ${name}`);
    const conv = (x: number) => (name === 'float' ? x : Math.trunc(x));
    const r = new IntervalSweep(conv(v.start), conv(v.end), name === 'int');
    r.tags = new Set(v.tags);
    return r;
  }
  if (Array.isArray(v)) return v.map((x) => castWith(x, f, name) as ParsedElement);
  if (v instanceof FloatValue) return f(v);
  if (v !== null && typeof v === 'object' && !(v instanceof Glob) && !(v instanceof ListExtension) && !(v instanceof Sweep)) {
    const o: Record<string, ParsedElement> = {};
    for (const [k, x] of Object.entries(v)) o[k] = castWith(x as ParsedElement, f, name) as ParsedElement;
    return o;
  }
  return f(v as ParsedElement);
}

function toInt(x: ParsedElement): ParsedElement {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (isNum(x)) {
    const n = num(x);
    if (!Number.isFinite(n)) throw new Error(`cannot convert float ${n} to integer`);
    return Math.trunc(n);
  }
  if (typeof x === 'string') {
    const t = x.trim().replace(/_/g, '');
    if (!/^[+-]?\d+$/.test(t)) throw new Error(`invalid literal for int() with base 10: '${x}'`);
    return parseInt(t, 10);
  }
  throw new Error(`int() argument must be a string or a number, not '${x === null ? 'NoneType' : typeof x}'`);
}
function toFloat(x: ParsedElement): ParsedElement {
  if (typeof x === 'boolean') return new FloatValue(x ? 1 : 0);
  if (isNum(x)) return new FloatValue(num(x));
  if (typeof x === 'string') {
    const t = x.trim().replace(/_/g, '').toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(t)) return new FloatValue(t.startsWith('-') ? -Infinity : Infinity);
    if (/^[+-]?nan$/.test(t)) return new FloatValue(NaN);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw new Error(`could not convert string to float: '${x}'`);
    return new FloatValue(parseFloat(t));
  }
  throw new Error(`float() argument must be a string or a number`);
}
function toStr(x: ParsedElement): ParsedElement {
  if (typeof x === 'boolean') return x ? 'true' : 'false';
  if (x === null) return 'None';
  if (x instanceof FloatValue) return x.toString();
  return String(x);
}
function toBool(x: ParsedElement): ParsedElement {
  if (typeof x === 'string') {
    if (x.toLowerCase() === 'true') return true;
    if (x.toLowerCase() === 'false') return false;
    throw new Error(`Cannot cast '${x}' to bool`);
  }
  if (isNum(x)) return num(x) !== 0;
  return Boolean(x);
}

function extractText(v: FnArg): FnArg {
  return castWith(v, (x) => x, 'str');
}

function jsonOf(v: unknown): string {
  const conv = (x: unknown): unknown => {
    if (x instanceof QuotedString) return x.text;
    if (x instanceof FloatValue) return x.value;
    if (Array.isArray(x)) return x.map(conv);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, conv(y)]));
    return x;
  };
  // Python's json.dumps puts a space after ',' and ':'
  const out = (x: unknown): string => {
    if (Array.isArray(x)) return '[' + x.map(out).join(', ') + ']';
    if (x && typeof x === 'object') return '{' + Object.entries(x).map(([k, y]) => `${JSON.stringify(k)}: ${out(y)}`).join(', ') + '}';
    return JSON.stringify(x);
  };
  return out(conv(v));
}

function compare(a: ParsedElement, b: ParsedElement): number {
  const na = isNum(a) || typeof a === 'boolean';
  const nb = isNum(b) || typeof b === 'boolean';
  if (na && nb) return Number(num(a as never) ?? a) - Number(num(b as never) ?? b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`'<' not supported between ${typeof a} and ${typeof b}`);
}

function sortSweep(s: ChoiceSweep | RangeSweep, reverse: boolean): ChoiceSweep | RangeSweep {
  if (s instanceof ChoiceSweep) {
    const list = [...s.list].sort(compare);
    if (reverse) list.reverse();
    const c = new ChoiceSweep(list, s.simpleForm, s.shuffle);
    c.tags = new Set(s.tags);
    return c;
  }
  const vals = s.values().map(num);
  if ((s.step > 0) === reverse && vals.length > 1) {
    const first = vals[0]!;
    const last = vals[vals.length - 1]!;
    const step = -s.step;
    return new RangeSweep(last, s.isFloat ? first + step / 2 : first + step, step, s.isFloat, s.shuffle);
  }
  return s;
}

export const functions: Record<string, GrammarFunction> = {
  int: (a, k) => castWith(normalizeCast(a, k), toInt, 'int'),
  float: (a, k) => castWith(normalizeCast(a, k), toFloat, 'float'),
  str: (a, k) => castWith(normalizeCast(a, k), toStr, 'str'),
  bool: (a, k) => castWith(normalizeCast(a, k), toBool, 'bool'),
  json_str: (a, k) => {
    const v = normalizeCast(a, k);
    if (v instanceof ChoiceSweep) return new ChoiceSweep(v.list.map((x) => jsonOf(extractText(x))), v.simpleForm);
    if (v instanceof IntervalSweep) throw new Error('Intervals cannot be cast to json_str');
    return jsonOf(v);
  },
  choice: (a) => {
    if (!a.length) throw new Error('empty choice is not legal');
    if (a.length === 1 && a[0] instanceof ChoiceSweep) {
      if (!a[0].simpleForm) throw new Error('nesting choices is not supported');
      return new ChoiceSweep(a[0].list, false, a[0].shuffle);
    }
    for (const x of a) if (x instanceof Sweep || x instanceof Glob) throw new Error('nesting sweeps in choice() is not supported');
    return new ChoiceSweep(a as ParsedElement[], false);
  },
  range: (a, k) => {
    const start = a[0] ?? k.start;
    let stop = a[1] ?? k.stop;
    const step = a[2] ?? k.step ?? 1;
    let st = start;
    if (stop === undefined) {
      stop = start;
      st = 0;
    }
    for (const x of [st, stop, step]) if (!isNum(x)) throw new Error(`range() arguments must be numbers, got '${String(x)}'`);
    const isF = [st, stop, step].some((x) => x instanceof FloatValue);
    return new RangeSweep(num(st), num(stop), num(step), isF);
  },
  interval: (a, k) => {
    const s = a[0] ?? k.start;
    const e = a[1] ?? k.end;
    if (!isNum(s) || !isNum(e)) throw new Error('interval() takes two numbers');
    return new IntervalSweep(num(s), num(e));
  },
  tag: (a, k) => {
    const args = k.sweep !== undefined ? [...a, k.sweep] : a;
    if (!args.length) throw new Error('Not enough arguments to tag, must take at least a sweep');
    const last = args[args.length - 1];
    if (!(last instanceof Sweep)) throw new Error('Last argument to tag() must be a choice(), range() or interval()');
    for (const t of args.slice(0, -1)) {
      if (typeof t !== 'string') throw new Error(`tag arguments type must be string, got ${typeof t}`);
      last.tags.add(t);
    }
    return last;
  },
  sort: (a, k) => {
    const reverse = k.reverse === true;
    if (k.list !== undefined) return [...(k.list as ParsedElement[])].sort(compare).slice()[reverse ? 'reverse' : 'slice']();
    if (k.sweep !== undefined) return sortSweep(k.sweep as ChoiceSweep, reverse);
    if (a.length === 1) {
      const x = a[0]!;
      if (x instanceof ChoiceSweep || x instanceof RangeSweep) return sortSweep(x, reverse);
      if (Array.isArray(x)) {
        const l = [...x].sort(compare);
        return reverse ? l.reverse() : l;
      }
      return x;
    }
    if (!a.length) throw new Error('empty sort input');
    for (const x of a) if (typeof x === 'object' && x !== null && !(x instanceof FloatValue)) throw new Error('Invalid arguments to sort()');
    return sortSweep(new ChoiceSweep(a as ParsedElement[], true), reverse);
  },
  shuffle: (a, k) => {
    if (k.list !== undefined) return shuffleInPlace([...(k.list as ParsedElement[])]);
    const x = k.sweep ?? (a.length === 1 ? a[0] : undefined);
    if (x instanceof ChoiceSweep) return new ChoiceSweep(x.list, x.simpleForm, true);
    if (x instanceof RangeSweep) return new RangeSweep(x.start, x.stop, x.step, x.isFloat, true);
    if (a.length === 1) return Array.isArray(x) ? shuffleInPlace([...(x as ParsedElement[])]) : [x as ParsedElement];
    return new ChoiceSweep(a as ParsedElement[], true, true);
  },
  glob: (a, k) => {
    const inc = a[0] ?? k.include;
    if (inc === undefined) throw new Error("missing a required argument: 'include'");
    const exc = a[1] ?? k.exclude ?? [];
    const toList = (v: FnArg): string[] => (Array.isArray(v) ? v.map(String) : [String(v instanceof QuotedString ? v.text : v)]);
    return new Glob(toList(inc as FnArg), toList(exc as FnArg));
  },
  extend_list: (a) => new ListExtension(a as ParsedElement[]),
};
