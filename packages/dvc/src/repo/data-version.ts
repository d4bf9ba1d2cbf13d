/**
 * Which data version a path is at: the hash a .dvc file records for an output. The training
 * template calls this to log the dataset version it trained on.
 *
 *   const v = dataVersion('data/PetImages')   // or 'data/PetImages.dvc'
 *   v.md5  // 'c748ba019387b984d9c2ebdaf9832571.dir'
 */
import { DvcError } from '../errors.js';
import { resolveTargets } from './collect.js';
import { Repo } from './repo.js';

export interface DataVersion {
  /** The .dvc file (absolute). */
  dvcFile: string;
  /** The output (absolute). */
  path: string;
  /** Path relative to the repository root. */
  rel: string;
  md5?: string;
  size?: number;
  nfiles?: number;
}

/** The recorded hash of every output a target (.dvc file or output path) names. */
export function dataVersions(target: string, opts: { cwd?: string; repo?: Repo } = {}): DataVersion[] {
  const cwd = opts.cwd ?? process.cwd();
  const repo = opts.repo ?? Repo.open(cwd);
  const prev = process.cwd();
  const res = (() => {
    if (cwd !== prev) process.chdir(cwd);
    try {
      return resolveTargets(repo, [target], (t) => new DvcError(`'${t}' is not tracked by DVC`));
    } finally {
      if (cwd !== prev) process.chdir(prev);
    }
  })();
  return res.flatMap(({ file, outs }) =>
    outs.map((i) => {
      const o = file.outs[i]!;
      return { dvcFile: file.abs, path: o.abs, rel: o.rel, md5: o.md5, size: o.size, nfiles: o.nfiles };
    }),
  );
}

/** The recorded hash of the one output a target names (throws if it names several). */
export function dataVersion(target: string, opts: { cwd?: string; repo?: Repo } = {}): DataVersion {
  const all = dataVersions(target, opts);
  if (all.length !== 1) throw new DvcError(`'${target}' names ${all.length} outputs`);
  return all[0]!;
}
