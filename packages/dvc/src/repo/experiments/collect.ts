/**
 * What `dvc exp show` / `exp diff` know of one revision (DVC's SerializableExp): its params files
 * (whole files, or the keys the stages use), metrics files, the stages' dependencies and outputs as
 * dvc.lock (and .dvc files) record them, and its commit time. Read from the workspace or, through
 * git, from a commit, so experiments Python DVC made are shown like ours.
 */
import { readFileSync } from 'node:fs';
import { posix as P, relative } from 'node:path';
import { DEFAULT_PARAMS_FILE, LOCK_FILE, PROJECT_FILE, parseLockFile, parseProjectFile, parseYamlText, type LockFile, type ProjectFile } from '../../formats/dvcyaml.js';
import type { YamlValue } from '../../formats/ruamel.js';
import { withVarsReader } from '../../formats/interpolate.js';
import { parseParamsText } from '../params.js';
import { collectProjectFiles } from '../pipeline.js';
import type { Repo } from '../repo.js';
import { git, gitRun } from './refs.js';

export interface FileResult {
  data?: YamlValue;
  error?: { type: string; msg: string };
}

export interface ExpDep {
  hash: string | null;
  /** Ints (bigint) as Python writes them in JSON. */
  size: bigint | null;
  nfiles: bigint | null;
}

export interface ExpOut extends ExpDep {
  use_cache: boolean;
  is_data_source: boolean;
}

/** DVC's SerializableExp. */
export interface ExpData {
  rev: string;
  /** Local time, ISO without zone (Python's datetime.fromtimestamp(...).isoformat()); null: workspace. */
  timestamp: string | null;
  params: Record<string, FileResult>;
  metrics: Record<string, FileResult>;
  deps: Record<string, ExpDep>;
  outs: Record<string, ExpOut>;
  meta: Record<string, YamlValue>;
}

/** Reads repo-relative files from the workspace or a commit. */
interface Source {
  read(rel: string): string | null;
  projectFiles(): string[];
  dvcFiles(): string[];
}

function workspaceSource(repo: Repo): Source {
  return {
    read(rel) {
      try {
        return readFileSync(P.join(repo.root, rel), 'utf8');
      } catch {
        return null;
      }
    },
    projectFiles: () => collectProjectFiles(repo).map((f) => relative(repo.root, f).split('\\').join('/')),
    dvcFiles: () => [],
  };
}

function commitSource(repo: Repo, rev: string): Source {
  const gitRoot = git(repo.root, ['rev-parse', '--show-toplevel']).trim();
  const prefix = relative(gitRoot, repo.root).split('\\').join('/');
  const inRepo = (p: string) => (prefix ? (p.startsWith(prefix + '/') ? p.slice(prefix.length + 1) : null) : p);
  let files: string[] | undefined;
  const list = () =>
    (files ??= git(repo.root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev])
      .split('\0')
      .filter(Boolean)
      .map(inRepo)
      .filter((p): p is string => p !== null));
  return {
    read(rel) {
      const r = gitRun(repo.root, ['cat-file', 'blob', `${rev}:${prefix ? prefix + '/' : ''}${rel}`]);
      return r.code === 0 ? r.stdout : null;
    },
    projectFiles: () => list().filter((p) => P.basename(p) === PROJECT_FILE),
    dvcFiles: () => list().filter((p) => p.endsWith('.dvc') && !p.startsWith('.dvc/')),
  };
}

function isObj(v: unknown): v is Record<string, YamlValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map);
}

function readResult(src: Source, rel: string): FileResult {
  const text = src.read(rel);
  if (text === null) return { error: { type: 'FileNotFoundError', msg: `[Errno 2] No such file or directory: '${rel}'` } };
  try {
    return { data: parseParamsText(text, rel) };
  } catch (e) {
    return { error: { type: 'YAMLFileCorruptedError', msg: (e as Error).message } };
  }
}

/** The keys of `data` named by dotted `keys`, nested as in the file (DVC's read_param_file with key paths). */
function pick(data: YamlValue, keys: string[]): YamlValue {
  if (!isObj(data)) return data;
  const out: Record<string, YamlValue> = {};
  for (const key of keys) {
    if (key in data) {
      out[key] = data[key]!;
      continue;
    }
    const parts = key.split('.');
    let cur: YamlValue | undefined = data;
    for (const p of parts) cur = isObj(cur) && p in cur ? cur[p] : undefined;
    if (cur === undefined) continue;
    let o = out;
    for (const p of parts.slice(0, -1)) o = (isObj(o[p]) ? o[p] : (o[p] = {})) as Record<string, YamlValue>;
    o[parts[parts.length - 1]!] = cur;
  }
  return out;
}

const int = (n: number | undefined): bigint | null => (n === undefined || !Number.isFinite(n) ? null : BigInt(Math.trunc(n)));

