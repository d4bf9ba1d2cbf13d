/**
 * Pipeline stages (every `dvc.yaml` + the `dvc.lock` beside it): loading them with absolute
 * paths, the dependency graph (a stage depends on the stage whose output is, contains or lies
 * inside one of its deps), checks (duplicated / overlapping outputs, cycles), and each stage's
 * status as DVC computes it (`changed deps`, `changed outs`, `always changed`, `changed command`).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DvcIgnore } from '../formats/dvcignore.js';
import { DvcError, UnsafePathError } from '../errors.js';
import { assertInside } from '../fs/inside.js';
import { readUtf8 } from '../formats/text.js';
import { DvcFile as DvcFileClass, type DvcFile } from '../formats/dvcfile.js';
type DvcFileT = DvcFile;
import {
  LOCK_FILE,
  PROJECT_FILE,
  parseLockFile,
  parseProjectFile,
  type LockFile,
  type LockStage,
  type OutDef,
  type ProjectFile,
  type StageDef,
} from '../formats/dvcyaml.js';
import type { YamlValue } from '../formats/ruamel.js';
import { changedCache } from '../sync/status.js';
import { hashWorkspace, type HashContext } from '../sync/workspace.js';
import type { LocalObjectStore } from '../odb/local.js';
import { readParams, lookupParam, paramsEqual } from './params.js';
import { walkRepoFolders } from './collect.js';
import type { Repo } from './repo.js';

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** A pipeline-level error (exit 255 as DVC's DvcException). */
export class PipelineError extends DvcError {
  override readonly exitCode: number = 255;
}

export interface PathItem {
  /** As written (relative to the stage's wdir). */
  path: string;
  abs: string;
  /** Relative to the repository root, '/'-separated. */
  rel: string;
}

export interface StageOut extends PathItem, Omit<OutDef, 'path'> {}

export interface StageParams extends PathItem {
  keys: string[] | null;
}

export interface Stage {
  name: string;
  def: StageDef;
  /** dvc.yaml's absolute path. */
  file: string;
  /** The dvc.lock beside it. */
  lockPath: string;
  /** DVC's addressing: `name` for the current folder's dvc.yaml, else `sub/dvc.yaml:name`. */
  addressing: string;
  wdir: string;
  deps: PathItem[];
  params: StageParams[];
  outs: StageOut[];
  lock?: LockStage;
}

export interface ProjectEntry {
  path: string;
  lockPath: string;
  project: ProjectFile;
  lock?: LockFile;
}

export interface Pipeline {
  repo: Repo;
  /** The current folder's dvc.yaml (DVC's default target and where `stage add` writes). */
  projectPath: string;
  lockPath: string;
  project?: ProjectFile;
  lock?: LockFile;
  /** Every dvc.yaml of the repository. */
  files: ProjectEntry[];
  /** Stages of every dvc.yaml, file by file. */
  stages: Stage[];
}

/** Resolves a path of a stage (relative to its wdir) and checks it stays in the repository. */
export function stagePath(repo: Repo, wdir: string, p: string, what: string, written = false): PathItem {
  if (isAbsolute(p) || /^[a-z0-9+]+:\/\//i.test(p)) {
    throw new UnsafePathError(`${what} '${p}' is absolute or external; only paths inside the repository are supported`);
  }
  const abs = resolve(wdir, p);
  // Outputs are written: every existing parent must really be inside. Dependencies are only read.
  assertInside(repo.root, abs, `${what} '${p}'`, { internal: true, parents: written });
  const rel = relative(repo.root, abs);
  return { path: p, abs, rel: posix(rel) };
}

/** DVC's stage addressing, relative to the current folder. */
export function addressingOf(file: string, name: string, cwd = process.cwd()): string {
  const rel = posix(relative(cwd, file));
  return rel === PROJECT_FILE ? name : `${rel}:${name}`;
}

export function buildStage(repo: Repo, file: string, def: StageDef, lock?: LockStage): Stage {
  const dir = dirname(file);
  const wdir = def.wdir ? resolve(dir, def.wdir) : dir;
  const wrel = relative(repo.root, wdir);
  if (wrel === '..' || wrel.startsWith('..' + sep) || isAbsolute(wrel)) {
    throw new UnsafePathError(`wdir '${def.wdir}' of stage '${def.name}' is outside of the repository`);
  }
  const deps = def.deps.map((p) => stagePath(repo, wdir, p, 'dependency'));
  const params = def.params.map((p) => ({ ...stagePath(repo, wdir, p.file, 'params file'), keys: p.keys }));
  const outs = def.outs.map((o) => ({ ...o, ...stagePath(repo, wdir, o.path, 'output', true) }));
  const lockPath = join(dir, LOCK_FILE);
  return { name: def.name, def, file, lockPath, addressing: addressingOf(file, def.name), wdir, deps, params, outs, ...(lock ? { lock } : {}) };
}

