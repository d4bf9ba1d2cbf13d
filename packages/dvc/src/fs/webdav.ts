/**
 * DVC's `webdav(s)://` remote: listing by PROPFIND Depth 1 over the `webdav` client (servers such
 * as nginx refuse Depth infinity, so folders are walked one level at a time), folders made with
 * MKCOL (trailing slash, parents first), uploads to a temporary name in the target folder and then
 * MOVE onto the final name, so an interrupted upload never leaves a partial object there.
 *
 * The per-object requests (PROPFIND Depth 0 for a size, GET, PUT, MOVE, DELETE, MKCOL) are sent
 * straight on http.ts's keep-alive client, not through the `webdav` client's fetch layer and XML
 * parser: a third of the client CPU per object (bench/fs-ops.ts). Same requests, same headers,
 * same answers read the same way, same errors.
 *
 * Options (as DVC's): user, password, token (bearer), custom_auth_header (header name; the password
 * is its value), ssl_verify, timeout (connect and read timeout, seconds; timeouts.ts).
 *
 * Temp files of uploads that were killed (`<name>.copper-tmp-<16 hex>`) are never listed, and
 * `removeStaleTemps` (dvc gc) deletes the old ones.
 */
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AuthType, createClient, type FileStat, type WebDAVClient, type WebDAVClientOptions } from 'webdav';
import { RemoteError } from '../errors.js';
import { bool, HttpClient, HttpStatusError, joinUrl, readText, redact, type RemoteOptions } from './http.js';
import { walkSteps, type FileSystem, type FileStat as FsStat, type ListPage, type ListStep } from './types.js';
import { remoteTimeouts } from './timeouts.js';
import { sizeChecked } from './remote-errors.js';

const TMP_RE = /\.copper-tmp-[0-9a-f]{16}$/;

interface StatusError extends Error {
  status?: number;
}

export class WebdavFileSystem implements FileSystem {
  readonly protocol: string = 'webdav';
  readonly url: string;
  private readonly client: WebDAVClient;
  /** Keep-alive client of the per-object requests (its sockets are the `webdav` client's too). */
  private readonly http: HttpClient;
  /** Authentication headers the HttpClient does not make itself (a bearer token). */
  private readonly authHeaders: Record<string, string> = {};
  /** http(s) URL of the remote's folder (encoded, no trailing slash). */
  private readonly httpUrl: string;
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

    this.httpUrl = httpUrl;
    const t = remoteTimeouts(this.protocol, options);
    const sv = options.ssl_verify;
    const sslVerify: boolean | string =
      typeof sv === 'string' && sv !== '' && !['true', 'false', '0', '1', 'yes', 'no'].includes(sv.toLowerCase()) ? sv : bool(sv, true);
    const token = options.token !== undefined;
    const custom = !token && options.custom_auth_header !== undefined;
    this.http = new HttpClient({
      ...(custom ? { auth: 'custom' as const, customAuthHeader: String(options.custom_auth_header), password: password ?? '' } : {}),
      ...(!token && !custom && user !== undefined ? { auth: 'basic' as const, user, password: password ?? '' } : {}),
      sslVerify,
      connectTimeoutMs: t.connectMs,
      readTimeoutMs: t.readMs,
    });
    const opts: WebDAVClientOptions = { ...this.http.agents() };
    const headers: Record<string, string> = {};
    if (token) {
      opts.authType = AuthType.Token;
      opts.token = { access_token: String(options.token), token_type: 'Bearer' };
      this.authHeaders.authorization = `Bearer ${String(options.token)}`;
    } else if (custom) {
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

  /** The URL of `path` below the remote's folder. */
  private href(path: string): string {
    return joinUrl(this.httpUrl, path);
  }

  /** One request on the keep-alive client; non-2xx answers come back as they are. */
  private send(method: string, path: string, headers: Record<string, string> = {}, body?: Readable, size?: number): Promise<http.IncomingMessage> {
    return this.http.request(method, this.href(path), {
      headers: { ...this.authHeaders, ...headers },
      ...(body ? { body } : {}),
      ...(size !== undefined ? { size } : {}),
    });
  }

  /** An error answer as the `webdav` client words it (status on the error; body drained). */
  private static answer(res: http.IncomingMessage): StatusError {
    res.resume();
    const status = res.statusCode ?? 0;
    return Object.assign(new Error(`Invalid response: ${status} ${res.statusMessage ?? ''}`), { status });
  }

  /** PROPFIND Depth 0: the entry's type, size and etag, or undefined when it does not exist. */
  private async stat(path: string): Promise<{ file: boolean; size: number; etag?: string } | undefined> {
    let text: string;
    try {
      const res = await this.send('PROPFIND', path, { accept: 'text/plain,application/xml', depth: '0' });
      if (res.statusCode === 404) {
        res.resume();
        return undefined;
      }
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw WebdavFileSystem.answer(res);
      text = await readText(res);
    } catch (err) {
      this.fail('PROPFIND', path, err);
    }
    const prop = (name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>`, 'i').exec(text)?.[1];
    const file = !/<(?:[\w.-]+:)?collection\b/i.test(prop('resourcetype') ?? '');
    const etag = prop('getetag')?.trim().replace(/&quot;/g, '"').replace(/"/g, '');
    return { file, size: parseInt(prop('getcontentlength') ?? '0', 10), ...(etag ? { etag } : {}) };
  }

  async size(path: string): Promise<number | undefined> {
    const st = await this.stat(path);
    return st?.file ? st.size : undefined;
  }

  async info(path: string): Promise<FsStat | undefined> {
    const st = await this.stat(path);
    if (!st?.file) return undefined;
    return { size: st.size, ...(st.etag ? { etag: st.etag } : {}) };
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
    let res: http.IncomingMessage;
    try {
      res = await this.send('GET', path);
      if (res.statusCode === 404) {
        res.resume();
        throw Object.assign(new Error(`${path}: not found on ${this.url}`), { code: 'ENOENT' });
      }
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw WebdavFileSystem.answer(res);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw err;
      this.fail('GET', path, err);
    }
    return res;
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
      const res = await this.http.request('MKCOL', url, { headers: this.authHeaders });
      res.resume();
      return res.statusCode ?? 0;
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
      // A source that is not its declared size (a file changed while sent) is never moved into place.
      const body = size === undefined ? data : sizeChecked(data, size, `${this.url}/${path}`);
      const put = await this.send('PUT', tmp, { 'content-type': 'application/octet-stream' }, body, size);
      if ((put.statusCode ?? 0) < 200 || (put.statusCode ?? 0) >= 300) throw WebdavFileSystem.answer(put);
      put.resume();
      const move = await this.send('MOVE', tmp, { destination: this.href(path), overwrite: 'T' });
      if ((move.statusCode ?? 0) < 200 || (move.statusCode ?? 0) >= 300) throw WebdavFileSystem.answer(move);
      move.resume();
    } catch (err) {
      await this.send('DELETE', tmp).then((r) => r.resume(), () => undefined);
      if ((err as StatusError).status === 409) this.dirs.delete(dir);
      this.fail('PUT', path, err);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      const res = await this.send('DELETE', path);
      if (res.statusCode === 404) {
        res.resume();
        return;
      }
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw WebdavFileSystem.answer(res);
      res.resume();
    } catch (err) {
      this.fail('DELETE', path, err);
    }
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
