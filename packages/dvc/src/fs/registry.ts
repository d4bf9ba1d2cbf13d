/**
 * From a DVC remote (URL + its `remote "name"` options) to a FileSystem. Each kind's module, and
 * with it its cloud SDK, is imported only when a remote of that kind is opened, so commands that
 * never touch a remote (`dvc status`, `dvc add`) never load an SDK.
 *
 * Remote kinds are wrapped in retry.ts (transient errors retried with backoff, every attempt
 * bounded by the remote's connect/read timeouts, timeouts.ts) and, when `jobs` is
 * given, in limit.ts. Local folders are neither: their errors are not transient.
 */
import { RemoteError } from '../errors.js';
import type { FileSystem } from './types.js';
import { retrying, type RetryOptions } from './retry.js';
import { limited } from './limit.js';
import { remoteTimeouts } from './timeouts.js';

export type RemoteOptions = Record<string, string | number | boolean | undefined>;

export interface OpenOptions {
  /** Wrap the FileSystem in a concurrency limit of this many operations. */
  jobs?: number;
  /** Retry policy; `false` opens the bare backend. */
  retry?: RetryOptions | false;
}

type Opener = (url: string, options: RemoteOptions) => Promise<FileSystem>;

/** One line per scheme; each imports its module on first use. */
const openers: Record<string, Opener> = {
  s3: async (url, o) => new (await import('./s3.js')).S3FileSystem(url, o),
  azure: async (url, o) => new (await import('./azure.js')).AzureFileSystem(url, o),
  gs: async (url, o) => new (await import('./gs.js')).GsFileSystem(url, o),
  ssh: async (url, o) => new (await import('./ssh.js')).SshFileSystem(url, o),
  http: async (url, o) => new (await import('./http.js')).HttpFileSystem(url, o),
  https: async (url, o) => new (await import('./http.js')).HttpFileSystem(url, o),
  webdav: async (url, o) => new (await import('./webdav.js')).WebdavFileSystem(url, o),
  webdavs: async (url, o) => new (await import('./webdav.js')).WebdavFileSystem(url, o),
  hdfs: async (url, o) => new (await import('./webhdfs.js')).WebhdfsFileSystem(url, o),
  webhdfs: async (url, o) => new (await import('./webhdfs.js')).WebhdfsFileSystem(url, o),
  swebhdfs: async (url, o) => new (await import('./webhdfs.js')).WebhdfsFileSystem(url, o),
};

/** Adds or replaces the opener of a URL scheme (e.g. for a plugin or a test). */
export function registerScheme(scheme: string, opener: Opener): void {
  openers[scheme.toLowerCase()] = opener;
}

/** The URL scheme of a remote URL, or 'local' for a path. */
export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!m) return 'local';
  const s = m[1]!.toLowerCase();
  // A Windows drive letter ("C://") is a path, not a scheme.
  return s.length === 1 ? 'local' : s;
}

export function supportedSchemes(): string[] {
  return ['local', 'file', ...Object.keys(openers)];
}

/**
 * Opens the FileSystem of a remote. `url` is the remote's resolved URL (local paths absolute);
 * `options` are its config options. Errors opening it are RemoteErrors with one line.
 */
export async function openRemoteFs(url: string, options: RemoteOptions = {}, open: OpenOptions = {}): Promise<FileSystem> {
  const scheme = schemeOf(url);
  let fs: FileSystem;
  if (scheme === 'local' || scheme === 'file') {
    const { LocalFileSystem } = await import('./local.js');
    fs = new LocalFileSystem(scheme === 'file' ? decodeURIComponent(new URL(url).pathname) : url);
  } else {
    const opener = openers[scheme];
    if (!opener) throw new RemoteError(`unsupported remote URL scheme '${scheme}://' in '${url}' (supported: ${supportedSchemes().join(', ')})`);
    try {
      fs = await opener(url, options);
    } catch (e) {
      if (e instanceof RemoteError) throw e;
      throw new RemoteError(`cannot open remote '${url}': ${String((e as Error)?.message ?? e).split('\n')[0]}`, { cause: e });
    }
    if (open.retry !== false) {
      const t = remoteTimeouts(scheme, options);
      fs = retrying(fs, {
        ...(t.connectMs !== undefined ? { connectTimeoutMs: t.connectMs } : {}),
        ...(t.readMs !== undefined ? { readTimeoutMs: t.readMs } : {}),
        ...(open.retry ?? {}),
      });
    }
  }
  if (open.jobs !== undefined) fs = limited(fs, open.jobs);
  return fs;
}

/** The name remotes-2's sync layer looks for. */
export const openFileSystem = openRemoteFs;