/**
 * Every dvc.yaml of the repository (absolute paths, root first, then depth-first by name). The
 * walk honours .dvcignore and skips `.git`, `.dvc`, folders tracked by a `.dvc` file beside them
 * and the outputs of stages found above.
 */
export function collectProjectFiles(repo: Repo, ignore = new DvcIgnore(repo.root)): string[] {
  const found: string[] = [];
  walkRepoFolders(repo, ignore, (rel, abs, ents, names) => {
    // folders tracked by a `.dvc` file beside them
    const skip = new Set(ents.filter((d) => d.isDirectory() && names.has(`${d.name}.dvc`)).map((d) => d.name));
    if (names.has(PROJECT_FILE) && !ignore.isIgnored(rel ? `${rel}/${PROJECT_FILE}` : PROJECT_FILE, false)) {
      const file = join(abs, PROJECT_FILE);
      found.push(file);
      try {
        const pf = parseProjectFile(readUtf8(file, posix(relative(repo.root, file))), posix(relative(repo.root, file)), abs);
        for (const st of pf.stages) {
          for (const o of st.outs) {
            const oAbs = resolve(st.wdir ? resolve(abs, st.wdir) : abs, o.path);
            if (dirname(oAbs) === abs) skip.add(basename(oAbs));
          }
        }
      } catch {
        /* reported when the file is loaded */
      }
    }
    return skip;
  });
  return found;
}

/** Loads every dvc.yaml and the dvc.lock beside it (no dvc.yaml: no stages). */
export function loadPipeline(repo: Repo, cwd = process.cwd(), opts: { onError?: (file: string, e: unknown) => void } = {}): Pipeline {
  const here = relative(repo.root, cwd);
  const inRepo = !(here === '..' || here.startsWith('..' + sep) || isAbsolute(here));
  const projectPath = join(inRepo ? cwd : repo.root, PROJECT_FILE);
  const p: Pipeline = { repo, projectPath, lockPath: join(dirname(projectPath), LOCK_FILE), files: [], stages: [] };
  for (const path of collectProjectFiles(repo)) {
    if (opts.onError) {
      // A file that does not load is skipped (and reported), the others still count.
      try {
        loadOne(repo, p, path, projectPath);
      } catch (e) {
        opts.onError(path, e);
      }
      continue;
    }
    loadOne(repo, p, path, projectPath);
  }
  return p;
}

function loadOne(repo: Repo, p: Pipeline, path: string, projectPath: string): void {
  const shown = posix(relative(repo.root, path));
  const lockPath = join(dirname(path), LOCK_FILE);
  const entry: ProjectEntry = { path, lockPath, project: parseProjectFile(readUtf8(path, shown), shown, dirname(path)) };
  if (existsSync(lockPath)) entry.lock = parseLockFile(readUtf8(lockPath, posix(relative(repo.root, lockPath))), posix(relative(repo.root, lockPath)));
  const built = entry.project.stages.map((def) => buildStage(repo, path, def, entry.lock?.stages.get(def.name)));
  p.files.push(entry);
  if (path === projectPath) {
    p.project = entry.project;
    if (entry.lock) p.lock = entry.lock;
  }
  p.stages.push(...built);
}

function isin(child: string, parent: string): boolean {
  return child.startsWith(parent + '/');
}

function overlaps(a: string, b: string): boolean {
  return a === b || isin(a, b) || isin(b, a);
}

/**
 * Checks outputs of stages and `.dvc` files do not overlap (DVC's OutputDuplicationError /
 * OverlappingOutputPathsError), and that no stage uses its own output.
 */
