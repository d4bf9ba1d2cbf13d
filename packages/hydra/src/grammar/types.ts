/** Parsed command line overrides (Hydra's override_parser types). */
import { FloatValue, pyFloatRepr } from '../omegaconf/nodes.js';

export { FloatValue };

export class QuotedString {
  constructor(
    public readonly text: string,
    public readonly quote: "'" | '"',
  ) {}
  /** The string with its quotes, escaped so it parses back to the same text. */
  withQuotes(): string {
    const q = this.quote;
    // backslashes that precede a quote (or the end) must be doubled, then quotes escaped
    let out = '';
    const t = this.text;
    let i = 0;
    while (i < t.length) {
      if (t[i] === '\\') {
        let n = 0;
        while (t[i + n] === '\\') n++;
        const next = t[i + n];
        out += next === q || next === undefined ? '\\'.repeat(2 * n) : '\\'.repeat(n);
        i += n;
      } else if (t[i] === q) {
        out += '\\' + q;
        i++;
      } else out += t[i++];
    }
    return `${q}${out}${q}`;
  }
  toString(): string {
    return this.text;
  }
}

export type ParsedElement =
  | string
  | number
  | boolean
  | null
  | FloatValue
  | QuotedString
  | ParsedElement[]
  | { [key: string]: ParsedElement };

export abstract class Sweep {
  tags = new Set<string>();
}
export class ChoiceSweep extends Sweep {
  constructor(
    public list: ParsedElement[],
    public simpleForm = false,
    public shuffle = false,
  ) {
    super();
  }
}
export class RangeSweep extends Sweep {
  constructor(
    public start: number,
    public stop: number,
    public step: number = 1,
    /** true when any bound was a float: the range yields floats */
    public isFloat = false,
    public shuffle = false,
  ) {
    super();
  }
  /** The values of the range, computed in decimal so 0.1 steps do not drift. */
  values(): Array<number | FloatValue> {
    const { start, stop, step } = this;
    if (step === 0) throw new Error(`Invalid range values (start:${start}, stop:${stop}, step:${step})`);
    if (!this.isFloat) {
      const out: number[] = [];
      if (step > 0) for (let v = start; v < stop; v += step) out.push(v);
      else for (let v = start; v > stop; v += step) out.push(v);
      return out;
    }
    const decimals = Math.max(...[start, stop, step].map(decimalPlaces));
    const scale = 10 ** decimals;
    const s0 = Math.round(start * scale);
    const s1 = Math.round(stop * scale);
    const st = Math.round(step * scale);
    const out: FloatValue[] = [];
    for (let i = 0; ; i++) {
      const cur = s0 + st * i;
      if (st > 0 ? cur >= s1 : cur <= s1) break;
      out.push(new FloatValue(cur / scale));
      if (i > 1e7) break;
    }
    return out;
  }
}
function decimalPlaces(x: number): number {
  const s = pyFloatRepr(x);
  const m = /\.(\d+)(?:e([+-]\d+))?$/.exec(s) ?? /e([+-]\d+)$/.exec(s);
  if (!m) return 0;
  if (s.includes('e')) {
    const [mant, e] = s.split('e') as [string, string];
    const d = (mant.split('.')[1] ?? '').replace(/^0$/, '').length;
    return Math.max(0, d - Number(e));
  }
  return m[1] === '0' ? 0 : m[1]!.length;
}
export class IntervalSweep extends Sweep {
  constructor(
    public start: number,
    public end: number,
    /** cast with int(): the search sweeper samples integers */
    public isInt = false,
  ) {
    super();
  }
}
export class Glob {
  constructor(
    public include: string[],
    public exclude: string[] = [],
  ) {}
  filter(names: string[]): string[] {
    const match = (s: string, globs: string[]) => globs.some((g) => globToRegExp(g).test(s));
    return names.filter((n) => match(n, this.include) && !match(n, this.exclude));
  }
}
export class ListExtension {
  constructor(public values: ParsedElement[]) {}
}

