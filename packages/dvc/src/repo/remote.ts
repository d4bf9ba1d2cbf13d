/**
 * `dvc remote add|modify|list|default|remove|rename` as library calls (dvc/commands/remote.py).
 * Each edits one config level (default: the repo's `.dvc/config`; `local` for secrets) and
 * validates the merged result, so an option the remote's URL scheme does not know fails with
 * DVC's message (`extra keys not allowed @ data['remote']['r']['user']`, exit 251).
 *
 *   remoteAdd(config, 'r', '../store', { default: true, force, level, cwd })
 *   remoteModify(config, 'r', 'region', 'eu-west-1', { level }); remoteModify(..., { unset: true })
 *   remoteList(config, { level })          // [{ name, url, isDefault }]
 *   remoteDefault(config, { level })       // the default's name, or undefined
 *   remoteSetDefault(config, 'r' | null, { level })
 *   remoteRemove(config, 'r', { level }); remoteRename(config, 'r', 'new', { level })
 *
 * Remote names are lower-cased, as DVC does.
 */
import { LEVELS, mergeConfig, type Config, type Level } from '../config/config.js';
import { pyRepr } from '../config/schema.js';
import { ArgumentError, ConfigError } from '../errors.js';

interface LevelOpt {
  level?: Level;
  cwd?: string;
}

function checkExists(conf: Record<string, Record<string, unknown>>, name: string): void {
  if (!conf.remote || !(name in conf.remote)) throw new ConfigError(`remote '${name}' doesn't exist.`);
}

export function remoteAdd(
  config: Config,
  name: string,
  url: string,
  opts: LevelOpt & { default?: boolean; force?: boolean } = {},
): void {
  const n = name.toLowerCase();
  config.edit(
    opts.level,
    (conf) => {
      if (n in conf.remote && !opts.force) {
        throw new ConfigError(`remote '${n}' already exists. Use \`-f|--force\` to overwrite it.`);
      }
      conf.remote[n] = { url };
      if (opts.default) conf.core.remote = n;
    },
    { cwd: opts.cwd },
  );
}

export function remoteModify(
  config: Config,
  name: string,
  option: string,
  value: string | undefined,
  opts: LevelOpt & { unset?: boolean } = {},
): void {
  const n = name.toLowerCase();
  if (!opts.unset && value === undefined) throw new ArgumentError('the following arguments are required: value');
  config.edit(
    opts.level,
    (conf) => {
      const merged = mergeConfig(config.loadToLevel(opts.level), structuredClone(conf));
      checkExists(merged, n);
      if (!(n in conf.remote)) conf.remote[n] = {};
      const section = conf.remote[n];
      if (opts.unset) delete section[option];
      else section[option] = value;
    },
    { cwd: opts.cwd },
  );
}

export interface RemoteEntry {
  name: string;
  url: string;
  isDefault: boolean;
}

export function remoteList(config: Config, opts: { level?: Level } = {}): RemoteEntry[] {
  const conf = config.read(opts.level);
  const def = conf.core?.remote;
  return Object.entries((conf.remote ?? {}) as Record<string, Record<string, unknown>>).map(([name, r]) => ({
    name,
    url: String(r.url),
    isDefault: name === def,
  }));
}

/** The default remote's name at `level` (or merged), or undefined. */
export function remoteDefault(config: Config, opts: { level?: Level } = {}): string | undefined {
  const conf = config.read(opts.level);
  const r = conf.core?.remote;
  return r === undefined ? undefined : String(r);
}

/** Sets the default remote (it must exist at or below `level`), or unsets it with null. */
export function remoteSetDefault(config: Config, name: string | null, opts: { level?: Level } = {}): void {
  config.edit(opts.level, (conf) => {
    if (name === null) {
      delete conf.core.remote;
      return;
    }
    const n = name.toLowerCase();
    const merged = config.loadToLevel(opts.level);
    if (n in conf.remote || n in (merged.remote ?? {})) conf.core.remote = n;
    else throw new ConfigError('default remote must be present in remote list.');
  });
}

export function remoteRemove(config: Config, name: string, opts: { level?: Level } = {}): void {
  const n = name.toLowerCase();
  config.edit(opts.level, (conf) => {
    checkExists(conf, n);
    delete conf.remote[n];
  });
  // Drop core.remote pointing at it from this level and every level shadowing it.
  const upTo = opts.level ?? 'repo';
  for (const level of [...LEVELS].reverse()) {
    if (config.files[level]) {
      config.edit(level, (conf) => {
        if (conf.core.remote === n) delete conf.core.remote;
      });
    }
    if (level === upTo) break;
  }
}

export function remoteRename(config: Config, name: string, newName: string, opts: { level?: Level } = {}): void {
  const n = name.toLowerCase();
  const all = config.loadToLevel();
  if (newName in (all.remote ?? {})) {
    throw new ConfigError(`Rename failed. Remote name ${pyRepr(newName)} already exists.`);
  }
  const renameDefault = (conf: Record<string, Record<string, unknown>>) => {
    if (conf.core!.remote === n) conf.core!.remote = newName;
  };
  config.edit(opts.level, (conf) => {
    checkExists(conf, n);
    conf.remote[newName] = conf.remote[n];
    delete conf.remote[n];
    renameDefault(conf);
  });
  const upTo = opts.level ?? 'repo';
  for (const level of [...LEVELS].reverse()) {
    if (level === upTo) break;
    if (config.files[level]) config.edit(level, renameDefault);
  }
}
