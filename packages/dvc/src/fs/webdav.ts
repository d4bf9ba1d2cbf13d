/**
 * DVC's `webdav(s)://` remote: listing by PROPFIND Depth 1 (servers such as nginx refuse Depth
 * infinity, so folders are walked one level at a time, several at once: types.ts walkSteps),
 * folders made with MKCOL (trailing slash, parents first), uploads to a temporary name in the
 * target folder and then MOVE onto the final name, so an interrupted upload never leaves a partial
 * object there.
 *
 * Every request (PROPFIND Depth 1 of a folder, PROPFIND Depth 0 for a size, GET, PUT, MOVE,
 * DELETE, MKCOL) is sent straight on http.ts's keep-alive client. The listings used to go through
 * the `webdav` npm client (node-fetch, its own XML walk and path library): about half the client
 * CPU of a listing. They are the same requests now, read the same way (one fast-xml-parser parse
 * per folder, names decoded as that client decoded them), with the same errors.
 *
 * Options (as DVC's): user, password, token (bearer), custom_auth_header (header name; the password
 * is its value), ssl_verify, timeout (connect and read timeout, seconds; timeouts.ts).
 *
 * Temp files of uploads that were killed (`<name>.copper-tmp-<16 hex>`) are never listed, and
 * `removeStaleTemps` (dvc gc) deletes the old ones.
 */
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { RemoteError } from '../errors.js';
import { bool, HttpClient, HttpStatusError, joinUrl, readText, redact, type RemoteOptions } from './http.js';
import { walkSteps, type FileSystem, type FileStat as FsStat, type ListPage, type ListStep } from './types.js';
import { remoteTimeouts } from './timeouts.js';
import { sizeChecked } from './remote-errors.js';

const TMP_RE = /\.copper-tmp-[0-9a-f]{16}$/;
const REDIRECT = new Set([301, 302, 307, 308]);

/** A member of a listed folder: its path below the remote's root, and its last-modified date. */
interface Entry {
  rel: string;
  dir: boolean;
  lastmod: string | undefined;
}

/**
 * The XML parser of the listings, with the options the `webdav` client gave fast-xml-parser
 * (namespace prefixes dropped, entities decoded, values trimmed), less the two that cost time and
 * change nothing read here: paths kept as strings (`jPath: false`), values never turned into
 * numbers (an href or a date is no number; the sizes are not read).
 */
let parser: XMLParser | undefined;
function makeParser(): XMLParser {
  return new XMLParser({
    allowBooleanAttributes: true,
    attributeNamePrefix: '@',
    textNodeName: 'text',
    ignoreAttributes: false,
    removeNSPrefix: true,
    jPath: false,
    parseTagValue: false,
  });
}

/** A path with a leading slash and no trailing one ('/' stays '/'), as the `webdav` client has them. */
function normalisePath(p: string): string {
  const s = p.startsWith('/') ? p : '/' + p;
  return s.length > 1 && s.endsWith('/') ? s.slice(0, -1) : s;
}

/** The first of a repeated element, or the element. */
function first<T>(v: T | T[] | undefined): T | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A request that got no answer, as node-fetch (under the `webdav` client) worded it: its message,
 * and the system error's code (retry.ts retries by it).
 */
function fetchError(message: string, cause: unknown): Error {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return Object.assign(new Error(message), typeof code === 'string' ? { code, errno: code } : {});
}

/** The socket's own words for a failed request (http.ts puts the method and URL before a timeout's). */
function reason(err: unknown, url: string): string {
  const m = (err as Error)?.message ?? String(err);
  const pre = `PROPFIND ${redact(url)}: `;
  return m.startsWith(pre) ? m.slice(pre.length) : m;
}

interface StatusError extends Error {
  status?: number;
}

export class WebdavFileSystem implements FileSystem {
  readonly protocol: string = 'webdav';
  readonly url: string;
  /** Keep-alive client of every request. */
  private readonly http: HttpClient;
  /** Authentication headers the HttpClient does not make itself (a bearer token). */
  private readonly authHeaders: Record<string, string> = {};
  /** http(s) URL of the remote's folder (encoded, no trailing slash). */
  private readonly httpUrl: string;
  private readonly dirs = new Map<string, Promise<void>>();
  /** scheme://host:port of the server, and the remote's folder below it (no slashes around). */
  private readonly origin: string;
  private readonly basePath: string;
  /** The remote's folder as the hrefs of a listing start with (encoded, slashes around). */
  private readonly serverBase: string;

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
    this.serverBase = posix.join(normalisePath(new URL(httpUrl).pathname || '/'), '/');

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
    if (token) this.authHeaders.authorization = `Bearer ${String(options.token)}`;
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

