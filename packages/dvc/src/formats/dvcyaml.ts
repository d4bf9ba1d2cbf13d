/**
 * `dvc.yaml` (pipeline stages) and `dvc.lock` (what each stage last ran with), read and written as
 * DVC 3 does (see ./ruamel.ts for the writer):
 *
 *   stages:
 *     NAME:
 *       cmd: ...            (a string or a list of commands)
 *       wdir: ...           (relative to dvc.yaml's folder; omitted for '.')
 *       deps: [path, ...]   (sorted)
 *       params: [key, ..., {file: [key, ...]}]  (params.yaml keys first, sorted)
 *       outs / metrics / plots: [path | {path: {cache: false, persist: true, ...}}]  (sorted)
 *       frozen / always_changed / desc / meta
 *
 *   schema: '2.0'
 *   stages:
 *     NAME:
 *       cmd: ...
 *       deps: [{path, hash: md5, md5, size, nfiles?}]      (sorted by path)
 *       params: {params.yaml: {key: value}, other.yaml: ...} (params.yaml first, keys sorted)
 *       outs: [{path, hash: md5, md5, size, nfiles?}]
 *
 * Values read from these files keep YAML's int/float distinction: ints are bigints.
 */
import { createRequire } from 'node:module';
import { InvalidFileError } from '../errors.js';
import { jsonSource, readUtf8, yamlSource } from './text.js';
import { expandStage, globalContext, hasInterpolation } from './interpolate.js';
import { dumpYaml, type YamlValue } from './ruamel.js';

export const PROJECT_FILE = 'dvc.yaml';
export const LOCK_FILE = 'dvc.lock';
export const DEFAULT_PARAMS_FILE = 'params.yaml';

