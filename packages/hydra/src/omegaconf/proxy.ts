/**
 * `cfg.a.b` access to a node tree (OmegaConf's DictConfig/ListConfig attribute access):
 * values come back resolved, `???` throws MissingMandatoryValue when read, struct mode refuses
 * unknown keys on read and write, read-only refuses writes.
 */
import { inspect } from 'node:util';
import { ConfigKeyError, MissingMandatoryValue, ReadonlyConfigError } from '../errors.js';
import { DictNode, ListNode, ValueNode, Node, isContainer, isInterpolationNode, type ContainerNode } from './nodes.js';
import { resolveNode } from './resolve.js';
import { toContainer, update } from './omegaconf.js';

const NODE = Symbol.for('copper.hydra.node');

export function isProxy(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[NODE] !== undefined;
}
export function nodeOf(x: unknown): Node {
  return (x as Record<symbol, Node>)[NODE]!;
}

/** The value a reader sees at a child node. */
export function readValue(n: Node): unknown {
  if (isInterpolationNode(n)) n = resolveNode(n as ValueNode);
  if (n instanceof ValueNode) {
    if (n.value === '???') {
      throw new MissingMandatoryValue(`Missing mandatory value: ${n.fullKey()} (set it in the config or on the command line: ${n.fullKey()}=...)`);
    }
    return n.value;
  }
  return wrap(n as ContainerNode);
}

const cache = new WeakMap<Node, object>();

/** Wraps a container node in a proxy typed as T. */
export function wrap<T = Record<string, any>>(node: ContainerNode): T {
  const hit = cache.get(node);
  if (hit) return hit as T;
  const isList = node instanceof ListNode;
  const target: object = isList ? [] : {};
  // util.inspect looks at a proxy's target, not through its traps: give the target the hook
  Object.defineProperty(target, inspect.custom, { value: () => toContainer(node), configurable: true, enumerable: false, writable: true });
  const keysOf = (): string[] => (isList ? (node as ListNode).items.map((_, i) => String(i)) : (node as DictNode).keys());
  const childAt = (prop: string): Node | undefined => {
    if (isList) {
      if (!/^\d+$/.test(prop)) return undefined;
      return (node as ListNode).items[Number(prop)];
    }
    return (node as DictNode).get(prop);
  };
  const p = new Proxy(target, {
    get(_t, prop) {
      if (prop === NODE) return node;
      if (typeof prop === 'symbol') {
        if (prop === Symbol.iterator) {
          if (isList) return function* () {
            for (const c of (node as ListNode).items) yield readValue(c);
          };
          return undefined;
        }
        if (prop === inspect.custom) return () => toContainer(node);
        if (prop === Symbol.toStringTag) return isList ? 'ListConfig' : 'DictConfig';
        return undefined;
      }
      if (prop === 'toJSON') return () => toContainer(node, { resolve: true });
      if (prop === 'then') return undefined;
      const c = childAt(prop);
      if (c) return readValue(c);
      if (isList) {
        if (prop === 'length') return (node as ListNode).items.length;
        const arrProto = (Array.prototype as unknown as Record<string, unknown>)[prop];
        if (typeof arrProto === 'function') {
          const arr = (node as ListNode).items.map(readValue);
          return (arrProto as (...a: unknown[]) => unknown).bind(arr);
        }
        return undefined;
      }
      if (node.getFlag('struct')) {
        const full = node.fullKey() ? `${node.fullKey()}.${prop}` : prop;
        throw new ConfigKeyError(`Key '${prop}' is not in struct (full key: ${full}): check the spelling, or add it with +${full}=... on the command line`);
      }
      return undefined;
    },
    set(_t, prop, value) {
      if (typeof prop === 'symbol') return false;
      update(node, isList ? `[${prop}]` : quoteKey(prop), value, { merge: false });
      return true;
    },
    deleteProperty(_t, prop) {
      if (typeof prop === 'symbol') return false;
      if (node.getFlag('readonly')) throw new ReadonlyConfigError(`Cannot delete '${prop}': the config is read-only`);
      if (isList) {
        const l = node as ListNode;
        l.items.splice(Number(prop), 1);
        l.reindex();
        return true;
      }
      if (node.getFlag('struct')) throw new ConfigKeyError(`Cannot delete '${prop}' in struct mode: open the config with openDict() first`);
      (node as DictNode).delete(prop);
      return true;
    },
    has(_t, prop) {
      if (prop === NODE) return true;
      if (typeof prop === 'symbol') return false;
      if (isList && prop === 'length') return true;
      return childAt(prop) !== undefined;
    },
    ownKeys() {
      return isList ? [...keysOf(), 'length'] : keysOf();
    },
    getOwnPropertyDescriptor(_t, prop) {
      if (typeof prop === 'symbol') return undefined;
      if (isList && prop === 'length') return { value: (node as ListNode).items.length, writable: true, enumerable: false, configurable: false };
      const c = childAt(prop);
      if (!c) return undefined;
      return { enumerable: true, configurable: true, writable: true, value: readValue(c) };
    },
  });
  cache.set(node, p);
  return p as T;
}

function quoteKey(k: string): string {
  return /[.[\]]/.test(k) ? `[${k}]` : k;
}

export function isDictConfig(x: unknown): boolean {
  return isProxy(x) && nodeOf(x) instanceof DictNode;
}
export function isListConfig(x: unknown): boolean {
  return isProxy(x) && nodeOf(x) instanceof ListNode;
}
export { isContainer };
