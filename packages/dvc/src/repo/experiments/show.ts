/**
 * `dvc exp show` (DVC's collect + tabulate): the workspace, the baseline commits (HEAD, or -n/-a/-T/-A)
 * and, under each baseline, the experiments whose refs name it (newest first), as DVC's ExpState
 * list (JSON-ready) or as a table (columns: Experiment, rev, typ, Created, parent, metrics, params,
 * deps), which the CLI renders as CSV or a terminal table.
 */
import { pyJsonFloatRepr, pyJsonString } from '../../formats/dvcyaml.js';
import type { YamlValue } from '../../formats/ruamel.js';
import { showValue } from '../params.js';
import type { Repo } from '../repo.js';
import { collectRev, type ExpData } from './collect.js';
import { ExpQueue, type ExpExecutor } from './queue.js';
import { ExpRefInfo, ExperimentError, git, gitRun, headRev, iterRefs } from './refs.js';

export interface ExpState {
  rev: string;
  name: string | null;
  data: ExpData | null;
  error: { msg: string; type: string } | null;
  experiments: ExpRange[] | null;
}

export interface ExpRange {
  revs: ExpState[];
  /** Where the experiment ran or runs (DVC's ExpExecutor): queue tasks only. */
  executor: ExpExecutor | null;
  name: string | null;
}

export interface ShowOptions {
  revs?: string[];
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  num?: number;
  hideWorkspace?: boolean;
  sha?: boolean;
  paramDeps?: boolean;
}

function state(repo: Repo, rev: string, paramDeps?: boolean): ExpState {
  try {
    return { rev, name: null, data: collectRev(repo, rev, { paramDeps }), error: null, experiments: null };
  } catch (e) {
    return { rev, name: null, data: null, error: { msg: (e as Error).message, type: (e as Error).name }, experiments: null };
  }
}

/** DVC's iter_revs: the baseline commits to show. */
export function baselineRevs(repo: Repo, opts: ShowOptions): string[] {
  const root = repo.root;
  const out: string[] = [];
  const add = (r: string) => {
    if (!out.includes(r)) out.push(r);
  };
  const revs = opts.revs?.length ? opts.revs : opts.allBranches || opts.allTags || opts.allCommits ? [] : ['HEAD'];
  const num = Math.max(1, opts.num ?? 1);
  for (const r of revs) {
    const res = gitRun(root, ['rev-list', '--first-parent', '-n', String(num), `${r}^{commit}`, '--']);
    if (res.code !== 0) throw new ExperimentError(`unknown Git revision '${r}'`);
    for (const c of res.stdout.split('\n').filter(Boolean)) add(c);
  }
  if (opts.allBranches) for (const b of iterRefs(root, 'refs/heads')) add(b.rev);
  if (opts.allTags) for (const t of git(root, ['for-each-ref', '--format=%(*objectname) %(objectname)', 'refs/tags']).split('\n').filter(Boolean)) add(t.split(' ').find(Boolean)!);
  if (opts.allCommits) for (const c of git(root, ['rev-list', '--exclude=refs/exps/*', '--all']).split('\n').filter(Boolean)) add(c);
  return out;
}

/** DVC's describe: HEAD's branch for HEAD, else a tag, else a branch naming the commit. */
export function describe(repo: Repo, revs: string[]): Map<string, string | null> {
  const head = gitRun(repo.root, ['rev-parse', '-q', '--verify', 'HEAD']).stdout.trim();
  const sym = gitRun(repo.root, ['symbolic-ref', '-q', 'HEAD']);
  const headBranch = sym.code === 0 && sym.stdout.startsWith('refs/heads/') ? sym.stdout.trim().slice('refs/heads/'.length) : null;
  const tags = new Map<string, string>();
  const branches = new Map<string, string>();
  for (const l of git(repo.root, ['for-each-ref', '--format=%(refname) %(*objectname) %(objectname)', 'refs/tags', 'refs/heads']).split('\n').filter(Boolean)) {
    const [ref, a, b] = l.split(' ') as [string, string, string];
    const rev = a || b;
    if (ref.startsWith('refs/tags/') && !tags.has(rev)) tags.set(rev, ref.slice('refs/tags/'.length));
    if (ref.startsWith('refs/heads/') && !branches.has(rev)) branches.set(rev, ref.slice('refs/heads/'.length));
  }
  const res = new Map<string, string | null>();
  for (const r of revs) res.set(r, r === head && headBranch ? headBranch : (tags.get(r) ?? branches.get(r) ?? null));
  return res;
}

