/**
 * HDFS through the WebHDFS REST API (`webhdfs://[user@]host[:port]/path`, port 9870 by default;
 * `hdfs://` URLs are served the same way: the RPC port of an `hdfs://` URL is not HTTP, so the
 * namenode's web port comes from the `webhdfs_port` option, default 9870).
 *
 * Operations: GETFILESTATUS (exists/size), LISTSTATUS (walked recursively), OPEN and CREATE (both
 * answered by the namenode with a 307 redirect to a datanode, which then serves or takes the
 * bytes), RENAME, DELETE, MKDIRS. HDFS shows a file while it is being written, so uploads go to a
 * temporary name in the target folder and are RENAMEd onto the final name when complete.
 *
 * Options (as DVC's webhdfs remote): user (sent as `user.name`), token (a delegation token),
 * password (basic auth), use_https, ssl_verify. Connect/read timeouts: the defaults of
 * timeouts.ts (DVC has no webhdfs option for them; a program may pass connect_timeout and
 * read_timeout). Temp files of killed uploads are never listed; `removeStaleTemps` (dvc gc)
 * deletes the old ones.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { RemoteError } from '../errors.js';
import { bool, HttpClient, HttpStatusError, readText, redact, type RemoteOptions } from './http.js';
import { sizeChecked } from './remote-errors.js';
import { walkSteps, type FileSystem, type ListPage, type ListStep } from './types.js';

const TMP_RE = /\.copper-tmp-[0-9a-f]{16}$/;

interface HdfsFileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  /** ms since the epoch. */
  modificationTime?: number;
}

