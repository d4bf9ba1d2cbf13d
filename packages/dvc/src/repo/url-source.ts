/**
 * The source of `dvc import-url` and `dvc add --to-remote`: a file or folder at a URL (s3://,
 * azure://, gs://, ssh://, http(s)://, webdav(s)://, or `remote://NAME/path` through a configured
 * remote), read through the remote file systems, and the dependency DVC records for it.
 *
 * What DVC records per backend (dvc-data's Meta.from_info and each file system's PARAM_CHECKSUM):
 *   s3       etag: the ETag without its quotes
 *   azure    etag: the ETag, quoted
 *   gs       etag: the base64 ETag as hex (and version_id: the generation)
 *   http(s)  checksum: the ETag header as sent (or Content-MD5)
 *   webdav   etag: the getetag property as sent
 *   ssh      md5: the md5 of the bytes
 * then `size`. A folder is recorded as the md5 of its manifest of those values
 * (`[{"etag": ..., "relpath": ...}]`), `md5: <x>.dir`, with `size` and `nfiles`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DvcError } from '../errors.js';
import type { FileStat, FileSystem } from '../fs/types.js';
import { parallel } from '../sync/transfer.js';
import type { LocalObjectStore } from '../odb/local.js';
import { compareCodePoints, pyJsonString } from '../tree/manifest.js';
import type { Repo } from './repo.js';

/** The key DVC records a source's files under, per URL scheme (PARAM_CHECKSUM). */
const CHECKSUM: Record<string, 'etag' | 'checksum' | 'md5'> = {
  s3: 'etag',
  azure: 'etag',
  gs: 'etag',
  http: 'checksum',
  https: 'checksum',
  webdav: 'etag',
  webdavs: 'etag',
  ssh: 'md5',
};

export class UrlSourceError extends DvcError {}

export interface UrlSource {
  /** The URL as given (recorded as the dependency's path). */
  url: string;
  protocol: string;
  fs: FileSystem;
  /** The file or folder inside `fs` ('' never: `fs` is opened at the URL's parent). */
  name: string;
  close(): Promise<void>;
}

/** True for a URL import-url reads through a remote file system (not a local path). */
export function isRemoteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^file:\/\//i.test(url);
}

/**
 * Opens the source at `url` with `fsConfig` as its options (`--fs-config`). `remote://NAME/path`
 * takes NAME's URL and options (DVC's remote references), `fsConfig` over them.
 */
export async function openUrlSource(repo: Repo, url: string, fsConfig: Record<string, unknown> = {}, jobs?: number): Promise<UrlSource> {
  const { openRemoteFs, schemeOf } = await import('../fs/registry.js');
  let target = url;
  let options: Record<string, unknown> = { ...fsConfig };
  const ref = /^remote:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (ref) {
    const rc = repo.config.remote(ref[1]!, repo.root);
    target = ref[2] ? `${rc.url.replace(/\/+$/, '')}/${ref[2]}` : rc.url;
    const { url: _u, ...rest } = rc.options as Record<string, unknown>;
    void _u;
    options = { ...rest, ...fsConfig };
  }
  const protocol = schemeOf(target);
  if (protocol === 'local' || protocol === 'file') throw new UrlSourceError(`'${url}' is a local path`);
  if (/^(hdfs|webhdfs|swebhdfs)$/.test(protocol)) {
    throw new UrlSourceError(`importing from ${protocol}:// is not supported: DVC records HDFS files by a checksum only Python's HDFS client computes`);
  }
  if (!CHECKSUM[protocol]) throw new UrlSourceError(`unsupported URL scheme '${protocol}://' in '${url}'`);
  const trimmed = target.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0 || trimmed.slice(0, i).endsWith('/')) throw new UrlSourceError(`'${url}' names no file or folder`);
  const fs = await openRemoteFs(trimmed.slice(0, i), options as Record<string, string>, jobs ? { jobs } : {});
  return { url, protocol, fs, name: decodeURIComponent(trimmed.slice(i + 1)), close: () => fs.close() };
}

export type SourceShape = { kind: 'file'; size: number; stat?: FileStat } | { kind: 'dir'; files: string[] } | { kind: 'missing' };

/** Whether the source is a file (with its size), a folder (its files, relative), or missing. */
export async function sourceShape(src: UrlSource): Promise<SourceShape> {
  const st = src.fs.info ? await src.fs.info(src.name) : undefined;
  if (st) return { kind: 'file', size: st.size, stat: st };
  if (!src.fs.info) {
    const size = await src.fs.size(src.name);
    if (size !== undefined) return { kind: 'file', size };
  }
  const files: string[] = [];
  try {
    for await (const p of src.fs.list(src.name)) if (p.startsWith(src.name + '/')) files.push(p.slice(src.name.length + 1));
  } catch (e) {
    if ((e as { code?: string })?.code !== 'ENOTSUP') throw e;
  }
  if (!files.length) return { kind: 'missing' };
  return { kind: 'dir', files: files.sort(compareCodePoints) };
}

