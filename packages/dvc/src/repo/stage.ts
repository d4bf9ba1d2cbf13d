/**
 * `dvc stage add`: adds (or with `force` replaces) a stage in the root `dvc.yaml`, after checking
 * its outputs do not overlap other stages' or `.dvc` files' outputs and that the graph stays
 * acyclic; cached outputs are added to `.gitignore` (as DVC's stage.ignore_outs()).
 */
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../fs/local.js';
import { DEFAULT_PARAMS_FILE, lockWithStages, projectWithStage, type OutDef, type OutKind, type ParamsDef, type StageDef } from '../formats/dvcyaml.js';
import { dumpYaml, type YamlValue } from '../formats/ruamel.js';
import { collectDvcFiles } from './collect.js';
import { readUtf8 } from '../formats/text.js';
import { buildGraph, buildStage, checkOutputs, loadPipeline, PipelineError, splitStageTargets, type Stage } from './pipeline.js';
import type { Repo } from './repo.js';

export interface StageAddOptions {
  name: string;
  cmd: string;
  deps?: string[];
  /** `-p` values: `a,b`, `file.yaml:a,b`, `file.yaml:` (whole file). */
  params?: string[];
  outs?: string[];
  outsNoCache?: string[];
  outsPersist?: string[];
  outsPersistNoCache?: string[];
  metrics?: string[];
  metricsNoCache?: string[];
  plots?: string[];
  plotsNoCache?: string[];
  wdir?: string;
  force?: boolean;
  alwaysChanged?: boolean;
  desc?: string;
}

