/**
 * DVC's `http(s)://` remote: objects are fetched with GET, probed with HEAD, uploaded with POST
 * (DVC's default) or PUT (`method = PUT`) and removed with DELETE. Plain HTTP cannot list a
 * folder, so `list` rejects with code 'ENOTSUP' and callers ask object by object instead.
 *
 * Options (as in DVC's `remote modify`): auth (basic | digest | custom), user, password,
 * custom_auth_header (the header name for `auth = custom`; the password is its value), method,
 * ssl_verify (true | false | path to a CA bundle), connect_timeout, read_timeout (seconds).
 *
 * The small request helper here (node:http/https with keep-alive agents, streaming both ways) is
 * shared with the WebHDFS backend.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { RemoteError } from '../errors.js';
import type { FileStat, FileSystem } from './types.js';
import { guardAgent, remoteTimeouts } from './timeouts.js';
import { sizeChecked } from './remote-errors.js';

export type RemoteOptions = Record<string, string | number | boolean | undefined>;

/** A non-2xx answer. `status` tells transient (5xx, 429) from permanent failures. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly statusCode: number;
  readonly code: string;
  constructor(method: string, url: string, status: number, statusText: string, detail = '') {
    super(`${method} ${redact(url)} failed: HTTP ${status} ${statusText}${detail ? ` - ${detail}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.statusCode = status;
    this.code = status === 404 ? 'ENOENT' : `EHTTP${status}`;
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export function bool(v: string | number | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  return !(s === 'false' || s === '0' || s === 'no' || s === 'off');
}

export interface RequestInit {
  headers?: Record<string, string>;
  body?: Readable | Buffer | string;
  /** Content-Length of a streamed body, when known (else chunked). */
  size?: number;
}

export interface HttpClientOptions {
  auth?: 'basic' | 'digest' | 'custom' | undefined;
  user?: string | undefined;
  password?: string | undefined;
  customAuthHeader?: string | undefined;
  /** false: accept any certificate; a string: path to a CA bundle. */
  sslVerify?: boolean | string;
  /** undefined: no limit (see timeouts.ts). */
  connectTimeoutMs?: number | undefined;
  readTimeoutMs?: number | undefined;
}

