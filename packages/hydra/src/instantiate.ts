/**
 * instantiate(cfg): builds objects from configs with `_target_`, like hydra.utils.instantiate.
 * Targets are looked up in a registry of TypeScript classes/functions (registerTarget), or loaded
 * from `module#export` paths (instantiateAsync / loadTargets). Supports `_args_`, `_partial_`
 * and `_recursive_`; keyword arguments are passed as one object after the positional ones.
 */
import { createRequire } from 'node:module';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InstantiationError, HydraError, UnexpectedKeywordError } from './errors.js';
import { DictNode, ListNode, Node, ValueNode, isContainer, isInterpolationNode } from './omegaconf/nodes.js';
import { mergeInto, resolvedCopy, toContainer, toNode } from './omegaconf/omegaconf.js';
import { resolveNode } from './omegaconf/resolve.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Target = (...args: any[]) => any;

const registry = new Map<string, Target>();
const classes = new WeakSet<Target>();
/** The keyword arguments a registered target takes (absent: any). */
const keywords = new Map<string, ReadonlySet<string>>();

export interface RegisterOptions {
  isClass?: boolean;
  /**
   * The keyword arguments the target takes. When given, a config key outside this list fails
   * like Python's `TypeError: got an unexpected keyword argument` (UnexpectedKeywordError),
   * when the config is instantiated (for `_partial_` targets too, before the call).
   */
  keys?: readonly string[];
}

/** Registers a constructor or function under a name usable as `_target_`. */
export function registerTarget(name: string, target: Target, opts: RegisterOptions = {}): void {
  if (typeof target !== 'function') throw new HydraError(`registerTarget('${name}'): the target must be a class or a function`);
  registry.set(name, target);
  if (opts.isClass) classes.add(target);
  if (opts.keys) keywords.set(name, new Set(opts.keys));
  else keywords.delete(name);
}

/** Levenshtein distance (for "closest match first"). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** `keys` ordered by closeness to `key` (ties alphabetically). */
export function closestKeys(key: string, keys: Iterable<string>): string[] {
  const k = key.toLowerCase();
  return [...keys]
    .map((c) => ({ c, d: editDistance(k, c.toLowerCase()) - (c.toLowerCase().startsWith(k) || k.startsWith(c.toLowerCase()) ? 0.5 : 0) }))
    .sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : x.c > y.c ? 1 : 0))
    .map((x) => x.c);
}

function checkKeywords(target: string, given: Iterable<string>, where: string): void {
  const takes = keywords.get(target);
  if (!takes) return;
  for (const k of given) {
    if (!takes.has(k)) throw new UnexpectedKeywordError(target, k, where ? `${where}.${k}` : k, closestKeys(k, takes));
  }
}
/** Registers every export of a module object under `prefix.name`. */
export function registerTargets(prefix: string, mod: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(mod)) if (typeof v === 'function') registerTarget(prefix ? `${prefix}.${k}` : k, v as Target);
}
export function unregisterTarget(name: string): boolean {
  return registry.delete(name);
}

function isClass(fn: Target): boolean {
  return classes.has(fn) || /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

const SPECIAL = new Set(['_target_', '_args_', '_partial_', '_recursive_', '_convert_']);

function splitModulePath(target: string): { module: string; exportName: string } | null {
  const i = target.lastIndexOf('#');
  if (i <= 0) return null;
  return { module: target.slice(0, i), exportName: target.slice(i + 1) || 'default' };
}

function moduleSpecifier(mod: string, baseDir: string): string {
  if (mod.startsWith('.') || isAbsolute(mod)) return pathToFileURL(resolvePath(baseDir, mod)).href;
  return mod;
}

function pick(mod: Record<string, unknown>, name: string, target: string): Target {
  let v: unknown = mod;
  for (const part of name.split('.')) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[part];
  if (typeof v !== 'function') throw new InstantiationError(`Error locating target '${target}': '${name}' is not a function or class exported by the module`);
  return v as Target;
}

function locate(target: string, baseDir: string): Target {
  const hit = registry.get(target);
  if (hit) return hit;
  const mp = splitModulePath(target);
  if (mp) {
    // CommonJS modules load synchronously; ES modules need instantiateAsync()/loadTargets()
    try {
      const req = createRequire(resolvePath(baseDir, 'noop.js'));
      const mod = req(mp.module.startsWith('.') ? resolvePath(baseDir, mp.module) : mp.module) as Record<string, unknown>;
      const fn = pick(mod, mp.exportName, target);
      registry.set(target, fn);
      return fn;
    } catch (e) {
      if (e instanceof InstantiationError) throw e;
      throw new InstantiationError(`Error locating target '${target}': ${(e as Error).message.split('\n')[0]} (ES modules: use instantiateAsync() or await loadTargets(cfg) first)`);
    }
  }
  throw new InstantiationError(`Error locating target '${target}': register it with registerTarget('${target}', fn) or use a module path such as './models.js#Net'`);
}

function targetsIn(n: Node, out: Set<string>): void {
  if (n instanceof DictNode) {
    const t = n.get('_target_');
    if (t instanceof ValueNode && typeof t.value === 'string') out.add(t.value);
    for (const c of n.map.values()) targetsIn(c, out);
  } else if (n instanceof ListNode) for (const c of n.items) targetsIn(c, out);
}

/** Imports every `module#export` target in cfg (ES modules) so instantiate() can use them. */
export async function loadTargets(cfg: unknown, opts: { baseDir?: string } = {}): Promise<void> {
  const baseDir = opts.baseDir ?? process.cwd();
  const node = resolvedCopy(toNode(cfg));
  const targets = new Set<string>();
  targetsIn(node, targets);
  for (const t of targets) {
    if (registry.has(t)) continue;
    const mp = splitModulePath(t);
    if (!mp) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(moduleSpecifier(mp.module, baseDir))) as Record<string, unknown>;
    } catch (e) {
      throw new InstantiationError(`Error locating target '${t}': cannot import '${mp.module}': ${(e as Error).message.split('\n')[0]}`);
    }
    registry.set(t, pick(mod, mp.exportName, t));
  }
}