/** string.punctuation less `_` and `-` (DVC's INVALID_STAGENAME_CHARS). */
const INVALID_NAME = /[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/;

/** DVC's parse_params + loads_params: `-p` values grouped by file (params.yaml first). */
export function parseParamArgs(args: string[]): ParamsDef[] {
  const byFile = new Map<string, ParamsDef>();
  for (const a of args) {
    const i = a.lastIndexOf(':');
    const file = i >= 0 ? a.slice(0, i) : '';
    const keys = (i >= 0 ? a.slice(i + 1) : a).split(',').filter(Boolean);
    const f = file || DEFAULT_PARAMS_FILE;
    let p = byFile.get(f);
    if (!p) byFile.set(f, (p = { file: f, keys: [] }));
    if (file && !keys.length) p.keys = null;
    else if (p.keys) for (const k of keys) if (!p.keys.includes(k)) p.keys.push(k);
  }
  return [...byFile.values()];
}

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

export async function stageAdd(repo: Repo, o: StageAddOptions, cwd = process.cwd()): Promise<StageDef> {
  if (!o.name || INVALID_NAME.test(o.name)) throw new PipelineError('Stage name cannot contain punctuation characters.');
  if (!o.cmd.trim()) throw new PipelineError('command is not specified');
  return repo.withLock(async () => {
    const p = loadPipeline(repo, cwd);
    const wdirAbs = resolve(cwd, o.wdir ?? '.');
    const inRepo = posix(relative(repo.root, wdirAbs));
    if (inRepo === '..' || inRepo.startsWith('../') || inRepo.startsWith('/')) throw new PipelineError(`wdir '${o.wdir}' is outside of the repository`);
    // wdir is written relative to the dvc.yaml (the current folder's)
    const wrel = posix(relative(dirname(p.projectPath), wdirAbs));
    const outs: OutDef[] = [];
    const addOuts = (list: string[] | undefined, kind: OutKind, cache: boolean, persist = false) => {
      for (const path of list ?? []) {
        const flags: Record<string, boolean> = {};
        if (!cache) flags.cache = false;
        if (persist) flags.persist = true;
        outs.push({ path, kind, cache, persist, push: true, flags });
      }
    };
    addOuts(o.outs, 'outs', true);
    addOuts(o.outsNoCache, 'outs', false);
    addOuts(o.outsPersist, 'outs', true, true);
    addOuts(o.outsPersistNoCache, 'outs', false, true);
    addOuts(o.metrics, 'metrics', true);
    addOuts(o.metricsNoCache, 'metrics', false);
    addOuts(o.plots, 'plots', true);
    addOuts(o.plotsNoCache, 'plots', false);
    const seen = new Set<string>();
    for (const x of [...(o.deps ?? []), ...outs.map((x) => x.path)]) {
      if (outs.some((y) => y.path === x) && (o.deps ?? []).includes(x)) {
        throw new PipelineError(`file/directory '${x}' is specified as an output and as a dependency.`);
      }
    }
    for (const x of outs) {
      if (seen.has(x.path)) throw new PipelineError(`file/directory '${x.path}' is specified as an output more than once.`);
      seen.add(x.path);
    }
    const def: StageDef = {
      name: o.name,
      cmd: o.cmd,
      ...(wrel ? { wdir: wrel } : {}),
      deps: [...new Set(o.deps ?? [])],
      params: parseParamArgs(o.params ?? []),
      outs,
      frozen: false,
      alwaysChanged: !!o.alwaysChanged,
      ...(o.desc ? { desc: o.desc } : {}),
    };
    const existing = p.stages.find((s) => s.file === p.projectPath && s.name === o.name);
    if (existing && !o.force) throw new PipelineError(`Stage '${o.name}' already exists in 'dvc.yaml'. Use '--force' to overwrite.`);
    const stage = buildStage(repo, p.projectPath, def);
    const others = p.stages.filter((s) => s !== existing);
    checkOutputs([...others, stage], collectDvcFiles(repo));
    buildGraph([...others, stage]);
    writeFileAtomic(p.projectPath, projectWithStage(p.project, def, p.project ? readUtf8(p.projectPath, 'dvc.yaml') : undefined));
    const tracked: string[] = [p.projectPath];
    if (repo.scm) {
      for (const out of stage.outs) {
        if (!out.cache) continue;
        mkdirSync(dirname(out.abs), { recursive: true });
        const g = repo.scm.ignore(out.abs);
        if (g && !tracked.includes(g)) tracked.push(g);
      }
    }
    repo.scmContext.track(...tracked);
    return def;
  });
}

/**
 * `dvc remove` for stages: each target naming stages (`name`, `sub/dvc.yaml:name`) loses them from
 * dvc.yaml and dvc.lock (a file left without stages is deleted) and their outputs' .gitignore
 * lines; with `outs` the outputs are deleted too. Templated stages cannot be removed (as DVC).
 * Returns the targets that name no stage (for the `.dvc` file removal).
 */
export async function removeStages(repo: Repo, targets: string[], opts: { outs?: boolean } = {}): Promise<string[]> {
  if (!targets.some((t) => !t.endsWith('.dvc'))) return targets;
  return repo.withLock(async () => {
    const p = loadPipeline(repo);
    const { stages: chosen, rest } = splitStageTargets(p, targets);
    for (const file of new Set(chosen.map((s) => s.file))) {
      const entry = p.files.find((f) => f.path === file)!;
      const names = chosen.filter((s) => s.file === file).map((s) => s.name);
      const raw = (entry.project.data.stages ?? {}) as Record<string, YamlValue>;
      for (const n of names) {
        if (!(n in raw)) throw new PipelineError(`cannot remove '${n}': it is generated by a templated stage ('foreach'/'matrix') of '${posix(relative(process.cwd(), file))}'`);
      }
      const stages: Record<string, YamlValue> = {};
      for (const [k, v] of Object.entries(raw)) if (!names.includes(k)) stages[k] = v;
      for (const s of chosen.filter((x) => x.file === file)) {
        for (const o of s.outs) {
          if (repo.scm && o.cache) {
            const g = repo.scm.ignoreRemove(o.abs);
            if (g) repo.scmContext.track(g);
          }
          if (opts.outs) rmSync(o.abs, { recursive: true, force: true });
        }
      }
      if (Object.keys(stages).length) writeFileAtomic(file, dumpYaml({ ...entry.project.data, stages }));
      else unlinkSync(file);
      repo.scmContext.track(file);
      if (entry.lock) {
        const left = [...entry.lock.stages.keys()].filter((k) => !names.includes(k));
        if (left.length === entry.lock.stages.size) continue;
        if (left.length) writeFileAtomic(entry.lockPath, lockWithStages(entry.lock, new Map(), names));
        else unlinkSync(entry.lockPath);
        repo.scmContext.track(entry.lockPath);
      }
    }
    return rest;
  });
}
