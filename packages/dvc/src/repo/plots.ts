/**
 * `dvc plots show|diff` data, as DVC 3.64's repo/plots, render/match and render/converter/vega
 * collect it: for each revision (the workspace or a git commit) the plot definitions (top-level
 * `plots:` of every dvc.yaml, stage outputs marked as plots, and targets given as files) and the
 * data of their sources (CSV/TSV as strings, JSON/YAML as parsed); then one VegaRenderer per plot
 * id with the datapoints of every revision (`rev` field), the inferred x (`step`: the row index
 * when none is given) and y (the last field), ready for formats/vega.ts to fill a template.
 * Paths are relative to the repository root, '/'-separated.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { DvcError } from '../errors.js';
import { parseLockFile, parseProjectFile, PROJECT_FILE, LOCK_FILE, type ProjectFile } from '../formats/dvcyaml.js';
import { decodeUtf8 } from '../formats/text.js';
import { renderHtml, VegaRenderer, type Datapoint, type JsonValue, type VegaProps } from '../formats/vega.js';
import { writeFileAtomic } from '../fs/local.js';
import { parseParamsText } from './params.js';
import { loadPipeline } from './pipeline.js';
import type { Repo } from './repo.js';

/** DVC's PLOT_PROPS: what a plot definition, a plots output's flags or the command line may set. */
export interface PlotProps {
  template?: string;
  x?: string | Record<string, string | string[]>;
  y?: string | Record<string, string | string[]>;
  x_label?: string;
  y_label?: string;
  title?: string;
  header?: boolean;
}
export const PLOT_PROPS = ['template', 'x', 'y', 'x_label', 'y_label', 'title', 'header'] as const;

export interface PlotError {
  type: string;
  msg: string;
}

interface Source {
  props: PlotProps;
  data?: JsonValue;
  error?: PlotError;
}

export interface RevPlots {
  /** config file ('' for outputs and targets) -> plot id -> props */
  definitions: Map<string, Map<string, PlotProps>>;
  sources: Map<string, Source>;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.gif', '.png', '.svg']);

export class UnknownRevisionError extends DvcError {}

function extOf(p: string): string {
  const b = posix.basename(p);
  const i = b.lastIndexOf('.');
  return i > 0 ? b.slice(i).toLowerCase() : '';
}

function pick(flags: Record<string, unknown> | undefined): PlotProps {
  const r: Record<string, unknown> = {};
  for (const k of PLOT_PROPS) if (flags && flags[k] !== undefined) r[k] = flags[k];
  return r as PlotProps;
}

/** One revision's files: the workspace, or a commit (git blobs, DVC-tracked data from the cache). */
interface RevView {
  projects(): Promise<Array<{ rel: string; pf: ProjectFile }>>;
  read(rel: string): Promise<Buffer | PlotError>;
  /** Files under `rel` when it is a folder (recursively), else undefined. */
  listDir(rel: string): Promise<string[] | undefined>;
}

const notFound = (rel: string): PlotError => ({ type: 'FileNotFoundError', msg: `[Errno 2] No such file or directory: '${rel}'` });
const toPosix = (p: string) => p.split(sep).join('/');

function workspaceView(repo: Repo): RevView {
  return {
    async projects() {
      const p = loadPipeline(repo);
      return p.files.map((f) => ({ rel: toPosix(relative(repo.root, f.path)), pf: f.project }));
    },
    async read(rel) {
      try {
        return readFileSync(join(repo.root, rel));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return notFound(rel);
        if (code === 'EISDIR') return { type: 'IsADirectoryError', msg: `[Errno 21] Is a directory: '${rel}'` };
        return { type: 'OSError', msg: (e as Error).message };
      }
    },
    async listDir(rel) {
      const abs = join(repo.root, rel);
      try {
        if (!statSync(abs).isDirectory()) return undefined;
      } catch {
        return undefined;
      }
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
          if (e.isDirectory()) walk(join(d, e.name));
          else out.push(toPosix(relative(repo.root, join(d, e.name))));
        }
      };
      walk(abs);
      return out;
    },
  };
}

