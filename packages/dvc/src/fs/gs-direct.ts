/**
 * The GCS backend's fast path (gs.ts): an object's bytes (JSON API `alt=media`), its metadata and
 * a simple upload (`uploadType=media`) as one plain HTTP request on a keep-alive socket, instead
 * of through the SDK's request stack (teeny-request, duplexify streams, retry and
 * request-interceptor plumbing, a multipart body for every upload): 2-3 ms of client CPU per
 * small object there (bench/fs-ops.ts).
 *
 * What it shares with the SDK path, so that both behave alike:
 *  - the address: the Storage object's own apiEndpoint (default, universe domain or endpointurl);
 *  - the keys: the Storage object's own auth client (`authorizeRequest`: service-account file,
 *    GOOGLE_APPLICATION_CREDENTIALS, metadata server...; it caches and refreshes tokens), or no
 *    credentials at all for a custom endpoint, exactly when the SDK sends none;
 *  - the errors: error answers become errors shaped as the SDK's ApiError (numeric `code` = the
 *    HTTP status, the JSON error's message), which gs.ts turns into the same one-line messages.
 * STORAGE_EMULATOR_HOST (whose URL form the SDK uses as it is), allow_anonymous_login and a proxy
 * named in the environment (HTTPS_PROXY...: the SDK's proxy agent) stay on the SDK.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Storage } from '@google-cloud/storage';
import { guardAgent, type Timeouts } from './timeouts.js';
import { directRequest, proxyConfigured, socketLimits } from './direct-request.js';

/** An error answer, shaped as the SDK's ApiError (gs.ts's `fail` and httpStatus read `code`). */
export interface GsAnswerError extends Error {
  code: number;
  statusCode: number;
}

function answerError(status: number, body: string): GsAnswerError {
  let message: string | undefined;
  try {
    message = (JSON.parse(body) as { error?: { message?: string } }).error?.message;
  } catch {
    message = body.trim().split('\n')[0] || undefined;
  }
  const e = new Error(message || `HTTP ${status}`) as GsAnswerError;
  e.name = 'ApiError';
  e.code = status;
  e.statusCode = status;
  return e;
}

function readBody(res: http.IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (s.length < limit) s += c;
    });
    res.once('end', () => resolve(s));
    res.once('error', reject);
  });
}

/** What the metadata of an object says (the SDK's fields, as the server gives them). */
export interface ObjectMeta {
  size: number;
  etag?: string;
  generation?: string;
}

interface AuthClient {
  authorizeRequest(opts: { url?: string; headers?: Record<string, string> }): Promise<{ headers?: Record<string, string> }>;
}

export class GsDirect {
  private readonly api: URL;
  private readonly send: typeof http.request;
  private readonly agent: http.Agent;

  private constructor(
    apiEndpoint: string,
    private readonly bucket: string,
    private readonly auth: AuthClient | undefined,
    t: Timeouts,
    jobs: number,
  ) {
    this.api = new URL(apiEndpoint);
    const secure = this.api.protocol === 'https:';
    this.send = secure ? (https.request as unknown as typeof http.request) : http.request;
    const opts = { keepAlive: true, maxSockets: jobs };
    this.agent = guardAgent(secure ? new https.Agent(opts) : new http.Agent(opts), socketLimits(t));
  }

  /** The fast path for a Storage object, or undefined where it stays on the SDK (see the header). */
  static for(storage: Storage, bucket: string, t: Timeouts, anonymous: boolean, jobs = 64): GsDirect | undefined {
    if (anonymous || process.env.STORAGE_EMULATOR_HOST !== undefined || proxyConfigured()) return undefined;
    const s = storage as unknown as { apiEndpoint?: string; customEndpoint?: boolean; useAuthWithCustomEndpoint?: boolean; authClient?: AuthClient };
    if (!s.apiEndpoint || !/^https?:\/\/[^/]+\/?$/.test(s.apiEndpoint)) return undefined;
    const noAuth = s.customEndpoint === true && !s.useAuthWithCustomEndpoint;
    if (!noAuth && typeof s.authClient?.authorizeRequest !== 'function') return undefined;
    return new GsDirect(s.apiEndpoint.replace(/\/$/, ''), bucket, noAuth ? undefined : s.authClient, t, jobs);
  }

  private async request(method: string, path: string, headers: Record<string, string> = {}, body?: Readable): Promise<http.IncomingMessage> {
    let h = headers;
    if (this.auth) {
      const authorized = await this.auth.authorizeRequest({ url: `${this.api.origin}${path}`, headers: { ...headers } });
      h = authorized.headers ?? headers;
    }
    return directRequest(
      this.send,
      {
        method,
        protocol: this.api.protocol,
        hostname: this.api.hostname,
        ...(this.api.port ? { port: Number(this.api.port) } : {}),
        path,
        headers: h,
        agent: this.agent,
      },
      body,
    );
  }

  private objectPath(name: string): string {
    return `/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(name)}`;
  }

  private static async fail(res: http.IncomingMessage): Promise<never> {
    throw answerError(res.statusCode ?? 0, await readBody(res, 64 * 1024).catch(() => ''));
  }

  /** The object's bytes: the answer itself, streamed. GsAnswerError on an error answer (404 too). */
  async get(name: string): Promise<http.IncomingMessage> {
    const res = await this.request('GET', `${this.objectPath(name)}?alt=media`);
    if (res.statusCode === 200) return res;
    return GsDirect.fail(res);
  }

  /** The object's metadata (size, etag, generation). GsAnswerError on an error answer (404 too). */
  async meta(name: string): Promise<ObjectMeta> {
    const res = await this.request('GET', this.objectPath(name));
    if (res.statusCode !== 200) return GsDirect.fail(res);
    const m = JSON.parse(await readBody(res)) as { size?: string | number; etag?: unknown; generation?: unknown };
    return {
      size: Number(m.size ?? 0),
      ...(typeof m.etag === 'string' ? { etag: m.etag } : {}),
      ...(m.generation !== undefined && m.generation !== null ? { generation: String(m.generation) } : {}),
    };
  }

  /** A simple upload of `size` bytes (the object exists only once all arrived). */
  async put(name: string, body: Readable, size: number): Promise<void> {
    const path = `/upload/storage/v1/b/${encodeURIComponent(this.bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`;
    const res = await this.request('POST', path, { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body);
    if (res.statusCode === 200 || res.statusCode === 201) {
      res.resume();
      return;
    }
    return GsDirect.fail(res);
  }

  close(): void {
    this.agent.destroy();
  }
}
