/**
 * `-S` overrides in Hydra's grammar, as DVC applies them (dvc/utils/hydra.py, experiments/run.py
 * and queue/base.py's _update_params), with @copper/hydra:
 *
 * - with `hydra.enabled` in the config, params.yaml is composed before every run from the Hydra
 *   config folder (`hydra.config_dir`, default `conf`; `hydra.config_name`, default `config`) and
 *   the params.yaml overrides, then written as OmegaConf.to_yaml writes it;
 * - other params files (and params.yaml without Hydra) get the overrides applied in place;
 * - sweeps (`x=1,2`, `choice(...)`, `range(...)`) become one override set per combination (Hydra's
 *   BasicSweeper.split_arguments per file, then the product over files); DVC allows them with
 *   `--queue` only.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_PARAMS_FILE } from '../../formats/dvcyaml.js';
import { writeFileAtomic } from '../../fs/local.js';
import type { Repo } from '../repo.js';
import { applyOverrides, groupOverrides } from './overrides.js';
import { ExperimentError } from './refs.js';

type HydraMod = typeof import('@copper/hydra');

let hydraMod: HydraMod | undefined;
/**
 * @copper/hydra is bundled into dvc's CLI (dist/bundle), so an installed @copper/dvc needs no
 * separate package; an unbundled run without it says what to install.
 */
async function hydra(): Promise<HydraMod> {
  try {
    return (hydraMod ??= await import('@copper/hydra'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new ExperimentError("Hydra composition (hydra.enabled) needs @copper/hydra: run 'npm install @copper/hydra'");
  }
}

export interface HydraSettings {
  enabled: boolean;
  configDir: string;
  configName: string;
}

export function hydraSettings(repo: Repo): HydraSettings {
  const get = (k: string) => repo.config.get('hydra', k);
  if (get('enabled') === true && get('config_module') !== undefined && get('config_dir') === undefined) {
    throw new ExperimentError("hydra.config_module is not supported: set hydra.config_dir to the folder of the Hydra configs");
  }
  return {
    enabled: get('enabled') === true,
    configDir: resolve(repo.root, String(get('config_dir') ?? 'conf')),
    configName: String(get('config_name') ?? 'config'),
  };
}

/** Python's repr of a str. */
function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return q + body + q;
}

/** Python's repr of {path: [override, ...]} (DVC's "Queueing with overrides '...'" line). */
export function overridesRepr(groups: Map<string, string[]>): string {
  return '{' + [...groups].map(([f, ovs]) => `${pyStr(f)}: [${ovs.map(pyStr).join(', ')}]`).join(', ') + '}';
}

/** DVC's to_path_overrides plus, with Hydra on, an (empty) params.yaml entry so it is composed. */
export function pathOverrides(repo: Repo, setParams: string[]): Map<string, string[]> {
  const groups = groupOverrides(setParams);
  if (hydraSettings(repo).enabled && !groups.has(DEFAULT_PARAMS_FILE)) groups.set(DEFAULT_PARAMS_FILE, []);
  return groups;
}

/** Back to `-S` strings: `file:override` for files other than params.yaml. */
export function toSetParams(groups: Map<string, string[]>): string[] {
  return [...groups].flatMap(([f, ovs]) => ovs.map((o) => (f === DEFAULT_PARAMS_FILE ? o : `${f}:${o}`)));
}

/** True when an override is a Hydra sweep (DVC's is_sweep_override). */
export async function isSweep(groups: Map<string, string[]>): Promise<boolean> {
  const h = await hydra();
  for (const ovs of groups.values()) {
    for (const o of ovs) {
      try {
        if (h.parseOverride(o).isSweep()) return true;
      } catch {
        /* not Hydra grammar: applied (and refused) as an ordinary override */
      }
    }
  }
  return false;
}

/** DVC's get_hydra_sweeps: one {file: overrides} per combination, in Hydra's order. */
export async function hydraSweeps(groups: Map<string, string[]>): Promise<Array<Map<string, string[]>>> {
  const h = await hydra();
  const perFile: Array<[string, string[][]]> = [];
  for (const [file, ovs] of groups) {
    const final = new Map<string, string[]>();
    for (const text of ovs) {
      let o;
      try {
        o = h.parseOverride(text);
      } catch (e) {
        throw new ExperimentError(`Invalid \`--set-param\` value: ${(e as Error).message.split('\n')[0]}`);
      }
      const key = o.keyElement();
      if (o.valueType === 'glob_choice_sweep') throw new ExperimentError(`Glob override '${o.inputLine}' is not supported.`);
      if (o.isSweep()) {
        if (!o.isDiscreteSweep()) throw new ExperimentError(`Invalid \`--set-param\` value: '${o.inputLine}' is not a choice or range sweep`);
        final.set(key, o.sweepStrings().map((v) => `${key}=${v}`));
      } else final.set(key, [o.isDelete() && o.valueType === null ? key : `${key}=${o.valueString()}`]);
    }
    perFile.push([file, product([...final.values()])]);
  }
  return product(perFile.map(([, combos]) => combos)).map((pick) => new Map(perFile.map(([file], i) => [file, pick[i]!])));
}

function product<T>(lists: T[][]): T[][] {
  let out: T[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return out;
}

/**
 * Writes the params files an experiment's overrides change into `destRoot` (the workspace, or a
 * scratch folder when queueing): Hydra composes params.yaml when enabled, other files get the
 * overrides. `skip`: the overrides were applied when the experiment was queued. Returns the
 * files written, relative to the DVC root.
 */
export async function writeParams(repo: Repo, setParams: string[], destRoot: string, skip = false): Promise<string[]> {
  if (skip) return [];
  const hs = hydraSettings(repo);
  const written: string[] = [];
  for (const [file, ovs] of pathOverrides(repo, setParams)) {
    const rel = relative(repo.root, resolve(repo.root, file));
    const dest = join(destRoot, rel);
    mkdirSync(dirname(dest), { recursive: true });
    if (hs.enabled && file === DEFAULT_PARAMS_FILE) {
      await composeParams(hs, ovs, dest);
    } else {
      const src = join(repo.root, rel);
      if (resolve(dest) !== resolve(src) && existsSync(src)) copyFileSync(src, dest);
      await applyOverrides(destRoot, rel, ovs);
    }
    written.push(rel.split('\\').join('/'));
  }
  return written;
}

/** DVC's compose_and_dump: the composed config, interpolations resolved, as YAML. */
export async function composeParams(hs: HydraSettings, overrides: string[], dest: string): Promise<void> {
  const h = await hydra();
  if (!existsSync(hs.configDir)) throw new ExperimentError(`Hydra config folder '${hs.configDir}' does not exist (set hydra.config_dir)`);
  let text: string;
  try {
    const { cfg } = h.composeNodes({ configDir: hs.configDir, configName: hs.configName, overrides });
    cfg.delete('hydra');
    h.resolveInPlace(cfg);
    text = h.toYaml(cfg);
  } catch (e) {
    throw new ExperimentError(`Hydra composition failed: ${(e as Error).message.split('\n')[0]}`);
  }
  writeFileAtomic(dest, text);
}