export function checkOutputs(stages: Stage[], dvcFiles: DvcFile[] = []): void {
  const all: Array<{ rel: string; owner: string }> = [];
  // .dvc files first, then stages in order: a new stage (last) is named second
  for (const f of dvcFiles) for (const o of f.outs) all.push({ rel: o.rel, owner: `'${f.rel}'` });
  for (const s of stages) for (const o of s.outs) all.push({ rel: o.rel, owner: `stage: '${s.addressing}'` });
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (a.rel === b.rel) {
        throw new PipelineError(`output '${a.rel}' is already specified in ${a.owner}.`);
      }
      if (overlaps(a.rel, b.rel)) {
        throw new PipelineError(
          `Paths for outs: '${a.rel}'(${a.owner}) and '${b.rel}'(${b.owner}) overlap. To avoid unpredictable behaviour, rerun command with non overlapping outs paths.`,
        );
      }
    }
  }
  for (const s of stages) {
    for (const d of [...s.deps, ...s.params]) {
      if (s.outs.some((o) => o.rel === d.rel)) {
        throw new PipelineError(`Same item(s) are defined as both a dependency and an output in stage: '${s.addressing}' ('${d.path}').`);
      }
    }
  }
}

/** For each stage, the stages it depends on (in dep order). Throws on a cycle. */
export function buildGraph(stages: Stage[]): Map<Stage, Stage[]> {
  const g = new Map<Stage, Stage[]>();
  for (const s of stages) {
    const ups: Stage[] = [];
    for (const d of [...s.deps, ...s.params]) {
      for (const t of stages) {
        if (t.outs.some((o) => overlaps(d.rel, o.rel)) && !ups.includes(t)) ups.push(t);
      }
    }
    g.set(s, ups);
  }
  // cycle check (iterative DFS colouring)
  const color = new Map<Stage, number>();
  const visit = (s: Stage, path: Stage[]): void => {
    color.set(s, 1);
    for (const u of g.get(s)!) {
      if (color.get(u) === 1) {
        const cyc = [...path.slice(path.indexOf(u)), s].map((x) => `'${x.name}'`);
        throw new PipelineError(`Pipeline has a cycle involving: ${[...new Set(cyc)].join(', ')}.`);
      }
      if (!color.get(u)) visit(u, [...path, s]);
    }
    color.set(s, 2);
  };
  for (const s of stages) if (!color.get(s)) visit(s, []);
  return g;
}

/** networkx's dfs_postorder_nodes from `sources` (dependencies before their dependents). */
export function postorder(g: Map<Stage, Stage[]>, sources: Stage[]): Stage[] {
  const seen = new Set<Stage>();
  const out: Stage[] = [];
  const visit = (s: Stage) => {
    seen.add(s);
    for (const u of g.get(s) ?? []) if (!seen.has(u)) visit(u);
    out.push(s);
  };
  for (const s of sources) if (!seen.has(s)) visit(s);
  return out;
}

/**
 * Splits command-line targets into the stages they name (each once, in order) and the rest
 * (`.dvc` files, output paths) for the `.dvc`-file side of a command.
 */
export function splitStageTargets(p: Pipeline, targets: string[]): { stages: Stage[]; rest: string[] } {
  const stages: Stage[] = [];
  const rest: string[] = [];
  for (const t of targets) {
    let hit: Stage[] = [];
    if (!t.endsWith('.dvc') && p.files.length) {
      try {
        hit = findStages(p, t);
      } catch {
        /* not a stage */
      }
    }
    if (hit.length) stages.push(...hit.filter((s) => !stages.includes(s)));
    else rest.push(t);
  }
  return { stages, rest };
}

/**
 * The stages a target names (DVC's parse_target): `name` (in the current folder's dvc.yaml),
 * `path/dvc.yaml:name`, `path:name`, or `path/dvc.yaml` (all its stages).
 */
export function findStages(p: Pipeline, target: string): Stage[] {
  const m = /^(.*):([^\\/:]*)$/.exec(target);
  let file = p.projectPath;
  let name: string | undefined = target;
  if (m) {
    file = resolve(m[1]!);
    if (!file.endsWith(sep + PROJECT_FILE)) file = join(file, PROJECT_FILE);
    name = m[2]!;
  } else if (target === PROJECT_FILE || target.endsWith('/' + PROJECT_FILE) || target.endsWith(sep + PROJECT_FILE)) {
    file = resolve(target);
    name = undefined;
  }
  const shown = posix(relative(process.cwd(), file));
  if (!p.files.some((f) => f.path === file)) throw new PipelineError(`'${shown}' does not exist`);
  const stages = p.stages.filter((x) => x.file === file && (name === undefined || x.name === name));
  if (!stages.length && name !== undefined) throw new PipelineError(`Stage '${name}' not found inside '${shown}' file`);
  return stages;
}

