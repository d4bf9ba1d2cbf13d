/**
 * `dvc freeze` / `dvc unfreeze` (DVC's repo/freeze.py): sets or clears `frozen: true` on one
 * stage of a dvc.yaml or on a `.dvc` file, leaving the rest of the file as written (comments,
 * order, quoting), as DVC's apply_diff round trip does: a new `frozen` key goes last in the
 * stage's mapping, unfreezing deletes it. dvc.lock is not touched (DVC: update_lock=False).
 * A frozen stage's dependencies are not checked by `status` nor reproduced by `repro`.
 */
import { existsSync } from 'node:fs';
import { basename, relative, resolve, sep } from 'node:path';
import type { Document, YAMLMap } from 'yaml';
import { DvcError } from '../errors.js';
import { dumpYaml } from '../formats/ruamel.js';
import { DVC_FILE_SUFFIX } from '../formats/dvcfile.js';
import { Y } from '../formats/dvcyaml.js';
import { hasInterpolation } from '../formats/interpolate.js';
import { readUtf8 } from '../formats/text.js';
import { writeFileAtomic } from '../fs/local.js';
import { findStages, loadPipeline } from './pipeline.js';
import type { Repo } from './repo.js';

export interface FreezeResult {
  /** The file written, as DVC shows it (relative to the current folder). */
  file: string;
  /** The stage's name in dvc.yaml; undefined for a `.dvc` file. */
  stage?: string;
  /** False when the file already said so (DVC writes it anyway; nothing changes on disk). */
  changed: boolean;
}

const posix = (p: string) => p.split(sep).join('/');

/** Sets (frozen=true) or clears the `frozen` flag of the stage `target` names. */
export async function setFrozen(repo: Repo, target: string, frozen: boolean): Promise<FreezeResult> {
  return repo.withLock(() => setFrozenLocked(repo, target, frozen));
}

function isDvcFileTarget(target: string): boolean {
  return target.endsWith(DVC_FILE_SUFFIX) && basename(target) !== DVC_FILE_SUFFIX;
}

function setFrozenLocked(repo: Repo, target: string, frozen: boolean): FreezeResult {
  if (isDvcFileTarget(target)) {
    const abs = resolve(target);
    const shown = posix(relative(process.cwd(), abs));
    if (!existsSync(abs)) throw new DvcError(`'${shown}' does not exist`);
    const text = readUtf8(abs, shown);
    const next = withFrozen(text, [], frozen, shown);
    if (next !== text) writeFileAtomic(abs, next);
    return { file: shown, changed: next !== text };
  }
  const p = loadPipeline(repo);
  const [stage] = findStages(p, target);
  if (!stage) throw new DvcError(`'${target}' does not name a stage`);
  const shown = posix(relative(process.cwd(), stage.file));
  const text = readUtf8(stage.file, shown);
  const entry = p.files.find((f) => f.path === stage.file)!.project.data.stages as Record<string, unknown> | undefined;
  const raw = entry?.[stage.name];
  // A stage from foreach/matrix or with ${...} cannot be written back (DVC's ParametrizedDumpError).
  if (raw === undefined || hasInterpolation(raw)) throw new DvcError(`cannot dump a parametrized stage: '${stage.name}'`);
  const next = withFrozen(text, ['stages', stage.name], frozen, shown);
  if (next !== text) writeFileAtomic(stage.file, next);
  return { file: shown, stage: stage.name, changed: next !== text };
}

/**
 * The YAML text with `frozen: true` added at the end of the mapping at `path` (or removed). A
 * file in DVC's own layout is dumped again by the ruamel writer (byte for byte what DVC writes);
 * any other keeps its comments and styles through the yaml library's round trip.
 */
export function withFrozen(text: string, path: string[], frozen: boolean, shown: string): string {
  const YL = Y();
  const doc = YL.parseDocument(text, { intAsBigInt: true, prettyErrors: false }) as Document;
  if (doc.errors.length) throw new DvcError(`'${shown}' is invalid: ${doc.errors[0]!.message.split('\n')[0]}`);
  const node = (path.length ? doc.getIn(path, true) : doc.contents) as YAMLMap | undefined;
  if (!node || !YL.isMap(node)) throw new DvcError(`'${shown}' is invalid: expected a mapping`);
  const has = node.has('frozen');
  if (frozen && node.get('frozen') === true) return text;
  if (!frozen && !has) return text;
  const data = doc.toJSON() as Record<string, unknown>;
  const canonical = dumpYaml(data as never) === text;
  // (an existing `frozen: false` is set in place, as DVC's apply_diff does)
  if (frozen) node.set('frozen', true);
  else node.delete('frozen');
  if (canonical) return dumpYaml(doc.toJSON() as never);
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}

/** True when a `.dvc` file's text says `frozen: true` (import-url and frozen data sources). */
export function dvcFileFrozen(text: string): boolean {
  if (!/^frozen:/m.test(text)) return false;
  try {
    const v = Y().parse(text) as { frozen?: unknown } | null;
    return !!v && v.frozen === true;
  } catch {
    return false;
  }
}