async function gitView(repo: Repo, rev: string): Promise<RevView> {
  const scm = repo.scm!;
  const files = await scm.listFiles(rev);
  const text = async (rel: string) => {
    const b = await scm.show(rev, join(repo.root, rel));
    return b ? decodeUtf8(b, rel) : undefined;
  };
  // DVC-tracked files of that commit: path -> md5, from its dvc.lock and .dvc files
  const tracked = new Map<string, string>();
  for (const f of files) {
    const dir = posix.dirname(f) === '.' ? '' : posix.dirname(f);
    try {
      if (posix.basename(f) === LOCK_FILE) {
        const lock = parseLockFile((await text(f)) ?? '', f);
        for (const st of lock.stages.values()) for (const o of st.outs) if (o.md5) tracked.set(posix.normalize(posix.join(dir, o.path)), o.md5);
      } else if (f.endsWith('.dvc') && posix.basename(f) !== '.dvc') {
        const { Y } = await import('../formats/dvcyaml.js');
        const d = Y().parse((await text(f)) ?? '') as { outs?: Array<{ path?: string; md5?: string }> } | null;
        for (const o of d?.outs ?? []) if (o.path && o.md5) tracked.set(posix.normalize(posix.join(dir, o.path)), o.md5);
      }
    } catch {
      /* an unreadable lock or .dvc file at that commit: its data is not found */
    }
  }
  return {
    async projects() {
      const out: Array<{ rel: string; pf: ProjectFile }> = [];
      for (const f of files) {
        if (posix.basename(f) !== PROJECT_FILE) continue;
        const t = await text(f);
        if (t === undefined) continue;
        out.push({ rel: f, pf: parseProjectFile(t, f, join(repo.root, posix.dirname(f))) });
      }
      return out;
    },
    async read(rel) {
      const b = await scm.show(rev, join(repo.root, rel));
      if (b) return b;
      const md5 = tracked.get(rel);
      if (md5 && !md5.endsWith('.dir')) {
        try {
          return readFileSync(join(repo.cacheDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
        } catch {
          /* not in the cache */
        }
      }
      return notFound(rel);
    },
    async listDir(rel) {
      const under = files.filter((f) => f.startsWith(rel + '/'));
      return under.length ? under : undefined;
    },
  };
}

/** csv.DictReader: the header row names the fields; missing fields are null; blank rows skipped. */
export function parseSv(text: string, delimiter: string, header = true): Datapoint[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let any = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (any || field !== '') row.push(field);
      rows.push(row);
      row = [];
      field = '';
      any = false;
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else {
      field += c;
    }
    i++;
  }
  if (any || field !== '') {
    row.push(field);
    rows.push(row);
  }
  const nonEmpty = rows.filter((r) => r.length);
  let names: string[];
  if (header) names = nonEmpty.shift() ?? [];
  else names = (nonEmpty[0] ?? []).map((_, k) => String(k));
  return nonEmpty.map((r) => Object.fromEntries(names.map((n, k) => [n, k < r.length ? r[k]! : null])));
}

function parseData(buf: Buffer, rel: string, props: PlotProps): { data?: JsonValue; error?: PlotError } {
  const ext = extOf(rel);
  if (!['.json', '.yaml', '.yml', '.csv', '.tsv', '.toml', '.py'].includes(ext)) {
    return { error: { type: 'PlotMetricTypeError', msg: `'${rel}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported.` } };
  }
  try {
    const text = decodeUtf8(buf, rel);
    if (ext === '.csv' || ext === '.tsv') return { data: parseSv(text, ext === '.tsv' ? '\t' : ',', props.header ?? true) as JsonValue };
    return { data: parseParamsText(text, rel) as JsonValue };
  } catch (e) {
    return { error: { type: (e as Error).name, msg: (e as Error).message } };
  }
}

/** Python's re.match(target, id): the target is a regular expression anchored at the start. */
function matches(targets: string[], configPath: string, plotId: string): boolean {
  if (!targets.length) return true;
  const full = configPath ? `${configPath}::${plotId}` : plotId;
  return targets.some((t) => {
    try {
      const re = new RegExp('^(?:' + t + ')');
      return re.test(plotId) || re.test(full);
    } catch {
      return plotId.startsWith(t) || full.startsWith(t);
    }
  });
}

const norm = (p: string) => {
  const n = posix.normalize(p);
  return n === '.' ? '' : n.replace(/\/$/, '');
};

function isAxisDict(v: unknown): v is Record<string, string | string[]> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** infer_data_sources: the files a plot definition reads. */
export function inferSources(plotId: string, def: PlotProps): string[] {
  const sources = isAxisDict(def.y) ? Object.keys(def.y) : [plotId];
  if (isAxisDict(def.x)) sources.push(Object.keys(def.x)[0]!);
  return [...new Set(sources)];
}

async function collectRev(view: RevView, repo: Repo, targets: string[], props: PlotProps, workspace: boolean): Promise<RevPlots | undefined> {
  const definitions = new Map<string, Map<string, PlotProps>>();
  const add = (config: string, id: string, p: PlotProps) => {
    let m = definitions.get(config);
    if (!m) definitions.set(config, (m = new Map()));
    m.set(id, { ...(m.get(id) ?? {}), ...p });
  };
  const outputPlots = new Map<string, PlotProps>();
  const projects = await view.projects();
  // top-level plots of each dvc.yaml
  for (const { rel, pf } of projects) {
    const top = pf.data.plots;
    if (!Array.isArray(top)) continue;
    const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    for (const elem of top) {
      let id: string;
      let def: PlotProps;
      if (typeof elem === 'string') [id, def] = [elem, {}];
      else if (elem && typeof elem === 'object' && !Array.isArray(elem)) {
        const [k, v] = Object.entries(elem)[0] ?? [];
        if (k === undefined) continue;
        [id, def] = [k, (v ?? {}) as PlotProps];
      } else continue;
      if (!isAxisDict(def.y)) {
        const dataPath = norm(posix.join(dir, id));
        if (!matches(targets, rel, id)) continue;
        const files = (await view.listDir(dataPath)) ?? [dataPath];
        for (const f of files) add(rel, f, { ...def, ...props });
      } else if (matches(targets, rel, id)) {
        const adjusted: PlotProps = { ...def };
        for (const axis of ['x', 'y'] as const) {
          const v = def[axis];
          if (!isAxisDict(v)) continue;
          adjusted[axis] = Object.fromEntries(Object.entries(v).map(([f, fields]) => [norm(posix.join(dir, f)), fields]));
        }
        add(rel, id, { ...adjusted, ...props });
      }
    }
  }
  // stage outputs marked as plots
  for (const { rel, pf } of projects) {
    const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    for (const st of pf.stages) {
      const wdir = norm(posix.join(dir, st.wdir ?? '.'));
      for (const o of st.outs) {
        if (o.kind !== 'plots') continue;
        const path = norm(posix.join(wdir, o.path));
        const own = pick(o.flags);
        if (!matches(targets, '', path)) continue;
        const files = (await view.listDir(path)) ?? [path];
        for (const f of files) {
          outputPlots.set(f, own);
          add('', f, { ...own, ...props });
        }
      }
    }
  }
  // targets that are files
  for (const t of targets) {
    const exists = !((await view.read(t)) as PlotError).type || (await view.listDir(t)) !== undefined;
    if (!definitions.size || exists) {
      const files = (await view.listDir(t)) ?? [t];
      for (const f of files) add('', f, { ...props });
    }
  }
  if (!definitions.size) return undefined;
  // data sources
  const sources = new Map<string, Source>();
  for (const m of definitions.values()) {
    for (const [id, def] of m) {
      for (const src of inferSources(id, def)) {
        if (sources.has(src)) continue;
        const sp = { ...(outputPlots.get(src) ?? {}), ...props };
        if (IMAGE_EXTENSIONS.has(extOf(src))) {
          sources.set(src, { props: sp, error: { type: 'NotImplementedError', msg: `image plots are not supported: '${src}'` } });
          continue;
        }
        const buf = await view.read(src);
        sources.set(src, { props: sp, ...(Buffer.isBuffer(buf) ? parseData(buf, src, sp) : { error: buf }) });
      }
    }
  }
  void repo;
  void workspace;
  return { definitions, sources };
}

/**
 * DVC's plots `_revisions` for `diff`: none given -> HEAD (when tracked files changed) and the
 * workspace; one -> it and the workspace; more -> those. Null when the repository has no commit.
 */
export async function diffRevisions(repo: Repo, revs: string[]): Promise<string[] | null> {
  if (!repo.scm || !(await repo.scm.hasCommits())) return null;
  const out = [...revs];
  if (out.length <= 1) {
    if (!out.length) {
      const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo.root, encoding: 'utf8' });
      if (r.status === 0 && r.stdout.trim() !== '') out.push('HEAD');
    }
    out.push('workspace');
  }
  return out;
}