/** Keep-alive HTTP(S) client with basic/digest/custom authentication. */
export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private digest: { realm: string; nonce: string; qop?: string; opaque?: string; algorithm?: string } | undefined;
  private nc = 0;

  constructor(readonly opts: HttpClientOptions = {}) {
    const t = { connectMs: opts.connectTimeoutMs, readMs: opts.readTimeoutMs };
    this.httpAgent = guardAgent(new http.Agent({ keepAlive: true, maxSockets: 64 }), t);
    const tls: https.AgentOptions = { keepAlive: true, maxSockets: 64 };
    if (opts.sslVerify === false) tls.rejectUnauthorized = false;
    else if (typeof opts.sslVerify === 'string') tls.ca = readFileSync(opts.sslVerify);
    this.httpsAgent = guardAgent(new https.Agent(tls), t);
  }

  static fromRemoteOptions(o: RemoteOptions): HttpClient {
    const auth = o.auth === undefined ? undefined : String(o.auth).toLowerCase();
    if (auth !== undefined && auth !== 'basic' && auth !== 'digest' && auth !== 'custom') {
      throw new RemoteError(`unsupported http auth '${auth}' (use basic, digest or custom)`);
    }
    const sv = o.ssl_verify;
    let sslVerify: boolean | string = true;
    if (typeof sv === 'string' && sv !== '' && !['true', 'false', '0', '1', 'yes', 'no'].includes(sv.toLowerCase())) {
      sslVerify = sv;
    } else sslVerify = bool(sv, true);
    const t = remoteTimeouts('http', o);
    return new HttpClient({
      auth: auth as HttpClientOptions['auth'],
      user: o.user === undefined ? undefined : String(o.user),
      password: o.password === undefined ? undefined : String(o.password),
      customAuthHeader: o.custom_auth_header === undefined ? undefined : String(o.custom_auth_header),
      sslVerify,
      connectTimeoutMs: t.connectMs,
      readTimeoutMs: t.readMs,
    });
  }

  /** Sends one request; resolves with the response (any status). The caller consumes the body. */
  async request(method: string, url: string, init: RequestInit = {}): Promise<http.IncomingMessage> {
    if (this.opts.auth === 'digest' && !this.digest) await this.fetchDigestChallenge(url);
    const res = await this.send(method, url, init);
    if (res.statusCode === 401 && this.opts.auth === 'digest' && !(init.body && typeof init.body === 'object' && 'pipe' in init.body)) {
      // Stale nonce: take the new challenge and try once more (only for bodies we can resend).
      const challenge = res.headers['www-authenticate'];
      res.resume();
      if (typeof challenge === 'string' && /^digest/i.test(challenge)) {
        this.digest = parseDigest(challenge);
        return this.send(method, url, init);
      }
    }
    return res;
  }

  private async fetchDigestChallenge(url: string): Promise<void> {
    const res = await this.send('HEAD', url, {}, true);
    res.resume();
    const challenge = res.headers['www-authenticate'];
    if (typeof challenge === 'string' && /^digest/i.test(challenge)) this.digest = parseDigest(challenge);
  }

  private authHeader(method: string, url: URL): Record<string, string> {
    const { auth, user, password, customAuthHeader } = this.opts;
    if (auth === 'basic' || (auth === undefined && user !== undefined)) {
      return { authorization: 'Basic ' + Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64') };
    }
    if (auth === 'custom') {
      if (!customAuthHeader) throw new RemoteError("http auth 'custom' needs 'custom_auth_header'");
      return { [customAuthHeader.toLowerCase()]: password ?? '' };
    }
    if (auth === 'digest' && this.digest) {
      const d = this.digest;
      const uri = url.pathname + url.search;
      const h = (s: string) => createHash('md5').update(s).digest('hex');
      const cnonce = randomBytes(8).toString('hex');
      const nc = (++this.nc).toString(16).padStart(8, '0');
      let ha1 = h(`${user ?? ''}:${d.realm}:${password ?? ''}`);
      if (d.algorithm && /md5-sess/i.test(d.algorithm)) ha1 = h(`${ha1}:${d.nonce}:${cnonce}`);
      const ha2 = h(`${method}:${uri}`);
      const qop = d.qop?.split(',').map((s) => s.trim()).includes('auth') ? 'auth' : undefined;
      const response = qop ? h(`${ha1}:${d.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${d.nonce}:${ha2}`);
      let v = `Digest username="${user ?? ''}", realm="${d.realm}", nonce="${d.nonce}", uri="${uri}", response="${response}"`;
      if (d.algorithm) v += `, algorithm=${d.algorithm}`;
      if (d.opaque) v += `, opaque="${d.opaque}"`;
      if (qop) v += `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"`;
      return { authorization: v };
    }
    return {};
  }

  private send(method: string, url: string, init: RequestInit, noAuth = false): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const headers: Record<string, string> = { ...(noAuth ? {} : this.authHeader(method, u)), ...(init.headers ?? {}) };
    const body = init.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) headers['content-length'] = String(Buffer.byteLength(body));
    else if (body && init.size !== undefined) headers['content-length'] = String(init.size);
    else if (!body && (method === 'PUT' || method === 'POST')) headers['content-length'] = '0';
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(
        u,
        // The agents' sockets carry the connect and read (idle) timeouts (timeouts.ts).
        { method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        resolve,
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ETIMEDOUT' ? Object.assign(new Error(`${method} ${redact(url)}: ${e.message}`), { code: 'ETIMEDOUT' }) : e),
      );
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  /** Fails unless the status is 2xx; auth failures become a clear RemoteError. */
  async check(method: string, url: string, res: http.IncomingMessage): Promise<http.IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const detail = method === 'HEAD' ? '' : (await readText(res, 300)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    if (status === 401 || status === 403) {
      throw new RemoteError(`${method} ${redact(url)}: access denied (HTTP ${status}); check the remote's credentials (user, password, auth)`);
    }
    throw new HttpStatusError(method, url, status, res.statusMessage ?? '', detail);
  }

  /** The keep-alive agents (for a library that sends its own requests on the same sockets). */
  agents(): { httpAgent: http.Agent; httpsAgent: https.Agent } {
    return { httpAgent: this.httpAgent, httpsAgent: this.httpsAgent };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function parseDigest(h: string): { realm: string; nonce: string; qop?: string; opaque?: string; algorithm?: string } {
  const out: Record<string, string> = {};
  for (const m of h.replace(/^digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  const r: { realm: string; nonce: string; qop?: string; opaque?: string; algorithm?: string } = { realm: out.realm ?? '', nonce: out.nonce ?? '' };
  if (out.qop) r.qop = out.qop;
  if (out.opaque) r.opaque = out.opaque;
  if (out.algorithm) r.algorithm = out.algorithm;
  return r;
}

export async function readText(res: Readable, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    const b = c as Buffer;
    if (n < limit) chunks.push(b);
    n += b.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit === Infinity ? undefined : limit);
}

/** Joins a base URL and a relative POSIX path, encoding each segment. */
export function joinUrl(base: string, path: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  if (!path) return b;
  return b + '/' + path.split('/').map(encodeURIComponent).join('/');
}

export class HttpFileSystem implements FileSystem {
  readonly protocol: string = 'http';
  readonly url: string;
  private readonly client: HttpClient;
  private readonly method: 'POST' | 'PUT';

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RemoteError(`not an http(s) URL: ${url}`);
    const o = { ...options };
    // Credentials in the URL (http://user:pass@host) work as basic auth, as in requests.
    if (u.username && o.user === undefined) o.user = decodeURIComponent(u.username);
    if (u.password && o.password === undefined) o.password = decodeURIComponent(u.password);
    u.username = '';
    u.password = '';
    this.url = u.toString().replace(/\/$/, '');
    this.protocol = u.protocol === 'https:' ? 'https' : 'http';
    const m = String(o.method ?? 'POST').toUpperCase();
    if (m !== 'POST' && m !== 'PUT') throw new RemoteError(`unsupported http upload method '${m}' (use POST or PUT)`);
    this.method = m;
    this.client = HttpClient.fromRemoteOptions(o);
  }

  private async head(path: string): Promise<http.IncomingMessage | undefined> {
    const url = joinUrl(this.url, path);
    const res = await this.client.request('HEAD', url);
    res.resume();
    if (res.statusCode === 404 || res.statusCode === 410) return undefined;
    return this.client.check('HEAD', url, res);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.head(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    const res = await this.head(path);
    if (!res) return undefined;
    const len = res.headers['content-length'];
    return len === undefined ? undefined : Number(len);
  }

  async info(path: string): Promise<FileStat | undefined> {
    const res = await this.head(path);
    if (!res) return undefined;
    const h = (k: string) => {
      const v = res.headers[k];
      return typeof v === 'string' && v ? v : undefined;
    };
    const len = h('content-length');
    const etag = h('etag');
    const contentMd5 = h('content-md5');
    return { size: len === undefined ? 0 : Number(len), ...(etag ? { etag } : {}), ...(contentMd5 ? { contentMd5 } : {}) };
  }

  // eslint-disable-next-line require-yield
  async *list(_prefix: string): AsyncIterable<string> {
    throw Object.assign(new Error(`listing is not supported by the ${this.protocol} remote ${this.url}`), { code: 'ENOTSUP' });
  }

  async read(path: string): Promise<Readable> {
    const url = joinUrl(this.url, path);
    const res = await this.client.request('GET', url);
    if (res.statusCode === 404 || res.statusCode === 410) {
      res.resume();
      throw Object.assign(new Error(`${path}: not found on ${this.url}`), { code: 'ENOENT' });
    }
    return this.client.check('GET', url, res);
  }

  async write(path: string, data: Readable, size?: number): Promise<void> {
    // The server stores the body (nginx DAV writes to a temp file and renames), so a failed
    // upload never leaves a partial object under its name there.
    const url = joinUrl(this.url, path);
    // A source that is not its declared size (a file changed while sent) never completes the body.
    const body = size === undefined ? data : sizeChecked(data, size, joinUrl(this.url, path));
    const init: RequestInit = { body, headers: { 'content-type': 'application/octet-stream' } };
    if (size !== undefined) init.size = size;
    const res = await this.client.request(this.method, url, init);
    await this.client.check(this.method, url, res);
    res.resume();
  }

  async delete(path: string): Promise<void> {
    const url = joinUrl(this.url, path);
    const res = await this.client.request('DELETE', url);
    res.resume();
    if (res.statusCode === 404 || res.statusCode === 410) return;
    await this.client.check('DELETE', url, res);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
