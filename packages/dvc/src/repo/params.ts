/**
 * Params files (`params.yaml` and friends, YAML or JSON) as stages use them: values looked up by
 * dotted keys (`train.lr`), ints kept apart from floats (ints are bigints) so `dvc.lock` gets
 * them as DVC writes them; and `dvc params diff` (workspace vs a git revision, HEAD by default).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidFileError } from '../errors.js';
import { parseYamlText, pyJsonFloatRepr } from '../formats/dvcyaml.js';
import { decodeUtf8 } from '../formats/text.js';
import type { YamlValue } from '../formats/ruamel.js';

export function parseParamsText(text: string, shown: string): YamlValue {
  const ext = extname(shown).toLowerCase();
  if (ext === '.toml' || ext === '.py') throw new InvalidFileError(`'${shown}': ${ext} params files are not supported (use YAML or JSON)`);
  const v = parseYamlText(text, shown) as YamlValue | undefined;
  return v ?? {};
}

/** The parsed params file (throws InvalidFileError when it cannot be read or parsed). */
export function readParams(abs: string, shown: string): YamlValue {
  let buf: Buffer;
  try {
    buf = readFileSync(abs);
  } catch (e) {
    throw new InvalidFileError(`unable to read parameters from '${shown}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseParamsText(decodeUtf8(buf, shown), shown);
}

function isObj(v: unknown): v is Record<string, YamlValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map);
}

/** The value at a dotted key (`a.b.0`), or undefined. */
export function lookupParam(data: YamlValue, key: string): YamlValue | undefined {
  if (isObj(data) && key in data) return data[key];
  let cur: YamlValue | undefined = data;
  for (const part of key.split('.')) {
    if (isObj(cur) && part in cur) cur = cur[part];
    else if (Array.isArray(cur) && /^\d+$/.test(part) && Number(part) < cur.length) cur = cur[Number(part)];
    else return undefined;
  }
  return cur;
}

/** Python's == on parsed values (3 == 3.0). */
export function paramsEqual(a: YamlValue | undefined, b: YamlValue | undefined): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => paramsEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && paramsEqual(a[k], b[k]));
  }
  return a === b;
}

/** The top-level keys of a params file, flattened to dotted leaves (DVC's flatten for diff). */
export function flattenParams(data: YamlValue, prefix = ''): Map<string, YamlValue> {
  const out = new Map<string, YamlValue>();
  if (isObj(data)) {
    for (const [k, v] of Object.entries(data)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isObj(v) && Object.keys(v).length) for (const [kk, vv] of flattenParams(v, key)) out.set(kk, vv);
      else out.set(key, v);
    }
  }
  return out;
}

/** A value as DVC's tables show it (Python str()). */
export function showValue(v: YamlValue | undefined): string {
  if (v === undefined) return '-';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyJsonFloatRepr(v).replace(/^NaN$/, 'nan').replace(/^(-?)Infinity$/, '$1inf');
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return '[' + v.map((x) => (typeof x === 'string' ? `'${x}'` : showValue(x))).join(', ') + ']';
  return '{' + Object.entries(v).map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : showValue(x)}`).join(', ') + '}';
}
