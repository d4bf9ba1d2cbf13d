/**
 * `dvc get`: copy a file or folder (git-tracked or a DVC output) out of another repository, at
 * any revision, to a path here. Nothing here needs to be a DVC repository, and nothing is
 * tracked. The copy is made beside the destination and renamed into place: an interrupted get
 * leaves nothing half-written under the destination's name.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, constants as fsc } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DvcError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import type { LocalObjectStore } from '../odb/local.js';
import { oidToPath } from '../odb/layout.js';
import { SourceRepo, type SourceFile, type SourceOptions } from './source.js';

export interface GetOptions extends SourceOptions {
  /** Destination (default: the path's base name, in the current folder). */
  out?: string;
  /** Replace an existing destination. */
  force?: boolean;
}

/** The destination exists and --force was not given. */
export class FileExistsLocallyError extends DvcError {
  constructor(readonly path: string) {
    super(`The file '${path}' already exists locally. \nTo override it, re-run with '--force'.`);
  }
}

/** `dvc get` of a `.dvc` file name as destination. */
export class GetDvcFileError extends DvcError {
  constructor() {
    super('the given path is a DVC file, you must specify a data file or a directory');
  }
}

/** DVC's resolve_output: OUT, OUT/<name> when OUT is a folder, or <name>; refuses an existing one. */
export function resolveOutput(source: string, out: string | undefined, force = false): string {
  const name = basename(resolve('/', source.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')));
  let ret: string;
  if (!out) ret = name;
  else if (isDir(out)) ret = join(out, name);
  else ret = out;
  if (exists(ret) && !force) throw new FileExistsLocallyError(ret);
  return ret;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `files` (all under `baseRel`, or the single file `baseRel`) to `dest`, atomically:
 * built under a temp name beside `dest`, then renamed over it (an existing `dest` is removed
 * only then, and only when `force`).
 */
export function writeFiles(src: SourceRepo, store: LocalObjectStore, baseRel: string, files: SourceFile[], single: boolean, dest: string, force = false): void {
  const destAbs = resolve(dest);
  mkdirSync(dirname(destAbs), { recursive: true });
  const tmp = `${destAbs}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  try {
    const put = (f: SourceFile, to: string) => {
      mkdirSync(dirname(to), { recursive: true });
      if (f.oid) {
        copyFileSync(store.path(f.oid), to, fsc.COPYFILE_FICLONE);
        chmodSync(to, f.isexec ? 0o755 : 0o644);
      } else writeFileSync(to, src.readGitFile(f.rel), { mode: f.isexec ? 0o755 : 0o644 });
    };
    if (single) put(files[0]!, tmp);
    else {
      mkdirSync(tmp);
      const base = baseRel ? baseRel + '/' : '';
      for (const f of files) put(f, join(tmp, ...f.rel.slice(base.length).split('/')));
    }
    if (existsSync(destAbs) || isLink(destAbs)) {
      if (!force) throw new FileExistsLocallyError(dest);
      rmSync(destAbs, { recursive: true, force: true });
    }
    renameSync(tmp, destAbs);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface GetResult {
  /** The destination written. */
  out: string;
  files: number;
}

export async function get(url: string, path: string, opts: GetOptions = {}): Promise<GetResult> {
  const out = resolveOutput(path, opts.out, opts.force);
  if (DvcFile.isDvcFileName(out)) throw new GetDvcFileError();
  const src = await SourceRepo.open(url, opts);
  try {
    const { node, files, store } = await src.collect(path);
    writeFiles(src, store, node.rel, files, node.kind === 'file', out, opts.force);
    return { out, files: files.length };
  } finally {
    await src.close();
  }
}

/** `dvc get --show-url`: where a DVC-tracked file's data is on the repository's remote. */
export async function getUrl(url: string, path: string, opts: SourceOptions = {}): Promise<string> {
  const src = await SourceRepo.open(url, opts);
  try {
    const node = await src.resolve(path);
    if (node.kind === 'missing') throw new DvcError(`'${path}' does not exist in '${url}'`);
    if (node.kind === 'dir' && !(node.out && node.out.rel === node.rel)) {
      throw new DvcError(`'${path}' is a folder that is not a DVC output: it has no single URL`);
    }
    const oid = node.kind === 'file' ? node.file.oid : node.out!.oid;
    if (!oid) throw new DvcError(`'${path}' is tracked by git, not by DVC: it has no remote URL`);
    const rc = src.remote();
    const base = rc.url.replace(/\/+$/, '');
    return `${base}/${oidToPath(oid)}`;
  } finally {
    await src.close();
  }
}
