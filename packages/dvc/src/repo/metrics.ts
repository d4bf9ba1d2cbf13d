/**
 * `dvc metrics show|diff`, `dvc params diff` and `dvc plots show`: metrics files are the stages'
 * `metrics` outputs (and dvc.yaml's top-level `metrics:`), read from the workspace or a git
 * revision. This returns data; the tables and JSON DVC prints are cli/text/metrics.ts's. A
 * metrics file that cannot be read is reported as DVC does ("DVC failed to load some metrics for
 * following revisions: ''." on stderr, exit 0).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DvcError } from '../errors.js';
import { DEFAULT_PARAMS_FILE } from '../formats/dvcyaml.js';
import { decodeUtf8 } from '../formats/text.js';
import type { YamlValue } from '../formats/ruamel.js';
import { flattenParams, parseParamsText, showValue } from './params.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import type { Repo } from './repo.js';

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
