/**
 * `dvc stage list`: the stages targets name (default: the current folder's dvc.yaml), every
 * stage of the repository (`--all`: `.dvc` files too), or those below a folder (`-R`), each with
 * DVC's description (commands/stage.py prepare_description). Without `fail`, a dvc.yaml that
 * does not load is skipped, as DVC silences stage collection errors there.
 */
import { statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { collectDvcFiles, repoPath } from './collect.js';
import { findStages, loadPipeline, type Stage } from './pipeline.js';
import { PipelineError } from './pipeline.js';
import type { Repo } from './repo.js';

export interface ListedStage {
  addressing: string;
  description: string;
}

const MAX_TEXT_LENGTH = 80;

function truncate(text: string): string {
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH - 1) + '…' : text;
}

function describeStage(s: Stage): string {
  const first = s.def.desc?.split('\n')[0]?.trim();
  if (first) return truncate(first);
  if (!s.deps.length && !s.outs.length) return 'No outputs or dependencies';
  if (!s.outs.length) return truncate('Depends on ' + s.deps.map((d) => d.path).join(', '));
  const parts: string[] = [];
  const plain = s.outs.filter((o) => o.kind === 'outs');
  const reports = s.outs.filter((o) => o.kind !== 'outs');
  if (plain.length) parts.push('Outputs ' + plain.map((o) => o.path).join(', '));
  if (reports.length) parts.push('Reports ' + reports.map((o) => o.path).join(', '));
  return truncate(parts.join('; '));
}

function under(abs: string, dir: string): boolean {
  return abs === dir || abs.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export function listStages(repo: Repo, targets: string[], opts: { all?: boolean; recursive?: boolean; fail?: boolean } = {}): ListedStage[] {
  const p = loadPipeline(repo, process.cwd(), opts.fail ? {} : { onError: () => {} });
  const files = collectDvcFiles(repo);
  const shown = (abs: string) => relative(process.cwd(), abs).split(sep).join('/');
  const fileStage = (f: (typeof files)[number]): ListedStage => ({
    addressing: shown(f.abs),
    description: f.outs.length ? truncate('Outputs ' + f.outs.map((o) => o.path).join(', ')) : 'No outputs or dependencies',
  });
  const res = new Map<string, ListedStage>();
  const add = (l: ListedStage) => {
    if (!res.has(l.addressing)) res.set(l.addressing, l);
  };
  if (opts.all) {
    for (const f of files) add(fileStage(f));
    for (const s of p.stages) add({ addressing: s.addressing, description: describeStage(s) });
    return [...res.values()];
  }
  for (const t of targets.length ? targets : ['dvc.yaml']) {
    const abs = repoPath(repo, t);
    let dir = false;
    try {
      dir = statSync(abs).isDirectory();
    } catch {
      /* a stage name or a file */
    }
    if (opts.recursive && dir) {
      for (const f of files) if (under(f.abs, abs)) add(fileStage(f));
      for (const s of p.stages) if (under(s.file, abs)) add({ addressing: s.addressing, description: describeStage(s) });
      continue;
    }
    if (t.endsWith('.dvc')) {
      const f = files.find((x) => x.abs === abs);
      if (!f) throw new PipelineError(`'${t}' does not exist`);
      add(fileStage(f));
      continue;
    }
    for (const s of findStages(p, t)) add({ addressing: s.addressing, description: describeStage(s) });
  }
  return [...res.values()];
}