async function streamMd5(fs: FileSystem, path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of await fs.read(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The value DVC records for one file (dvc-data Meta.from_info), and its version if any. */
async function fileValue(src: UrlSource, path: string, stat: FileStat | undefined, md5?: string): Promise<{ value: string; versionId?: string }> {
  const name = CHECKSUM[src.protocol]!;
  const p = src.protocol;
  if (name === 'md5') return { value: md5 ?? (await streamMd5(src.fs, path)) };
  const st = stat ?? (src.fs.info ? await src.fs.info(path) : undefined);
  let value: string | undefined;
  let versionId: string | undefined;
  if (p === 's3') {
    value = st?.etag?.replace(/^"+|"+$/g, '');
    versionId = st?.versionId;
  } else if (p === 'azure') {
    value = st?.etag && !st.etag.startsWith('"') ? `"${st.etag}"` : st?.etag;
  } else if (p === 'gs') {
    value = st?.etag ? Buffer.from(st.etag, 'base64').toString('hex') : undefined;
    versionId = st?.versionId;
  } else if (p === 'http' || p === 'https') {
    value = st?.etag ?? st?.contentMd5;
  } else {
    value = st?.etag;
  }
  if (!value) {
    const what = name === 'checksum' ? 'ETag or Content-MD5 header' : 'ETag';
    throw new UrlSourceError(`'${src.url}${path === src.name ? '' : '/' + path.slice(src.name.length + 1)}' has no ${what} to record: the server does not send one`);
  }
  return versionId ? { value, versionId } : { value };
}

/**
 * The dependency fields DVC records for the source, in DVC's order (without `hash` and `path`).
 * `md5s` gives the md5 of files already downloaded (ssh records md5s: not read twice).
 */
export async function sourceDep(
  src: UrlSource,
  shape: SourceShape,
  opts: { store?: LocalObjectStore; jobs?: number; md5s?: Map<string, string> } = {},
): Promise<Record<string, unknown>> {
  const name = CHECKSUM[src.protocol]!;
  if (shape.kind === 'missing') throw new UrlSourceError(`dependency '${src.url}' does not exist`);
  if (shape.kind === 'file') {
    const v = await fileValue(src, src.name, shape.stat, opts.md5s?.get(''));
    const r: Record<string, unknown> = { [name]: v.value, size: shape.size };
    if (v.versionId) r.version_id = v.versionId;
    return r;
  }
  const values: string[] = new Array(shape.files.length);
  const sizes: number[] = new Array(shape.files.length);
  await parallel(
    shape.files.map((f, i) => ({ f, i })),
    opts.jobs ?? 16,
    async ({ f, i }) => {
      const path = `${src.name}/${f}`;
      const st = src.fs.info ? await src.fs.info(path) : undefined;
      sizes[i] = st?.size ?? (await src.fs.size(path)) ?? 0;
      values[i] = (await fileValue(src, path, st, opts.md5s?.get(f))).value;
    },
  );
  const text = '[' + shape.files.map((f, i) => `{${pyJsonString(name)}: ${pyJsonString(values[i]!)}, "relpath": ${pyJsonString(f)}}`).join(', ') + ']';
  const oid = createHash('md5').update(text, 'utf8').digest('hex') + '.dir';
  // As DVC: the manifest of a folder source is kept in the cache.
  opts.store?.addBytes(oid, text);
  return { md5: oid, size: sizes.reduce((a, b) => a + b, 0), nfiles: shape.files.length };
}

/** Downloads the source to `dest` (a file, or a folder of its files), `jobs` files at a time. */
export async function downloadSource(src: UrlSource, shape: SourceShape, dest: string, jobs = 16): Promise<void> {
  const copy = async (from: string, to: string) => {
    mkdirSync(dirname(to), { recursive: true });
    await pipeline(await src.fs.read(from), createWriteStream(to, { flags: 'wx' }));
  };
  if (shape.kind === 'missing') throw new UrlSourceError(`dependency '${src.url}' does not exist`);
  if (shape.kind === 'file') return copy(src.name, dest);
  mkdirSync(dest, { recursive: true });
  await parallel(shape.files, jobs, (f) => copy(`${src.name}/${f}`, join(dest, ...f.split('/'))));
}

/** A fresh temp path inside the repository's `.dvc/tmp`. */
export function tempPath(repo: Repo, tag: string): string {
  mkdirSync(repo.tmpDir, { recursive: true });
  return join(repo.tmpDir, `${tag}-${randomBytes(6).toString('hex')}`);
}

/** True for schemes whose files are recorded by their md5 (the dependency equals the data). */
export function recordsMd5(protocol: string): boolean {
  return CHECKSUM[protocol] === 'md5';
}