/** fnmatch-style glob: * ? [seq] [!seq]. */
export function globToRegExp(g: string): RegExp {
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = g.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = g.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export type OverrideType = 'change' | 'add' | 'force_add' | 'delete' | 'extend_list';
export type ValueType = 'element' | 'choice_sweep' | 'glob_choice_sweep' | 'simple_choice_sweep' | 'range_sweep' | 'interval_sweep';
export type OverrideValue = ParsedElement | ChoiceSweep | RangeSweep | IntervalSweep | Glob;

const ESC_CHARS = '\\()[]{}:=, \t';
export function escapeSpecialCharacters(s: string): string {
  let out = '';
  for (const c of s) out += ESC_CHARS.includes(c) ? '\\' + c : c;
  return out;
}

/** Hydra's _get_value_element_as_str: the text form of a value, as it would be typed. */
export function elementToString(v: ParsedElement, spaceAfterSep = false): string {
  const comma = spaceAfterSep ? ', ' : ',';
  const colon = spaceAfterSep ? ': ' : ':';
  if (v === null) return 'null';
  if (v instanceof QuotedString) return v.withQuotes();
  if (v instanceof FloatValue) return pyFloatRepr(v.value);
  if (Array.isArray(v)) return '[' + v.map((x) => elementToString(x, spaceAfterSep)).join(comma) + ']';
  if (typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `${escapeSpecialCharacters(k)}${colon}${elementToString(x, spaceAfterSep)}`).join(comma) + '}';
  if (typeof v === 'string') return escapeSpecialCharacters(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
}

/** Drops QuotedString wrappers (keeps FloatValue so floats stay floats in the config). */
export function convertValue(v: ParsedElement): ParsedElement {
  if (v instanceof QuotedString) return v.text;
  if (Array.isArray(v)) return v.map(convertValue);
  if (v && typeof v === 'object' && !(v instanceof FloatValue)) {
    const o: Record<string, ParsedElement> = {};
    for (const [k, x] of Object.entries(v)) o[k] = convertValue(x);
    return o;
  }
  return v;
}

/** Plain JS value: strings, numbers, booleans, null, arrays, objects. */
export function plainValue(v: ParsedElement): unknown {
  if (v instanceof QuotedString) return v.text;
  if (v instanceof FloatValue) return v.value;
  if (Array.isArray(v)) return v.map(plainValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

export class Override {
  constructor(
    public type: OverrideType,
    /** the config group or the config dot-path */
    public keyOrGroup: string,
    public valueType: ValueType | null,
    public rawValue: OverrideValue | ListExtension | undefined,
    /** `group@package` */
    public pkg: string | null,
    public inputLine: string,
  ) {}

  isDelete(): boolean {
    return this.type === 'delete';
  }
  isAdd(): boolean {
    return this.type === 'add';
  }
  isForceAdd(): boolean {
    return this.type === 'force_add';
  }
  isListExtend(): boolean {
    return this.type === 'extend_list';
  }
  isSweep(): boolean {
    return this.valueType !== null && this.valueType !== 'element';
  }
  isChoiceSweep(): boolean {
    return this.valueType === 'choice_sweep' || this.valueType === 'simple_choice_sweep' || this.valueType === 'glob_choice_sweep';
  }
  isRangeSweep(): boolean {
    return this.valueType === 'range_sweep';
  }
  isIntervalSweep(): boolean {
    return this.valueType === 'interval_sweep';
  }
  isDiscreteSweep(): boolean {
    return this.isChoiceSweep() || this.isRangeSweep();
  }
  isHydraOverride(): boolean {
    return this.keyOrGroup.startsWith('hydra.') || this.keyOrGroup.startsWith('hydra/');
  }
  /** The value with quotes dropped (sweeps returned as they are). */
  value(): OverrideValue | undefined {
    const v = this.rawValue;
    if (v instanceof Sweep || v instanceof Glob) return v;
    if (v instanceof ListExtension) return v.values.map(convertValue);
    if (v === undefined) return undefined;
    return convertValue(v);
  }
  /** `+key@pkg` as typed, without the value. */
  keyElement(): string {
    const key = this.pkg === null ? this.keyOrGroup : `${this.keyOrGroup}@${this.pkg}`;
    const prefix = this.isDelete() ? '~' : this.isAdd() ? '+' : this.isForceAdd() ? '++' : '';
    return prefix + key;
  }
  /** The value as text (not for sweeps). */
  valueString(spaceAfterSep = false): string {
    const v = this.rawValue;
    if (v instanceof Sweep || v instanceof Glob || v instanceof ListExtension) throw new Error('Cannot convert sweep to str');
    return v === undefined ? '' : elementToString(v, spaceAfterSep);
  }
  /**
   * The values of a choice or range sweep as override value strings. `globOptions` lists the
   * config group's options for glob().
   */
  sweepStrings(globOptions?: () => string[]): string[] {
    const v = this.rawValue;
    let list: ParsedElement[];
    if (v instanceof ChoiceSweep) {
      list = [...v.list];
      if (v.shuffle) shuffleInPlace(list);
    } else if (v instanceof RangeSweep) {
      list = v.values();
      if (v.shuffle) shuffleInPlace(list);
    } else if (v instanceof Glob) {
      if (!globOptions) throw new Error('glob() needs the config group options');
      return v.filter(globOptions());
    } else throw new Error(`Can only enumerate choice and range sweeps, '${this.inputLine}' is ${this.valueType}`);
    return list.map((x) => elementToString(x));
  }
}

export function shuffleInPlace<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
