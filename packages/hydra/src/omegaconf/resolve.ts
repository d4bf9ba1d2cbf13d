/**
 * Interpolation resolution: `${a.b}` points at another node, `${..x}` is relative to the node's
 * parent, `${name:args}` calls a registered resolver. Results keep their type when the whole
 * value is one interpolation; otherwise they are concatenated with Python's str().
 */
import {
  InterpolationKeyError,
  InterpolationResolutionError,
  MissingMandatoryValue,
  UnsupportedInterpolationType,
  ConfigKeyError,
  HydraError,
} from '../errors.js';
import { parseConfigValue, primitiveValue, type Element, type Interp, type TextPart, type Tok } from './grammar.js';
import {
  DictNode,
  ListNode,
  ValueNode,
  Node,
  fromPlain,
  isInterpolationNode,
  isMissingNode,
  pyStr,
  FloatValue,
  type ContainerNode,
} from './nodes.js';

export interface ResolverContext {
  /** The node holding the interpolation. */
  node: Node;
  /** Its parent container. */
  parent: ContainerNode | null;
  /** Root of the config. */
  root: Node;
  /** The arguments as written (unresolved text). */
  argsText: string[];
}
export type Resolver = (args: unknown[], ctx: ResolverContext) => unknown;

interface ResolverEntry {
  fn: Resolver;
  useCache: boolean;
}
const resolvers = new Map<string, ResolverEntry>();
const caches = new WeakMap<Node, Map<string, unknown>>();

export function registerResolver(name: string, fn: Resolver, opts: { replace?: boolean; useCache?: boolean } = {}): void {
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*(\.[a-zA-Z_][a-zA-Z0-9_-]*)*$/.test(name)) {
    throw new HydraError(`Invalid resolver name '${name}': use letters, digits, '_' and '.' (e.g. 'my.resolver')`);
  }
  if (resolvers.has(name) && !opts.replace) {
    throw new HydraError(`Resolver '${name}' is already registered: pass { replace: true } to replace it`);
  }
  resolvers.set(name, { fn, useCache: opts.useCache ?? false });
}
export function hasResolver(name: string): boolean {
  return resolvers.has(name);
}
export function clearResolver(name: string): boolean {
  return resolvers.delete(name);
}
/** Copies resolver caches (e.g. `${now:...}`) from one config to another so both resolve alike. */
export function copyCache(from: Node, to: Node): void {
  const c = caches.get(from.root());
  if (c) caches.set(to.root(), new Map(c));
}
export function clearCache(cfg: Node): void {
  caches.delete(cfg.root());
}

/** Splits a select key: `a.b[0].c` -> ['a','b','0','c']; leading dots become '' entries. */
export function splitKey(key: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (key[i] === '.') {
    out.push('');
    i++;
  }
  const rest = key.slice(i);
  if (!rest) return out;
  const re = /\[([^\]]*)\]|([^.[\]]+)|(\.)/g;
  let m: RegExpExecArray | null;
  let lastWasDot = true;
  while ((m = re.exec(rest))) {
    if (m[1] !== undefined) {
      out.push(m[1]);
      lastWasDot = false;
    } else if (m[2] !== undefined) {
      out.push(m[2]);
      lastWasDot = false;
    } else {
      if (lastWasDot) out.push('');
      lastWasDot = true;
    }
  }
  return out;
}

export function childOf(c: Node, k: string): Node | undefined {
  if (c instanceof DictNode) return c.get(k);
  if (c instanceof ListNode) {
    if (!/^-?\d+$/.test(k)) return undefined;
    let i = Number(k);
    if (i < 0) i += c.items.length;
    return c.items[i];
  }
  return undefined;
}

/**
 * Walks `key` from `base`. Intermediate interpolations are resolved. Returns undefined when a
 * key is absent; throws on missing intermediate values.
 */
