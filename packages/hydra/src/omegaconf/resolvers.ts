/** OmegaConf's built-in resolvers: oc.env, oc.decode, oc.create, oc.select, oc.deprecated, oc.dict.*. */
import { InterpolationResolutionError } from '../errors.js';
import { parseSingleElement } from './grammar.js';
import { DictNode, ListNode, Node, ValueNode, fromPlain, isContainer, isInterpolationNode } from './nodes.js';
import { evalElement, plainOf, registerResolver, resolveNode, selectNode, type ResolverContext } from './resolve.js';

function selectFrom(ctx: ResolverContext, key: string): Node | undefined {
  const base = key.startsWith('.') ? ctx.parent : ctx.root;
  if (!base) return undefined;
  let n = selectNode(base, key);
  if (n && isInterpolationNode(n)) n = resolveNode(n as ValueNode);
  return n;
}

let installed = false;
export function installDefaultResolvers(): void {
  if (installed) return;
  installed = true;
  registerResolver('oc.env', (args) => {
    const [name, ...rest] = args;
    if (typeof name !== 'string') throw new InterpolationResolutionError(`oc.env: the variable name must be a string, got ${String(name)}`);
    const v = process.env[name];
    if (v !== undefined) return v;
    if (rest.length) {
      const d = rest[0];
      return d === null ? null : String(d);
    }
    throw new InterpolationResolutionError(`Environment variable '${name}' not found: set it, or give a default with \${oc.env:${name},default}`);
  });
  registerResolver('oc.decode', (args, ctx) => {
    const s = args[0];
    if (s === null) return null;
    if (typeof s !== 'string') throw new InterpolationResolutionError(`oc.decode: expected a string, got ${String(s)}`);
    const e = parseSingleElement(s);
    return evalElement(e, ctx.node, new Set());
  });
  registerResolver('oc.create', (args, ctx) => {
    const v = args[0];
    const n = fromPlain(v);
    n.parent = ctx.parent;
    return n;
  });
  registerResolver('oc.select', (args, ctx) => {
    const key = String(args[0]);
    const n = selectFrom(ctx, key);
    if (n === undefined || (n instanceof ValueNode && n.value === '???')) return args.length > 1 ? args[1] : null;
    return n;
  });
  registerResolver('oc.deprecated', (args, ctx) => {
    const key = String(args[0]);
    const n = selectFrom(ctx, key);
    if (n === undefined) throw new InterpolationResolutionError(`In oc.deprecated resolver at '${ctx.node.fullKey()}': Key not found: '${key}'`);
    const msg = args[1] !== undefined ? String(args[1]) : `'${ctx.node.fullKey()}' is deprecated. Change your code and config to use '${key}'`;
    process.emitWarning(msg.replace('$OLD_KEY', ctx.node.fullKey()).replace('$NEW_KEY', key));
    return n;
  });
  const dictArg = (v: unknown, ctx: ResolverContext, name: string): Record<string, unknown> => {
    if (typeof v === 'string') {
      const n = selectFrom(ctx, v);
      if (!(n instanceof DictNode)) throw new InterpolationResolutionError(`${name}: '${v}' is not a dict`);
      return plainOf(n) as Record<string, unknown>;
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new InterpolationResolutionError(`${name}: expected a dict or the key of one`);
  };
  registerResolver('oc.dict.keys', (args, ctx) => Object.keys(dictArg(args[0], ctx, 'oc.dict.keys')));
  registerResolver('oc.dict.values', (args, ctx) => {
    if (typeof args[0] === 'string') {
      const n = selectFrom(ctx, args[0]);
      if (n instanceof DictNode) {
        const l = new ListNode();
        for (const k of n.keys()) l.push(new ValueNode(`\${${n.fullKey()}.${k}}`));
        l.parent = ctx.parent;
        return l;
      }
    }
    return Object.values(dictArg(args[0], ctx, 'oc.dict.values'));
  });
}
export { isContainer };
