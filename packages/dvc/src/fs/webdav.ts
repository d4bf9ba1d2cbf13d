/**
 * DVC's `webdav(s)://` remote over the `webdav` client: listing by PROPFIND Depth 1 (servers such
 * as nginx refuse Depth infinity, so folders are walked one level at a time), folders made with
 * MKCOL (trailing slash, parents first), uploads to a temporary name in the target folder and then
 * MOVE onto the final name, so an interrupted upload never leaves a partial object there.
 *
 * Options (as DVC's): user, password, token (bearer), custom_auth_header (header name; the password
 * is its value), ssl_verify, timeout (connect and read timeout, seconds; timeouts.ts).
 *
 * Temp files of uploads that were killed (`<name>.copper-tmp-<16 hex>`) are never listed, and
 * `removeStaleTemps` (dvc gc) deletes the old ones.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { AuthType, createClient, type FileStat, type WebDAVClient, type WebDAVClientOptions } from 'webdav';
import { RemoteError } from '../errors.js';
import { bool, HttpStatusError, redact, type RemoteOptions } from './http.js';
import { walkSteps, type FileSystem, type FileStat as FsStat, type ListPage, type ListStep } from './types.js';
import { guardAgent, remoteTimeouts } from './timeouts.js';
import { sizeChecked } from './remote-errors.js';

const TMP_RE = /\.copper-tmp-[0-9a-f]{16}$/;

interface StatusError extends Error {
  status?: number;
}

export class WebdavFileSystem implements FileSystem {
  readonly protocol: string = 'webdav';
  readonly url: string;
  private readonly client: WebDAVClient;
  private readonly agents: Array<http.Agent>;
  private readonly dirs = new Map<string, Promise<void>>();
  /** scheme://host:port of the server, and the remote's folder below it (no slashes around). */
  private readonly origin: string;
  private readonly basePath: string;

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    const scheme = u.protocol.replace(/:$/, '');
    const secure = scheme === 'webdavs' || scheme === 'https';
    if (!['webdav', 'webdavs', 'http', 'https'].includes(scheme)) throw new RemoteError(`not a webdav URL: ${url}`);
    const user = options.user !== undefined ? String(options.user) : u.username ? decodeURIComponent(u.username) : undefined;
    const password =
      options.password !== undefined ? String(options.password) : u.password ? decodeURIComponent(u.password) : undefined;
    u.username = '';
    u.password = '';
    const httpUrl = `${secure ? 'https' : 'http'}://${u.host}${u.pathname.replace(/\/$/, '')}`;
    this.protocol = secure ? 'webdavs' : 'webdav';
    this.origin = `${secure ? 'https' : 'http'}://${u.host}`;
    this.basePath = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    this.url = httpUrl.replace(/^http/, 'webdav');

    const tls: https.AgentOptions = { keepAlive: true, maxSockets: 64 };
    const sv = options.ssl_verify;
    if (typeof sv === 'string' && sv !== '' && !['true', 'false', '0', '1', 'yes', 'no'].includes(sv.toLowerCase())) {
      tls.ca = readFileSync(sv);
    } else if (!bool(sv, true)) tls.rejectUnauthorized = false;
    const t = remoteTimeouts(this.protocol, options);
    const httpAgent = guardAgent(new http.Agent({ keepAlive: true, maxSockets: 64 }), t);
    const httpsAgent = guardAgent(new https.Agent(tls), t);
    this.agents = [httpAgent, httpsAgent];
    const opts: WebDAVClientOptions = { httpAgent, httpsAgent };
    const headers: Record<string, string> = {};
    if (options.token !== undefined) {
      opts.authType = AuthType.Token;
      opts.token = { access_token: String(options.token), token_type: 'Bearer' };
    } else if (options.custom_auth_header !== undefined) {
      headers[String(options.custom_auth_header)] = password ?? '';
    } else if (user !== undefined) {
      opts.authType = AuthType.Password;
      opts.username = user;
      opts.password = password ?? '';
    }
    opts.headers = headers;
    this.client = createClient(httpUrl, opts);
  }

  private fail(op: string, path: string, err: unknown): never {
    const status = (err as StatusError)?.status;
    if (status === 401 || status === 403) {
      throw new RemoteError(`${op} ${redact(this.url)}/${path}: access denied (HTTP ${status}); check the remote's user and password`);
    }
    if (typeof status === 'number') throw new HttpStatusError(op, `${this.url}/${path}`, status, (err as Error).message);
    throw err;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = (await this.client.stat('/' + path)) as FileStat;
      return st.type === 'file' ? st.size : undefined;
    } catch (err) {
      if ((err as StatusError).status === 404) return undefined;
      this.fail('PROPFIND', path, err);
    }
  }

  async info(path: string): Promise<FsStat | undefined> {
    try {
      const st = (await this.client.stat('/' + path)) as FileStat & { etag?: string | null };
      if (st.type !== 'file') return undefined;
      return { size: st.size, ...(st.etag ? { etag: st.etag } : {}) };
    } catch (err) {
      if ((err as StatusError).status === 404) return undefined;
      this.fail('PROPFIND', path, err);
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s));
  }

  /** One PROPFIND (Depth 1) of a folder: its files, and its subfolders as the next steps. */
  async listStep(step: ListStep): Promise<ListPage> {
    const page: ListPage = { files: [], next: [] };
    for (const e of await this.folder(step.prefix)) {
      if (e.type === 'directory') page.next.push({ prefix: e.rel });
      else if (!TMP_RE.test(e.rel)) page.files.push(e.rel);
    }
    return page;
  }

  /** The entries of a folder (a missing folder has none). */
  private async folder(prefix: string): Promise<Array<FileStat & { rel: string }>> {
    const p = prefix.replace(/^\/+|\/+$/g, '');
    let entries: FileStat[];
    try {
      entries = (await this.client.getDirectoryContents(p ? '/' + p + '/' : '/')) as FileStat[];
    } catch (err) {
      const s = (err as StatusError).status;
      if (s === 404 || s === 409) return [];
      this.fail('PROPFIND', p, err);
    }
    return entries.map((e) => Object.assign(e, { rel: (p ? p + '/' : '') + e.basename }));
  }

  async removeStaleTemps(prefix: string, olderThanMs: number, owned: (finalPath: string) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    const now = Date.now();
    const walk = async (step: ListStep): Promise<ListPage> => {
      const next: ListStep[] = [];
      for (const e of await this.folder(step.prefix)) {
        if (e.type === 'directory') next.push({ prefix: e.rel });
        else if (TMP_RE.test(e.rel) && owned(e.rel.replace(TMP_RE, '')) && now - Date.parse(e.lastmod) > olderThanMs) {
          await this.delete(e.rel);
          removed.push(e.rel);
        }
      }
      return { files: [], next };
    };
    for await (const f of walkSteps(prefix, walk)) void f;
    return removed;
  }

  async read(path: string): Promise<Readable> {
    let res: { body: Readable };
    try {
      res = (await this.client.customRequest('/' + path, { method: 'GET' })) as unknown as { body: Readable };
    } catch (err) {
      if ((err as StatusError).status === 404) {
        throw Object.assign(new Error(`${path}: not found on ${this.url}`), { code: 'ENOENT' });
      }
      this.fail('GET', path, err);
    }
    return res.body;
  }

  /** MKCOL `dir` (a path from the server's root) and, when the server answers 409, its parents. */
  private ensureDir(dir: string): Promise<void> {
    if (!dir) return Promise.resolve();
    let p = this.dirs.get(dir);
    if (!p) {
      p = this.mkcol(dir);
      this.dirs.set(dir, p);
      p.catch(() => this.dirs.delete(dir));
    }
    return p;
  }

  private async mkcol(dir: string): Promise<void> {
    const url = this.origin + '/' + dir.split('/').map(encodeURIComponent).join('/') + '/';
    const attempt = async (): Promise<number> => {
      try {
        const res = (await this.client.customRequest('', { method: 'MKCOL', url })) as unknown as { status: number };
        return res.status;
      } catch (err) {
        const s = (err as StatusError).status;
        if (typeof s === 'number') return s;
        throw err;
      }
    };
    let status = await attempt();
    if (status === 409) {
      await this.ensureDir(dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '');
      status = await attempt();
    }
    // 201 created; 405 (nginx, Apache) or 301 means it already exists.
    if (status === 405 || status === 301 || (status >= 200 && status < 300)) return;
    this.fail('MKCOL', dir, Object.assign(new Error(`HTTP ${status}`), { status }));
  }

  async write(path: string, data: Readable, size?: number): Promise<void> {
    const full = this.basePath ? `${this.basePath}/${path}` : path;
    const dir = full.slice(0, full.lastIndexOf('/'));
    await this.ensureDir(dir);
    const tmp = `${path}.copper-tmp-${randomBytes(8).toString('hex')}`;
    try {
      const opts: { overwrite: boolean; contentLength?: number } = { overwrite: true };
      if (size !== undefined) opts.contentLength = size;
      // A source that is not its declared size (a file changed while sent) is never moved into place.
      const body = size === undefined ? data : sizeChecked(data, size, `${this.url}/${path}`);
      await this.client.putFileContents('/' + tmp, body, opts);
      await this.client.moveFile('/' + tmp, '/' + path, { overwrite: true });
    } catch (err) {
      await this.client.deleteFile('/' + tmp).catch(() => undefined);
      if ((err as StatusError).status === 409) this.dirs.delete(dir);
      this.fail('PUT', path, err);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.client.deleteFile('/' + path);
    } catch (err) {
      if ((err as StatusError).status === 404) return;
      this.fail('DELETE', path, err);
    }
  }

  async close(): Promise<void> {
    for (const a of this.agents) a.destroy();
  }
}