export function selectNode(base: Node, key: string, memo?: Set<Node>): Node | undefined {
  const parts = splitKey(key);
  let cur: Node | null = base;
  let i = 0;
  if (parts[0] === '') {
    // relative: first '' = base itself (the parent of the interpolating node); each more goes up
    i = 1;
    while (parts[i] === '' && i < parts.length - 1) {
      cur = cur ? cur.parent : null;
      if (!cur) return undefined;
      i++;
    }
  }
  for (; i < parts.length; i++) {
    if (!cur) return undefined;
    if (isInterpolationNode(cur)) cur = resolveNode(cur as ValueNode, memo);
    if (isMissingNode(cur) && !(cur instanceof DictNode)) {
      throw new MissingMandatoryValue(`Missing mandatory value: ${cur.fullKey()}`);
    }
    const next = childOf(cur, parts[i]!);
    if (!next) return undefined;
    cur = next;
  }
  return cur ?? undefined;
}

/** Python-like str() of a resolved node for string concatenation. */
function nodeToStr(n: Node): string {
  if (n instanceof ValueNode) return pyStr(n.value, n.isFloat);
  return pyStr(plainOf(n));
}

/** Resolved plain value of a node (containers become objects/arrays). */
export function plainOf(n: Node, memo?: Set<Node>): unknown {
  if (isInterpolationNode(n)) n = resolveNode(n as ValueNode, memo);
  if (n instanceof ValueNode) {
    if (n.value === '???') throw new MissingMandatoryValue(`Missing mandatory value: ${n.fullKey()}`);
    return n.value;
  }
  if (n instanceof ListNode) return n.items.map((x) => plainOf(x, memo));
  const o: Record<string, unknown> = {};
  for (const [k, v] of (n as DictNode).map) o[k] = plainOf(v, memo);
  return o;
}

/** Value handed to resolvers: scalars as is, containers as plain objects. */
function argValue(n: Node, memo: Set<Node>): unknown {
  if (n instanceof ValueNode) {
    if (n.isFloat) return n.value;
    return n.value;
  }
  return plainOf(n, memo);
}

/**
 * Resolves an interpolation node. Returns the node it points to (for `${a.b}`), or a detached
 * node holding the resolver result / concatenated string (parent set for relative lookups).
 */
export function resolveNode(node: ValueNode, memo: Set<Node> = new Set()): Node {
  if (!isInterpolationNode(node)) return node;
  if (memo.has(node)) {
    throw new InterpolationResolutionError(`Recursive interpolation detected while resolving '${node.fullKey()}': ${node.value}`);
  }
  memo.add(node);
  try {
    let parts: TextPart[];
    try {
      parts = parseConfigValue(node.value as string);
    } catch (e) {
      if (e instanceof HydraError) {
        const err = new InterpolationResolutionError(`${e.message} (at '${node.fullKey()}')`);
        throw err;
      }
      throw e;
    }
    const ctxNode = node;
    if (parts.length === 1 && parts[0]!.k === 'i') {
      const r = evalInterp(parts[0]!.v, ctxNode, memo);
      return r;
    }
    let out = '';
    for (const p of parts) out += p.k === 's' ? p.v : nodeToStr(evalInterp(p.v, ctxNode, memo));
    return detached(new ValueNode(out), node);
  } finally {
    memo.delete(node);
  }
}

function detached(n: Node, at: Node): Node {
  n.parent = at.parent;
  n.key = at.key;
  return n;
}

function interpKeyString(i: Interp & { k: 'node' }, at: Node, memo: Set<Node>): string {
  let key = '.'.repeat(i.dots);
  let first = true;
  for (const s of i.segs) {
    const v = typeof s.v === 'string' ? s.v : keyFromInterp(s.v, at, memo);
    if (s.sep === '[') key += `[${v}]`;
    else key += (first ? '' : '.') + v;
    first = false;
  }
  return key;
}

function keyFromInterp(i: Interp, at: Node, memo: Set<Node>): string {
  const r = evalInterp(i, at, memo);
  const v = r instanceof ValueNode ? r.value : null;
  if (typeof v !== 'string') {
    throw new InterpolationResolutionError(`Interpolation '${i.src}' is used as a config key and must give a string`);
  }
  return v;
}