export class WebhdfsFileSystem implements FileSystem {
  readonly protocol = 'webhdfs';
  readonly url: string;
  private readonly base: string;
  private readonly root: string;
  private readonly user: string | undefined;
  private readonly token: string | undefined;
  private readonly client: HttpClient;

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    const scheme = u.protocol.replace(/:$/, '');
    if (scheme !== 'webhdfs' && scheme !== 'hdfs' && scheme !== 'swebhdfs') throw new RemoteError(`not an hdfs/webhdfs URL: ${url}`);
    const https = scheme === 'swebhdfs' || bool(options.use_https, false);
    let port = u.port;
    if (scheme === 'hdfs') port = String(options.webhdfs_port ?? 9870);
    else if (!port) port = https ? '9871' : '9870';
    this.user = options.user !== undefined ? String(options.user) : u.username ? decodeURIComponent(u.username) : undefined;
    this.token = options.token !== undefined ? String(options.token) : undefined;
    this.base = `${https ? 'https' : 'http'}://${u.hostname}:${port}/webhdfs/v1`;
    this.root = u.pathname.replace(/\/+$/, '');
    this.url = `${scheme}://${u.host}${this.root}`;
    const httpOpts: RemoteOptions = {
      ssl_verify: options.ssl_verify,
      connect_timeout: options.connect_timeout,
      read_timeout: options.read_timeout,
    };
    if (options.password !== undefined) {
      httpOpts.auth = 'basic';
      httpOpts.user = this.user ?? '';
      httpOpts.password = String(options.password);
    }
    this.client = HttpClient.fromRemoteOptions(httpOpts);
  }

  private opUrl(path: string, op: string, params: Record<string, string> = {}): string {
    const full = (this.root + '/' + path).replace(/\/+$/, '') || '/';
    const q = new URLSearchParams({ op, ...params });
    if (this.token) q.set('delegation', this.token);
    else if (this.user) q.set('user.name', this.user);
    return this.base + full.split('/').map(encodeURIComponent).join('/') + '?' + q.toString();
  }

  private absolute(path: string): string {
    return (this.root + '/' + path).replace(/\/+$/, '') || '/';
  }

  /** Throws a readable error for a WebHDFS RemoteException answer. */
  private async fail(method: string, url: string, res: IncomingMessage): Promise<never> {
    const status = res.statusCode ?? 0;
    const text = await readText(res, 4000);
    let message = text;
    let exception = '';
    try {
      const j = JSON.parse(text) as { RemoteException?: { message?: string; exception?: string } };
      message = j.RemoteException?.message ?? text;
      exception = j.RemoteException?.exception ?? '';
    } catch {
      /* not JSON */
    }
    if (status === 401 || status === 403 || exception === 'AccessControlException' || exception === 'SecurityException') {
      throw new RemoteError(`${method} ${redact(url)}: access denied (HTTP ${status}${message ? `: ${message.trim()}` : ''})`);
    }
    if (status === 404 || exception === 'FileNotFoundException') {
      throw Object.assign(new Error(message || 'not found'), { code: 'ENOENT', status });
    }
    throw new HttpStatusError(method, url, status, res.statusMessage ?? '', message.trim().slice(0, 300));
  }

  private async json<T>(method: string, url: string): Promise<T> {
    const res = await this.client.request(method, url);
    if ((res.statusCode ?? 0) >= 300) await this.fail(method, url, res);
    return JSON.parse(await readText(res)) as T;
  }

  private async status(path: string): Promise<HdfsFileStatus | undefined> {
    try {
      const r = await this.json<{ FileStatus: HdfsFileStatus }>('GET', this.opUrl(path, 'GETFILESTATUS'));
      return r.FileStatus;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.status(path))?.type === 'FILE';
  }

  async size(path: string): Promise<number | undefined> {
    const st = await this.status(path);
    return st?.type === 'FILE' ? st.length : undefined;
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s));
  }

  /** One LISTSTATUS: the folder's files, and its subfolders as the next steps. */
  async listStep(step: ListStep): Promise<ListPage> {
    const page: ListPage = { files: [], next: [] };
    for (const { rel, e } of await this.folder(step.prefix)) {
      if (e.type === 'DIRECTORY') page.next.push({ prefix: rel });
      else if (!TMP_RE.test(rel)) page.files.push(rel);
    }
    return page;
  }

  private async folder(prefix: string): Promise<Array<{ rel: string; e: HdfsFileStatus }>> {
    const p = prefix.replace(/\/+$/, '');
    let entries: HdfsFileStatus[];
    try {
      const r = await this.json<{ FileStatuses: { FileStatus: HdfsFileStatus[] } }>('GET', this.opUrl(p, 'LISTSTATUS'));
      entries = r.FileStatuses.FileStatus;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    // LISTSTATUS of a file answers the file itself with an empty pathSuffix.
    return entries.map((e) => ({ rel: e.pathSuffix ? (p ? `${p}/${e.pathSuffix}` : e.pathSuffix) : p, e }));
  }

  async removeStaleTemps(prefix: string, olderThanMs: number, owned: (finalPath: string) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    const now = Date.now();
    const walk = async (step: ListStep): Promise<ListPage> => {
      const next: ListStep[] = [];
      for (const { rel, e } of await this.folder(step.prefix)) {
        if (e.type === 'DIRECTORY') next.push({ prefix: rel });
        else if (TMP_RE.test(rel) && owned(rel.replace(TMP_RE, '')) && now - (e.modificationTime ?? now) > olderThanMs) {
          await this.delete(rel);
          removed.push(rel);
        }
      }
      return { files: [], next };
    };
    for await (const f of walkSteps(prefix, walk)) void f;
    return removed;
  }

  /** Follows the namenode's redirect(s) to the datanode. */
  private async redirected(method: string, url: string): Promise<string> {
    const res = await this.client.request(method, url);
    const status = res.statusCode ?? 0;
    if (status === 307 || status === 302 || status === 303 || status === 301) {
      res.resume();
      const loc = res.headers.location;
      if (!loc) throw new HttpStatusError(method, url, status, 'redirect without Location');
      return new URL(loc, url).toString();
    }
    if (status >= 200 && status < 300) {
      // Some gateways (HttpFS) answer directly: the caller repeats the request with data=true.
      res.resume();
      return url + '&data=true';
    }
    return this.fail(method, url, res);
  }

  async read(path: string): Promise<Readable> {
    const loc = await this.redirected('GET', this.opUrl(path, 'OPEN'));
    const res = await this.client.request('GET', loc);
    if ((res.statusCode ?? 0) !== 200) await this.fail('GET', loc, res);
    return res;
  }

  private async put(path: string, data: Readable, size?: number): Promise<void> {
    const loc = await this.redirected('PUT', this.opUrl(path, 'CREATE', { overwrite: 'true' }));
    const init: { body: Readable; size?: number; headers: Record<string, string> } = {
      // A source that is not its declared size (a file changed while sent) is never renamed into place.
      body: size === undefined ? data : sizeChecked(data, size, `${this.url}/${path}`),
      headers: { 'content-type': 'application/octet-stream' },
    };
    if (size !== undefined) init.size = size;
    const res = await this.client.request('PUT', loc, init);
    if ((res.statusCode ?? 0) >= 300) await this.fail('PUT', loc, res);
    res.resume();
  }

  async write(path: string, data: Readable, size?: number): Promise<void> {
    const tmp = `${path}.copper-tmp-${randomBytes(8).toString('hex')}`;
    try {
      await this.put(tmp, data, size);
      const r = await this.json<{ boolean: boolean }>(
        'PUT',
        this.opUrl(tmp, 'RENAME', { destination: this.absolute(path) }),
      );
      if (!r.boolean) {
        // HDFS does not rename onto an existing file: replace it.
        await this.delete(path);
        const again = await this.json<{ boolean: boolean }>('PUT', this.opUrl(tmp, 'RENAME', { destination: this.absolute(path) }));
        if (!again.boolean) throw new RemoteError(`could not rename ${tmp} to ${path} on ${this.url}`);
      }
    } catch (err) {
      await this.delete(tmp).catch(() => undefined);
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.json<{ boolean: boolean }>('DELETE', this.opUrl(path, 'DELETE', { recursive: 'false' }));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