/**
 * Plots.collect + show: revision -> its plots (revisions without any definition are left out).
 * `workspace` comes first when named. Targets are paths relative to the current folder or plot ids.
 */
export async function collectPlots(repo: Repo, opts: { targets?: string[]; revs?: string[]; props?: PlotProps } = {}): Promise<Map<string, RevPlots>> {
  const targets = (opts.targets ?? []).map((t) => {
    const abs = resolve(t);
    const rel = toPosix(relative(repo.root, abs));
    return rel.startsWith('..') ? t : rel;
  });
  let revs = opts.revs ?? ['workspace'];
  if (revs.includes('workspace')) revs = ['workspace', ...revs.filter((r) => r !== 'workspace')];
  const out = new Map<string, RevPlots>();
  for (const rev of revs) {
    let view: RevView;
    if (rev === 'workspace') view = workspaceView(repo);
    else {
      if (!repo.scm || !(await repo.scm.resolveRev(rev))) throw new UnknownRevisionError(`unknown Git revision '${rev}'`);
      view = await gitView(repo, rev);
    }
    const r = await collectRev(view, repo, targets, opts.props ?? {}, rev === 'workspace');
    if (r) out.set(rev, r);
  }
  return out;
}

/** errored_revisions: revisions where some source could not be loaded. */
export function erroredRevisions(data: Map<string, RevPlots>): string[] {
  return [...data].filter(([, d]) => [...d.sources.values()].some((s) => s.error)).map(([rev]) => rev);
}

