/**
 * Composition: defaults list -> merge every config at its package -> struct mode -> command line
 * overrides -> the `hydra` node's runtime fields. This is Hydra's ConfigLoaderImpl.
 */
import { basename } from 'node:path';
import {
  ConfigCompositionError,
  ConfigKeyError,
  HydraError,
  InterpolationResolutionError,
  MissingMandatoryValue,
  OmegaConfError,
} from '../errors.js';
import { parseOverrides } from '../grammar/parser.js';
import { Override } from '../grammar/types.js';
import { DictNode, ListNode, ValueNode, FloatValue, fromPlain, isContainer, isMissingNode, type Node } from '../omegaconf/nodes.js';
import { mergeInto, update, openDict, toContainer } from '../omegaconf/omegaconf.js';
import { registerResolver, hasResolver, selectNode, resolveNode } from '../omegaconf/resolve.js';
import { installDefaultResolvers } from '../omegaconf/resolvers.js';
import { isInterpolationNode } from '../omegaconf/nodes.js';
import { wrap } from '../omegaconf/proxy.js';
import { createDefaultsList, type ResultDefault } from './defaults.js';
import { ConfigRepository } from './repository.js';
import { strftime } from './strftime.js';
import { validate, type Schema, type Infer } from '../schema.js';

export const VERSION = '0.1.0';
export const VERSION_BASE = '1.3';

export type RunMode = 'RUN' | 'MULTIRUN';

/** The hydra node of the job being run (set by main() for `${hydra:...}`). */
let currentHydra: Node | null = null;
const hydraOfRoot = new WeakMap<Node, Node>();

export function setHydraConfig(hydra: Node | null): void {
  currentHydra = hydra;
}
export function getHydraConfig(): Node | null {
  return currentHydra;
}
/** Lets `${hydra:...}` in a task config (the config without its `hydra` node) find that node. */
export function linkHydraConfig(taskRoot: Node, hydra: Node): void {
  hydraOfRoot.set(taskRoot, hydra);
}

function installHydraResolvers(): void {
  installDefaultResolvers();
  if (!hasResolver('now')) registerResolver('now', (args) => strftime(String(args[0] ?? '%Y-%m-%d_%H-%M-%S')), { useCache: true });
  if (!hasResolver('hydra')) {
    registerResolver('hydra', (args, ctx) => {
      const key = String(args[0] ?? '');
      const root = ctx.root;
      let hydra: Node | undefined | null = root instanceof DictNode ? root.get('hydra') : undefined;
      if (!hydra) hydra = hydraOfRoot.get(root) ?? currentHydra;
      if (!hydra) throw new InterpolationResolutionError(`\${hydra:${key}} needs the Hydra config: run through main() or compose({ returnHydraConfig: true })`);
      let n = key ? selectNode(hydra, key) : hydra;
      if (n === undefined) throw new InterpolationResolutionError(`Key '${key}' not found in the Hydra config (in \${hydra:${key}})`);
      if (isInterpolationNode(n)) n = resolveNode(n as ValueNode);
      if (isMissingNode(n)) throw new MissingMandatoryValue(`\${hydra:${key}} is not set yet (Hydra sets it when a job runs through main())`);
      return n;
    });
  }
}
installHydraResolvers();

export interface ComposeOptions {
  /** Config folder(s): the first is the primary search path entry. */
  configDir?: string | string[];
  /** Primary config name (without .yaml); null for none. */
  configName?: string | null;
  /** Command line overrides, e.g. ['db=mysql', 'db.user=me', '+x=1']. */
  overrides?: string[];
  /** Keep the `hydra` node in the result (default false, as Hydra's compose API). */
  returnHydraConfig?: boolean;
  /** RUN fails on sweeps; MULTIRUN skips `???` group defaults. */
  runMode?: RunMode;
  /** hydra.job.name (default: the script's file name). */
  jobName?: string;
  /** Refuse sweep overrides in RUN mode (default true). */
  validateSweeps?: boolean;
  /** Add Hydra's own config groups (default true). */
  withHydra?: boolean;
  /** Check the composed config (without `hydra`) against this schema; fills its defaults. */
  schema?: Schema<any>;
}

export interface Composition {
  cfg: DictNode;
  defaults: ResultDefault[];
  choices: Record<string, string | null>;
  overrides: Override[];
  repo: ConfigRepository;
}

export function defaultJobName(): string {
  const script = process.argv[1];
  if (!script) return 'app';
  return basename(script).replace(/\.(m?[jt]s|cjs|cts|py)$/, '');
}

function embed(config: Node, pkg: string): Node {
  if (!pkg) return config;
  const root = new DictNode();
  let cur = root;
  const parts = pkg.split('.');
  parts.forEach((p, i) => {
    if (i === parts.length - 1) cur.set(p, config);
    else {
      const d = new DictNode();
      cur.set(p, d);
      cur = d;
    }
  });
  return root;
}

