/**
 * `dvc get-url` / `dvc ls-url`: a file or folder at any URL a remote can have (a local path, s3://,
 * azure://, gs://, ssh://, http(s)://, webdav(s)://, webhdfs://), read through the same
 * FileSystems as remotes, with `fsConfig` as the remote options (`--fs-config key=value`).
 */
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DvcError } from '../errors.js';
import type { FileSystem } from '../fs/types.js';
import { FileExistsLocallyError, resolveOutput } from './get.js';

/** The URL names nothing (DVC: URLMissingError). */
export class UrlMissingError extends DvcError {
  constructor(readonly url: string) {
    super(`The path '${url}' does not exist`);
  }
}

interface Target {
  fs: FileSystem;
  /** The name inside `fs` (its root is the URL's parent). */
  name: string;
}

async function open(url: string, fsConfig: Record<string, string> = {}): Promise<Target> {
  const { openRemoteFs, schemeOf } = await import('../fs/registry.js');
  const scheme = schemeOf(url);
  if (scheme === 'local') {
    const abs = resolve(url);
    return { fs: await openRemoteFs(dirname(abs), fsConfig), name: basename(abs) };
  }
  const trimmed = url.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0 || trimmed.slice(0, i).endsWith('/')) throw new DvcError(`'${url}' names no file or folder`);
  return { fs: await openRemoteFs(trimmed.slice(0, i), fsConfig), name: decodeURIComponent(trimmed.slice(i + 1)) };
}

export interface UrlEntry {
  path: string;
  isdir: boolean;
  size?: number;
}

/** What the URL is: a file (its size), a folder (its files, relative), or missing. */
async function stat(t: Target): Promise<{ kind: 'file'; size: number } | { kind: 'dir'; files: string[] } | { kind: 'missing' }> {
  const size = await t.fs.size(t.name).catch(() => undefined);
  if (size !== undefined) return { kind: 'file', size };
  const files: string[] = [];
  for await (const p of t.fs.list(t.name)) if (p.startsWith(t.name + '/')) files.push(p.slice(t.name.length + 1));
  if (!files.length) return { kind: 'missing' };
  return { kind: 'dir', files: files.sort() };
}

/** `dvc ls-url`: a file itself, or a folder's entries (all files with `recursive`, to `maxdepth`). */
export async function lsUrl(url: string, opts: { recursive?: boolean; maxdepth?: number; fsConfig?: Record<string, string>; withSize?: boolean } = {}): Promise<UrlEntry[]> {
  const t = await open(url, opts.fsConfig);
  try {
    const s = await stat(t);
    if (s.kind === 'missing') throw new UrlMissingError(url);
    if (s.kind === 'file' || opts.maxdepth === 0) {
      const { schemeOf } = await import('../fs/registry.js');
      // DVC names a local file by the path as given, joined to the current folder.
      const name = schemeOf(url) === 'local' && !url.startsWith('/') ? `${process.cwd()}/${url}` : url;
      return [{ path: name, isdir: false }];
    }
    const depth = opts.recursive ? (opts.maxdepth ?? Infinity) : 1;
    const seen = new Map<string, UrlEntry>();
    for (const f of s.files) {
      const parts = f.split('/');
      if (parts.length <= depth) {
        seen.set(f, { path: f, isdir: false, size: opts.withSize ? await t.fs.size(`${t.name}/${f}`) : undefined });
      } else {
        const d = parts.slice(0, depth).join('/');
        if (!seen.has(d)) seen.set(d, { path: d, isdir: true });
      }
    }
    return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    await t.fs.close();
  }
}

/** `dvc get-url URL [OUT]`: downloads a file or folder, atomically (temp name, then rename). */
export async function getUrl(url: string, out: string | undefined, opts: { force?: boolean; fsConfig?: Record<string, string> } = {}): Promise<string> {
  const dest = resolve(resolveOutput(url, out, opts.force));
  const t = await open(url, opts.fsConfig);
  const tmp = `${dest}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  try {
    const s = await stat(t);
    if (s.kind === 'missing') throw new UrlMissingError(url);
    mkdirSync(dirname(dest), { recursive: true });
    const copy = async (from: string, to: string) => {
      mkdirSync(dirname(to), { recursive: true });
      await pipeline(await t.fs.read(from), createWriteStream(to, { flags: 'wx' }));
    };
    if (s.kind === 'file') await copy(t.name, tmp);
    else {
      mkdirSync(tmp);
      for (const f of s.files) await copy(`${t.name}/${f}`, join(tmp, ...f.split('/')));
    }
    try {
      renameSync(tmp, dest);
    } catch (e) {
      if (!opts.force) throw new FileExistsLocallyError(out ?? basename(dest));
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
      void e;
    }
    return dest;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await t.fs.close();
  }
}