const norm = (p: string) => P.normalize(p).replace(/^\.\//, '');

/** Collects a revision's data: 'workspace' or a commit id. `paramDeps`: only params stages use. */
export function collectRev(repo: Repo, rev: string, opts: { paramDeps?: boolean } = {}): ExpData {
  const src = rev === 'workspace' ? workspaceSource(repo) : commitSource(repo, rev);
  const timestamp = rev === 'workspace' ? null : commitTime(repo, rev);
  // params file -> keys (null: the whole file), in DVC's order: stage params, top-level, params.yaml
  const params = new Map<string, string[] | null>();
  const addParams = (file: string, keys: string[] | null) => {
    const prev = params.get(file);
    if (prev === undefined) params.set(file, keys);
    else if (prev !== null) params.set(file, keys === null ? null : [...new Set([...prev, ...keys])]);
  };
  const metrics: string[] = [];
  const deps: Record<string, ExpDep> = {};
  const outs: Record<string, ExpOut> = {};
  const topParams: string[] = [];
  for (const file of src.projectFiles()) {
    const dir = P.dirname(file);
    let pf: ProjectFile;
    let lock: LockFile | undefined;
    try {
      const text = src.read(file);
      if (text === null) continue;
      const abs = P.join(repo.root, dir);
      // a templated dvc.yaml of a commit resolves with that commit's params.yaml and vars files
      pf = rev === 'workspace' ? parseProjectFile(text, file, abs) : withVarsReader((p) => src.read(relative(repo.root, p).split('\\').join('/')), () => parseProjectFile(text, file, abs));
      const lockText = src.read(P.join(dir, LOCK_FILE));
      if (lockText !== null) lock = parseLockFile(lockText, P.join(dir, LOCK_FILE));
    } catch {
      continue;
    }
    for (const s of pf.stages) {
      const wdir = P.join(dir, s.wdir ?? '.');
      const entry = lock?.stages.get(s.name);
      for (const p of s.params) addParams(norm(P.join(wdir, p.file)), p.keys);
      for (const d of s.deps) {
        const rel = norm(P.join(wdir, d));
        const e = entry?.deps.find((x) => norm(P.join(wdir, x.path)) === rel);
        deps[rel] = { hash: e?.md5 ?? null, size: int(e?.size), nfiles: int(e?.nfiles) };
      }
      for (const o of s.outs) {
        const rel = norm(P.join(wdir, o.path));
        if (o.kind === 'metrics') {
          if (!metrics.includes(rel)) metrics.push(rel);
          continue;
        }
        if (o.kind === 'plots') continue;
        const e = entry?.outs.find((x) => norm(P.join(wdir, x.path)) === rel);
        outs[rel] = { hash: e?.md5 ?? null, size: int(e?.size), nfiles: int(e?.nfiles), use_cache: o.cache, is_data_source: false };
      }
    }
    const top = pf.data.params;
    if (Array.isArray(top)) for (const t of top) if (typeof t === 'string') topParams.push(norm(P.join(dir, t)));
    const topMetrics = pf.data.metrics;
    if (Array.isArray(topMetrics)) for (const m of topMetrics) if (typeof m === 'string' && !metrics.includes(norm(P.join(dir, m)))) metrics.push(norm(P.join(dir, m)));
  }
  for (const f of src.dvcFiles()) dataSourceOuts(src, f, outs);
  if (!opts.paramDeps) {
    for (const t of topParams) addParams(t, null);
    if (src.read(DEFAULT_PARAMS_FILE) !== null) addParams(DEFAULT_PARAMS_FILE, null);
  }
  const paramsRes: Record<string, FileResult> = {};
  for (const [file, keys] of params) {
    const r = readResult(src, file);
    paramsRes[file] = r.data !== undefined && keys ? { data: pick(r.data, keys) } : r;
  }
  const metricsRes: Record<string, FileResult> = {};
  for (const m of metrics) metricsRes[m] = readResult(src, m);
  return { rev, timestamp, params: paramsRes, metrics: metricsRes, deps, outs, meta: {} };
}

/** The outputs of a `.dvc` file (is_data_source). */
function dataSourceOuts(src: Source, file: string, outs: Record<string, ExpOut>): void {
  try {
    const d = parseYamlText(src.read(file) ?? '', file);
    if (!isObj(d) || !Array.isArray(d.outs)) return;
    for (const o of d.outs) {
      if (!isObj(o) || typeof o.path !== 'string') continue;
      const rel = norm(P.join(P.dirname(file), o.path));
      const num = (v: YamlValue | undefined) => (typeof v === 'number' || typeof v === 'bigint' ? int(Number(v)) : null);
      outs[rel] = { hash: typeof o.md5 === 'string' ? o.md5 : null, size: num(o.size), nfiles: num(o.nfiles), use_cache: o.cache !== false, is_data_source: true };
    }
  } catch {
    /* an unreadable .dvc file adds nothing */
  }
}

/** The committer time of a commit as Python's datetime.fromtimestamp(t).isoformat() (local time). */
export function commitTime(repo: Repo, rev: string): string {
  const t = Number(git(repo.root, ['show', '-s', '--format=%ct', rev]).trim());
  return isoLocal(t);
}

export function isoLocal(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const z = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${z(d.getFullYear(), 4)}-${z(d.getMonth() + 1)}-${z(d.getDate())}T${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`;
}
