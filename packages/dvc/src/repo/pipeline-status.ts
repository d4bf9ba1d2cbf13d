/**
 * The pipeline part of `dvc status`: each changed stage of dvc.yaml as DVC reports it,
 * `{ "build": [{ "changed deps": { "in.txt": "modified", "params.yaml": { "lr": "modified" } } },
 * { "changed outs": { "outdir": "deleted" } }, "always changed"] }`.
 */
import type { DataContext } from './context.js';
import { findStages, loadPipeline, stageStatus, type Stage, type StageStatus } from './pipeline.js';
import type { Repo } from './repo.js';

export interface PipelineStatus {
  report: Record<string, StageStatus>;
  /** Number of stages looked at. */
  stages: number;
  /** Targets that name no stage (left for the .dvc file status). */
  rest: string[];
  /** Frozen stages looked at (their dependencies are not checked). */
  frozen: string[];
}

export async function pipelineStatus(repo: Repo, d: DataContext, targets: string[]): Promise<PipelineStatus> {
  const p = loadPipeline(repo);
  const rest: string[] = [];
  let chosen: Stage[] = targets.length ? [] : p.stages;
  for (const t of targets) {
    let hit: Stage[] = [];
    try {
      hit = p.files.length ? findStages(p, t) : [];
    } catch {
      /* not a stage: a .dvc file or a tracked path */
    }
    if (hit.length) chosen.push(...hit.filter((s) => !chosen.includes(s)));
    else rest.push(t);
  }
  const report: Record<string, StageStatus> = {};
  const frozen: string[] = [];
  for (const s of chosen) {
    if (s.def.frozen) frozen.push(s.addressing);
    const st = await stageStatus(d.hash, d.store, s);
    if (st.length) report[s.addressing] = st;
  }
  chosen = [...chosen];
  return { report, stages: chosen.length, rest, frozen };
}