// ---------------------------------------------------------------------------------------------
// render/converter/vega.py

class ConvertError extends DvcError {}

function* lists(blob: JsonValue): Generator<JsonValue[]> {
  if (Array.isArray(blob)) {
    yield blob;
    return;
  }
  if (blob && typeof blob === 'object') {
    for (const v of Object.values(blob)) {
      if (Array.isArray(v)) yield v;
      else if (v && typeof v === 'object') yield* lists(v);
    }
  }
}

const isDict = (v: JsonValue): v is Record<string, JsonValue> => !!v && typeof v === 'object' && !Array.isArray(v);

function getDatapoints(content: JsonValue): Datapoint[] {
  const result: Datapoint[] = [];
  for (const lst of lists(content)) {
    if (!lst.length || !lst.every(isDict)) continue;
    const keys = new Set(Object.keys(lst[0] as object));
    const all = new Set(lst.flatMap((d) => Object.keys(d as object)));
    if (keys.size !== all.size || [...all].some((k) => !keys.has(k))) continue;
    lst.forEach((d, i) => {
      result[i] = { ...(result[i] ?? {}), ...(d as Datapoint) };
    });
  }
  return result;
}

function* fileFields(...defs: Array<PlotProps['x']>): Generator<[string, string]> {
  for (const d of defs) {
    if (!isAxisDict(d)) continue;
    for (const [file, v] of Object.entries(d)) {
      if (typeof v === 'string') yield [file, v];
      else if (Array.isArray(v)) for (const f of v) yield [file, f];
    }
  }
}