let yamlLib: typeof import('yaml') | undefined;
export function Y(): typeof import('yaml') {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/**
 * Parses YAML text keeping ints as bigints; InvalidFileError with one line on bad input. A
 * `.json` file (params, metrics, vars) is held to Python json's rules on characters instead.
 */
export function parseYamlText(text: string, shown: string): unknown {
  const { parseDocument } = Y();
  const source = /\.json$/i.test(shown) ? jsonSource(text, shown) : yamlSource(text, shown);
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true, intAsBigInt: true });
  if (doc.errors.length) {
    const msg = doc.errors[0]!.message.split('\n')[0];
    throw new InvalidFileError(`'${shown}' is invalid: ${msg}`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

export type OutKind = 'outs' | 'metrics' | 'plots';

export interface OutDef {
  /** As written (relative to the stage's wdir). */
  path: string;
  kind: OutKind;
  cache: boolean;
  persist: boolean;
  push: boolean;
  remote?: string;
  /** The flags mapping as written (`{cache: false}`), kept for writing back. */
  flags: Record<string, YamlValue>;
}

export interface ParamsDef {
  /** Params file as written (relative to wdir). */
  file: string;
  /** Keys (dotted paths); null: the whole file. */
  keys: string[] | null;
}

export interface StageDef {
  name: string;
  cmd: string | string[];
  /** As written; undefined for '.' */
  wdir?: string;
  deps: string[];
  params: ParamsDef[];
  outs: OutDef[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  meta?: YamlValue;
}

const STAGE_KEYS = new Set(['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta', 'vars']);
const TOP_KEYS = new Set(['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts', 'datasets']);
const OUT_FLAG_KEYS = new Set([
  'cache', 'persist', 'remote', 'push', 'desc', 'type', 'labels', 'meta',
  'x', 'y', 'template', 'title', 'x_label', 'y_label', 'header',
]);

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function strList(v: unknown, what: string, shown: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidFileError(`'${shown}' is invalid: ${what} must be a list`);
  return v.map((x) => {
    if (typeof x !== 'string' || x === '') throw new InvalidFileError(`'${shown}' is invalid: ${what} must hold paths`);
    return x;
  });
}

/** A stage's output and params entries from their YAML shapes. */
function parseOuts(v: unknown, kind: OutKind, label: string): OutDef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidFileError(`${label}: '${kind}' must be a list`);
  return v.map((item) => {
    let path: string;
    let flags: Record<string, YamlValue> = {};
    if (typeof item === 'string') path = item;
    else if (isObj(item) && Object.keys(item).length === 1) {
      path = Object.keys(item)[0]!;
      const f = item[path];
      if (f !== null && f !== undefined) {
        if (!isObj(f)) throw new InvalidFileError(`${label}: flags of '${path}' must be a mapping`);
        for (const k of Object.keys(f)) if (!OUT_FLAG_KEYS.has(k)) throw new InvalidFileError(`${label}: extra key '${k}' not allowed for '${path}'`);
        flags = f as Record<string, YamlValue>;
      }
    } else throw new InvalidFileError(`${label}: bad entry in '${kind}'`);
    if (!path) throw new InvalidFileError(`${label}: empty path in '${kind}'`);
    return {
      path,
      kind,
      cache: flags.cache !== false,
      persist: flags.persist === true,
      push: flags.push !== false,
      ...(typeof flags.remote === 'string' ? { remote: flags.remote } : {}),
      flags,
    };
  });
}

function parseParams(v: unknown, label: string): ParamsDef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidFileError(`${label}: 'params' must be a list`);
  const byFile = new Map<string, ParamsDef>();
  const get = (file: string) => {
    let p = byFile.get(file);
    if (!p) byFile.set(file, (p = { file, keys: [] }));
    return p;
  };
  for (const item of v) {
    if (typeof item === 'string') {
      const p = get(DEFAULT_PARAMS_FILE);
      if (p.keys && !p.keys.includes(item)) p.keys.push(item);
    } else if (isObj(item)) {
      for (const [file, keys] of Object.entries(item)) {
        const p = get(file);
        if (keys === null || (Array.isArray(keys) && keys.length === 0)) p.keys = null;
        else if (Array.isArray(keys)) {
          for (const k of keys) {
            if (typeof k !== 'string') throw new InvalidFileError(`${label}: params of '${file}' must be names`);
            if (p.keys && !p.keys.includes(k)) p.keys.push(k);
          }
        } else throw new InvalidFileError(`${label}: params of '${file}' must be a list`);
      }
    } else throw new InvalidFileError(`${label}: bad entry in 'params'`);
  }
  return [...byFile.values()];
}

export interface ProjectFile {
  /** Everything in the file (other top-level keys are kept when writing). */
  data: Record<string, YamlValue>;
  stages: StageDef[];
}

/**
 * Parses dvc.yaml. `dir` (its folder) lets templated stages (`${...}`, `foreach`, `matrix`, `vars`)
 * be resolved against params.yaml and the vars files (./interpolate.ts); without it they are an
 * error.
 */
export function parseProjectFile(text: string, shown = PROJECT_FILE, dir?: string): ProjectFile {
  const raw = parseYamlText(text, shown);
  if (raw === null || raw === undefined) return { data: {}, stages: [] };
  if (!isObj(raw)) throw new InvalidFileError(`'${shown}' is invalid: expected a mapping`);
  for (const k of Object.keys(raw)) if (!TOP_KEYS.has(k)) throw new InvalidFileError(`'${shown}' is invalid: extra key '${k}' not allowed`);
  const stagesRaw = raw.stages ?? {};
  if (!isObj(stagesRaw)) throw new InvalidFileError(`'${shown}' is invalid: 'stages' must be a mapping`);
  const stages: StageDef[] = [];
  const templated = hasInterpolation(stagesRaw) || Object.values(stagesRaw).some((s) => isObj(s) && ('foreach' in s || 'matrix' in s || 'vars' in s));
  let pairs: Array<[string, unknown]> = Object.entries(stagesRaw);
  if (templated) {
    if (dir === undefined) throw new InvalidFileError(`'${shown}': templated stages need the file's folder to be resolved`);
    const ctx = globalContext(raw, dir, shown);
    pairs = [];
    for (const [name, s] of Object.entries(stagesRaw)) {
      if (!isObj(s)) throw new InvalidFileError(`'${shown}' is invalid: stage '${name}' must be a mapping`);
      pairs.push(...expandStage(name, s as Record<string, YamlValue>, ctx, dir, shown));
    }
  }
  for (const [name, s] of pairs) {
    const label = `'${shown}' is invalid: stage '${name}'`;
    if (!isObj(s)) throw new InvalidFileError(`${label} must be a mapping`);
    for (const k of Object.keys(s)) if (!STAGE_KEYS.has(k)) throw new InvalidFileError(`${label}: extra key '${k}' not allowed`);
    const cmd = s.cmd;
    if (!(typeof cmd === 'string' && cmd !== '') && !(Array.isArray(cmd) && cmd.length && cmd.every((c) => typeof c === 'string'))) {
      throw new InvalidFileError(`${label}: 'cmd' is required (a string or a list of strings)`);
    }
    if (s.wdir !== undefined && typeof s.wdir !== 'string') throw new InvalidFileError(`${label}: 'wdir' must be a path`);
    stages.push({
      name,
      cmd: cmd as string | string[],
      ...(typeof s.wdir === 'string' && s.wdir !== '.' ? { wdir: s.wdir } : {}),
      deps: strList(s.deps, `stage '${name}': 'deps'`, shown),
      params: parseParams(s.params, label),
      outs: [...parseOuts(s.outs, 'outs', label), ...parseOuts(s.metrics, 'metrics', label), ...parseOuts(s.plots, 'plots', label)],
      frozen: s.frozen === true,
      alwaysChanged: s.always_changed === true,
      ...(typeof s.desc === 'string' ? { desc: s.desc } : {}),
      ...(s.meta !== undefined ? { meta: s.meta as YamlValue } : {}),
    });
  }
  return { data: raw as Record<string, YamlValue>, stages };
}

export function readProjectFile(abs: string, shown = PROJECT_FILE): ProjectFile {
  return parseProjectFile(readUtf8(abs, shown), shown);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** DVC's to_pipeline_file: the stage's entry in dvc.yaml. */
export function stageToYaml(s: StageDef): Record<string, YamlValue> {
  const r: Record<string, YamlValue> = {};
  if (s.desc) r.desc = s.desc;
  r.cmd = s.cmd;
  if (s.wdir && s.wdir !== '.') r.wdir = s.wdir;
  if (s.deps.length) r.deps = [...s.deps].sort(cmp);
  let params: YamlValue[] = [];
  for (const p of [...s.params].sort((a, b) => cmp(a.file, b.file))) {
    const keys = p.keys ? [...p.keys].sort(cmp) : [];
    if (keys.length && p.file === DEFAULT_PARAMS_FILE) params = [...keys, ...params];
    else params.push({ [p.file]: keys.length ? keys : null });
  }
  if (params.length) r.params = params;
  for (const kind of ['outs', 'metrics', 'plots'] as const) {
    const list = s.outs
      .filter((o) => o.kind === kind)
      .sort((a, b) => cmp(a.path, b.path))
      .map((o): YamlValue => (Object.keys(o.flags).length ? { [o.path]: o.flags } : o.path));
    if (list.length) r[kind] = list;
  }
  if (s.frozen) r.frozen = true;
  if (s.alwaysChanged) r.always_changed = true;
  if (s.meta !== undefined && s.meta !== null) r.meta = s.meta;
  return r;
}

/**
 * The dvc.yaml text with `stage` added (or replaced in place). `text` is the current file: when
 * it is not in the canonical dump (comments, flow lists, other quoting) and the stage is new, the
 * stage is appended under `stages:` as text, so the rest stays as written (as ruamel's round trip
 * keeps it); otherwise the whole file is dumped again.
 */
export function projectWithStage(pf: ProjectFile | undefined, stage: StageDef, text?: string): string {
  if (pf && text !== undefined && !pf.stages.some((s) => s.name === stage.name)) {
    const appended = appendStageText(text, pf, stage);
    if (appended !== undefined) return appended;
  }
  const data: Record<string, YamlValue> = { ...(pf?.data ?? {}) };
  const stages: Record<string, YamlValue> = { ...((data.stages as Record<string, YamlValue> | undefined) ?? {}) };
  stages[stage.name] = stageToYaml(stage);
  if (!('stages' in data)) return dumpYaml({ stages, ...data });
  data.stages = stages;
  return dumpYaml(data);
}

function appendStageText(text: string, pf: ProjectFile, stage: StageDef): string | undefined {
  if (dumpYaml(pf.data) === text) return undefined; // canonical: a full dump is the same thing
  const { parseDocument, isMap } = Y();
  const doc = parseDocument(text, { intAsBigInt: true });
  const top = doc.contents;
  if (!isMap(top) || !top.items.length) return undefined;
  const last = top.items[top.items.length - 1]!;
  const key = (last.key as { value?: unknown })?.value;
  const stages = last.value;
  if (key !== 'stages' || !isMap(stages) || stages.flow || !stages.items.length) return undefined;
  // the stages' indentation, from the first stage's line
  const first = stages.items[0]!.key as { range?: [number, number, number] };
  const start = first.range?.[0];
  if (start === undefined) return undefined;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = start - lineStart;
  if (indent !== 2 || text.slice(lineStart, start).trim() !== '') return undefined;
  const block = dumpYaml({ stages: { [stage.name]: stageToYaml(stage) } }).slice('stages:\n'.length);
  return (text.endsWith('\n') ? text : text + '\n') + block;
}

// ---------------------------------------------------------------------------------------------
// dvc.lock

export interface LockEntry {
  path: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  /** `hash: md5` present (absent: DVC 2's md5-dos2unix). */
  hash?: string;
}

export interface LockStage {
  cmd: string | string[];
  deps: LockEntry[];
  /** file -> key -> value */
  params: Record<string, Record<string, YamlValue>>;
  outs: LockEntry[];
}

function lockEntries(v: unknown, label: string): LockEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidFileError(`${label} must be a list`);
  return v.map((e) => {
    if (!isObj(e) || typeof e.path !== 'string') throw new InvalidFileError(`${label}: entry without a path`);
    const r: LockEntry = { path: e.path };
    if (e.md5 !== undefined && e.md5 !== null) r.md5 = String(e.md5);
    if (e.size !== undefined) r.size = Number(e.size);
    if (e.nfiles !== undefined) r.nfiles = Number(e.nfiles);
    if (typeof e.hash === 'string') r.hash = e.hash;
    return r;
  });
}

export interface LockFile {
  /** Stages in file order (raw YAML values kept for entries this tool does not touch). */
  raw: Record<string, YamlValue>;
  stages: Map<string, LockStage>;
}

export function parseLockFile(text: string, shown = LOCK_FILE): LockFile {
  const data = parseYamlText(text, shown);
  const res: LockFile = { raw: {}, stages: new Map() };
  if (data === null || data === undefined) return res;
  if (!isObj(data)) throw new InvalidFileError(`'${shown}' is invalid: expected a mapping`);
  const stages = data.stages ?? {};
  if (!isObj(stages)) throw new InvalidFileError(`'${shown}' is invalid: 'stages' must be a mapping`);
  for (const [name, s] of Object.entries(stages)) {
    const label = `'${shown}' is invalid: stage '${name}'`;
    if (!isObj(s)) throw new InvalidFileError(`${label} must be a mapping`);
    const params: Record<string, Record<string, YamlValue>> = {};
    if (isObj(s.params)) {
      for (const [f, kv] of Object.entries(s.params)) params[f] = isObj(kv) ? (kv as Record<string, YamlValue>) : {};
    }
    res.raw[name] = s as Record<string, YamlValue>;
    res.stages.set(name, {
      cmd: (s.cmd as string | string[]) ?? '',
      deps: lockEntries(s.deps, `${label}: 'deps'`),
      params,
      outs: lockEntries(s.outs, `${label}: 'outs'`),
    });
  }
  return res;
}

function entryToYaml(e: LockEntry): Record<string, YamlValue> {
  const r: Record<string, YamlValue> = { path: e.path };
  if (e.hash !== undefined) r.hash = e.hash;
  if (e.md5 !== undefined) r.md5 = e.md5;
  if (e.size !== undefined) r.size = BigInt(e.size);
  if (e.nfiles !== undefined) r.nfiles = BigInt(e.nfiles);
  return r;
}

/** DVC's to_single_stage_lockfile (also the run cache entry). */
export function lockStageToYaml(s: LockStage): Record<string, YamlValue> {
  const r: Record<string, YamlValue> = { cmd: s.cmd };
  const deps = [...s.deps].sort((a, b) => cmp(a.path, b.path)).map(entryToYaml);
  const outs = [...s.outs].sort((a, b) => cmp(a.path, b.path)).map(entryToYaml);
  const files = Object.keys(s.params).sort(cmp);
  const i = files.indexOf(DEFAULT_PARAMS_FILE);
  if (i > 0) files.unshift(...files.splice(i, 1));
  const params: Record<string, YamlValue> = {};
  for (const f of files) {
    const kv = s.params[f]!;
    const sorted: Record<string, YamlValue> = {};
    for (const k of Object.keys(kv).sort(cmp)) sorted[k] = kv[k]!;
    params[f] = sorted;
  }
  if (deps.length) r.deps = deps;
  if (files.length) r.params = params;
  if (outs.length) r.outs = outs;
  return r;
}

/** The dvc.lock text with `stages` set (existing ones replaced in place, new ones appended). */
export function lockWithStages(lock: LockFile | undefined, stages: Map<string, LockStage>, remove: string[] = []): string {
  const all: Record<string, YamlValue> = {};
  for (const [name, raw] of Object.entries(lock?.raw ?? {})) {
    if (remove.includes(name)) continue;
    all[name] = stages.has(name) ? lockStageToYaml(stages.get(name)!) : raw;
  }
  for (const [name, s] of stages) if (!(name in all)) all[name] = lockStageToYaml(s);
  return dumpYaml({ schema: '2.0', stages: all });
}

/** Python's json.dumps(v, sort_keys=True) (ints are bigints, floats numbers). */
export function pyJsonSorted(v: YamlValue | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyJsonFloatRepr(v);
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) return '[' + v.map(pyJsonSorted).join(', ') + ']';
  const e = v instanceof Map ? [...v.entries()] : Object.entries(v);
  e.sort((a, b) => cmp(a[0], b[0]));
  return '{' + e.map(([k, x]) => `${pyJsonString(k)}: ${pyJsonSorted(x)}`).join(', ') + '}';
}

/** Python's repr() of a float (json.dumps writes floats the same way). */
export function pyJsonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  const abs = Math.abs(n);
  if (abs < 1e-4 || abs >= 1e16) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}
