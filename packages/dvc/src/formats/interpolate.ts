/**
 * dvc.yaml templating as DVC 3 resolves it (dvc/parsing): `${key.path[0]}` interpolation from the
 * context (the default `params.yaml` beside dvc.yaml when it exists, then the top-level `vars`
 * list: files `f.yaml` / `f.yaml:k1,k2` and inline mappings, then a stage's own `vars`), and
 * `foreach`/`do` and `matrix` stage generation (`name@key`, `name@a-b`).
 *
 * A string that is one `${...}` takes the value's type; inside a longer string a value is written
 * as Python's str() would (booleans `true`/`false`); a list or mapping inside a string is an
 * error, as in DVC. `\${` is a literal `${`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidFileError } from '../errors.js';
import { parseYamlText } from './dvcyaml.js';
import { readUtf8 } from './text.js';
import { pyFloat, type YamlValue } from './ruamel.js';

type Ctx = Record<string, YamlValue>;

function isObj(v: unknown): v is Record<string, YamlValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map);
}

const INTERP = /(\\)?\$\{([^{}]*)\}/g;

export function hasInterpolation(v: unknown): boolean {
  if (typeof v === 'string') return /(^|[^\\])\$\{/.test(v);
  if (Array.isArray(v)) return v.some(hasInterpolation);
  if (isObj(v)) return Object.entries(v).some(([k, x]) => hasInterpolation(k) || hasInterpolation(x));
  return false;
}

/** Deep merge of `src` into `dst` (DVC's merge_update: mappings merged, the rest replaced). */
function merge(dst: Ctx, src: Ctx): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isObj(cur) && isObj(v)) merge(cur, v);
    else dst[k] = isObj(v) ? structuredClone(v) : v;
  }
}

function lookup(ctx: Ctx, expr: string, where: string): YamlValue {
  const key = expr.trim();
  if (!key) throw new InvalidFileError(`${where}: empty interpolation '\${}'`);
  const parts: Array<string | number> = [];
  for (const seg of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) throw new InvalidFileError(`${where}: cannot parse '\${${expr}}'`);
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  let cur: YamlValue | undefined = ctx;
  for (const p of parts) {
    if (typeof p === 'number' && Array.isArray(cur) && p < cur.length) cur = cur[p];
    else if (typeof p === 'string' && isObj(cur) && p in cur) cur = cur[p];
    else if (typeof p === 'string' && Array.isArray(cur) && /^\d+$/.test(p) && Number(p) < cur.length) cur = cur[Number(p)];
    else throw new InvalidFileError(`${where}: Could not find '${key}'`);
  }
  return cur as YamlValue;
}

/** Python's str() of an interpolated scalar, as DVC's to_str. */
function toStr(v: YamlValue, expr: string, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyFloat(v);
  if (v === null) return 'None';
  throw new InvalidFileError(`${where}: Cannot interpolate data of type '${Array.isArray(v) ? 'list' : 'dict'}' ('\${${expr.trim()}}')`);
}

export function resolveString(s: string, ctx: Ctx, where: string): YamlValue {
  const whole = /^\$\{([^{}]*)\}$/.exec(s);
  if (whole) return structuredCloneValue(lookup(ctx, whole[1]!, where));
  return s.replace(INTERP, (m, esc: string | undefined, expr: string) => (esc ? m.slice(1) : toStr(lookup(ctx, expr, where), expr, where)));
}

function structuredCloneValue(v: YamlValue): YamlValue {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}

export function resolveValue(v: YamlValue, ctx: Ctx, where: string): YamlValue {
  if (typeof v === 'string') return resolveString(v, ctx, where);
  if (Array.isArray(v)) return v.map((x) => resolveValue(x, ctx, where));
  if (isObj(v)) {
    const r: Record<string, YamlValue> = {};
    for (const [k, x] of Object.entries(v)) r[String(resolveString(k, ctx, where))] = resolveValue(x, ctx, where);
    return r;
  }
  return v;
}

/** Loads a `vars` list into `ctx` (files relative to `dir`). */
export function loadVars(ctx: Ctx, vars: unknown, dir: string, where: string): void {
  if (vars === undefined || vars === null) return;
  const list = Array.isArray(vars) ? vars : [vars];
  for (const item of list) {
    if (isObj(item)) merge(ctx, item);
    else if (typeof item === 'string') {
      // DVC: path, _, keys = item.partition(':')
      const i = item.indexOf(':');
      const file = i >= 0 ? item.slice(0, i) : item;
      const keys = i >= 0 ? item.slice(i + 1).split(',').filter(Boolean) : [];
      const data = readVarsFile(join(dir, file), file, where);
      if (!keys.length) merge(ctx, data);
      else for (const k of keys) merge(ctx, { [k]: lookup(data, k, `${where}: '${file}'`) });
    } else throw new InvalidFileError(`${where}: 'vars' entries must be file names or mappings`);
  }
}

/**
 * Where params and vars files are read from while `fn` runs (synchronously): a reader of absolute
 * paths giving the text or null, e.g. the files of a git commit for `exp show` of a templated
 * dvc.yaml. Outside it, the files on disk.
 */