  /** An error answer as the `webdav` client worded it (status on the error; body drained). */
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
      if (e.dir) page.next.push({ prefix: e.rel });
      else if (!TMP_RE.test(e.rel)) page.files.push(e.rel);
    }
    return page;
  }

  /**
   * The entries of a folder (a missing folder has none): one PROPFIND Depth 1, read whole and
   * parsed once. Request, names and errors as the `webdav` client's getDirectoryContents had them:
   * the folder's URL without a trailing slash (redirects on the same server followed), hrefs made
   * relative to the remote's folder and percent-decoded, the folder itself left out, an error
   * answer (4xx/5xx) the same error, a request that got no answer worded as node-fetch worded it.
   */
  private async folder(prefix: string): Promise<Entry[]> {
    const p = prefix.replace(/^\/+|\/+$/g, '');
    let url = p ? joinUrl(this.httpUrl, p) : this.httpUrl;
    let text: string;
    try {
      for (let hops = 0; ; hops++) {
        let res: http.IncomingMessage;
        try {
          res = await this.http.request('PROPFIND', url, {
            headers: { ...this.authHeaders, accept: 'text/plain,application/xml', depth: '1' },
          });
        } catch (err) {
          throw fetchError(`request to ${new URL(url).href} failed, reason: ${reason(err, url)}`, err);
        }
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECT.has(status) && location && hops < 20 && new URL(location, url).origin === new URL(url).origin) {
          res.resume();
          url = new URL(location, url).href;
          continue;
        }
        if (status === 404 || status === 409) {
          res.resume();
          return [];
        }
        if (status >= 400) throw WebdavFileSystem.answer(res);
        try {
          text = await readText(res);
        } catch (err) {
          throw fetchError(`Invalid response body while trying to fetch ${new URL(url).href}: ${(err as Error).message}`, err);
        }
        break;
      }
      if (!text) throw new Error('Failed parsing directory contents: Empty response');
    } catch (err) {
      this.fail('PROPFIND', p, err);
    }
    return this.entries(text, p);
  }

  /** The members of folder `p` in a multistatus answer (see `folder`). */
  private entries(xml: string, p: string): Entry[] {
    const doc = (parser ??= makeParser()).parse(xml) as { multistatus?: unknown };
    let ms = doc.multistatus;
    if (ms === '') return [];
    if (!ms) throw new Error('Invalid response: No root multistatus found');
    if (Array.isArray(ms)) ms = ms[0];
    const responses = (ms as { response?: unknown }).response;
    const self = p ? '/' + p : '';
    const base = this.serverBase === '/' ? undefined : decodeURIComponent(this.serverBase);
    const out: Entry[] = [];
    for (const r of responses === undefined ? [] : Array.isArray(responses) ? responses : [responses]) {
      const item = (r ?? {}) as { href?: unknown; propstat?: unknown };
      const href = String(item.href).replace(/^https?:\/\/[^/]+/, '');
      const filename =
        base === undefined ? decodeURIComponent(normalisePath(href)) : normalisePath(posix.relative(base, decodeURIComponent(href)));
      const name = posix.basename(filename);
      const propstat = first(item.propstat) as { prop?: unknown } | undefined;
      const props = (first(propstat?.prop) ?? {}) as Record<string, unknown>;
      const rt = props.resourcetype;
      const dir = !!rt && typeof rt === 'object' && (rt as Record<string, unknown>).collection !== undefined;
      if (!name || (dir && filename === self)) continue;
      const lastmod = props.getlastmodified;
      out.push({ rel: (p ? p + '/' : '') + name, dir, lastmod: typeof lastmod === 'string' ? lastmod : undefined });
    }
    return out;
  }

  async removeStaleTemps(prefix: string, olderThanMs: number, owned: (finalPath: string) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    const now = Date.now();
    const walk = async (step: ListStep): Promise<ListPage> => {
      const next: ListStep[] = [];
      for (const e of await this.folder(step.prefix)) {
        if (e.dir) next.push({ prefix: e.rel });
        else if (TMP_RE.test(e.rel) && owned(e.rel.replace(TMP_RE, '')) && now - Date.parse(e.lastmod ?? '') > olderThanMs) {
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