function evalInterp(i: Interp, at: Node, memo: Set<Node>): Node {
  if (i.k === 'node') {
    const key = interpKeyString(i, at, memo);
    const base = i.dots > 0 ? at.parent : at.root();
    let target: Node | undefined;
    try {
      target = base ? selectNode(base, key, memo) : undefined;
    } catch (e) {
      if (e instanceof MissingMandatoryValue) {
        throw new MissingMandatoryValue(`Interpolation '${i.src}' at '${at.fullKey()}' points to a missing value: ${e.message}`);
      }
      throw e;
    }
    if (!target) {
      throw new InterpolationKeyError(`Interpolation key '${key}' not found (at '${at.fullKey()}': ${String((at as ValueNode).value)}): fix the key or add it to the config`);
    }
    if (isInterpolationNode(target)) target = resolveNode(target as ValueNode, memo);
    if (isMissingNode(target)) {
      throw new MissingMandatoryValue(
        `Interpolation '${i.src}' at '${at.fullKey()}' points to a missing value (???): set '${target.fullKey()}'`,
      );
    }
    return target;
  }
  const name = i.name.map((x) => (typeof x === 'string' ? x : keyFromInterp(x, at, memo))).join('.');
  const entry = resolvers.get(name);
  if (!entry) {
    throw new UnsupportedInterpolationType(`Unsupported interpolation type '${name}' in '${i.src}' (at '${at.fullKey()}'): register it with registerResolver('${name}', fn)`);
  }
  const args = i.args.map((a) => evalElement(a, at, memo));
  let cacheKey = '';
  let cache: Map<string, unknown> | undefined;
  if (entry.useCache) {
    const root = at.root();
    cache = caches.get(root);
    if (!cache) caches.set(root, (cache = new Map()));
    cacheKey = `${name}:${JSON.stringify(i.argsText)}`;
    if (cache.has(cacheKey)) return detached(fromPlain(cache.get(cacheKey)), at);
  }
  let result: unknown;
  try {
    result = entry.fn(args, { node: at, parent: at.parent, root: at.root(), argsText: i.argsText });
  } catch (e) {
    if (e instanceof HydraError) throw e;
    throw new InterpolationResolutionError(`Resolver '${name}' failed in '${i.src}' (at '${at.fullKey()}'): ${(e as Error).message}`);
  }
  if (cache) cache.set(cacheKey, result);
  if (result instanceof Node) return result;
  return detached(fromPlain(result), at);
}

function evalTok(toks: Tok[], at: Node, memo: Set<Node>): unknown {
  if (toks.length === 1) {
    const t = toks[0]!;
    if (t.v) return argValue(evalInterp(t.v, at, memo), memo);
    const pv = primitiveValue({ t: t.t, s: t.s! });
    return pv.isFloat && Number.isInteger(pv.value) ? new FloatValue(pv.value as number) : pv.value;
  }
  let s = '';
  for (const t of toks) {
    if (t.v) s += nodeToStr(evalInterp(t.v, at, memo));
    else if (t.t === 'ESC') s += primitiveValue({ t: t.t, s: t.s! }).value as string;
    else s += t.s;
  }
  return s;
}

export function evalElement(e: Element, at: Node, memo: Set<Node>): unknown {
  switch (e.k) {
    case 'prim':
      return unwrapFloat(evalTok(e.toks, at, memo));
    case 'quoted': {
      let s = '';
      for (const p of e.parts) s += p.k === 's' ? p.v : nodeToStr(evalInterp(p.v, at, memo));
      return s;
    }
    case 'list':
      return e.items.map((x) => evalElement(x, at, memo));
    case 'dict': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of e.pairs) o[String(unwrapFloat(evalTok(k, at, memo)))] = evalElement(v, at, memo);
      return o;
    }
  }
}

function unwrapFloat(v: unknown): unknown {
  return v instanceof FloatValue ? v.value : v;
}
