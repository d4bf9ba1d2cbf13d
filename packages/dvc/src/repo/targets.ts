/**
 * DVC's `-R/--recursive` and `-d/--with-deps` over command-line targets (repo/index.py
 * collect_targets with `recursive`/`with_deps`), for commit, checkout, pull, fetch and push:
 *
 * - `-R`: a folder target stands for every `.dvc` file and every dvc.yaml stage below it;
 * - `-d`: each stage or `.dvc` file a target names, plus every stage and `.dvc` file upstream of
 *   it (whose outputs its dependencies read), recursively.
 *
 * The result is plain targets the commands already take: `.dvc` file paths, and for stages
 * their addressing (`sub/dvc.yaml:name`) or, with `outputs`, their output paths.
 */
import { statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { DvcFile } from '../formats/dvcfile.js';
import { collectDvcFiles, repoPath } from './collect.js';
import { findStages, loadPipeline, type Stage } from './pipeline.js';
import type { Repo } from './repo.js';

type Unit = { kind: 'stage'; stage: Stage } | { kind: 'file'; file: DvcFile };

function under(abs: string, dir: string): boolean {
  return abs === dir || abs.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + sep) || b.startsWith(a + sep);
}

function isDir(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

export interface ExpandOptions {
  recursive?: boolean;
  withDeps?: boolean;
  /** Stages as their output paths (checkout, pull, fetch, push) instead of their addressing (commit). */
  outputs?: boolean;
}

/**
 * The targets with `-R`/`-d` applied. Without either, the targets as given. An empty result
 * for non-empty targets means nothing was named (a folder holding no stages): the caller does
 * nothing then, rather than everything.
 */
export function expandTargets(repo: Repo, targets: string[], opts: ExpandOptions): string[] {
  if (!targets.length || (!opts.recursive && !opts.withDeps)) return targets;
  const p = loadPipeline(repo);
  const files = collectDvcFiles(repo);
  const units: Unit[] = [];
  const rest: string[] = [];
  const addUnit = (u: Unit) => {
    if (!units.some((x) => (x.kind === 'stage' && u.kind === 'stage' && x.stage === u.stage) || (x.kind === 'file' && u.kind === 'file' && x.file.abs === u.file.abs))) units.push(u);
  };
  for (const t of targets) {
    const abs = repoPath(repo, t);
    const tracked = files.some((f) => f.outs.some((o) => o.abs === abs)) || p.stages.some((s) => s.outs.some((o) => o.abs === abs));
    if (opts.recursive && isDir(abs) && !tracked) {
      for (const f of files) if (under(f.abs, abs)) addUnit({ kind: 'file', file: f });
      for (const s of p.stages) if (under(s.file, abs)) addUnit({ kind: 'stage', stage: s });
      continue;
    }
    if (!opts.withDeps) {
      rest.push(t);
      continue;
    }
    let stages: Stage[] = [];
    if (!t.endsWith('.dvc') && p.files.length) {
      try {
        stages = findStages(p, t);
      } catch {
        /* not a stage */
      }
    }
    if (!stages.length) stages = p.stages.filter((s) => s.outs.some((o) => o.abs === abs));
    const file = files.find((f) => f.abs === abs || f.outs.some((o) => o.abs === abs));
    if (stages.length) for (const s of stages) addUnit({ kind: 'stage', stage: s });
    else if (file) addUnit({ kind: 'file', file });
    else rest.push(t);
  }
  if (opts.withDeps) {
    // Upstream, breadth first: whatever produces a path a unit reads.
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      const reads = u.kind === 'stage' ? [...u.stage.deps, ...u.stage.params].map((d) => d.abs) : [];
      for (const r of reads) {
        for (const s of p.stages) if (s.outs.some((o) => overlaps(o.abs, r))) addUnit({ kind: 'stage', stage: s });
        for (const f of files) if (f.outs.some((o) => overlaps(o.abs, r))) addUnit({ kind: 'file', file: f });
      }
    }
  }
  const shown = (abs: string) => relative(process.cwd(), abs).split(sep).join('/');
  const res: string[] = [];
  for (const u of units) {
    if (u.kind === 'file') res.push(shown(u.file.abs));
    else if (opts.outputs) res.push(...u.stage.outs.filter((o) => o.cache !== false).map((o) => shown(o.abs)));
    else res.push(u.stage.addressing);
  }
  return [...new Set([...res, ...rest])];
}
