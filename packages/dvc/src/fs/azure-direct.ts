/**
 * The Azure backend's fast path (azure.ts): Get Blob, Get Blob Properties and Put Blob of one
 * blob as one plain HTTP request on a keep-alive socket, signed here with the account's Shared Key
 * (or carrying the remote's SAS query, or nothing for anonymous access), instead of through the
 * SDK's pipeline (a dozen policies, the request/response model and XML deserializers on every
 * request): about 2 ms of client CPU per small blob there (bench/fs-ops.ts), a fraction here.
 *
 * What it shares with the SDK path, so that both behave alike:
 *  - the address and the keys: the container client's own URL (account endpoint, connection
 *    string, AZURE_STORAGE_SERVICE_ENDPOINT, SAS query) and its credential object (the Shared Key
 *    signature is computed by the SDK's StorageSharedKeyCredential itself);
 *  - the signature: the SDK's Shared Key string-to-sign (StorageSharedKeyCredentialPolicy), the
 *    SDK's service version;
 *  - the errors: error answers become errors shaped as the SDK's RestError (statusCode, the
 *    x-ms-error-code as `code`), which azure.ts turns into the same one-line messages.
 * Token credentials (AD service principal, DefaultAzureCredential), blob names that need
 * escaping and a proxy named in the environment (HTTPS_PROXY...: the SDK's proxy policy) stay on
 * the SDK.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { AnonymousCredential, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { guardAgent, type Timeouts } from './timeouts.js';
import { directRequest, errorBody, proxyConfigured, socketLimits } from './direct-request.js';

/** The SDK's service version (@azure/storage-blob 12.x SERVICE_VERSION), sent as x-ms-version. */
export const AZURE_SERVICE_VERSION = '2026-04-06';

/** An error answer, shaped as the SDK's RestError (azure.ts's `fail` reads these fields). */
export interface AzureAnswerError extends Error {
  statusCode: number;
  code?: string;
  details?: { errorCode?: string };
}

function answerError(status: number, headers: http.IncomingHttpHeaders, body: string): AzureAnswerError {
  const header = headers['x-ms-error-code'];
  const code = (typeof header === 'string' ? header : undefined) ?? /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1]?.split('\n')[0] ?? `Unexpected status code: ${status}`;
  const e = new Error(message) as AzureAnswerError;
  e.name = 'RestError';
  e.statusCode = status;
  if (code) {
    e.code = code;
    e.details = { errorCode: code };
  }
  return e;
}

/** What a HEAD tells about a blob. */
export interface BlobProps {
  size: number;
  etag?: string;
  versionId?: string;
}

export class AzureDirect {
  private readonly base: URL;
  private readonly query: string;
  private readonly send: typeof http.request;
  private readonly agent: http.Agent;
  private readonly key: StorageSharedKeyCredential | undefined;
  private dateSec = -1;
  private date = '';

  private constructor(client: ContainerClient, t: Timeouts, jobs: number) {
    const u = new URL(client.url);
    this.query = u.search.replace(/^\?/, '');
    u.search = '';
    this.base = u;
    this.key = client.credential instanceof StorageSharedKeyCredential ? client.credential : undefined;
    const https_ = u.protocol === 'https:';
    this.send = https_ ? (https.request as unknown as typeof http.request) : http.request;
    const opts = { keepAlive: true, maxSockets: jobs };
    this.agent = guardAgent(https_ ? new https.Agent(opts) : new http.Agent(opts), socketLimits(t));
  }

  /** The fast path for a container client, or undefined when its credential is not one it signs. */
  static for(client: ContainerClient, t: Timeouts, jobs = 64): AzureDirect | undefined {
    if (proxyConfigured()) return undefined;
    const c = client.credential;
    if (!(c instanceof StorageSharedKeyCredential) && !(c instanceof AnonymousCredential)) return undefined;
    const u = new URL(client.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return new AzureDirect(client, t, jobs);
  }

  /** True when `name` needs no escaping in a URL path (the SDK escapes the others its own way). */
  static plain(name: string): boolean {
    return /^[A-Za-z0-9/._~-]+$/.test(name) && !name.includes('//');
  }

  private utcDate(): string {
    const now = Date.now();
    const sec = Math.floor(now / 1000);
    if (sec !== this.dateSec) {
      this.dateSec = sec;
      this.date = new Date(sec * 1000).toUTCString();
    }
    return this.date;
  }

  private headers(method: string, path: string, extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'x-ms-date': this.utcDate(), 'x-ms-version': AZURE_SERVICE_VERSION, ...extra };
    if (this.key) {
      const len = h['content-length'];
      const xms = Object.keys(h)
        .filter((n) => n.startsWith('x-ms-'))
        .sort()
        .map((n) => `${n}:${h[n]!.trimStart()}\n`)
        .join('');
      const toSign =
        `${method}\n` + // verb
        '\n' + // Content-Language
        '\n' + // Content-Encoding
        `${len && len !== '0' ? len : ''}\n` +
        '\n' + // Content-MD5
        `${h['content-type'] ?? ''}\n` +
        '\n\n\n\n\n\n' + // Date, If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range
        xms +
        `/${this.key.accountName}${path}`;
      h.authorization = `SharedKey ${this.key.accountName}:${this.key.computeHMACSHA256(toSign)}`;
    }
    return h;
  }

  private request(method: string, blob: string, extra: Record<string, string> = {}, body?: Readable): Promise<http.IncomingMessage> {
    const path = `${this.base.pathname.replace(/\/$/, '')}/${blob}`;
    const headers = this.headers(method, path, extra);
    return directRequest(
      this.send,
      {
        method,
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        ...(this.base.port ? { port: Number(this.base.port) } : {}),
        path: this.query ? `${path}?${this.query}` : path,
        headers,
        agent: this.agent,
      },
      body,
    );
  }

  private async fail(res: http.IncomingMessage, method: string): Promise<never> {
    const text = method === 'HEAD' ? (res.resume(), '') : await errorBody(res);
    throw answerError(res.statusCode ?? 0, res.headers, text);
  }

  /** Get Blob: the answer itself, streamed. Rejects with an AzureAnswerError on an error answer. */
  async get(blob: string): Promise<http.IncomingMessage> {
    const res = await this.request('GET', blob);
    if (res.statusCode === 200) return res;
    return this.fail(res, 'GET');
  }

  /** Get Blob Properties: size, etag and version, or an AzureAnswerError (404 included). */
  async head(blob: string): Promise<BlobProps> {
    const res = await this.request('HEAD', blob);
    res.resume();
    if (res.statusCode !== 200) return this.fail(res, 'HEAD');
    const etag = res.headers.etag;
    const version = res.headers['x-ms-version-id'];
    return {
      size: Number(res.headers['content-length'] ?? 0),
      ...(typeof etag === 'string' && etag ? { etag } : {}),
      ...(typeof version === 'string' && version ? { versionId: version } : {}),
    };
  }

  /** Put Blob of `size` bytes streamed from `body` (the blob exists only once all arrived). */
  async put(blob: string, body: Readable, size: number): Promise<void> {
    const res = await this.request('PUT', blob, { 'x-ms-blob-type': 'BlockBlob', 'content-length': String(size) }, body);
    if (res.statusCode === 201 || res.statusCode === 200) {
      res.resume();
      return;
    }
    return this.fail(res, 'PUT');
  }

  close(): void {
    this.agent.destroy();
  }
}
