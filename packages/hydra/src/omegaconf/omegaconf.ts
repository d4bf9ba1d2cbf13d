/**
 * OmegaConf operations on node trees: create, merge, select, update, struct/readonly flags,
 * to_container, to_yaml, resolve. Configs are handled as node trees here; proxy.ts gives them
 * the `cfg.a.b` object interface.
 */
import { readFileSync } from 'node:fs';
import {
  ConfigKeyError,
  ConfigTypeError,
  MissingMandatoryValue,
  ReadonlyConfigError,
  ConfigLoadError,
} from '../errors.js';
import {
  DictNode,
  ListNode,
  ValueNode,
  Node,
  fromPlain,
  isContainer,
  isInterpolationNode,
  isMissingNode,
  type ContainerNode,
  type Flags,
} from './nodes.js';
import { childOf, resolveNode, splitKey, selectNode } from './resolve.js';
import { dumpYaml, loadYaml } from './yaml.js';
import { isProxy, nodeOf, wrap } from './proxy.js';

export type AnyConfig = Node | object;

/** Node behind a config proxy, a node itself, or a new node tree from plain values. */
export function toNode(x: unknown): Node {
  if (x instanceof Node) return x;
  if (isProxy(x)) return nodeOf(x);
  return fromPlain(x);
}

function checkWritable(n: Node, what: string): void {
  if (n.getFlag('readonly')) {
    throw new ReadonlyConfigError(`Cannot ${what} '${n.fullKey() || '<root>'}': the config is read-only (use setReadonly(cfg, false) or OmegaConf.readWrite)`);
  }
}

function structError(parent: Node, key: string): ConfigKeyError {
  const full = parent.fullKey() ? `${parent.fullKey()}.${key}` : key;
  return new ConfigKeyError(`Key '${key}' is not in struct (full key: ${full}): add it with '+${full}=...' or open the config with openDict()`);
}

/**
 * Merges `src` into `dest` in place with OmegaConf's rules: dicts merge key by key, lists and
 * scalars are replaced, `???` in the source keeps the destination value, struct mode refuses keys
 * the destination does not have.
 */
export function mergeInto(dest: ContainerNode, src: Node): void {
  checkWritable(dest, 'merge into');
  if (isInterpolationNode(src) || !(src instanceof DictNode || src instanceof ListNode)) {
    throw new ConfigTypeError(`Cannot merge a ${describe(src)} into a ${describe(dest)}`);
  }
  if (dest instanceof ListNode) {
    if (!(src instanceof ListNode)) throw new ConfigTypeError(`Cannot merge a dict into a list at '${dest.fullKey() || '<root>'}'`);
    dest.items = [];
    for (const x of src.items) dest.push(x.clone());
    return;
  }
  if (!(src instanceof DictNode)) throw new ConfigTypeError(`Cannot merge a list into a dict at '${dest.fullKey() || '<root>'}'`);
  for (const [k, sv] of src.map) {
    let dv = dest.get(k);
    const srcMissing = isMissingNode(sv);
    if (dv === undefined) {
      if (dest.getFlag('struct')) throw structError(dest, k);
      dest.set(k, sv.clone());
      continue;
    }
    if (isInterpolationNode(dv) && isContainer(sv) && !isInterpolationNode(sv)) {
      try {
        const target = resolveNode(dv as ValueNode);
        if (isContainer(target)) {
          dest.set(k, target.clone());
          dv = dest.get(k)!;
        }
      } catch {
        /* keep: replaced below */
      }
    }
    if (dv instanceof DictNode) {
      if (sv instanceof DictNode) mergeInto(dv, sv);
      else if (sv instanceof ListNode) throw new ConfigTypeError(`Cannot merge a list into the dict at '${dv.fullKey()}'`);
      else if (!srcMissing) dest.set(k, withFlags(sv.clone(), dv));
    } else if (dv instanceof ListNode) {
      if (sv instanceof ListNode) mergeInto(dv, sv);
      else if (sv instanceof DictNode) throw new ConfigTypeError(`Cannot merge a dict into the list at '${dv.fullKey()}'`);
      else if (!srcMissing) dest.set(k, withFlags(sv.clone(), dv));
    } else {
      if (srcMissing && !isMissingNode(dv)) continue;
      dest.set(k, withFlags(sv.clone(), dv));
    }
  }
}

function withFlags(n: Node, old: Node): Node {
  n.flags = { ...old.flags, ...n.flags };
  return n;
}

function describe(n: Node): string {
  return n instanceof DictNode ? 'dict' : n instanceof ListNode ? 'list' : 'value';
}

/** OmegaConf.merge: a new config from several, later ones win. */
export function merge(...configs: AnyConfig[]): ContainerNode {
  if (!configs.length) return new DictNode();
  const first = toNode(configs[0]);
  if (!isContainer(first)) throw new ConfigTypeError('merge() takes dicts or lists');
  const out = first.clone();
  out.flags = { ...first.flags };
  for (const c of configs.slice(1)) mergeInto(out, toNode(c));
  return out;
}

