/**
 * `dvc metrics show|diff`, `dvc params diff` and `dvc plots show`: metrics files are the stages'
 * `metrics` outputs (and dvc.yaml's top-level `metrics:`), read from the workspace or a git
 * revision; tables are printed as DVC's tabulate "plain" tables (two spaces between columns,
 * each line right-stripped, missing values `-`). A metrics file that cannot be read is reported
 * as DVC does ("DVC failed to load some metrics for following revisions: ''." on stderr, exit 0).
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DvcError } from '../errors.js';
import { DEFAULT_PARAMS_FILE } from '../formats/dvcyaml.js';
import { decodeUtf8 } from '../formats/text.js';
import type { YamlValue } from '../formats/ruamel.js';
import { pyJsonFloatRepr, pyJsonString } from '../formats/dvcyaml.js';
import { flattenParams, parseParamsText, showValue } from './params.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import type { Repo } from './repo.js';

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

export interface FileResult {
  data?: YamlValue;
  error?: { type: string; msg: string };
}

/** Metrics files of the pipeline (paths relative to the root). */
export function metricsFiles(p: Pipeline): string[] {
  const files: string[] = [];
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'metrics' && !files.includes(o.rel)) files.push(o.rel);
  for (const f of p.files) {
    const top = f.project.data.metrics;
    if (!Array.isArray(top)) continue;
    for (const m of top) {
      if (typeof m !== 'string') continue;
      const rel = relative(p.repo.root, join(dirname(f.path), m)).split('\\').join('/');
      if (!files.includes(rel)) files.push(rel);
    }
  }
  return files;
}

export function plotsFiles(p: Pipeline): string[] {
  const files: string[] = [];
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'plots' && !files.includes(o.rel)) files.push(o.rel);
  return files;
}

function readWs(repo: Repo, rel: string): FileResult {
  let buf: Buffer;
  try {
    buf = readFileSync(join(repo.root, rel));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: { type: 'FileNotFoundError', msg: `[Errno 2] No such file or directory: '${rel}'` } };
    if (code === 'EISDIR') return { error: { type: 'IsADirectoryError', msg: `[Errno 21] Is a directory: '${rel}'` } };
    return { error: { type: 'OSError', msg: String((e as Error).message) } };
  }
  return parseResult(buf, rel);
}

function parseResult(buf: Uint8Array, rel: string): FileResult {
  try {
    return { data: parseParamsText(decodeUtf8(buf, rel), rel) };
  } catch (e) {
    return { error: { type: 'YAMLFileCorruptedError', msg: (e as Error).message } };
  }
}

async function readRev(repo: Repo, rev: string, rel: string): Promise<FileResult | undefined> {
  if (!repo.scm) return undefined;
  const buf = await repo.scm.show(rev, join(repo.root, rel));
  if (!buf) return undefined;
  return parseResult(buf, rel);
}

/** DVC's _format_field(val, precision=5, round_digits=True): floats are round(v, 5), then str(). */
export function formatMetric(v: YamlValue | undefined, precision = 5): string {
  if (v === undefined) return '-';
  if (typeof v === 'number' && Number.isFinite(v)) return showValue(Number(v.toFixed(precision)));
  return showValue(v);
}

export interface MetricsShow {
  /** rev ('' for the workspace) -> file -> result */
  revs: Map<string, Map<string, FileResult>>;
}

export function metricsShow(repo: Repo, targets: string[] = []): Map<string, FileResult> {
  const p = loadPipeline(repo);
  const files = targets.length ? targets.map((t) => relative(repo.root, resolve(t)).split('\\').join('/')) : metricsFiles(p);
  const res = new Map<string, FileResult>();
  for (const f of files) res.set(f, readWs(repo, f));
  return res;
}

