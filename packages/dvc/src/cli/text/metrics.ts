/**
 * `dvc metrics show|diff` and `dvc params diff` wording: DVC's tabulate "plain" tables (two
 * spaces between columns, each line right-stripped, missing values `-`), `--md` tables and
 * `--json`.
 */
import type { YamlValue } from '../../formats/ruamel.js';
import type { DiffRow, FileResult } from '../../repo/metrics.js';
import { flattenParams, showValue } from '../../repo/params.js';
import { pyJson } from './json.js';

/**
 * tabulate(..., tablefmt="plain", disable_numparse=True, missingval="-"): a column is as wide as
 * its widest cell and at least its header plus tabulate's MIN_PADDING (2), as DVC 3.64 prints
 * `Metric    HEAD~1    HEAD` (fixture 19). With `md`, tabulate's "github" format instead.
 */
export function plainTable(headers: string[], rows: string[][], md = false): string {
  const all = [headers, ...rows];
  const n = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, i) => Math.max((headers[i] ?? '').length + 2, ...rows.map((r) => (r[i] ?? '-').length)));
  if (md) {
    const line = (r: string[]) => '| ' + widths.map((w, i) => (r[i] ?? '-').padEnd(w)).join(' | ') + ' |';
    return [line(headers), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n') + '\n';
  }
  return all.map((r) => widths.map((w, i) => (r[i] ?? '-').padEnd(w)).join('  ').trimEnd()).join('\n');
}

/** DVC's _format_field(val, precision=5, round_digits=True): floats are round(v, 5), then str(). */
export function formatMetric(v: YamlValue | undefined, precision = 5): string {
  if (v === undefined) return '-';
  if (typeof v === 'number' && Number.isFinite(v)) return showValue(Number(v.toFixed(precision)));
  return showValue(v);
}


/** The JSON of metricsShowRevs: `{rev: {data: {file: {data: ...}}}}`. */
export function metricsShowRevsJson(revs: Map<string, Map<string, FileResult>>): string {
  const top: Record<string, unknown> = {};
  for (const [rev, res] of revs) {
    const data: Record<string, unknown> = {};
    for (const [f, r] of res) data[f] = r.error ? { error: r.error } : { data: r.data };
    top[rev] = { data };
  }
  return pyJson(top);
}

/** The table of metricsShowRevs: Revision, Path, then the sorted metric names. */
export function metricsShowRevsTable(revs: Map<string, Map<string, FileResult>>, md = false): string {
  const cols: string[] = [];
  const rows: Array<[string, string, Map<string, YamlValue>]> = [];
  for (const [rev, res] of revs) {
    for (const [f, r] of res) {
      const m = r.data !== undefined ? flattenParams(r.data) : new Map<string, YamlValue>();
      for (const k of m.keys()) if (!cols.includes(k)) cols.push(k);
      rows.push([rev, f, m]);
    }
  }
  cols.sort();
  return plainTable(['Revision', 'Path', ...cols], rows.map(([rev, f, m]) => [rev, f, ...cols.map((c) => formatMetric(m.get(c)))]), md);
}

export function metricsShowJson(res: Map<string, FileResult>): string {
  const data: Record<string, unknown> = {};
  for (const [f, r] of res) data[f] = r.error ? { error: r.error } : { data: r.data };
  return pyJson({ '': { data } } as Record<string, unknown>);
}

export function metricsShowTable(res: Map<string, FileResult>, md = false): string {
  const cols: string[] = [];
  const flat = new Map<string, Map<string, YamlValue>>();
  for (const [f, r] of res) {
    const m = r.data !== undefined ? flattenParams(r.data) : new Map<string, YamlValue>();
    flat.set(f, m);
    for (const k of m.keys()) if (!cols.includes(k)) cols.push(k);
  }
  cols.sort(); // DVC: td.project(rev, path, *sorted(metrics_headers))
  const rows = [...flat].map(([f, m]) => [f, ...cols.map((c) => formatMetric(m.get(c)))]);
  return plainTable(['Path', ...cols], rows, md);
}

export function paramsDiffTable(rows: DiffRow[], aRev = 'HEAD', bRev = 'workspace', md = false): string {
  if (!rows.length) return '';
  return plainTable(['Path', 'Param', aRev, bRev], rows.map((r) => [r.path, r.key, r.old === undefined ? '-' : showValue(r.old), r.new === undefined ? '-' : showValue(r.new)]), md);
}

export function metricsDiffTable(rows: DiffRow[], aRev = 'HEAD', bRev = 'workspace', md = false): string {
  if (!rows.length) return '';
  return plainTable(
    ['Path', 'Metric', aRev, bRev, 'Change'],
    rows.map((r) => {
      const num = (v: YamlValue | undefined) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined);
      const o = num(r.old);
      const n = num(r.new);
      const change = o !== undefined && n !== undefined ? formatMetric(n - o) : '-';
      return [r.path, r.key, formatMetric(r.old), formatMetric(r.new), change];
    }),
    md,
  );
}

export function diffJson(rows: DiffRow[]): string {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const r of rows) {
    const e: Record<string, unknown> = { old: r.old ?? null, new: r.new ?? null };
    const o = r.old;
    const n = r.new;
    if ((typeof o === 'number' || typeof o === 'bigint') && (typeof n === 'number' || typeof n === 'bigint')) {
      e.diff = typeof o === 'bigint' && typeof n === 'bigint' ? n - o : Number(n) - Number(o);
    }
    (out[r.path] ??= {})[r.key] = e;
  }
  return pyJson(out as Record<string, unknown>);
}
