/**
 * Python's json.dumps as DVC prints it (", " and ": " separators, ASCII only, keys in insertion
 * order). The one copy for every command's `--json` (status, status -c, diff, metrics, params).
 */
import { pyJsonFloatRepr, pyJsonString } from '../../formats/dvcyaml.js';

/**
 * `floats`: JavaScript numbers are Python floats (metrics and params values: `1.0`); without it
 * they are ints (counts). bigints are always ints. Undefined members are left out.
 */
export function pyJson(v: unknown, floats = true): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floats ? pyJsonFloatRepr(v) : String(v);
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) return '[' + v.map((x) => pyJson(x, floats)).join(', ') + ']';
  if (v instanceof Map) return pyJson(Object.fromEntries(v), floats);
  return (
    '{' +
    Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${pyJsonString(k)}: ${pyJson(x, floats)}`)
      .join(', ') +
    '}'
  );
}

/** A status report (or any JSON of names and states) as DVC's `--json` prints it. */
export function statusJson(report: unknown): string {
  return pyJson(report, false);
}
