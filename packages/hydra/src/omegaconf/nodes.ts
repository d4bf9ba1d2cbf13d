/**
 * The OmegaConf node model: a config is a tree of DictNode / ListNode containers and ValueNode
 * leaves. Leaves keep Python's int/float distinction (`isFloat`) so that `0.0` stays `0.0` when a
 * config is written back as YAML, the same as OmegaConf does.
 */
export type Scalar = string | number | boolean | null;
export type Key = string | number;

export interface Flags {
  struct?: boolean;
  readonly?: boolean;
}

export const MISSING = '???';

/** Marks a JS number as a Python float when building nodes from plain values. */
export class FloatValue {
  constructor(public readonly value: number) {}
  toString(): string {
    return pyFloatRepr(this.value);
  }
}

export abstract class Node {
  parent: ContainerNode | null = null;
  key: Key | null = null;
  flags: Flags = {};

  /** Flag value, inherited from the closest ancestor that sets it. */
  getFlag(name: keyof Flags): boolean {
    let n: Node | null = this;
    while (n) {
      const v = n.flags[name];
      if (v !== undefined) return v;
      n = n.parent;
    }
    return false;
  }

  root(): Node {
    let n: Node = this;
    while (n.parent) n = n.parent;
    return n;
  }

  /** Dotted path from the root, OmegaConf style: `a.b[0].c`. */
  fullKey(): string {
    const chain: Node[] = [];
    for (let n: Node | null = this; n && n.parent; n = n.parent) chain.unshift(n);
    let out = '';
    for (const n of chain) {
      if (n.parent instanceof ListNode) out += `[${n.key}]`;
      else out += (out ? '.' : '') + String(n.key);
    }
    return out;
  }

  abstract clone(): Node;
}

export class ValueNode extends Node {
  constructor(
    public value: Scalar,
    public isFloat = false,
  ) {
    super();
    if (typeof value !== 'number') this.isFloat = false;
    else if (!Number.isInteger(value)) this.isFloat = true;
  }
  clone(): ValueNode {
    const n = new ValueNode(this.value, this.isFloat);
    n.flags = { ...this.flags };
    return n;
  }
}

export class DictNode extends Node {
  map = new Map<string, Node>();
  clone(): DictNode {
    const n = new DictNode();
    n.flags = { ...this.flags };
    for (const [k, v] of this.map) n.set(k, v.clone());
    return n;
  }
  set(key: string, child: Node): void {
    child.parent = this;
    child.key = key;
    this.map.set(key, child);
  }
  get(key: string): Node | undefined {
    return this.map.get(key);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
}

export class ListNode extends Node {
  items: Node[] = [];
  clone(): ListNode {
    const n = new ListNode();
    n.flags = { ...this.flags };
    for (const v of this.items) n.push(v.clone());
    return n;
  }
  push(child: Node): void {
    child.parent = this;
    child.key = this.items.length;
    this.items.push(child);
  }
  setAt(i: number, child: Node): void {
    child.parent = this;
    child.key = i;
    this.items[i] = child;
  }
  reindex(): void {
    this.items.forEach((c, i) => (c.key = i));
  }
}

export type ContainerNode = DictNode | ListNode;

export function isContainer(n: Node | undefined | null): n is ContainerNode {
  return n instanceof DictNode || n instanceof ListNode;
}
export function isMissingNode(n: Node | undefined | null): boolean {
  return n instanceof ValueNode && n.value === MISSING;
}
export function isInterpolationString(v: unknown): v is string {
  return typeof v === 'string' && v.includes('${');
}
export function isInterpolationNode(n: Node | undefined | null): n is ValueNode {
  return n instanceof ValueNode && isInterpolationString(n.value);
}
export function isNoneNode(n: Node | undefined | null): boolean {
  return n instanceof ValueNode && n.value === null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Builds a node tree from plain JS values (objects, arrays, scalars, FloatValue, Node). */
export function fromPlain(v: unknown): Node {
  if (v instanceof Node) return v.clone();
  if (v instanceof FloatValue) return new ValueNode(v.value, true);
  if (Array.isArray(v)) {
    const l = new ListNode();
    for (const x of v) l.push(fromPlain(x));
    return l;
  }
  if (v instanceof Map) {
    const d = new DictNode();
    for (const [k, x] of v) d.set(String(k), fromPlain(x));
    return d;
  }
  if (isPlainObject(v)) {
    const d = new DictNode();
    for (const [k, x] of Object.entries(v)) if (x !== undefined) d.set(k, fromPlain(x));
    return d;
  }
  if (v === undefined || v === null) return new ValueNode(null);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return new ValueNode(v);
  if (typeof v === 'bigint') return new ValueNode(Number(v));
  if (v instanceof Date) return new ValueNode(v.toISOString());
  // Arbitrary objects (class instances, functions) are kept as opaque values.
  const n = new ValueNode(null);
  (n as ValueNode & { value: unknown }).value = v as never;
  return n;
}

/** Python's repr() of a float: `1.0`, `0.001`, `1e-05`, `1.5e+16`, `inf`, `nan`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Python's str() of a leaf value, used when interpolations are concatenated into strings. */
export function pyStr(v: unknown, isFloat = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return isFloat || !Number.isInteger(v) ? pyFloatRepr(v) : String(v);
  if (v instanceof FloatValue) return pyFloatRepr(v.value);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}
function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return pyStr(v);
}
