/**
 * Where configs come from: an ordered search path of config sources (Hydra's own built-in configs
 * first, then the application's config folder, then extra folders). A config path is
 * `group/sub/name` without the `.yaml` extension.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { ConfigCompositionError, ConfigLoadError } from '../errors.js';
import { DictNode, ListNode, ValueNode, fromPlain, type Node } from '../omegaconf/nodes.js';
import { loadYaml } from '../omegaconf/yaml.js';
import { BUILTIN_CONFIGS } from './builtin.js';

export interface LoadedConfig {
  /** The config without its `defaults` key. */
  config: Node;
  /** The raw defaults list, if the config has one. */
  defaults: ListNode | null;
  /** `# @package` header value, if any. */
  packageHeader: string | null;
  /** Where it came from, for messages. */
  source: string;
}

export interface ConfigSource {
  provider: string;
  path: string;
  isGroup(configPath: string): boolean;
  isConfig(configPath: string): boolean;
  /** Options (config names) and subgroups of a group. */
  list(groupPath: string, kind: 'config' | 'group'): string[];
  loadText(configPath: string): string;
  /** Identity of the config's current content (path + mtime + size) for the parse cache. */
  stamp?(configPath: string): string | null;
}

/** Parsed configs shared across compositions (multirun composes once per job). */
const parseCache = new Map<string, { config: Node; defaults: ListNode | null; header: string | null }>();

function checkPath(p: string): void {
  if (p.split('/').some((s) => s === '..') || p.startsWith('/') || p.includes('\\') || p.includes('\0')) {
    throw new ConfigCompositionError(`Invalid config path '${p}': paths are relative to the config folder and may not contain '..' or '\\'`);
  }
}

export class FileConfigSource implements ConfigSource {
  constructor(
    public provider: string,
    public path: string,
  ) {
    this.path = resolvePath(path);
  }
  private full(p: string): string {
    checkPath(p);
    return p === '' ? this.path : join(this.path, p);
  }
  isGroup(p: string): boolean {
    try {
      return statSync(this.full(p)).isDirectory();
    } catch {
      return false;
    }
  }
  isConfig(p: string): boolean {
    if (p.endsWith('.yml')) return false;
    try {
      return statSync(this.full(p.endsWith('.yaml') ? p : `${p}.yaml`)).isFile();
    } catch {
      return false;
    }
  }
  list(p: string, kind: 'config' | 'group'): string[] {
    let names: string[];
    try {
      names = readdirSync(this.full(p));
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      if (n.startsWith('.') || n === '__pycache__' || n === '__init__.py') continue;
      const sub = p ? `${p}/${n}` : n;
      if (kind === 'group' && this.isGroup(sub)) out.push(n);
      if (kind === 'config' && n.endsWith('.yaml') && this.isConfig(sub.slice(0, -5))) out.push(n.slice(0, -5));
    }
    return out;
  }
  stamp(p: string): string | null {
    const f = this.full(p.endsWith('.yaml') ? p : `${p}.yaml`);
    try {
      const st = statSync(f);
      return `${f}:${st.mtimeMs}:${st.size}`;
    } catch {
      return null;
    }
  }
  loadText(p: string): string {
    const f = this.full(p.endsWith('.yaml') ? p : `${p}.yaml`);
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw new ConfigLoadError(`Cannot read config '${f}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  toString(): string {
    return `provider=${this.provider}, path=file://${this.path}`;
  }
}

/** Configs kept in memory: Hydra's own (hydra/config, ...) and ConfigStore entries. */
export class MemoryConfigSource implements ConfigSource {
  constructor(
    public provider: string,
    public path: string,
    private files: Record<string, string | StoredConfig>,
  ) {}
  stored(p: string): StoredConfig | undefined {
    const f = this.files[p];
    return typeof f === 'object' ? f : undefined;
  }
  isGroup(p: string): boolean {
    const pre = p === '' ? '' : `${p}/`;
    return Object.keys(this.files).some((k) => k.startsWith(pre));
  }
  isConfig(p: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.files, p);
  }
  list(p: string, kind: 'config' | 'group'): string[] {
    const pre = p === '' ? '' : `${p}/`;
    const out = new Set<string>();
    for (const k of Object.keys(this.files)) {
      if (!k.startsWith(pre)) continue;
      const rest = k.slice(pre.length);
      const i = rest.indexOf('/');
      if (kind === 'config' && i < 0) out.add(rest);
      if (kind === 'group' && i > 0) out.add(rest.slice(0, i));
    }
    return [...out];
  }
  loadText(p: string): string {
    const t = this.files[p];
    if (t === undefined || typeof t !== 'string') throw new ConfigLoadError(`No built-in config '${p}'`);
    return t;
  }
  toString(): string {
    return `provider=${this.provider}, path=${this.path}`;
  }
}

export interface StoredConfig {
  node: Node;
  package: string | null;
}

const storeFiles: Record<string, StoredConfig> = {};

/**
 * Hydra's ConfigStore: configs registered from code, found after the config folders
 * (`store({ group: 'db', name: 'mysql', node: { driver: 'mysql' } })` is `db/mysql`).
 */