/** Commits from `tip` back to `baseline` (exclusive), first parents only (DVC's branch_revs). */
function branchRevs(repo: Repo, tip: string, baseline: string): string[] {
  const r = gitRun(repo.root, ['rev-list', '--first-parent', tip, `^${baseline}`, '--']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** The experiments of one baseline, newest first (DVC's _sorted_ranges). */
export function baselineExperiments(repo: Repo, baseline: string, paramDeps?: boolean): ExpRange[] {
  const ranges: ExpRange[] = [];
  const base = new ExpRefInfo(baseline, '');
  for (const { ref, rev } of iterRefs(repo.root, String(base) + '/')) {
    const info = ExpRefInfo.fromRef(ref);
    if (!info?.name) continue;
    const states = branchRevs(repo, rev, baseline).map((r) => state(repo, r, paramDeps));
    if (!states.length) continue;
    states[0]!.name = info.name;
    ranges.push({ revs: states, executor: null, name: info.name });
  }
  return sortRanges(ranges);
}

/** DVC's _sorted_ranges: newest first by (timestamp, rev). */
export function sortRanges(ranges: ExpRange[]): ExpRange[] {
  const key = (r: ExpRange): [string, string] => {
    const h = r.revs[0];
    return h?.data?.timestamp ? [h.data.timestamp, h.rev] : ['', ''];
  };
  return ranges.sort((a, b) => {
    const [ta, ra] = key(a);
    const [tb, rb] = key(b);
    return ta !== tb ? (ta < tb ? 1 : -1) : ra < rb ? 1 : ra > rb ? -1 : 0;
  });
}

/** DVC's experiments.show(): the workspace then each baseline with its experiments. */
export function showExperiments(repo: Repo, opts: ShowOptions = {}): ExpState[] {
  if (!repo.scm) throw new ExperimentError('Only available for Git repositories.');
  if (!gitRun(repo.root, ['rev-parse', '-q', '--verify', 'HEAD^{commit}']).stdout.trim()) return [];
  headRev(repo.root);
  const baselines = baselineRevs(repo, opts);
  const names = opts.sha ? new Map<string, string | null>() : describe(repo, baselines);
  const res: ExpState[] = [];
  if (!opts.hideWorkspace) res.push(state(repo, 'workspace', opts.paramDeps));
  // the queue's experiments (DVC's collect: active, successful, queued, failed, each newest first)
  const q = new ExpQueue(repo).collect(baselines);
  for (const b of baselines) {
    const s = state(repo, b, opts.paramDeps);
    const done = baselineExperiments(repo, b, opts.paramDeps);
    for (const r of done) r.executor = q.success.get(String(new ExpRefInfo(b, r.name ?? ''))) ?? null;
    const exps = [...sortRanges(q.active.get(b) ?? []), ...done, ...sortRanges(q.queued.get(b) ?? []), ...sortRanges(q.failed.get(b) ?? [])];
    res.push({ ...s, name: names.get(b) ?? null, experiments: exps.length ? exps : null });
  }
  return res;
}

/** json.dumps with Python's separators and float repr (ints are bigints). */
export function pyJson(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyJsonFloatRepr(v);
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) return '[' + v.map(pyJson).join(', ') + ']';
  if (v instanceof Map) return pyJson(Object.fromEntries(v));
  return '{' + Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${pyJsonString(k)}: ${pyJson(x)}`).join(', ') + '}';
}

// ---------------------------------------------------------------- the table (DVC's tabulate)

/** Python's '{:.Ng}'.format(v). */
export function formatG(v: number, precision: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const p = precision === 0 ? 1 : precision;
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(p)))));
  if (exp < -4 || exp >= p) {
    const [m, e] = v.toExponential(p - 1).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = v.toFixed(Math.max(0, p - 1 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** DVC's _format_field: floats (not ints) to `precision` significant digits, then str(). */
export function formatField(v: YamlValue | undefined, precision?: number): string {
  const fmt = (x: YamlValue): YamlValue => {
    if (typeof x === 'number' && precision) return formatG(x, precision);
    if (Array.isArray(x)) return x.map(fmt);
    if (x && typeof x === 'object' && !(x instanceof Map)) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fmt(y)]));
    return x;
  };
  if (v === undefined) return '';
  const f = fmt(v);
  // a formatted float is a string already; inside lists/dicts Python shows it quoted
  if (typeof f === 'string') return f;
  return showValue(f);
}

function flatten(data: YamlValue, prefix = '', out = new Map<string, YamlValue>()): Map<string, YamlValue> {
  if (data && typeof data === 'object' && !Array.isArray(data) && !(data instanceof Map)) {
    for (const [k, v] of Object.entries(data)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map)) flatten(v, key, out);
      else out.set(key, v);
    }
  }
  return out;
}

export interface ExpTable {
  headers: string[];
  rows: string[][];
  /** Column groups, for the terminal table's alignment and collapsing. */
  groups: { metrics: string[]; params: string[]; deps: string[] };
}

export interface TabulateOptions {
  fillValue: string;
  precision?: number;
  /** Created as ISO (CSV) instead of DVC's "%I:%M %p" / "%b %d, %Y". */
  iso?: boolean;
  sortBy?: string;
  sortOrder?: 'asc' | 'desc';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatTime(ts: string | null, o: Pick<TabulateOptions, 'fillValue' | 'iso'>): string {
  if (!ts) return o.fillValue;
  if (o.iso) return ts;
  const [d, t] = ts.split('T') as [string, string];
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  const now = new Date();
  if (y === now.getFullYear() && m === now.getMonth() + 1 && day === now.getDate()) {
    const [hh, mm] = t.split(':').map(Number) as [number, number];
    const h12 = hh % 12 === 0 ? 12 : hh % 12;
    return `${String(h12).padStart(2, '0')}:${String(mm).padStart(2, '0')} ${hh < 12 ? 'AM' : 'PM'}`;
  }
  return `${MONTHS[m - 1]} ${String(day).padStart(2, '0')}, ${y}`;
}

const isSha = (s: string) => /^[0-9a-f]{40}$/.test(s);

export function tabulate(states: ExpState[], o: TabulateOptions): ExpTable {
  // names per file, in first-seen order (DVC's _collect_names)
  const metricsNames = new Map<string, Set<string>>();
  const paramsNames = new Map<string, Set<string>>();
  const deps = new Set<string>();
  const collect = (s: ExpState) => {
    if (s.data) {
      for (const [kind, target] of [
        ['metrics', metricsNames],
        ['params', paramsNames],
      ] as const) {
        for (const [path, r] of Object.entries(s.data[kind])) {
          if (r.data === undefined || r.data === null || typeof r.data !== 'object' || Array.isArray(r.data)) {
            if (!target.has(path)) target.set(path, new Set());
            continue;
          }
          const set = target.get(path) ?? new Set<string>();
          target.set(path, set);
          for (const k of flatten(r.data).keys()) set.add(k);
        }
      }
      for (const d of Object.keys(s.data.deps)) deps.add(d);
    }
    for (const r of s.experiments ?? []) r.revs.forEach(collect);
  };
  states.forEach(collect);
  const fixed = ['Experiment', 'rev', 'typ', 'Created', 'parent', 'State', 'Executor'];
  const count = new Map<string, number>();
  for (const names of [metricsNames, paramsNames]) for (const set of names.values()) for (const n of set) count.set(n, (count.get(n) ?? 0) + 1);
  for (const h of fixed) count.set(h, (count.get(h) ?? 0) + 1);
  const normalize = (names: Map<string, Set<string>>) => [...names].flatMap(([path, set]) => [...set].map((n) => (count.get(n) === 1 ? n : `${path}:${n}`)));
  const metricsHeaders = normalize(metricsNames);
  const paramsHeaders = normalize(paramsNames);
  const depsNames = [...deps].sort();
  const headers = [...fixed, ...metricsHeaders, ...paramsHeaders, ...depsNames];

  const dataCells = (s: ExpState, row: Map<string, string>) => {
    if (!s.data) return;
    const cells = (d: Record<string, { data?: YamlValue; error?: unknown }>, names: Map<string, Set<string>>, hdrs: string[]) => {
      for (const [fname, r] of Object.entries(d)) {
        const item = r.data !== undefined && r.data !== null && typeof r.data === 'object' && !Array.isArray(r.data) ? flatten(r.data) : new Map([[fname, r.data as YamlValue]]);
        for (const name of names.get(fname) ?? []) {
          const v = item.get(name);
          const text = v === undefined ? (r.error ? '!' : o.fillValue) : formatField(v, o.precision);
          row.set(hdrs.includes(name) ? name : `${fname}:${name}`, text);
        }
      }
    };
    cells(s.data.metrics, metricsNames, metricsHeaders);
    cells(s.data.params, paramsNames, paramsHeaders);
    for (const name of depsNames) {
      const dep = s.data.deps[name];
      if (dep) row.set(name, dep.hash ?? o.fillValue);
    }
  };
  const blank = () => new Map(headers.map((h) => [h, o.fillValue]));
  const rows: string[][] = [];
  let sortKey: { path: string; name: string; kind: 'metrics' | 'params' } | undefined;
  if (o.sortBy) sortKey = sortColumn(o.sortBy, metricsNames, paramsNames);
  for (const b of states) {
    const row = blank();
    row.set('Experiment', '');
    row.set('rev', b.name ? b.name : isSha(b.rev) ? b.rev.slice(0, 7) : b.rev);
    row.set('typ', 'baseline');
    row.set('parent', '');
    if (b.data) {
      row.set('Created', formatTime(b.data.timestamp, o));
      dataCells(b, row);
    }
    rows.push([...row.values()]);
    let exps = b.experiments ?? [];
    if (sortKey) exps = sortExps(exps, sortKey, o.sortOrder === 'desc');
    exps.forEach((r, i) => {
      const e = r.revs[0];
      if (!e) return;
      const er = blank();
      er.set('Experiment', e.name ?? '');
      er.set('rev', isSha(e.rev) ? e.rev.slice(0, 7) : e.rev);
      er.set('typ', i === exps.length - 1 ? 'branch_base' : 'branch_commit');
      er.set('parent', '');
      if (r.executor) {
        er.set('State', r.executor.state[0]!.toUpperCase() + r.executor.state.slice(1));
        if (r.executor.name) er.set('Executor', r.executor.name[0]!.toUpperCase() + r.executor.name.slice(1).toLowerCase());
      }
      if (e.data) {
        er.set('Created', formatTime(e.data.timestamp, o));
        dataCells(e, er);
      }
      rows.push([...er.values()]);
    });
  }
  return { headers, rows, groups: { metrics: metricsHeaders, params: paramsHeaders, deps: depsNames } };
}

function sortColumn(sortBy: string, metrics: Map<string, Set<string>>, params: Map<string, Set<string>>): { path: string; name: string; kind: 'metrics' | 'params' } {
  const parts = sortBy.split(':');
  const matches = new Map<string, { path: string; name: string; kind: 'metrics' | 'params' }>();
  let bare = sortBy;
  for (let i = 0; i < parts.length; i++) {
    const path = parts.slice(0, i).join(':');
    const name = parts.slice(i).join(':');
    if (!path) bare = name;
    if (metrics.get(path)?.has(name)) matches.set(`m${path}:${name}`, { path, name, kind: 'metrics' });
    if (params.get(path)?.has(name)) matches.set(`p${path}:${name}`, { path, name, kind: 'params' });
  }
  if (!matches.size) {
    for (const [path, set] of metrics) if (set.has(bare)) matches.set(`m${path}:${bare}`, { path, name: bare, kind: 'metrics' });
    for (const [path, set] of params) if (set.has(bare)) matches.set(`p${path}:${bare}`, { path, name: bare, kind: 'params' });
  }
  if (matches.size === 1) return [...matches.values()][0]!;
  if (matches.size > 1) throw new ExperimentError(`Ambiguous sort column '${sortBy}' matched '${[...matches.values()].map((m) => `${m.path}:${m.name}`).join(', ')}'`);
  throw new ExperimentError(`Unknown sort column '${sortBy}'`);
}

function sortExps(exps: ExpRange[], key: { path: string; name: string; kind: 'metrics' | 'params' }, reverse: boolean): ExpRange[] {
  const val = (r: ExpRange): YamlValue | undefined => {
    const d = r.revs[0]?.data?.[key.kind][key.path]?.data;
    return d === undefined ? undefined : flatten(d).get(key.name);
  };
  // Python: key (val is None, val), sorted stably; None last ascending
  const cmp = (a: ExpRange, b: ExpRange) => {
    const va = val(a);
    const vb = val(b);
    const na = va === undefined || va === null;
    const nb = vb === undefined || vb === null;
    if (na !== nb) return na ? 1 : -1;
    if (na) return 0;
    const x = typeof va === 'bigint' ? Number(va) : va;
    const y = typeof vb === 'bigint' ? Number(vb) : vb;
    return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
  };
  const sorted = [...exps].sort(cmp);
  return reverse ? stableReverse(sorted, cmp) : sorted;
}

/** Python's sorted(reverse=True): descending, equal items keep their order. */
function stableReverse<T>(xs: T[], cmp: (a: T, b: T) => number): T[] {
  return [...xs].sort((a, b) => -cmp(a, b));
}
