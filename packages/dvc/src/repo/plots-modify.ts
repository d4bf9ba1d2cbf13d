/**
 * `dvc plots modify TARGET [props] [--unset ...]` (DVC's Plots.modify): sets or removes display
 * properties (x, y, template, title, x_label, y_label, header) of a stage output in dvc.yaml; the
 * output becomes a plot (moved to the stage's `plots:` list) if it was not one. dvc.lock is left
 * alone. The template, when given, must exist (built-in, `.dvc/plots/NAME[.json]` or a file).
 */
import { relative, resolve, sep, join } from 'node:path';
import { DvcError } from '../errors.js';
import { projectWithStage, type OutDef } from '../formats/dvcyaml.js';
import { hasInterpolation } from '../formats/interpolate.js';
import { readUtf8 } from '../formats/text.js';
import { getTemplate } from '../formats/vega.js';
import { writeFileAtomic } from '../fs/local.js';
import { loadPipeline } from './pipeline.js';
import { PLOT_PROPS, type PlotProps } from './plots.js';
import type { Repo } from './repo.js';

export interface PlotsModifyResult {
  stage: string;
  /** dvc.yaml as DVC shows it (relative to the current folder). */
  file: string;
}

const pyList = (xs: string[]) => '[' + xs.map((x) => `'${x}'`).join(', ') + ']';

export async function plotsModify(repo: Repo, target: string, props: PlotProps, unset?: string[]): Promise<PlotsModifyResult> {
  if (props.template) getTemplate(props.template, join(repo.dvcDir, 'plots'));
  return repo.withLock(() => {
    const p = loadPipeline(repo);
    const abs = resolve(target);
    const stage = p.stages.find((s) => s.outs.some((o) => o.abs === abs));
    if (!stage) throw new DvcError(`Unable to find DVC file with output '${target}'`);
    const out = stage.outs.find((o) => o.abs === abs)!;
    const entry = p.files.find((f) => f.path === stage.file)!;
    const raw = (entry.project.data.stages as Record<string, unknown> | undefined)?.[stage.name];
    if (raw === undefined || hasInterpolation(raw)) throw new DvcError(`cannot dump a parametrized stage: '${stage.name}'`);
    if (out.kind !== 'plots' && unset !== undefined) {
      throw new DvcError(`'${out.path}' is not a known plot. Use \`dvc plots modify\` to turn it into one.`);
    }
    const flags = { ...out.flags };
    if (unset?.length) {
      const missing = unset.filter((k) => !(k in flags) || !(PLOT_PROPS as readonly string[]).includes(k));
      if (missing.length) throw new DvcError(`display properties ${pyList(missing)} not found in plot '${out.path}'`);
      for (const k of unset) delete flags[k];
    }
    for (const [k, v] of Object.entries(props)) if (v !== undefined) flags[k] = v as never;
    const def = { ...stage.def, outs: stage.def.outs.map((o): OutDef => (o.path === out.path && o.kind === out.kind ? { ...o, kind: 'plots', flags } : o)) };
    const shown = relative(process.cwd(), stage.file).split(sep).join('/');
    const text = readUtf8(stage.file, shown);
    writeFileAtomic(stage.file, projectWithStage(entry.project, def, text));
    return { stage: stage.name, file: shown };
  });
}