let varsReader: ((abs: string) => string | null) | null = null;
export function withVarsReader<T>(reader: (abs: string) => string | null, fn: () => T): T {
  const prev = varsReader;
  varsReader = reader;
  try {
    return fn();
  } finally {
    varsReader = prev;
  }
}

function varsFileExists(abs: string): boolean {
  return varsReader ? varsReader(abs) !== null : existsSync(abs);
}

function readVarsFile(abs: string, shown: string, where: string): Ctx {
  let text: string;
  try {
    if (varsReader) {
      const t = varsReader(abs);
      if (t === null) throw new Error('absent');
      text = t;
    } else text = readUtf8(abs, shown);
  } catch (e) {
    if (e instanceof InvalidFileError) throw e;
    throw new InvalidFileError(`${where}: 'vars' file '${shown}' does not exist`);
  }
  const v = parseYamlText(text, shown);
  if (v === null || v === undefined) return {};
  if (!isObj(v)) throw new InvalidFileError(`${where}: '${shown}' must hold a mapping`);
  return v;
}

/** The global context of a dvc.yaml in `dir`: params.yaml (if any), then the top-level vars. */
export function globalContext(data: Record<string, unknown>, dir: string, shown: string): Ctx {
  const ctx: Ctx = {};
  const defaultParams = join(dir, 'params.yaml');
  const vars = data.vars;
  const listsDefault = Array.isArray(vars) && vars.some((v) => v === 'params.yaml');
  if (!listsDefault && varsFileExists(defaultParams)) merge(ctx, readVarsFile(defaultParams, 'params.yaml', `'${shown}'`));
  loadVars(ctx, vars, dir, `'${shown}': 'vars'`);
  return ctx;
}

function keyOf(v: YamlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyFloat(v);
  return String(v);
}

/**
 * Expands one stage definition into resolved `[name, definition]` pairs (foreach/matrix give
 * several). `ctx` is the global context (not modified).
 */
export function expandStage(name: string, def: Record<string, YamlValue>, ctx: Ctx, dir: string, shown: string): Array<[string, Record<string, YamlValue>]> {
  const where = `'${shown}': stage '${name}'`;
  if ('foreach' in def) {
    if (!isObj(def.do)) throw new InvalidFileError(`${where}: 'foreach' needs a 'do' mapping`);
    const iter = resolveValue(def.foreach!, ctx, `${where}: 'foreach'`);
    const items: Array<[string, YamlValue, boolean]> = [];
    if (isObj(iter)) for (const [k, v] of Object.entries(iter)) items.push([k, v, true]);
    else if (Array.isArray(iter)) {
      const composite = iter.some((x) => typeof x === 'object' && x !== null);
      iter.forEach((v, i) => items.push([composite ? String(i) : keyOf(v), v, false]));
    } else throw new InvalidFileError(`${where}: 'foreach' must be a list or a mapping`);
    return items.map(([key, item, isMap]) => {
      const c: Ctx = { ...ctx, item: item };
      if (isMap) c.key = key;
      const gen = `${name}@${key}`;
      return [gen, resolveEntry(gen, def.do as Record<string, YamlValue>, c, dir, shown)];
    });
  }
  if ('matrix' in def) {
    const m = resolveValue(def.matrix!, ctx, `${where}: 'matrix'`);
    if (!isObj(m)) throw new InvalidFileError(`${where}: 'matrix' must be a mapping`);
    let combos: Array<{ item: Record<string, YamlValue>; frags: string[] }> = [{ item: {}, frags: [] }];
    for (const [k, vals] of Object.entries(m)) {
      if (!Array.isArray(vals)) throw new InvalidFileError(`${where}: 'matrix.${k}' must be a list`);
      const next: typeof combos = [];
      for (const c of combos) {
        vals.forEach((v, i) => {
          const frag = typeof v === 'object' && v !== null ? `${k}${i}` : keyOf(v);
          next.push({ item: { ...c.item, [k]: v }, frags: [...c.frags, frag] });
        });
      }
      combos = next;
    }
    const rest = { ...def };
    delete rest.matrix;
    return combos.map(({ item, frags }) => {
      const gen = `${name}@${frags.join('-')}`;
      return [gen, resolveEntry(gen, rest, { ...ctx, item }, dir, shown)];
    });
  }
  return [[name, resolveEntry(name, def, ctx, dir, shown)]];
}

function resolveEntry(name: string, def: Record<string, YamlValue>, ctx: Ctx, dir: string, shown: string): Record<string, YamlValue> {
  const where = `'${shown}': stage '${name}'`;
  let c = ctx;
  const { vars, ...rest } = def;
  if (vars !== undefined) {
    c = structuredClone(ctx);
    const wdir = typeof rest.wdir === 'string' ? String(resolveString(rest.wdir, ctx, where)) : '.';
    loadVars(c, vars, join(dir, wdir), `${where}: 'vars'`);
  }
  const out: Record<string, YamlValue> = {};
  for (const [k, v] of Object.entries(rest)) out[k] = resolveValue(v, c, `${where}: '${k}'`);
  return out;
}