function commonPath(paths: string[]): string {
  const parts = paths.map((p) => p.split('/'));
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const s = parts[0]![i];
    if (s === undefined || parts.some((p) => p[i] !== s)) break;
    out.push(s);
  }
  return out.join('/');
}

/** VegaConverter.flat_datapoints: the datapoints of one revision and the renderer properties. */
export function flatDatapoints(plotId: string, data: Map<string, JsonValue>, properties: PlotProps, rev: string): { datapoints: Datapoint[]; props: VegaProps } {
  // convert(): infer x / y
  const props: Record<string, unknown> = { ...properties };
  const { x, y } = properties;
  if (typeof x === 'string') {
    const inferred: Record<string, string | string[]> = {};
    if (isAxisDict(y)) for (const [file, fields] of Object.entries(y)) inferred[file] = Array.isArray(fields) ? fields.map(() => x) : x;
    else inferred[plotId] = x;
    props.x = inferred;
  }
  if (y === undefined) {
    let inferredY: Record<string, string> | undefined;
    const content = data.get(plotId);
    if (content !== undefined) {
      for (const lst of lists(content)) {
        if (lst.every(isDict)) {
          const keys = lst.length ? Object.keys(lst[0] as object) : [];
          if (keys.length) inferredY = { [plotId]: keys[keys.length - 1]! };
          break;
        }
      }
    }
    props.y = inferredY;
  } else if (!isAxisDict(y)) props.y = { [plotId]: y };
  const file2dp = new Map<string, Datapoint[]>();
  for (const [f, c] of data) file2dp.set(f, getDatapoints(c));
  // labels
  const yFields = new Set([...fileFields(props.y as PlotProps['y'])].map(([, f]) => f));
  props.y_label ??= typeof props.y === 'string' ? props.y : !isAxisDict(props.y) ? undefined : yFields.size === 1 ? [...yFields][0] : 'y';
  const xFieldsAll = new Set([...fileFields(props.x as PlotProps['x'])].map(([, f]) => f));
  props.x_label ??= !isAxisDict(props.x) ? 'step' : xFieldsAll.size === 1 ? [...xFieldsAll][0] : 'x';

  const verify = (file: string, field: string) => {
    const first = file2dp.get(file)?.[0];
    if (file2dp.has(file) && first && !(field in first)) {
      throw new ConvertError(`Could not find provided field ('${field}') in data fields ('${Object.keys(first).join(', ')}').`);
    }
    if (file2dp.has(file) && !first) throw new ConvertError(`Could not find provided field ('${field}') in data fields ('').`);
  };
  const xs = [...fileFields(props.x as PlotProps['x'])];
  for (const [f, fl] of xs) verify(f, fl);
  let [xFile, xField]: [string | undefined, string] = xs.length ? xs[0]! : [undefined, 'step'];
  const multipleX = xs.length > 1 && new Set(xs.map((e) => e[1])).size > 1;
  const update: VegaProps = { x: multipleX ? 'dvc_inferred_x_value' : xField };
  const ys = [...fileFields(props.y as PlotProps['y'])];
  for (const [f, fl] of ys) verify(f, fl);
  if (xs.length > 1 && xs.length !== ys.length) {
    throw new ConvertError(`Cannot have different number of x and y data sources. Found ${xs.length} x and ${ys.length} y data sources.`);
  }
  const allYFields = new Set(ys.map((e) => e[1]));
  const allYFiles = new Set(ys.map((e) => e[0]));
  update.y = allYFields.size > 1 ? 'dvc_inferred_y_value' : [...allYFields][0];
  const prefix = allYFiles.size > 1 ? commonPath([...allYFiles]).length : 0;
  const short = (f: string) => f.slice(prefix).replace(/^[/\\]+|[/\\]+$/g, '');
  update.anchors_y_definitions = ys.map(([f, fl]) => ({ filename: short(f), field: fl }));
  const all: Datapoint[] = [];
  ys.forEach(([yFile, yField], i) => {
    if (xs.length > 1) [xFile, xField] = xs[i]!;
    const dps = (file2dp.get(yFile) ?? []).map((d) => ({ ...d }));
    if (update.y === 'dvc_inferred_y_value') for (const d of dps) if (yField in d) d.dvc_inferred_y_value = d[yField]!;
    if (xField === 'step' && xFile === undefined) dps.forEach((d, k) => (d.step = BigInt(k)));
    else {
      const src = file2dp.get(xFile!) ?? [];
      if (src.length !== dps.length) {
        throw new ConvertError(`Cannot join '${xField}' from '${xFile}' and '${yField}' from '${yFile}'. They have to have same length.`);
      }
      const target = multipleX ? 'dvc_inferred_x_value' : xField;
      dps.forEach((d, k) => {
        if (xField in src[k]!) d[target] = src[k]![xField]!;
      });
    }
    for (const d of dps) Object.assign(d, { rev, filename: short(yFile), field: yField });
    all.push(...dps);
  });
  if (!all.length) return { datapoints: [], props: {} };
  return { datapoints: all, props: { ...(props as VegaProps), ...update } };
}

