/**
 * DVC's layered configuration (dvc/config.py): four files merged in the order they shadow each
 * other, system < global < repo (`.dvc/config`) < local (`.dvc/config.local`).
 *
 * - system: `$DVC_SYSTEM_CONFIG_DIR/config`, else `<first of $XDG_CONFIG_DIRS or /etc/xdg>/dvc/config`
 * - global: `$DVC_GLOBAL_CONFIG_DIR/config`, else `<$XDG_CONFIG_HOME or ~/.config>/dvc/config`
 *
 * Files are configobj INI (../formats/config.ts). Keys are lower-cased on load; sections named
 * `remote "x"`, `machine "x"`, `db "x"` become `conf.remote.x` etc. Path options (remote `url`,
 * `keyfile`, `credentialpath`, ..., `cache.dir`) are resolved against the folder of the file that
 * holds them when read; a new relative value given on the command line is resolved from the
 * current folder and stored relative to the config file's folder, as DVC does.
 *
 * `config.get(section, option)` reads the merged, validated view (booleans and numbers coerced,
 * defaults filled in). `config.edit(level, fn)` loads one level, lets `fn` change it, validates the
 * merged result (an unknown option fails with DVC's message, exit 251), and writes the file
 * atomically, byte-identical to DVC.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError, InvalidFileError } from '../errors.js';
import { readUtf8 } from '../formats/text.js';
import { IniError, interpolateIni, isSection, parseIni, writeIni, type IniSection } from '../formats/config.js';
import { LINK_TYPES, writeFileAtomic, type LinkType } from '../fs/local.js';
import { SchemaError, SECTION_NAMES, validateConfig } from './schema.js';
import { looksLikeUrl } from './url.js';

export type Level = 'system' | 'global' | 'repo' | 'local';
/** In the order they shadow each other. */
export const LEVELS: readonly Level[] = ['system', 'global', 'repo', 'local'];
export const SYSTEM_LEVELS: readonly Level[] = ['system', 'global'];
export const REPO_LEVELS: readonly Level[] = ['repo', 'local'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigDict = Record<string, any>;

const NAMED = ['remote', 'machine', 'db'] as const;

export function systemConfigDir(env = process.env): string {
  if (env.DVC_SYSTEM_CONFIG_DIR) return env.DVC_SYSTEM_CONFIG_DIR;
  const first = (env.XDG_CONFIG_DIRS ?? '').split(':').find((p) => p.trim() !== '');
  return join(first ?? '/etc/xdg', 'dvc');
}

export function globalConfigDir(env = process.env): string {
  if (env.DVC_GLOBAL_CONFIG_DIR) return env.DVC_GLOBAL_CONFIG_DIR;
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return join(xdg ? xdg : join(homedir(), '.config'), 'dvc');
}

/** Which options of which sections hold paths (resolved relative to their config file). */
function pathFields(conf: ConfigDict): Array<[ConfigDict, string]> {
  const out: Array<[ConfigDict, string]> = [];
  const add = (obj: unknown, keys: string[]) => {
    if (!obj || typeof obj !== 'object') return;
    for (const k of keys) if (typeof (obj as ConfigDict)[k] === 'string') out.push([obj as ConfigDict, k]);
  };
  add(conf.cache, ['dir']);
  for (const r of Object.values((conf.remote ?? {}) as ConfigDict)) {
    add(r, [
      'url',
      'gdrive_user_credentials_file',
      'gdrive_service_account_json_file_path',
      'credentialpath',
      'configpath',
      'keyfile',
      'cert_path',
      'key_path',
    ]);
  }
  for (const m of Object.values((conf.machine ?? {}) as ConfigDict)) add(m, ['startup_script', 'setup_script']);
  return out;
}

function expandUser(p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return p;
}

/** A path from a config file, as DVC reads it: URLs and absolute paths as they are, else absolute. */
function resolveFromFile(confDir: string, p: string): string {
  if (looksLikeUrl(p) || isAbsolute(p)) return p;
  const expanded = expandUser(p);
  if (isAbsolute(expanded)) return expanded;
  return resolve(confDir, p);
}

/** A new path value as DVC stores it: relative ones relative to the config file's folder. */
function storeNewPath(confDir: string, p: string, cwd: string): string {
  if (looksLikeUrl(p) || isAbsolute(p) || expandUser(p) !== p) return p;
  const rel = relative(confDir, resolve(cwd, p)) || '.';
  return sep === '/' ? rel : rel.split(sep).join('/');
}

function lowerKeys(s: IniSection): ConfigDict {
  const out: ConfigDict = {};
  for (const [k, v] of Object.entries(s)) out[k.toLowerCase()] = isSection(v) ? lowerKeys(v) : v;
  return out;
}

/** `remote "x"` sections -> conf.remote.x (dvc.config._parse_named). */
function parseNamed(conf: ConfigDict): ConfigDict {
  const result: ConfigDict = { remote: {}, machine: {}, db: {} };
  for (const [section, val] of Object.entries(conf)) {
    const m = /^\s*(remote|machine|db)\s*"(.*)"\s*$/.exec(section);
    if (m) result[m[1]!][m[2]!] = val;
    else result[section] = val;
  }
  return result;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** conf.remote.x -> `remote "x"` sections, empty sections dropped (dvc.config._pack_named). */
function packNamed(conf: ConfigDict): IniSection {
  const result: ConfigDict = {};
  for (const [k, v] of Object.entries(conf)) if (!isEmpty(v)) result[k] = v;
  for (const key of NAMED) {
    for (const [name, val] of Object.entries((conf[key] ?? {}) as ConfigDict)) result[`${key} "${name}"`] = val;
    delete result[key];
  }
  return toIni(result) as IniSection;
}

function toIni(v: unknown): IniSection | string | string[] {
  if (Array.isArray(v)) return v.map(String);
  if (v && typeof v === 'object') {
    const out: IniSection = {};
    for (const [k, x] of Object.entries(v)) out[k] = toIni(x);
    return out;
  }
  // Python's str() of what may be in the dict: booleans are written True/False, as DVC does.
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** Merges `update` into `into` recursively (dvc.config.merge). */
export function mergeConfig(into: ConfigDict, update: ConfigDict): ConfigDict {
  for (const [k, v] of Object.entries(update)) {
    const cur = into[k];
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) {
      mergeConfig(cur, v);
    } else {
      into[k] = v;
    }
  }
  return into;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** A remote as the rest of the library sees it. */
export interface RemoteConfig {
  name: string;
  /** Resolved: a URL, or an absolute local path. */
  url: string;
  /** Every option of the remote, validated (booleans and numbers coerced). */
  options: ConfigDict;
}

/**
 * No remote given and no default one. Thrown alone it exits 251 like any config error; DVC's
 * push/pull/fetch catch it and print `failed to push data to the cloud - config file error: ${reason}`
 * with exit 1 (fixture 13), so `reason` holds the bare text.
 */
export class NoRemoteError extends ConfigError {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export class Config {
  /** Absolute path of `.dvc`, or null outside a repository (only system/global levels then). */
  readonly dvcDir: string | null;
  readonly files: Partial<Record<Level, string>>;
  /** The merged, validated configuration. */
  private data: ConfigDict = {};

  constructor(dvcDir: string | null, opts: { validate?: boolean; env?: NodeJS.ProcessEnv } = {}) {
    this.dvcDir = dvcDir ? resolve(dvcDir) : null;
    const env = opts.env ?? process.env;
    this.files = {
      system: join(systemConfigDir(env), 'config'),
      global: join(globalConfigDir(env), 'config'),
    };
    if (this.dvcDir) {
      this.files.repo = join(this.dvcDir, 'config');
      this.files.local = join(this.dvcDir, 'config.local');
    }
    this.load(opts.validate ?? true);
  }

  /** (Re)reads every level. Throws ConfigError on malformed files or (validate) bad options. */
  load(validate = true): void {
    const merged = this.loadToLevel();
    this.data = validate ? Config.validate(merged) : merged;
  }

  static validate(conf: ConfigDict): ConfigDict {
    try {
      return validateConfig(conf);
    } catch (e) {
      if (e instanceof SchemaError) throw new ConfigError(e.message);
      throw e;
    }
  }

  /** The raw dict of one file (keys lower-cased, named sections split, every section present). */
  private loadRaw(level: Level): ConfigDict {
    const file = this.files[level];
    let text = '';
    try {
      if (file) text = readUtf8(file, file);
    } catch (e) {
      if (e instanceof InvalidFileError) throw new ConfigError(e.message);
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new ConfigError(`${(e as Error).message}`);
    }
    let ini: IniSection;
    try {
      ini = interpolateIni(parseIni(text));
    } catch (e) {
      if (e instanceof IniError) throw new ConfigError(`${e.message.replace(/\.$/, '')} in '${file}'.`);
      throw e;
    }
    const conf = parseNamed(lowerKeys(ini));
    for (const s of SECTION_NAMES) if (!(s in conf)) conf[s] = {};
    return conf;
  }

  /** One level as DVC's load_one: raw values, path options resolved to absolute. */
  loadOne(level: Level): ConfigDict {
    const conf = this.loadRaw(level);
    const file = this.files[level];
    if (file) {
      const dir = dirname(file);
      for (const [obj, key] of pathFields(conf)) obj[key] = resolveFromFile(dir, obj[key]);
    }
    return conf;
  }

  /** All levels below `level` merged (all levels when omitted). */
  loadToLevel(level?: Level): ConfigDict {
    const merged: ConfigDict = {};
    for (const l of LEVELS) {
      if (l === level) break;
      if (this.files[l]) mergeConfig(merged, this.loadOne(l));
    }
    return merged;
  }

  /** The merged raw config (level omitted), or one level's. */
  read(level?: Level): ConfigDict {
    return level ? this.loadOne(level) : this.loadToLevel();
  }

  /**
   * Edits one level (default 'repo'): `fn` changes the raw dict (string values; named sections
   * under `remote`/`machine`/`db`). New relative path values are taken from `cwd` and stored
   * relative to the file. The merged result is validated before anything is written.
   */
  edit<T>(level: Level | undefined, fn: (conf: ConfigDict) => T, opts: { cwd?: string; validate?: boolean } = {}): T {
    const lvl = level ?? 'repo';
    const file = this.files[lvl];
    if (!file) throw new ConfigError('Not inside a DVC repo');
    const conf = this.loadRaw(lvl);
    // Path values read from the file stay as written (also when their section moves, as in a
    // rename); values `fn` sets are new and get stored relative to this file.
    const before = new WeakMap<ConfigDict, Map<string, unknown>>();
    for (const [obj, key] of pathFields(conf)) {
      if (!before.has(obj)) before.set(obj, new Map());
      before.get(obj)!.set(key, obj[key]);
    }
    const result = fn(conf);
    const dir = dirname(file);
    const cwd = opts.cwd ?? process.cwd();
    for (const [obj, key] of pathFields(conf)) {
      if (before.get(obj)?.get(key) !== obj[key]) obj[key] = storeNewPath(dir, obj[key], cwd);
    }
    const validate = opts.validate ?? true;
    if (validate) {
      const resolvedConf = clone(conf);
      for (const [obj, key] of pathFields(resolvedConf)) obj[key] = resolveFromFile(dir, obj[key]);
      Config.validate(mergeConfig(this.loadToLevel(lvl), resolvedConf));
    }
    let text: string;
    try {
      text = writeIni(packNamed(conf));
    } catch (e) {
      if (e instanceof IniError) throw new ConfigError(e.message);
      throw e;
    }
    writeConfigFile(file, text);
    this.load(validate);
    return result;
  }

  /** A merged, validated option, or undefined. */
  get(section: string, option: string): unknown {
    const s = this.data[section];
    return s && typeof s === 'object' ? (s as ConfigDict)[option] : undefined;
  }

  /** The whole merged, validated configuration (do not modify). */
  get all(): ConfigDict {
    return this.data;
  }

  get autostage(): boolean {
    return this.get('core', 'autostage') === true;
  }

  get noScm(): boolean {
    return this.get('core', 'no_scm') === true;
  }

  /** `cache.type` as a list, or undefined for DVC's default (reflink, then copy). */
  get cacheTypes(): LinkType[] | undefined {
    const t = this.get('cache', 'type') as string[] | undefined;
    return t ? (t.filter((x) => (LINK_TYPES as readonly string[]).includes(x)) as LinkType[]) : undefined;
  }

  /** `cache.dir` resolved to an absolute path, or undefined (then `.dvc/cache`). */
  get cacheDir(): string | undefined {
    const d = this.get('cache', 'dir');
    return typeof d === 'string' ? d : undefined;
  }

  /** Names of the configured remotes. */
  remoteNames(): string[] {
    return Object.keys((this.data.remote ?? {}) as ConfigDict);
  }

  /** The default remote's name (`core.remote`), if any. */
  get defaultRemote(): string | undefined {
    const r = this.get('core', 'remote');
    return typeof r === 'string' && r ? r : undefined;
  }

  /**
   * A remote by name, or the default one. Throws NoRemoteError when none is given and there is no
   * default, ConfigError when the name is unknown.
   */
  remote(name?: string, repoRoot?: string): RemoteConfig {
    const n = name ?? this.defaultRemote;
    if (!n) {
      throw new NoRemoteError(
        `no remote specified in ${repoRoot ?? (this.dvcDir ? dirname(this.dvcDir) : process.cwd())}. ` +
          'Create a default remote with\n    dvc remote add -d <remote name> <remote url>',
      );
    }
    const r = ((this.data.remote ?? {}) as ConfigDict)[n] as ConfigDict | undefined;
    if (!r) throw new ConfigError(`remote '${n}' doesn't exist.`);
    return { name: n, url: String(r.url), options: r };
  }
}

/** Writes a config file atomically (temp name in the same folder, then rename), creating its folder. */
export function writeConfigFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, text);
}