export function makeRepository(opts: ComposeOptions, overrides: Override[], primary?: Node): ConfigRepository {
  const dirs = opts.configDir === undefined ? [] : Array.isArray(opts.configDir) ? [...opts.configDir] : [opts.configDir];
  let repo = ConfigRepository.create(dirs, { builtins: opts.withHydra ?? true });
  // hydra.searchpath (primary config or command line) adds folders to the search path
  let sp: unknown = undefined;
  const spo = overrides.find((o) => o.keyOrGroup === 'hydra.searchpath' && !o.isDelete());
  if (spo) sp = spo.value();
  else if (opts.configName) {
    const loaded = primary ? null : repo.load(opts.configName);
    const cfg = primary ?? loaded?.config;
    if (cfg instanceof DictNode) {
      const h = cfg.get('hydra');
      const s = h instanceof DictNode ? h.get('searchpath') : undefined;
      if (s instanceof ListNode) sp = toContainer(s);
    }
  }
  if (sp !== undefined && sp !== null) {
    if (!Array.isArray(sp) || sp.some((x) => typeof x !== 'string')) {
      throw new ConfigCompositionError(`hydra.searchpath must be a list of strings, got ${JSON.stringify(sp)}`);
    }
    const extra = (sp as string[]).map((p) => p.replace(/^file:\/\//, ''));
    repo = ConfigRepository.create([...dirs, ...extra], { builtins: opts.withHydra ?? true });
  }
  return repo;
}

export function validateSweepOverrides(overrides: Override[], runMode: RunMode): void {
  if (runMode !== 'RUN') return;
  for (const o of overrides) {
    if (o.isSweep()) {
      const v = o.inputLine.slice(o.inputLine.indexOf('=') + 1);
      throw new ConfigCompositionError(
        `Ambiguous value for argument '${o.inputLine}': to use it as a list use ${o.keyOrGroup}=[${v}], as a string quote it: ${o.keyOrGroup}='${v}', to sweep over it add --multirun (-m)`,
      );
    }
  }
}

/** Hydra's _apply_overrides_to_config. */
export function applyConfigOverrides(cfg: DictNode, overrides: Override[]): void {
  for (const o of overrides) {
    if (o.pkg !== null) {
      throw new ConfigCompositionError(`Override '${o.inputLine}' looks like a config group override, but config group '${o.keyOrGroup}' does not exist`);
    }
    const key = o.keyOrGroup;
    const value = o.value();
    try {
      if (o.isDelete()) {
        const dot = key.lastIndexOf('.');
        const parent = dot < 0 ? cfg : selectNode(cfg, key.slice(0, dot));
        let node: Node | undefined;
        try {
          node = selectNode(cfg, key);
        } catch {
          node = undefined;
        }
        if (!parent || !isContainer(parent) || node === undefined) {
          throw new ConfigCompositionError(`Could not delete from config: '${key}' does not exist`);
        }
        if (o.valueType !== null) {
          const cur = isMissingNode(node) ? '???' : toContainer(node instanceof ValueNode ? node : node, { resolve: true });
          const want = value instanceof FloatValue ? value.value : value;
          if (JSON.stringify(cur) !== JSON.stringify(want)) {
            throw new ConfigCompositionError(`Could not delete from config: the value of '${key}' is ${JSON.stringify(cur)} and not ${JSON.stringify(want)}`);
          }
        }
        openDict(parent, () => {
          if (parent instanceof ListNode) {
            parent.items.splice(Number(key.slice(dot + 1)), 1);
            parent.reindex();
          } else (parent as DictNode).delete(dot < 0 ? key : key.slice(dot + 1));
        });
      } else if (o.isAdd()) {
        let existing: Node | undefined;
        try {
          existing = selectNode(cfg, key);
        } catch {
          existing = undefined;
        }
        const isNone = existing === undefined || (existing instanceof ValueNode && existing.value === null);
        const isContainerValue = value !== null && typeof value === 'object' && !(value instanceof FloatValue);
        if (isNone || isContainerValue) update(cfg, key, value, { merge: true, forceAdd: true });
        else {
          throw new ConfigCompositionError(
            `Could not append to config: an item is already at '${key}'. Either remove the + prefix: '${o.inputLine.slice(1)}', or add a second + to add or override '${key}': '+${o.inputLine}'`,
          );
        }
      } else if (o.isForceAdd()) {
        update(cfg, key, value, { merge: true, forceAdd: true });
      } else if (o.isListExtend()) {
        const n = selectNode(cfg, key);
        if (!(n instanceof ListNode)) throw new ConfigCompositionError(`Could not append to config list: the value of '${key}' is not a list`);
        for (const x of value as unknown[]) n.push(fromPlain(x));
      } else {
        try {
          update(cfg, key, value, { merge: true });
        } catch (e) {
          if (e instanceof ConfigKeyError) {
            throw new ConfigCompositionError(`Could not override '${key}': it is not in the config. To append to your config use +${o.inputLine}`);
          }
          throw e;
        }
      }
    } catch (e) {
      if (e instanceof ConfigCompositionError) throw e;
      if (e instanceof OmegaConfError) throw new ConfigCompositionError(`Error merging override ${o.inputLine}: ${e.message}`);
      throw e;
    }
  }
}

/** Composes a config and returns the node tree plus how it was made. */
export function composeNodes(opts: ComposeOptions = {}): Composition {
  const overrideStrings = opts.overrides ?? [];
  const parsed = parseOverrides(overrideStrings);
  const runMode = opts.runMode ?? 'RUN';
  const withHydra = opts.withHydra ?? true;
  const repo = makeRepository(opts, parsed);
  if (opts.validateSweeps ?? true) validateSweepOverrides(parsed, runMode);
  const configName = opts.configName ?? null;
  const dl = createDefaultsList(repo, configName, parsed, { prependHydra: withHydra, skipMissing: runMode === 'MULTIRUN' });

  const cfg = new DictNode();
  for (const d of dl.defaults) {
    const loaded = repo.load(d.configPath);
    if (!loaded) throw new ConfigCompositionError(`Could not load '${d.configPath}'`);
    const config = loaded.config.clone();
    if (!(config instanceof DictNode) && d.package === '') {
      throw new ConfigCompositionError(`In '${d.configPath}': a config merged at the top level must be a mapping, not a list: give it a package ('# @package name')`);
    }
    if (!d.primary && d.configPath !== 'hydra/config' && config instanceof DictNode) {
      const h = config.get('hydra');
      if (h instanceof DictNode && h.get('searchpath') !== undefined && d.package === '') {
        throw new ConfigCompositionError(`In '${d.configPath}': overriding hydra.searchpath is only supported from the primary config`);
      }
    }
    try {
      mergeInto(cfg, embed(config, d.package));
    } catch (e) {
      if (e instanceof HydraError) throw new ConfigCompositionError(`In '${d.configPath}': ${e.message}`);
      throw e;
    }
  }

  // struct mode: unknown keys need + on the command line
  cfg.flags.struct = true;
  const hydra = cfg.get('hydra');
  if (hydra) hydra.flags.readonly = false;

  applyConfigOverrides(cfg, dl.configOverrides);
  if (opts.schema) validate(cfg, opts.schema, { ignoreRootKeys: withHydra ? ['hydra'] : [] });

  if (withHydra && hydra instanceof DictNode) {
    openDict(hydra, () => {
      const ov = hydra.get('overrides') as DictNode;
      for (const o of parsed) {
        const list = ov.get(o.isHydraOverride() ? 'hydra' : 'task') as ListNode;
        list.push(new ValueNode(o.inputLine));
      }
      const rt = hydra.get('runtime') as DictNode;
      const choices = rt.get('choices') as DictNode;
      for (const [k, v] of Object.entries(dl.choices)) choices.set(k, new ValueNode(v));
      rt.set('version', new ValueNode(VERSION));
      rt.set('version_base', new ValueNode(VERSION_BASE));
      rt.set('cwd', new ValueNode(process.cwd()));
      rt.set(
        'config_sources',
        fromPlain(repo.sources.map((s) => ({ path: s.path, schema: s.path.startsWith('builtin://') ? 'pkg' : 'file', provider: s.provider }))),
      );
      const job = hydra.get('job') as DictNode;
      const envSet = job.get('env_set');
      const envCopy = job.get('env_copy');
      if (envCopy instanceof ListNode && envSet instanceof DictNode) {
        for (const k of envCopy.items) {
          const name = String((k as ValueNode).value);
          if (process.env[name] !== undefined) envSet.set(name, new ValueNode(process.env[name]!));
        }
      }
      // Hydra 1.3: sorted task override lines joined by item_sep, '=' replaced by kv_sep
      const od = toContainer(job.get('config') ?? new DictNode(), { resolve: true }) as any;
      const exclude = new Set<string>(od?.override_dirname?.exclude_keys ?? []);
      const lines = parsed.filter((o) => !o.isHydraOverride() && !exclude.has(o.keyOrGroup)).map((o) => o.inputLine).sort();
      const kvSep = String(od?.override_dirname?.kv_sep ?? '=');
      job.set('override_dirname', new ValueNode(lines.join(String(od?.override_dirname?.item_sep ?? ',')).replace(/=/g, kvSep)));
      const name = job.get('name');
      if (!name || isMissingNode(name)) job.set('name', new ValueNode(opts.jobName ?? defaultJobName()));
      job.set('config_name', new ValueNode(configName));
    });
    hydraOfRoot.set(cfg, hydra);
  }
  return { cfg, defaults: dl.defaults, choices: dl.choices, overrides: parsed, repo };
}

/**
 * Hydra's compose API: the composed config as an object (`cfg.db.user`), typed as T.
 * Values are resolved when read; `???` throws when read; unknown keys throw (struct mode).
 */
export function compose<S extends Schema<any>>(opts: ComposeOptions & { schema: S }): Infer<S>;
export function compose<T = Record<string, any>>(opts?: ComposeOptions): T;
export function compose<T = Record<string, any>>(opts: ComposeOptions = {}): T {
  const { cfg } = composeNodes(opts);
  if (!opts.returnHydraConfig && cfg.get('hydra')) {
    const h = cfg.get('hydra')!;
    cfg.delete('hydra');
    hydraOfRoot.set(cfg, h);
  }
  return wrap<T>(cfg);
}
