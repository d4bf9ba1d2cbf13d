/**
 * Typed configs: declare a schema once, get its TypeScript type with `Infer<typeof schema>`, and
 * have compose()/main() check the composed config against it (like OmegaConf structured configs:
 * defaults are filled in, unknown keys and wrong types are errors, `???` may stay unset).
 *
 *   const Train = s.object({ seed: s.int().nullable(), trainer: s.object({ max_epochs: s.int().default(10) }) });
 *   type Train = Infer<typeof Train>;
 *   await main({ configPath: 'configs', configName: 'train', schema: Train }, (cfg) => cfg.trainer.max_epochs);
 */
import { ValidationError, HydraError } from './errors.js';
import { DictNode, ListNode, ValueNode, Node, fromPlain, isInterpolationNode, isMissingNode } from './omegaconf/nodes.js';
import { resolveNode } from './omegaconf/resolve.js';

type Check = (v: unknown) => string | null;

export class Schema<T> {
  /** @internal phantom type */
  declare readonly _type: T;
  constructor(
    readonly kind: string,
    readonly check: Check,
    readonly opts: { optional?: boolean; nullable?: boolean; default?: unknown; hasDefault?: boolean; shape?: Record<string, Schema<unknown>>; item?: Schema<unknown>; open?: boolean } = {},
  ) {}
  /** The key may be absent. */
  optional(): Schema<T | undefined> {
    return new Schema(this.kind, this.check, { ...this.opts, optional: true });
  }
  /** null is allowed. */
  nullable(): Schema<T | null> {
    return new Schema(this.kind, this.check, { ...this.opts, nullable: true });
  }
  /** Value used when the config does not set the key. */
  default(value: T): Schema<T> {
    return new Schema(this.kind, this.check, { ...this.opts, default: value, hasDefault: true });
  }
}

export type Infer<S> = S extends Schema<infer T> ? T : never;
type Shape = Record<string, Schema<any>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'dict' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'string' ? 'str' : typeof v);

class ObjectSchema<S extends Shape> extends Schema<ObjectOf<S>> {
  constructor(shape: S, open = false, extra: Schema<unknown>['opts'] = {}) {
    super('object', (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : 'a dict'), { ...extra, shape, open });
  }
  /** Allow keys the schema does not list. */
  passthrough(): ObjectSchema<S> {
    return new ObjectSchema(this.opts.shape as S, true, this.opts);
  }
}

export const s = {
  int: () => new Schema<number>('int', (v) => (typeof v === 'number' && Number.isInteger(v) ? null : 'an int')),
  float: () => new Schema<number>('float', (v) => (typeof v === 'number' ? null : 'a float')),
  number: () => new Schema<number>('number', (v) => (typeof v === 'number' ? null : 'a number')),
  string: () => new Schema<string>('string', (v) => (typeof v === 'string' ? null : 'a string')),
  bool: () => new Schema<boolean>('bool', (v) => (typeof v === 'boolean' ? null : 'a bool')),
  any: () => new Schema<any>('any', () => null),
  literal: <const L extends readonly (string | number | boolean)[]>(...values: L) =>
    new Schema<L[number]>('literal', (v) => (values.includes(v as never) ? null : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`)),
  list: <I>(item: Schema<I>) => new Schema<I[]>('list', (v) => (Array.isArray(v) ? null : 'a list'), { item }),
  dict: <I>(item: Schema<I>) => new Schema<Record<string, I>>('dict', (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : 'a dict'), { item }),
  object: <S extends Shape>(shape: S) => new ObjectSchema(shape),
};

function valueOf(n: Node): { ok: true; node: Node } | { ok: false } {
  if (isInterpolationNode(n)) {
    try {
      return { ok: true, node: resolveNode(n as ValueNode) };
    } catch {
      return { ok: false }; // e.g. ${hydra:runtime.output_dir} before the run: checked when read
    }
  }
  return { ok: true, node: n };
}

function plain(n: Node): unknown {
  if (n instanceof ValueNode) return n.value;
  if (n instanceof ListNode) return [];
  return {};
}

/** Checks `cfg` against `schema`, filling defaults in place. Throws ValidationError. */
export function validate(cfg: Node, schema: Schema<unknown>, opts: { ignoreRootKeys?: string[] } = {}): void {
  const ignore = new Set(opts.ignoreRootKeys ?? []);
  const walk = (n: Node, sc: Schema<unknown>, path: string): void => {
    if (isMissingNode(n)) return;
    const r = valueOf(n);
    if (!r.ok) return;
    const node = r.node;
    const v = plain(node);
    if (v === null) {
      if (sc.opts.nullable || sc.kind === 'any') return;
      throw new ValidationError(`Invalid value for '${path || '<root>'}': null is not allowed (expected ${sc.check(undefined) ?? sc.kind}); use .nullable() in the schema or set a value`);
    }
    const err = sc.check(v);
    if (err) {
      const shown = node instanceof ValueNode ? `'${String(node.value)}' (${typeName(node.value)})` : `a ${typeName(v)}`;
      throw new ValidationError(`Invalid value for '${path || '<root>'}': expected ${err}, got ${shown}`);
    }
    if (sc.opts.shape && node instanceof DictNode) {
      for (const [k, child] of Object.entries(sc.opts.shape)) {
        const p = path ? `${path}.${k}` : k;
        const c = node.get(k);
        if (c === undefined) {
          if (child.opts.hasDefault) node.set(k, fromPlain(child.opts.default));
          else if (!child.opts.optional) throw new ValidationError(`Missing key '${p}' required by the schema: set it in the config or with +${p}=...`);
          continue;
        }
        walk(c, child, p);
      }
      if (!sc.opts.open) {
        for (const k of node.keys()) {
          if (!path && ignore.has(k)) continue;
          if (!(k in sc.opts.shape)) throw new ValidationError(`Key '${path ? `${path}.${k}` : k}' is not in the schema: remove it or declare it (or use .passthrough())`);
        }
      }
    } else if (sc.opts.item) {
      if (node instanceof ListNode) node.items.forEach((c, i) => walk(c, sc.opts.item!, `${path}[${i}]`));
      else if (node instanceof DictNode) for (const [k, c] of node.map) walk(c, sc.opts.item, path ? `${path}.${k}` : k);
    }
  };
  if (!(schema instanceof Schema)) throw new HydraError('schema must be built with s.object(...) and friends');
  walk(cfg, schema, '');
}
