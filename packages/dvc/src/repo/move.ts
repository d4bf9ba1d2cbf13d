/**
 * `dvc move SRC DST`: rename a tracked output (file or folder) and its .dvc file, keeping the
 * recorded hash; the .gitignore lines follow.
 */
import { existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { DvcError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { repoPath, resolveTargets } from './collect.js';
import type { Repo } from './repo.js';

export async function move(repo: Repo, src: string, dst: string): Promise<{ from: string; to: string }> {
  return repo.withLock(async () => {
    const srcAbs = repoPath(repo, src);
    let dstAbs = repoPath(repo, dst);
    const [hit] = resolveTargets(repo, [src], () => new DvcError(`Unable to find DVC file with output '${src}'`));
    const file = hit!.file;
    const idx = file.outs.findIndex((o) => o.abs === srcAbs);
    if (idx < 0) throw new DvcError(`Unable to find DVC file with output '${src}'`);
    if (file.outs.length > 1) throw new DvcError(`move is not supported for .dvc files with more than one output`);
    if (existsSync(dstAbs) && statSync(dstAbs).isDirectory()) dstAbs = join(dstAbs, basename(srcAbs));
    if (existsSync(dstAbs)) throw new DvcError(`'${dst}' already exists`);
    if (dstAbs.startsWith(srcAbs + sep)) throw new DvcError(`cannot move '${src}' into itself`);
    const rel = relative(repo.root, dstAbs).split(sep)[0];
    if (rel === '.dvc' || rel === '.git') throw new DvcError(`cannot move into '${rel}'`);
    // The .dvc file keeps a custom name; a default `<out>.dvc` follows the output.
    const defaultName = file.abs === DvcFile.pathFor(srcAbs);
    const newFileAbs = defaultName ? DvcFile.pathFor(dstAbs) : file.abs;
    if (defaultName && existsSync(newFileAbs)) throw new DvcError(`'${relative(process.cwd(), newFileAbs)}' already exists`);
    mkdirSync(dirname(dstAbs), { recursive: true });
    const track: string[] = [];
    if (repo.scm) {
      const g = repo.scm.ignoreRemove(srcAbs);
      if (g) track.push(g);
    }
    if (existsSync(srcAbs)) renameSync(srcAbs, dstAbs);
    const moved = newFileAbs === file.abs ? file : file.moveTo(newFileAbs);
    moved.setOutPath(idx, dstAbs);
    moved.write();
    if (newFileAbs !== file.abs) {
      unlinkSync(file.abs);
      track.unshift(file.abs);
    }
    if (repo.scm) {
      const g = repo.scm.ignore(dstAbs);
      if (g) track.push(g);
    }
    track.push(newFileAbs);
    repo.scmContext.track(...track);
    return { from: srcAbs, to: dstAbs };
  });
}
