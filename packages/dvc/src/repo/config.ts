/**
 * `dvc config` and `dvc cache dir` as library calls (dvc/commands/config.py, cache.py).
 *
 *   const config = openConfig(cwd)                 // the repo's levels, or system/global outside one
 *   configGet(config, 'core.remote', { level })    // { value, level } | undefined
 *   configSet(config, 'remote.r.url', 'x', { level })
 *   configUnset(config, 'core.autostage', { level })
 *   configList(config, { level, showOrigin })      // lines 'core.remote=r' (or 'file\tcore...')
 *   cacheDirGet(config, { level }) / cacheDirSet(config, dir, { level }) / cacheDirUnset(...)
 *
 * Values are strings as the user typed them; the merged result is validated before a file is
 * written (unknown option -> ConfigError, exit 251). Names are `section.option`,
 * `remote.NAME.option` or `db.NAME.option`, lower-cased like DVC.
 */
import { join, relative } from 'node:path';
import { Config, LEVELS, REPO_LEVELS, SYSTEM_LEVELS, type ConfigDict, type Level } from '../config/config.js';
import { pyRepr } from '../config/schema.js';
import { ArgumentError, ConfigError, NotDvcRepoError } from '../errors.js';
import { Repo } from './repo.js';

export interface ConfigName {
  /** 'remote' or 'db' for named sections. */
  top?: 'remote' | 'db';
  section: string;
  option: string;
}

/** Parses `section.option` / `remote.name.option` (DVC's NAME_REGEX); bad names exit 254. */
export function parseConfigName(name: string): ConfigName {
  const m = /^(?:(remote|db)\.)?([^.]*)\.([^.]*)$/.exec(name);
  if (!m) {
    throw new ArgumentError(
      'argument name: name argument should look like remote.name.option or db.name.option or section.option',
    );
  }
  return {
    ...(m[1] ? { top: m[1] as 'remote' | 'db' } : {}),
    section: m[2]!.toLowerCase(),
    option: m[3]!.toLowerCase(),
  };
}

/** The configuration seen from `cwd`: a repository's four levels, or system/global outside one. */
export function openConfig(cwd: string = process.cwd()): Config {
  let dvcDir: string | null = null;
  try {
    dvcDir = join(Repo.findRoot(cwd), '.dvc');
  } catch (e) {
    if (!(e instanceof NotDvcRepoError)) throw e;
  }
  return new Config(dvcDir, { validate: false });
}

/** Python's str() of a config value. */
export function pyStr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? pyRepr(x) : pyStr(x))).join(', ')}]`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${typeof x === 'string' ? pyRepr(x) : pyStr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function levelsFor(config: Config, level?: Level): readonly Level[] {
  if (level) {
    if (!config.dvcDir && REPO_LEVELS.includes(level)) throw new ConfigError('Not inside a DVC repo');
    return [level];
  }
  return config.dvcDir ? LEVELS : SYSTEM_LEVELS;
}

function check(conf: ConfigDict, top: string | undefined, section: string, option?: string): void {
  const name = top ?? 'section';
  if (!conf || typeof conf !== 'object' || !(section in conf)) {
    throw new ConfigError(`${name} '${section}' doesn't exist`);
  }
  const s = conf[section];
  if (option !== undefined && !(s && typeof s === 'object' && option in s)) {
    throw new ConfigError(`option '${option}' doesn't exist in ${name} '${section}'`);
  }
}

/** The file a level lives in, as `--show-origin` prints it (repo files relative to the root). */
export function originOf(config: Config, level: Level): string {
  const file = config.files[level]!;
  if ((level === 'repo' || level === 'local') && config.dvcDir) return relative(join(config.dvcDir, '..'), file);
  return file;
}

/** The value of an option: from `level`, or from the most specific level that has it. */
export function configGet(
  config: Config,
  name: string | ConfigName,
  opts: { level?: Level } = {},
): { value: unknown; level: Level } | undefined {
  const { top, section, option } = typeof name === 'string' ? parseConfigName(name) : name;
  for (const level of [...levelsFor(config, opts.level)].reverse()) {
    let conf = config.read(level);
    if (top) conf = conf[top];
    try {
      check(conf, top, section, option);
    } catch (e) {
      if (opts.level) throw e;
      continue;
    }
    return { value: conf[section][option], level };
  }
  return undefined;
}

export function configSet(
  config: Config,
  name: string | ConfigName,
  value: string,
  opts: { level?: Level; cwd?: string } = {},
): void {
  const { top, section, option } = typeof name === 'string' ? parseConfigName(name) : name;
  config.edit(
    opts.level,
    (root) => {
      const conf = top ? root[top] : root;
      if (!conf[section] || typeof conf[section] !== 'object') conf[section] = {};
      conf[section][option] = value;
    },
    { cwd: opts.cwd },
  );
}

export function configUnset(config: Config, name: string | ConfigName, opts: { level?: Level } = {}): void {
  const { top, section, option } = typeof name === 'string' ? parseConfigName(name) : name;
  config.edit(opts.level, (root) => {
    const conf = top ? root[top] : root;
    check(conf, top, section, option);
    delete conf[section][option];
  });
}

/** Flattens a config dict to `a.b.c=value` lines (dvc.utils.flatten). */
function flatten(conf: ConfigDict, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(conf)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as ConfigDict, key));
    else out.push([key, v]);
  }
  return out;
}

/** `dvc config -l`: every option of every level (or one), as `name=value` lines. */
export function configList(config: Config, opts: { level?: Level; showOrigin?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const level of levelsFor(config, opts.level)) {
    const prefix = opts.showOrigin ? originOf(config, level) + '\t' : '';
    for (const [k, v] of flatten(config.read(level))) lines.push(`${prefix}${k}=${pyStr(v)}`);
  }
  return lines;
}

/** `dvc cache dir`: the configured cache folder (absolute), or `.dvc/cache` by default. */
export function cacheDirGet(config: Config, opts: { level?: Level } = {}): string {
  if (opts.level) {
    levelsFor(config, opts.level);
    const conf = config.read(opts.level);
    check(conf, undefined, 'cache', 'dir');
    return String(conf.cache.dir);
  }
  const merged = config.read();
  if (merged.cache && typeof merged.cache.dir === 'string') return merged.cache.dir;
  if (!config.dvcDir) throw new ConfigError("option 'dir' doesn't exist in section 'cache'");
  return join(config.dvcDir, 'cache');
}

export function cacheDirSet(config: Config, dir: string, opts: { level?: Level; cwd?: string } = {}): void {
  config.edit(
    opts.level,
    (conf) => {
      conf.cache.dir = dir;
    },
    { cwd: opts.cwd },
  );
}

export function cacheDirUnset(config: Config, opts: { level?: Level } = {}): void {
  config.edit(opts.level, (conf) => {
    check(conf, undefined, 'cache', 'dir');
    delete conf.cache.dir;
  });
}