// ---------------------------------------------------------------------------------------------
// render/match.py

export interface MatchedRenderer {
  renderer: VegaRenderer;
  /** rev -> source -> error */
  sourceErrors: Map<string, Map<string, PlotError>>;
  /** rev -> error while building the datapoints (DVC warns "In 'rev', ...") */
  definitionErrors: Map<string, PlotError>;
}

/** group_definitions_by_id: plot id -> [inner id, definition]; config file kept only when ids clash. */
function groupById(defs: Map<string, Map<string, PlotProps>>): Map<string, [string, PlotProps]> {
  const byConfig = new Map<string, Map<string, [string, PlotProps]>>();
  for (const [config, m] of defs) {
    for (const [id, def] of m) {
      let c = byConfig.get(id);
      if (!c) byConfig.set(id, (c = new Map()));
      c.set(config, [id, def]);
    }
  }
  const out = new Map<string, [string, PlotProps]>();
  for (const [id, configs] of byConfig) {
    if (configs.size === 1) out.set(id, [...configs.values()][0]!);
    else for (const [config, v] of configs) out.set(config ? `${config}::${id}` : id, v);
  }
  return out;
}

export function matchRenderers(data: Map<string, RevPlots>, templateDir?: string): MatchedRenderer[] {
  const groups = new Map<string, Array<[string, string, PlotProps]>>();
  for (const [rev, d] of data) {
    for (const [id, [inner, def]] of groupById(d.definitions)) {
      let g = groups.get(id);
      if (!g) groups.set(id, (g = []));
      g.push([rev, inner, def]);
    }
  }
  const out: MatchedRenderer[] = [];
  for (const [plotId, group] of groups) {
    let props: PlotProps = {};
    for (const [, , def] of [...group].reverse()) props = { ...props, ...def };
    let first: VegaProps = {};
    const sourceErrors = new Map<string, Map<string, PlotError>>();
    const definitionErrors = new Map<string, PlotError>();
    const revs: string[] = [];
    const datapoints: Datapoint[] = [];
    for (const [rev, inner, def] of group) {
      const sources = inferSources(inner, def);
      const d = data.get(rev)!;
      const defData = new Map<string, JsonValue>();
      for (const s of sources) {
        const src = d.sources.get(s);
        const content = src?.data;
        const nonEmpty = content !== undefined && content !== null && (Array.isArray(content) ? content.length > 0 : typeof content === 'object' ? Object.keys(content).length > 0 : true);
        if (nonEmpty) defData.set(s, content!);
        if (src?.error) {
          let m = sourceErrors.get(rev);
          if (!m) sourceErrors.set(rev, (m = new Map()));
          m.set(s, src.error);
        }
      }
      try {
        const r = flatDatapoints(inner, defData, props, rev);
        if (r.datapoints.length && !revs.includes(rev)) revs.push(rev);
        if (!Object.keys(first).length && Object.keys(r.props).length) first = r.props;
        datapoints.push(...r.datapoints);
      } catch (e) {
        if (!(e instanceof DvcError)) throw e;
        definitionErrors.set(rev, { type: e instanceof ConvertError ? 'DvcException' : e.name, msg: e.message });
      }
    }
    if (first.title === undefined) first.title = plotId;
    if (revs.length) first.revs_with_datapoints = revs;
    out.push({ renderer: new VegaRenderer(datapoints, plotId, first, templateDir), sourceErrors, definitionErrors });
  }
  return out;
}