export interface SelectOptions {
  default?: unknown;
  throwOnMissing?: boolean;
}

/** OmegaConf.select: value at a dotted key (resolved), or `default` when absent. */
export function select(cfg: AnyConfig, key: string, opts: SelectOptions = {}): unknown {
  const root = toNode(cfg);
  let n: Node | undefined;
  try {
    n = key === '' ? root : selectNode(root, key);
  } catch (e) {
    if (e instanceof MissingMandatoryValue && !opts.throwOnMissing) return 'default' in opts ? opts.default : undefined;
    throw e;
  }
  if (n === undefined) return 'default' in opts ? opts.default : undefined;
  if (isInterpolationNode(n)) n = resolveNode(n as ValueNode);
  if (isMissingNode(n)) {
    if (opts.throwOnMissing) throw new MissingMandatoryValue(`Missing mandatory value: ${n.fullKey()}`);
    return 'default' in opts ? opts.default : '???';
  }
  if (isContainer(n)) return wrap(n);
  return (n as ValueNode).value;
}

export interface UpdateOptions {
  /** Merge dicts into an existing dict (default true). */
  merge?: boolean;
  /** Add keys even in struct mode. */
  forceAdd?: boolean;
}

/** OmegaConf.update: sets the value at a dotted key, creating parent dicts as needed. */
export function update(cfg: AnyConfig, key: string, value: unknown, opts: UpdateOptions = {}): void {
  const mergeMode = opts.merge ?? true;
  let cur = toNode(cfg);
  const parts = splitKey(key);
  if (!parts.length) throw new ConfigKeyError('update() needs a non-empty key');
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!;
    if (!isContainer(cur)) throw new ConfigTypeError(`Cannot set '${key}': '${parts.slice(0, i).join('.')}' is not a dict`);
    let next = childOf(cur, k);
    if (next && isInterpolationNode(next)) {
      const t = resolveNode(next as ValueNode);
      if (isContainer(t)) next = t;
    }
    if (!isContainer(next)) {
      const d = new DictNode();
      setChild(cur, k, d, opts.forceAdd ?? false, next === undefined);
      next = d;
    }
    cur = next;
  }
  if (!isContainer(cur)) throw new ConfigTypeError(`Cannot set '${key}': parent is not a dict`);
  const last = parts[parts.length - 1]!;
  const existing = childOf(cur, last);
  const vnode = toNode(value);
  if (mergeMode && existing instanceof DictNode && vnode instanceof DictNode) {
    if (opts.forceAdd) withOpenStruct(existing, () => mergeInto(existing, vnode));
    else mergeInto(existing, vnode);
    return;
  }
  setChild(cur, last, value instanceof Node ? value.clone() : vnode, opts.forceAdd ?? false, existing === undefined);
}

function withOpenStruct(n: Node, fn: () => void): void {
  const saved = n.flags.struct;
  n.flags.struct = false;
  const restore: Array<[Node, boolean | undefined]> = [];
  // children that set struct explicitly would still refuse; open the whole subtree
  const walk = (x: Node) => {
    if (x.flags.struct !== undefined && x !== n) {
      restore.push([x, x.flags.struct]);
      x.flags.struct = false;
    }
    if (x instanceof DictNode) for (const c of x.map.values()) walk(c);
    if (x instanceof ListNode) for (const c of x.items) walk(c);
  };
  walk(n);
  try {
    fn();
  } finally {
    n.flags.struct = saved;
    for (const [x, v] of restore) x.flags.struct = v;
    if (saved === undefined) delete n.flags.struct;
  }
}

function setChild(parent: ContainerNode, key: string, child: Node, forceAdd: boolean, isNew: boolean): void {
  checkWritable(parent, 'set');
  if (parent instanceof ListNode) {
    if (!/^-?\d+$/.test(key)) throw new ConfigKeyError(`Cannot set '${key}' on list '${parent.fullKey()}': use an integer index`);
    let i = Number(key);
    if (i < 0) i += parent.items.length;
    if (i < 0 || i >= parent.items.length) throw new ConfigKeyError(`Index ${key} out of range for list '${parent.fullKey()}' of length ${parent.items.length}`);
    const old = parent.items[i]!;
    parent.setAt(i, withFlags(child, old));
    return;
  }
  if (isNew && parent.getFlag('struct') && !forceAdd) throw structError(parent, key);
  const old = parent.get(key);
  parent.set(key, old ? withFlags(child, old) : child);
}

export interface ToContainerOptions {
  resolve?: boolean;
  throwOnMissing?: boolean;
}