export interface InstantiateOptions {
  /** Folder that relative module paths in `_target_` start from (default: cwd). */
  baseDir?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Instantiates `config` (a config proxy, node, or plain object). `kwargs` are merged into the
 * config first (hydra's instantiate(cfg, **kwargs)). Values that are not `_target_` configs are
 * returned as plain data.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function instantiate<R = any>(config: unknown, kwargs: Record<string, unknown> = {}, opts: InstantiateOptions = {}): R {
  const baseDir = opts.baseDir ?? process.cwd();
  let node = toNode(config);
  if (Object.keys(kwargs).length) {
    if (!(node instanceof DictNode)) throw new InstantiationError('instantiate(): extra keyword arguments need a dict config');
    const copy = node.clone();
    copy.flags = {};
    const parent = node.parent;
    mergeInto(copy, toNode(kwargs));
    copy.parent = parent;
    copy.key = node.key;
    node = copy;
  }
  return build(node, true, baseDir) as R;
}

/** instantiate() after importing every `module#export` target (ES modules). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function instantiateAsync<R = any>(config: unknown, kwargs: Record<string, unknown> = {}, opts: InstantiateOptions = {}): Promise<R> {
  await loadTargets(config, opts);
  return instantiate<R>(config, kwargs, opts);
}

function value(n: Node): Node {
  return isInterpolationNode(n) ? resolveNode(n as ValueNode) : n;
}

function build(n: Node, recursive: boolean, baseDir: string): unknown {
  n = value(n);
  if (n instanceof ListNode) return n.items.map((x) => (recursive ? build(x, true, baseDir) : toContainer(resolvedCopy(x))));
  if (!(n instanceof DictNode)) {
    const v = (n as ValueNode).value;
    if (v === '???') throw new InstantiationError(`Missing mandatory value: ${n.fullKey()}`);
    return v;
  }
  const t = n.get('_target_');
  if (!t) {
    if (!recursive) return toContainer(resolvedCopy(n));
    const o: Record<string, unknown> = {};
    for (const [k, c] of n.map) o[k] = build(c, true, baseDir);
    return o;
  }
  const targetName = (value(t) as ValueNode).value;
  if (typeof targetName !== 'string' && typeof targetName !== 'function') {
    throw new InstantiationError(`Invalid _target_ at '${n.fullKey() || '<root>'}': expected a string`);
  }
  const recNode = n.get('_recursive_');
  const rec = recNode ? (value(recNode) as ValueNode).value !== false : recursive;
  const partialNode = n.get('_partial_');
  const partial = partialNode ? (value(partialNode) as ValueNode).value === true : false;
  const fn = typeof targetName === 'function' ? (targetName as Target) : locate(targetName, baseDir);
  // keys are checked before nested targets are built (a typo fails before any work is done)
  if (typeof targetName === 'string') checkKeywords(targetName, [...n.map.keys()].filter((k) => !SPECIAL.has(k)), n.fullKey());
  const argsNode = n.get('_args_');
  const args: unknown[] = [];
  if (argsNode) {
    const a = value(argsNode);
    if (!(a instanceof ListNode)) throw new InstantiationError(`_args_ at '${n.fullKey()}' must be a list`);
    for (const x of a.items) args.push(rec ? build(x, true, baseDir) : toContainer(resolvedCopy(x)));
  }
  const kw: Record<string, unknown> = {};
  for (const [k, c] of n.map) {
    if (SPECIAL.has(k)) continue;
    kw[k] = rec ? build(c, true, baseDir) : isContainer(value(c)) ? toContainer(resolvedCopy(c)) : (value(c) as ValueNode).value;
    if (kw[k] === '???') throw new InstantiationError(`Missing mandatory value: ${c.fullKey()}`);
  }
  const name = typeof targetName === 'string' ? targetName : fn.name;
  const call = (extraArgs: unknown[], extraKw: Record<string, unknown>) => {
    if (typeof targetName === 'string') checkKeywords(targetName, Object.keys(extraKw), n.fullKey());
    const allKw = { ...kw, ...extraKw };
    const allArgs = [...args, ...extraArgs];
    if (Object.keys(allKw).length) allArgs.push(allKw);
    try {
      return isClass(fn) ? new (fn as unknown as new (...a: unknown[]) => unknown)(...allArgs) : fn(...allArgs);
    } catch (e) {
      throw new InstantiationError(`Error in call to target '${name}': ${(e as Error).name}: ${(e as Error).message}`);
    }
  };
  if (partial) {
    // like functools.partial: later positional args are appended, a trailing plain object adds keyword args
    return (...more: unknown[]) => {
      const last = more[more.length - 1];
      if (more.length && isPlainObject(last)) return call(more.slice(0, -1), last);
      return call(more, {});
    };
  }
  return call([], {});
}
