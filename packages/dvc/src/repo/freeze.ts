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
 * The YAML text with `frozen: true` added as the last key of the block mapping at `path` (or its
 * `frozen` line removed), every other byte as written (ruamel's round trip in DVC keeps comments
 * and layout too). A flow mapping (`{...}`) is written again by the yaml library.
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
  const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'frozen');
  const lineStart = (i: number) => text.lastIndexOf('\n', i - 1) + 1;
  const lineEnd = (i: number) => {
    const n = text.indexOf('\n', i);
    return n < 0 ? text.length : n + 1;
  };
  const range = (n: unknown) => (n as { range?: [number, number, number] } | null)?.range;
  if (!node.flow && node.items.length) {
    if (!frozen && pair) {
      // drop the `frozen: ...` line(s)
      const k = range(pair.key);
      const v = range(pair.value);
      if (k && v) return text.slice(0, lineStart(k[0])) + text.slice(lineEnd(Math.max(v[1] - 1, k[0])));
    } else if (frozen && pair) {
      const v = range(pair.value);
      if (v) return text.slice(0, v[0]) + 'true' + text.slice(v[1]);
    } else if (frozen) {
      const first = range(node.items[0]!.key);
      const last = node.items[node.items.length - 1]!;
      const end = range(last.value) ?? range(last.key);
      if (first && end) {
        const indent = first[0] - lineStart(first[0]);
        const at = lineEnd(Math.max(end[1] - 1, first[0]));
        const head = text.slice(0, at);
        return (head.endsWith('\n') ? head : head + '\n') + ' '.repeat(indent) + 'frozen: true\n' + text.slice(at);
      }
    }
  }
  if (frozen) node.set('frozen', true);
  else node.delete('frozen');
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