/** OmegaConf.to_container: plain objects/arrays (interpolations resolved when `resolve`). */
export function toContainer(cfg: AnyConfig, opts: ToContainerOptions = {}): unknown {
  const walk = (n: Node): unknown => {
    if (isInterpolationNode(n)) {
      if (!opts.resolve) return (n as ValueNode).value;
      n = resolveNode(n as ValueNode);
    }
    if (n instanceof ValueNode) {
      if (n.value === '???' && opts.throwOnMissing) throw new MissingMandatoryValue(`Missing mandatory value: ${n.fullKey()}`);
      return n.value;
    }
    if (n instanceof ListNode) return n.items.map(walk);
    const o: Record<string, unknown> = {};
    for (const [k, v] of (n as DictNode).map) o[k] = walk(v);
    return o;
  };
  return walk(toNode(cfg));
}

/** A copy with every interpolation replaced by its value (keeps int/float types). */
export function resolvedCopy(n: Node): Node {
  if (isInterpolationNode(n)) {
    const r = resolveNode(n as ValueNode);
    const c = isContainer(r) ? resolvedCopy(r) : r.clone();
    c.flags = { ...n.flags };
    return c;
  }
  if (n instanceof DictNode) {
    const d = new DictNode();
    d.flags = { ...n.flags };
    for (const [k, v] of n.map) d.set(k, resolvedCopy(v));
    return d;
  }
  if (n instanceof ListNode) {
    const l = new ListNode();
    l.flags = { ...n.flags };
    for (const v of n.items) l.push(resolvedCopy(v));
    return l;
  }
  return n.clone();
}

/** OmegaConf.resolve: replaces interpolations in place. */
export function resolveInPlace(cfg: AnyConfig): void {
  const root = toNode(cfg);
  const walk = (n: Node): void => {
    if (n instanceof DictNode) {
      for (const [k, v] of [...n.map]) {
        if (isInterpolationNode(v)) {
          const r = resolveNode(v as ValueNode);
          const c = isContainer(r) ? resolvedCopy(r) : r.clone();
          c.flags = { ...v.flags };
          n.set(k, c);
        } else walk(v);
      }
    } else if (n instanceof ListNode) {
      n.items.forEach((v, i) => {
        if (isInterpolationNode(v)) {
          const r = resolveNode(v as ValueNode);
          const c = isContainer(r) ? resolvedCopy(r) : r.clone();
          n.setAt(i, c);
        } else walk(v);
      });
    }
  };
  walk(root);
}

export interface ToYamlOptions {
  resolve?: boolean;
  sortKeys?: boolean;
}
/** OmegaConf.to_yaml. */
export function toYaml(cfg: AnyConfig, opts: ToYamlOptions = {}): string {
  const n = toNode(cfg);
  return dumpYaml(opts.resolve ? resolvedCopy(n) : n, { sortKeys: opts.sortKeys ?? false });
}

/** OmegaConf.create: from plain values or YAML text. */
export function create(value: unknown = {}): ContainerNode {
  const n = typeof value === 'string' ? loadYaml(value) : toNode(value).clone();
  if (!isContainer(n)) throw new ConfigTypeError('create() needs a dict or a list (or YAML text for one)');
  return n;
}

/** OmegaConf.load. */
export function load(file: string): ContainerNode {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigLoadError(`Cannot read config file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const n = loadYaml(text, { filename: file });
  if (!isContainer(n)) throw new ConfigLoadError(`Config file '${file}' must hold a mapping or a list`);
  return n;
}

export function setFlag(cfg: AnyConfig, flag: keyof Flags, value: boolean | undefined): void {
  const n = toNode(cfg);
  if (value === undefined) delete n.flags[flag];
  else n.flags[flag] = value;
}
export const setStruct = (cfg: AnyConfig, v: boolean | undefined) => setFlag(cfg, 'struct', v);
export const setReadonly = (cfg: AnyConfig, v: boolean | undefined) => setFlag(cfg, 'readonly', v);
export const isStruct = (cfg: AnyConfig) => toNode(cfg).getFlag('struct');
export const isReadonly = (cfg: AnyConfig) => toNode(cfg).getFlag('readonly');

/** Runs fn with struct mode off on cfg (OmegaConf's open_dict). */
export function openDict<T>(cfg: AnyConfig, fn: () => T): T {
  const n = toNode(cfg);
  const saved = n.flags.struct;
  n.flags.struct = false;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete n.flags.struct;
    else n.flags.struct = saved;
  }
}

/** Full keys of every `???` value. */
export function missingKeys(cfg: AnyConfig): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (isMissingNode(n)) out.push(n.fullKey());
    else if (n instanceof DictNode) for (const v of n.map.values()) walk(v);
    else if (n instanceof ListNode) for (const v of n.items) walk(v);
  };
  walk(toNode(cfg));
  return out;
}

export function isMissing(cfg: AnyConfig, key: string): boolean {
  const n = selectNode(toNode(cfg), key);
  return n !== undefined && isMissingNode(n);
}
export function isInterpolation(cfg: AnyConfig, key: string): boolean {
  const n = selectNode(toNode(cfg), key);
  return n !== undefined && isInterpolationNode(n);
}