export const configStore = {
  store(entry: { name: string; node: unknown; group?: string; package?: string }): void {
    const name = entry.name.replace(/\.yaml$/, '');
    const path = entry.group ? `${entry.group}/${name}` : name;
    checkPath(path);
    const node = typeof entry.node === 'string' ? loadYaml(entry.node) : fromPlain(entry.node);
    storeFiles[path] = { node, package: entry.package ?? null };
  },
  /** Removes an entry (or everything with no argument); mostly for tests. */
  clear(path?: string): void {
    if (path === undefined) for (const k of Object.keys(storeFiles)) delete storeFiles[k];
    else delete storeFiles[path];
  },
  list(): string[] {
    return Object.keys(storeFiles).sort();
  },
};

/** The `# @package X` header (only leading comment lines count). */
export function parsePackageHeader(text: string): string | null {
  let pkg: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^#\s*@(\S+)\s*(.*)$/.exec(line);
    if (!m) {
      if (line.startsWith('#')) continue;
      break;
    }
    const parts = m[2]!.split(/\s+/).filter(Boolean);
    if (parts.length !== 1) throw new ConfigLoadError(`Expected header format '# @package VALUE', got '${line}'`);
    if (m[1] === 'package') pkg = parts[0]!;
  }
  return pkg;
}

export class ConfigRepository {
  sources: ConfigSource[];
  private cache = new Map<string, LoadedConfig | null>();

  constructor(sources: ConfigSource[]) {
    this.sources = sources;
  }

  static create(configDirs: string[], opts: { builtins?: boolean } = {}): ConfigRepository {
    const s: ConfigSource[] = [];
    if (opts.builtins !== false) s.push(new MemoryConfigSource('hydra', 'builtin://hydra', BUILTIN_CONFIGS));
    configDirs.forEach((d, i) => s.push(new FileConfigSource(i === 0 ? 'main' : 'searchpath', d)));
    s.push(new MemoryConfigSource('schema', 'structured://', storeFiles));
    return new ConfigRepository(s);
  }

  private find(p: string, kind: 'config' | 'group'): ConfigSource | undefined {
    checkPath(p);
    return this.sources.find((s) => (kind === 'config' ? s.isConfig(p) : s.isGroup(p)));
  }
  configExists(p: string): boolean {
    return this.find(p, 'config') !== undefined;
  }
  groupExists(p: string): boolean {
    return this.find(p, 'group') !== undefined;
  }
  groupOptions(group: string, kind: 'config' | 'group' = 'config'): string[] {
    const out = new Set<string>();
    for (const s of this.sources) if (s.isGroup(group)) for (const n of s.list(group, kind)) out.add(n);
    return [...out].sort();
  }

  /** Loads a config (cached), splitting off its defaults list and package header. */
  load(p: string): LoadedConfig | null {
    if (this.cache.has(p)) return this.cache.get(p)!;
    const src = this.find(p, 'config');
    if (!src) {
      this.cache.set(p, null);
      return null;
    }
    const stored = src instanceof MemoryConfigSource ? src.stored(p) : undefined;
    if (stored) {
      const node = stored.node.clone();
      let defaults: ListNode | null = null;
      if (node instanceof DictNode) {
        const d = node.get('defaults');
        if (d instanceof ListNode) defaults = d;
        node.delete('defaults');
      }
      const res: LoadedConfig = { config: node, defaults, packageHeader: stored.package, source: src.toString() };
      this.cache.set(p, res);
      return res;
    }
    const stamp = src.stamp ? src.stamp(p) : `${src.path}:${p}`;
    const hit = stamp ? parseCache.get(stamp) : undefined;
    if (hit) {
      const res: LoadedConfig = { config: hit.config.clone(), defaults: hit.defaults ? hit.defaults.clone() : null, packageHeader: hit.header, source: src.toString() };
      this.cache.set(p, res);
      return res;
    }
    const text = src.loadText(p);
    const where = `${p}.yaml (${src.toString()})`;
    const node = loadYaml(text, { filename: `${p}.yaml` });
    const header = parsePackageHeader(text);
    let defaults: ListNode | null = null;
    if (node instanceof DictNode) {
      const d = node.get('defaults');
      if (d !== undefined) {
        if (d instanceof ListNode) defaults = d;
        else if (!(d instanceof ValueNode && d.value === null)) {
          throw new ConfigCompositionError(`Invalid defaults list in '${p}': defaults must be a list (got ${d instanceof DictNode ? 'a mapping' : 'a value'})`);
        }
        node.delete('defaults');
      }
    } else if (!(node instanceof ListNode)) {
      throw new ConfigLoadError(`Config '${where}' must hold a mapping`);
    }
    if (stamp) {
      if (parseCache.size > 2000) parseCache.clear();
      parseCache.set(stamp, { config: node.clone(), defaults: defaults ? defaults.clone() : null, header });
    }
    const res: LoadedConfig = { config: node, defaults, packageHeader: header, source: src.toString() };
    this.cache.set(p, res);
    return res;
  }
}