/** The one stage a target names (see findStages). */
export function findStage(p: Pipeline, target: string): Stage {
  const s = findStages(p, target);
  if (s.length !== 1) throw new PipelineError(`'${target}' does not name one stage`);
  return s[0]!;
}

export type EntryStatus = 'deleted' | 'modified' | 'new' | 'not in cache';
export type StageStatus = Array<string | Record<string, Record<string, EntryStatus | Record<string, EntryStatus>>>>;

async function pathStatus(
  ctx: HashContext,
  store: LocalObjectStore | undefined,
  abs: string,
  md5: string | undefined,
): Promise<EntryStatus | null> {
  if (md5 && store && changedCache(store, md5)) return 'not in cache';
  const ws = await hashWorkspace(ctx, abs);
  if (ws.kind === 'missing') return 'deleted';
  const cur = ws.kind === 'dir' ? ws.oid : ws.md5;
  if (cur !== md5) return 'modified';
  return null;
}

/** ParamsDependency.workspace_status. */
export function paramsStatus(s: Stage, p: StageParams): EntryStatus | Record<string, EntryStatus> | null {
  if (!existsSync(p.abs)) return 'deleted';
  const info = s.lock?.params[p.path];
  if (!info) return 'new';
  const actual = readParams(p.abs, p.rel);
  const keys = p.keys ?? [...new Set([...Object.keys(actual as object), ...Object.keys(info)])];
  const r: Record<string, EntryStatus> = {};
  for (const k of keys) {
    const a = lookupParam(actual, k);
    if (a === undefined) r[k] = 'deleted';
    else if (!(k in info)) r[k] = 'new';
    else if (!paramsEqual(a, info[k] as YamlValue)) r[k] = 'modified';
  }
  return Object.keys(r).length ? r : null;
}

/** Stage.status() of DVC: an empty list when the stage is up to date. */
export async function stageStatus(ctx: HashContext, store: LocalObjectStore, s: Stage): Promise<StageStatus> {
  const ret: StageStatus = [];
  const lockOf = (list: LockStage['deps'] | undefined, path: string) => list?.find((e) => e.path === path)?.md5;
  if (!s.def.frozen) {
    const deps: Record<string, EntryStatus | Record<string, EntryStatus>> = {};
    for (const d of s.deps) {
      const st = await pathStatus(ctx, undefined, d.abs, lockOf(s.lock?.deps, d.path));
      if (st) deps[d.path] = st;
    }
    for (const p of s.params) {
      const st = paramsStatus(s, p);
      if (st) deps[p.path] = st;
    }
    if (Object.keys(deps).length) ret.push({ 'changed deps': deps });
  }
  const outs: Record<string, EntryStatus> = {};
  for (const o of s.outs) {
    const st = await pathStatus(ctx, o.cache ? store : undefined, o.abs, lockOf(s.lock?.outs, o.path));
    if (st) outs[o.path] = st;
  }
  if (Object.keys(outs).length) ret.push({ 'changed outs': outs });
  const callback = !s.deps.length && !s.params.length && !s.outs.length;
  if (callback || s.def.alwaysChanged) ret.push('always changed');
  if (s.lock && JSON.stringify(s.lock.cmd) !== JSON.stringify(s.def.cmd)) ret.push('changed command');
  return ret;
}

/**
 * The cached outputs `dvc.lock` records for the stages of dvc.yaml, as in-memory `.dvc` files (one
 * per stage, never written) so checkout and pull treat them as DVC does. Empty without dvc.lock.
 */
export function lockDvcFiles(repo: Repo): DvcFileT[] {
  const p = loadPipeline(repo);
  const files: DvcFileT[] = [];
  for (const s of p.stages) {
    const outs = [];
    for (const o of s.outs) {
      const e = s.lock?.outs.find((x) => x.path === o.path);
      if (!o.cache || !e?.md5 || e.hash !== 'md5') continue;
      outs.push({ abs: o.abs, md5: e.md5, size: e.size ?? 0, ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}) });
    }
    if (outs.length) files.push(DvcFileClass.create(repo.root, s.lockPath, outs));
  }
  return files;
}

/**
 * Runs a pipeline command the way DVC's CLI ends it: a DvcException that the command does not
 * catch exits 255 (repro, stage add, dag, params, metrics, plots), so library errors that
 * default to exit 1 (a malformed dvc.yaml, an output outside the repository) become 255 here.
 */
export async function withDvcExit<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DvcError && e.exitCode === 1) throw new PipelineError(e.message, { cause: e });
    throw e;
  }
}