function pyJson(v: YamlValue | undefined | FileResult | Record<string, unknown>): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyJsonFloatRepr(v);
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) return '[' + v.map((x) => pyJson(x)).join(', ') + ']';
  return '{' + Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${pyJsonString(k)}: ${pyJson(x as YamlValue)}`).join(', ') + '}';
}

/**
 * `dvc metrics show -a/-T/-A`: the metrics of the workspace and of every branch, tag or commit,
 * keyed by DVC's revision names (branch or tag names, full commit ids for -A), workspace first.
 */
export async function metricsShowRevs(
  repo: Repo,
  targets: string[],
  opts: { allBranches?: boolean; allTags?: boolean; allCommits?: boolean },
): Promise<Map<string, Map<string, FileResult>>> {
  const out = new Map<string, Map<string, FileResult>>([['workspace', metricsShow(repo, targets)]]);
  const scm = repo.scm;
  if (!scm || !(await scm.hasCommits())) return out;
  const p = loadPipeline(repo);
  const files = targets.length ? targets.map((t) => relative(repo.root, resolve(t)).split('\\').join('/')) : metricsFiles(p);
  const revs: Array<{ name: string; commit: string }> = [];
  if (opts.allCommits) for (const c of await scm.allCommits()) revs.push({ name: c, commit: c });
  else {
    if (opts.allBranches) revs.push(...(await scm.branches()));
    if (opts.allTags) revs.push(...(await scm.tags()));
  }
  const seen = new Set<string>();
  for (const r of revs) {
    if (seen.has(r.commit)) continue;
    seen.add(r.commit);
    const m = new Map<string, FileResult>();
    for (const f of files) {
      const res = await readRev(repo, r.commit, f);
      if (res) m.set(f, res);
    }
    out.set(r.name, m);
  }
  return out;
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

export interface DiffRow {
  path: string;
  key: string;
  old?: YamlValue;
  new?: YamlValue;
}

function diffMaps(path: string, a: Map<string, YamlValue>, b: Map<string, YamlValue>, all: boolean): DiffRow[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const rows: DiffRow[] = [];
  for (const k of keys) {
    const o = a.get(k);
    const n = b.get(k);
    const same = JSON.stringify(showValue(o)) === JSON.stringify(showValue(n)) && (o === undefined) === (n === undefined);
    if (same && !all) continue;
    rows.push({ path, key: k, ...(o !== undefined ? { old: o } : {}), ...(n !== undefined ? { new: n } : {}) });
  }
  return rows;
}

/** Params files the stages use (params.yaml always, when it exists). */
export function paramsFiles(p: Pipeline): string[] {
  const files: string[] = [DEFAULT_PARAMS_FILE];
  for (const s of p.stages) for (const x of s.params) if (!files.includes(x.rel)) files.push(x.rel);
  return files;
}

async function noCommits(repo: Repo): Promise<boolean> {
  return !repo.scm || !(await repo.scm.hasCommits());
}

/** A revision that names no commit (DVC: exit 1). */
export class UnknownRevisionError extends DvcError {}

/**
 * `dvc params diff` / `dvc metrics diff` rows: a_rev (HEAD) vs b_rev, or vs the workspace when
 * b_rev is omitted.
 */
export async function diffFiles(repo: Repo, kind: 'params' | 'metrics', aRev = 'HEAD', all = false, bRev?: string): Promise<DiffRow[]> {
  if (await noCommits(repo)) return [];
  for (const r of bRev === undefined ? [aRev] : [aRev, bRev]) {
    if (!(await repo.scm!.resolveRev(r))) throw new UnknownRevisionError(`unknown Git revision '${r}'`);
  }
  const p = loadPipeline(repo);
  const files = kind === 'params' ? paramsFiles(p) : metricsFiles(p);
  const rows: DiffRow[] = [];
  for (const f of files) {
    const old = await readRev(repo, aRev, f);
    const cur = bRev === undefined ? readWs(repo, f) : ((await readRev(repo, bRev, f)) ?? {});
    const a = old?.data !== undefined ? flattenParams(old.data) : new Map<string, YamlValue>();
    const b = cur.data !== undefined ? flattenParams(cur.data) : new Map<string, YamlValue>();
    rows.push(...diffMaps(f, a, b, all));
  }
  return rows;
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

const PAGE_HEAD =
  '<!DOCTYPE html>\n<html>\n<head>\n    \n    <title>DVC Plot</title>\n    \n\n' +
  '    <script src="https://cdn.jsdelivr.net/npm/vega@5.20.2"></script>\n' +
  '    <script src="https://cdn.jsdelivr.net/npm/vega-lite@5.2.0"></script>\n' +
  '    <script src="https://cdn.jsdelivr.net/npm/vega-embed@6.18.2"></script>\n' +
  '    \n    <style>\n        table {\n            border-spacing: 15px;\n        }\n    </style>\n</head>\n<body>\n    ';
const PAGE_TAIL = '\n</body>\n</html>';

function plotDiv(id: string, spec: string): string {
  return (
    `\n    <div id = "${id}">\n        <script type = "text/javascript">\n            var spec = ${spec};\n` +
    `            vegaEmbed('#${id}', spec);\n        </script>\n    </div>\n    `
  );
}

/** CSV/TSV/JSON/YAML plot data as a list of records, or undefined when it cannot be read. */
function plotData(repo: Repo, rel: string): Array<Record<string, unknown>> | undefined {
  let text: string;
  try {
    text = readFileSync(join(repo.root, rel), 'utf8');
  } catch {
    return undefined;
  }
  if (/\.(csv|tsv)$/i.test(rel)) {
    const sep = rel.toLowerCase().endsWith('.tsv') ? '\t' : ',';
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    const head = lines.shift()?.split(sep) ?? [];
    return lines.map((l) => Object.fromEntries(l.split(sep).map((v, i) => [head[i] ?? String(i), v])));
  }
  try {
    const v = parseParamsText(text, rel) as unknown;
    if (Array.isArray(v)) return v as Array<Record<string, unknown>>;
    if (v && typeof v === 'object') {
      const first = Object.values(v).find(Array.isArray);
      if (first) return first as Array<Record<string, unknown>>;
    }
  } catch {
    /* unreadable */
  }
  return undefined;
}

/**
 * `dvc plots show -o DIR`: writes DIR/index.html (DVC's page; a plot whose data cannot be read
 * gets an empty spec, as DVC). Returns the page path and whether some plot failed to load.
 */
export function plotsShow(repo: Repo, outDir: string, targets: string[] = []): { page: string; failed: boolean } {
  const p = loadPipeline(repo);
  const files = targets.length ? targets.map((t) => relative(repo.root, resolve(t)).split('\\').join('/')) : plotsFiles(p);
  let failed = false;
  const divs: string[] = [];
  for (const f of files) {
    const data = plotData(repo, f);
    let spec = '{}';
    if (!data) failed = true;
    else {
      const keys = data.length ? Object.keys(data[0]!) : [];
      const y = keys[keys.length - 1] ?? 'y';
      const x = keys.length > 1 ? keys[0]! : 'step';
      const values = data.map((r, i) => ({ ...r, step: i, rev: 'workspace' }));
      spec = JSON.stringify({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        data: { values },
        title: f,
        width: 300,
        height: 300,
        mark: { type: 'line' },
        encoding: { x: { field: x, type: 'quantitative' }, y: { field: y, type: 'quantitative' }, color: { field: 'rev', type: 'nominal' } },
      });
    }
    // dvc-render's remove_special_chars; elements joined with a newline
    divs.push(plotDiv(f.replace(/[!@#$%^&*()[\]{};,<>?\\/:.|`~=_+ ]/g, '_'), spec));
  }
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const page = join(dir, 'index.html');
  writeFileSync(page, PAGE_HEAD + divs.join('\n') + PAGE_TAIL);
  return { page, failed };
}