/** `dvc plots show|diff --json`: {"errors": [...], "data": {plot id: [{type, revisions, content}]}}. */
export function plotsJson(matched: MatchedRenderer[]): JsonValue {
  const errors: JsonValue[] = [];
  const data: Record<string, JsonValue> = {};
  for (const m of matched) {
    const r = m.renderer;
    data[r.name] = r.datapoints.length ? [{ type: 'vega', revisions: r.revs(), content: r.filled() }] : [];
    for (const [rev, srcs] of m.sourceErrors) for (const [source, e] of srcs) errors.push({ name: r.name, rev, source, type: e.type, msg: e.msg });
    for (const [rev, e] of m.definitionErrors) errors.push({ name: r.name, rev, type: e.type, msg: e.msg });
  }
  return errors.length ? { errors, data } : { data };
}

// ---------------------------------------------------------------------------------------------
// The page (`dvc plots show/diff` without --json/--show-vega)

/**
 * Writes `<out>/index.html` for these renderers (dvc-render's page, or the user's HTML template:
 * `htmlTemplate` is a file path or the template text itself, as DVC takes it). `out` defaults to
 * the `plots.out_dir` config, then `dvc_plots`; `htmlTemplate` to `plots.html_template` (relative
 * to `.dvc/`). Returns the page's path.
 */
export function writePlotsPage(repo: Repo, renderers: VegaRenderer[], opts: { out?: string; htmlTemplate?: string } = {}): string {
  const dir = resolve(opts.out ?? (repo.config.get('plots', 'out_dir') as string | undefined) ?? 'dvc_plots');
  let tpl = opts.htmlTemplate ?? (repo.config.get('plots', 'html_template') as string | undefined);
  if (tpl && opts.htmlTemplate === undefined && !isAbsolute(tpl)) tpl = join(repo.dvcDir, tpl);
  let page: string | undefined;
  if (tpl) {
    let isFile = false;
    try {
      isFile = statSync(tpl).isFile();
    } catch {
      /* DVC then takes the text itself as the template */
    }
    page = isFile ? readFileSync(tpl, 'utf8') : tpl;
  }
  const html = renderHtml(renderers, page);
  const file = join(dir, 'index.html');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, html);
  return file;
}

export interface PlotsShowResult {
  /** The page written; undefined when no plot was loaded (DVC then writes none). */
  page?: string;
  /** Revisions where some plot source could not be loaded. */
  erroredRevisions: string[];
  /** The plots as rendered, with their per-revision errors. */
  plots: MatchedRenderer[];
}

/**
 * `dvc plots show` (or `plots diff` with `revs`) as a library call: collects the plots, renders
 * them with dvc-render's templates and writes the page, exactly as the CLI does.
 */
export async function plotsShow(
  repo: Repo,
  opts: { targets?: string[]; revs?: string[]; props?: PlotProps; out?: string; htmlTemplate?: string } = {},
): Promise<PlotsShowResult> {
  const data = await collectPlots(repo, { targets: opts.targets, revs: opts.revs, props: opts.props });
  const plots = matchRenderers(data, join(repo.dvcDir, 'plots'));
  const renderers = plots.map((m) => m.renderer);
  const page = renderers.length ? writePlotsPage(repo, renderers, { out: opts.out, htmlTemplate: opts.htmlTemplate }) : undefined;
  return { page, erroredRevisions: erroredRevisions(data), plots };
}
