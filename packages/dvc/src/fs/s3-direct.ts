/**
 * The S3 backend's fast path (s3.ts): GET, HEAD and single PUT of an object, and each page of a
 * listing (ListObjectsV2, or v1), as one plain HTTP request on a keep-alive socket, signed here
 * with AWS Signature Version 4, instead of through
 * the AWS SDK's middleware stack (serializers, endpoint rules, checksums, user agent, logger
 * masking, deserializers on every request). On the bench's Ceph server the SDK spends about
 * 1.7 ms of CPU per small-object GET; this path a fraction of that, which is what a fetch of many
 * small files waits on (bench/remote.ts).
 *
 * GET and HEAD go on undici's connection pool through its dispatch API: one handler object per
 * request, no IncomingMessage, and a small object's body handed over as its chunks, with no
 * stream at all (`get` with `keepWhole`). That halves the client CPU of a small GET again against
 * node:http (about 0.26 ms against 0.45-0.68 ms on the bench's Ceph server). A listing page
 * comes whole (its chunks) and is read by parseListing (a scan of S3's plain shape, else sax). PUT stays on node:http
 * (directRequest), which streams a request body from a file with less code of ours.
 *
 * What it shares with the SDK path, so that both behave alike:
 *  - the address: the bucket's URL comes from the SDK's own endpoint rules, asked once
 *    (endpointurl, region, path-style or virtual-host, FIPS, dual-stack, the profile's
 *    endpoint_url); buckets whose rules name another signer (S3 Express, multi-region access
 *    points, outposts) or extra headers stay on the SDK;
 *  - the keys: the SDK client's own credential provider (config keys, profile, environment,
 *    instance roles), called on each request as the SDK does (it caches and refreshes);
 *  - the clock: the SDK client's skew correction (`systemClockOffset`) is used and updated;
 *  - the timeouts: the remote's connect and read timeouts, on undici's pool (connect, head,
 *    and between two chunks of a body) and on the keep-alive agents of PUT; undici's timeout
 *    and closed-connection errors are given the codes node:http's have (ETIMEDOUT, ECONNRESET);
 *  - the errors: error answers become errors shaped as the SDK's (name from the XML `Code`,
 *    `$metadata.httpStatusCode`), which s3.ts turns into the same one-line messages.
 * Redirects and region errors (301, 307, 400) are not followed here: the caller sends that
 * request again through the SDK (followRegionRedirects) and stays on the SDK from then on.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import sax from 'sax';
import type { Dispatcher } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import { directRequest, errorBody } from './direct-request.js';

/** Credentials as the SDK's identity providers give them. */
export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where a bucket's requests go and how they are signed, from the SDK's endpoint rules. */
export interface DirectTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  /** The Host header (with the port when it is not the scheme's default). */
  host: string;
  /** URL path of the bucket, '' or '/bucket' (no trailing slash). */
  basePath: string;
  signingRegion: string;
}

/** Thrown when this path does not take a request; the caller sends it through the SDK. */
export class UseSdk extends Error {
  /** (Not named `status`: retry.ts would read it as the HTTP status of a final answer.) */
  constructor(readonly answer: number) {
    super(`S3 fast path: HTTP ${answer}, left to the SDK`);
  }
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UNSIGNED = 'UNSIGNED-PAYLOAD';

/** RFC 3986 encoding of one path segment, as S3 signs it (no double encoding). */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A query string in SigV4's canonical form, which is also what is sent: parameters sorted by
 * name, names and values RFC 3986-encoded ('/' too); parameters whose value is undefined left out.
 */
export function canonicalQuery(params: Record<string, string | undefined>): string {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined)
    .sort()
    .map((k) => `${encodeSegment(k)}=${encodeSegment(params[k]!)}`)
    .join('&');
}

/** A key's URL path below the bucket: each '/'-separated segment encoded. */
export function keyPath(key: string): string {
  // The common case (hex object names, plain prefixes) needs no encoding at all.
  if (/^[A-Za-z0-9/._~-]*$/.test(key)) return key;
  return key.split('/').map(encodeSegment).join('/');
}

/**
 * AWS Signature Version 4 for S3 requests with no query string, the signing key cached per
 * day (two HMACs and one SHA-256 per request).
 */
export class SigV4 {
  private keyDay = '';
  private keySecret = '';
  private key: Buffer | undefined;
  private stampSec = -1;
  private stamp = '';

  constructor(
    private readonly region: string,
    private readonly service = 's3',
  ) {}

  private signingKey(secret: string, day: string): Buffer {
    if (this.key && this.keyDay === day && this.keySecret === secret) return this.key;
    const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
    const kRegion = createHmac('sha256', kDate).update(this.region).digest();
    const kService = createHmac('sha256', kRegion).update(this.service).digest();
    this.key = createHmac('sha256', kService).update('aws4_request').digest();
    this.keyDay = day;
    this.keySecret = secret;
    return this.key;
  }

  /** 20250101T000000Z for `ms` (cached per second). */
  private amzDate(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.stampSec) {
      this.stampSec = sec;
      this.stamp = new Date(sec * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    }
    return this.stamp;
  }

  /**
   * Adds x-amz-date, x-amz-content-sha256, x-amz-security-token and Authorization to `headers`
   * (lower-case names; `host` among them). Every header given is signed. `query` is the request's
   * canonical query string (canonicalQuery), '' for none.
   */
  sign(method: string, path: string, headers: Record<string, string>, creds: Creds, nowMs: number, payloadHash = EMPTY_SHA256, query = ''): void {
    const date = this.amzDate(nowMs);
    const day = date.slice(0, 8);
    headers['x-amz-date'] = date;
    headers['x-amz-content-sha256'] = payloadHash;
    if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
    const names = Object.keys(headers).sort();
    let canonical = `${method}\n${path}\n${query}\n`;
    for (const n of names) canonical += `${n}:${headers[n]!.trim()}\n`;
    const signed = names.join(';');
    canonical += `\n${signed}\n${payloadHash}`;
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(creds.secretAccessKey, day)).update(toSign).digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
  }
}

/** An error answer, shaped as the SDK's service exceptions (s3.ts's `fail` reads these fields). */
export interface S3AnswerError extends Error {
  Code?: string;
  $metadata: { httpStatusCode: number; requestId?: string };
  $fault: 'client' | 'server';
  $response?: { headers: Record<string, string | string[] | undefined> };
}

/** Names the SDK gives to bodiless error answers (HEAD), by status. */
function bodilessName(status: number): string {
  if (status === 404) return 'NotFound';
  if (status === 403) return 'Forbidden';
  if (status === 400) return 'BadRequest';
  return 'Unknown';
}

function answerError(status: number, headers: Record<string, string | string[] | undefined>, body: string): S3AnswerError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  const name = code || bodilessName(status);
  const e = new Error(message || (code ? code : 'UnknownError')) as S3AnswerError;
  e.name = name;
  if (code) e.Code = code;
  const requestId = headers['x-amz-request-id'];
  e.$metadata = { httpStatusCode: status, ...(typeof requestId === 'string' ? { requestId } : {}) };
  e.$fault = status >= 500 ? 'server' : 'client';
  e.$response = { headers };
  return e;
}

/** undici's raw header list (name, value, name, value...) as an object of lower-case names. */
function headerObject(raw: Buffer[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) h[raw[i]!.toString('latin1').toLowerCase()] = raw[i + 1]!.toString('latin1');
  return h;
}

/** The Content-Length of undici's raw header list, or undefined. */
function contentLength(raw: Buffer[]): number | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === 14 && n.toString('latin1').toLowerCase() === 'content-length') {
      const v = Number(raw[i + 1]!.toString('latin1'));
      return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
    }
  }
  return undefined;
}

/**
 * undici's errors as the node:http path gave them (and s3.ts and retry.ts read them): timeouts
 * with code ETIMEDOUT, a connection closed under a request as ECONNRESET; the original as `cause`.
 */
function netError(e: Error, connectMs: number | undefined, readMs: number | undefined): Error {
  const code = (e as { code?: string }).code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return Object.assign(new Error(`not connected within ${(connectMs ?? 0) / 1000} s (timed out)`, { cause: e }), { code: 'ETIMEDOUT' });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return Object.assign(new Error(`no answer within ${(readMs ?? 0) / 1000} s (timed out)`, { cause: e }), { code: 'ETIMEDOUT' });
  }
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return Object.assign(new Error(`connection closed mid-answer (${e.message})`, { cause: e }), { code: 'ECONNRESET' });
  }
  return e;
}

export interface DirectOptions {
  target: DirectTarget;
  /** The keep-alive agents of PUT (the SDK's too). */
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  /** TLS options of GET and HEAD connections (ssl_verify). */
  tls?: { rejectUnauthorized?: boolean; ca?: Buffer };
  /** The SDK's credential provider; undefined: anonymous (requests go unsigned). */
  credentials: (() => Promise<Creds>) | undefined;
  /** The SDK client's config, for its clock offset (read and updated as the SDK does). */
  clock: { systemClockOffset?: number };
  /** Longest wait to get connected (ms); undefined: none. */
  connectMs: number | undefined;
  /** Longest wait for an answer or for the next bytes (ms); undefined: none. */
  readMs: number | undefined;
  /** Connections kept at most for GET and HEAD (default 256). */
  connections?: number;
}

export interface PutHeaders {
  [name: string]: string;
}

/** Called when an answer's head and each of its chunks arrive (a caller's idle timeout). */
export type Alive = () => void;

/**
 * A GET's body handed on as a stream (an object larger than the caller keeps in memory): pushes
 * what undici delivers, and pauses undici's socket while the consumer is behind.
 */
class BodyStream extends Readable {
  resumeBody: (() => void) | undefined;
  abortRequest: ((e?: Error) => void) | undefined;
  ended = false;

  constructor() {
    super({ highWaterMark: 1 << 16 });
  }

  override _read(): void {
    this.resumeBody?.();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // Dropped before its end: the request is aborted (its connection is not reused).
    if (!this.ended) this.abortRequest?.(err ?? Object.assign(new Error('download abandoned'), { code: 'UND_ERR_ABORTED' }));
    cb(err);
  }
}

/** What one GET or HEAD resolves with: a HEAD's size, a GET's chunks or its stream. */
type Answer = number | undefined | Buffer[] | Readable;

/**
 * One GET or HEAD on undici's pool, as a dispatch handler (no stream, no promise per chunk for
 * a body kept whole): 200 resolves with the answer; error answers reject with an S3AnswerError
 * (redirects with UseSdk); a HEAD's 404 resolves undefined.
 */
class Exchange implements Dispatcher.DispatchHandlers {
  private status = 0;
  private raw: Buffer[] = [];
  private chunks: Buffer[] = [];
  private errorText = '';
  private stream: BodyStream | undefined;
  private abort: ((e?: Error) => void) | undefined;
  private settled = false;

  constructor(
    private readonly owner: S3Direct,
    private readonly method: 'GET' | 'HEAD',
    /** Bodies up to this many bytes are kept whole (chunks); larger ones are streamed (Infinity: none, even unsized). */
    private readonly keepWhole: number,
    private readonly alive: Alive | undefined,
    private readonly resolve: (a: Answer) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  private done(a: Answer): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(a);
  }

  private failed(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }

  onConnect(abort: (e?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    this.alive?.();
    this.status = status;
    this.raw = raw;
    if (status === 200 && this.method === 'GET') {
      const length = contentLength(raw);
      if (this.keepWhole !== Infinity && (length === undefined || length > this.keepWhole)) {
        const s = new BodyStream();
        s.resumeBody = resume;
        s.abortRequest = this.abort;
        this.stream = s;
        this.done(s);
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.alive?.();
    if (this.stream) return this.stream.push(chunk);
    if (this.status === 200) this.chunks.push(chunk);
    else if (this.errorText.length < 64 * 1024) this.errorText += chunk.toString('utf8');
    return true;
  }

  onComplete(): void {
    const status = this.status;
    if (this.stream) {
      this.stream.ended = true;
      this.stream.push(null);
      return;
    }
    if (status === 200) return this.done(this.method === 'HEAD' ? (contentLength(this.raw) ?? 0) : this.chunks);
    if (status === 404 && this.method === 'HEAD') return this.done(undefined);
    if (status === 301 || status === 302 || status === 307 || status === 400) return this.failed(new UseSdk(status));
    const headers = headerObject(this.raw);
    this.owner.clockFrom(headers);
    this.failed(answerError(status, headers, this.errorText));
  }

  onError(err: Error): void {
    const e = this.owner.netError(err);
    if (this.stream) {
      if (!this.stream.destroyed) this.stream.destroy(e);
    } else this.failed(e);
  }
}

/** One page of a listing (S3Direct.list). */
export interface ListAnswer {
  keys: string[];
  /** The next page's continuation token (v1: marker); undefined on the last page. */
  next: string | undefined;
}

/** A value of an encoding-type=url listing, decoded (S3 writes a space as '+'). */
function urlDecoded(s: string): string {
  if (!/[%+]/.test(s)) return s;
  // Ceph encodes every '/' ('%2F' is always one whole escape): most keys need nothing more.
  const t = s.replaceAll('%2F', '/');
  if (!/[%+]/.test(t)) return t;
  return decodeURIComponent(t.replace(/\+/g, ' '));
}

const LIST_FIELDS = ['IsTruncated', 'NextContinuationToken', 'NextMarker', 'EncodingType'] as const;

/** What a listing page holds for us: each `Contents`' `Key`, and the top-level LIST_FIELDS (as text). */
export interface RawListing {
  keys: string[];
  fields: Partial<Record<(typeof LIST_FIELDS)[number], string>>;
}

/**
 * A listing page read with sax (isaacs' streaming XML parser): entities and CDATA decoded as XML
 * says, any well-formed shape. Throws on an answer that is not well-formed or no ListBucketResult.
 */
export function saxListing(xml: string): RawListing {
  // strictEntities: XML's five named entities only (not HTML's), as XML says.
  const p = sax.parser(true, { position: false, strictEntities: true });
  const path: string[] = [];
  let rootSeen = false;
  const keys: string[] = [];
  let key: string | undefined;
  let field: (typeof LIST_FIELDS)[number] | undefined;
  const fields: RawListing['fields'] = {};
  let failed: Error | undefined;
  p.onopentag = (t) => {
    path.push(t.name);
    if (path.length === 1) rootSeen = t.name === 'ListBucketResult';
    else if (path.length === 3 && t.name === 'Key' && path[1] === 'Contents') key = '';
    else if (path.length === 2 && (LIST_FIELDS as readonly string[]).includes(t.name)) field = t.name as (typeof LIST_FIELDS)[number];
  };
  const text = (s: string) => {
    if (key !== undefined) key += s;
    else if (field !== undefined) fields[field] = (fields[field] ?? '') + s;
  };
  p.ontext = text;
  p.oncdata = text;
  p.onclosetag = () => {
    if (key !== undefined && path.length === 3) {
      keys.push(key);
      key = undefined;
    }
    if (path.length === 2) field = undefined;
    path.pop();
  };
  p.onerror = (e) => {
    failed ??= e;
  };
  try {
    p.write(xml).close();
  } catch (e) {
    // sax throws on the next error after one (or on closing after one).
    failed ??= e as Error;
  }
  if (failed || !rootSeen) throw new Error(`the answer is no S3 listing${failed ? ` (${failed.message.split('\n')[0]})` : ''}`);
  return { keys, fields };
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML text with its entities decoded; undefined for one this does not know (sax decides). */
function xmlText(s: string): string | undefined {
  if (!s.includes('&')) return s;
  let bad = false;
  const out = s.replace(/&([^;&]*);?/g, (m, e: string) => {
    const named = m.endsWith(';') ? NAMED[e] : undefined;
    if (named) return named;
    const n = m.endsWith(';') ? (/^#\d+$/.test(e) ? Number(e.slice(1)) : /^#x[0-9a-fA-F]+$/.test(e) ? parseInt(e.slice(2), 16) : NaN) : NaN;
    if (Number.isInteger(n) && n > 0 && n <= 0x10ffff) return String.fromCodePoint(n);
    bad = true;
    return m;
  });
  return bad ? undefined : out;
}

/** The text of the first `<name>...</name>` from `from`, its end, or undefined (absent, or not plain text). */
function element(xml: string, name: string, from: number): { text: string; end: number } | undefined | null {
  const open = `<${name}>`;
  const i = xml.indexOf(open, from);
  if (i < 0) return undefined;
  const j = xml.indexOf(`</${name}>`, i + open.length);
  if (j < 0) return null;
  const raw = xml.slice(i + open.length, j);
  if (raw.includes('<')) return null;
  const text = xmlText(raw);
  return text === undefined ? null : { text, end: j + name.length + 3 };
}

/**
 * A listing page in the shape S3 servers write (AWS, Ceph, MinIO: plain elements, text with the
 * five named and numeric entities) read by looking for its few elements, at a tenth of sax's CPU
 * and less (sax costs about 0.6 s of a 1.9 s `status -c` at 25,000 objects, its code still cold
 * in a short-lived process). Undefined for anything else (CDATA, comments, a DOCTYPE, elements
 * with attributes, unknown entities, a body cut short): sax reads those. Tests hold the two to
 * the same results.
 */
export function scanListing(xml: string): RawListing | undefined {
  if (xml.includes('<!')) return undefined;
  const start = /^\s*(<\?xml[^<>]*\?>)?\s*<ListBucketResult[\s>]/.exec(xml.slice(0, 512));
  if (!start || !/<\/ListBucketResult>\s*$/.test(xml.slice(-64)) || xml.indexOf('<?', start[0].length) >= 0 || /<Key[\s/]/.test(xml)) return undefined;
  const keys: string[] = [];
  for (let at = start[0].length; ; ) {
    const k = element(xml, 'Key', at);
    if (k === undefined) break;
    if (k === null) return undefined;
    keys.push(k.text);
    at = k.end;
  }
  const fields: RawListing['fields'] = {};
  for (const f of LIST_FIELDS) {
    const e = element(xml, f, start[0].length);
    if (e === null) return undefined;
    if (e) fields[f] = e.text;
  }
  return { keys, fields };
}

/**
 * A ListObjectsV2 (or v1, `v1`) answer's keys and next token: scanListing, else sax (the few
 * fields used: each `Contents`' `Key`, `IsTruncated`, `NextContinuationToken`, `NextMarker`,
 * `EncodingType`). Keys of an encoding-type=url answer are decoded. Throws on an answer that is
 * not a listing.
 */
export function parseListing(xml: string, v1 = false): ListAnswer {
  const { keys, fields } = scanListing(xml) ?? saxListing(xml);
  // A server that ignored encoding-type gave the keys as they are.
  const encoded = fields.EncodingType === 'url';
  const out: string[] = [];
  for (const k of keys) if (k) out.push(encoded ? urlDecoded(k) : k);
  let next: string | undefined;
  if ((fields.IsTruncated ?? '').trim().toLowerCase() === 'true') {
    if (v1) {
      const m = fields.NextMarker;
      next = m ? (encoded ? urlDecoded(m) : m) : out[out.length - 1];
    } else next = fields.NextContinuationToken || undefined;
  }
  return { keys: out, next };
}

/** GET, HEAD and PUT of keys in one bucket, signed here (see the file's comment). */
export class S3Direct {
  private readonly signer: SigV4;
  private readonly t: DirectTarget;
  private readonly send: typeof httpRequest;
  private readonly agent: HttpAgent | HttpsAgent;
  /** GET and HEAD: undici's keep-alive pool (its dispatch API costs a fraction of node:http's request). */
  private readonly pool: Pool;
  /** Credentials that never expire, once known (the SDK's provider would give the same each time). */
  private staticCreds: Creds | undefined;

  constructor(private readonly o: DirectOptions) {
    this.t = o.target;
    this.signer = new SigV4(o.target.signingRegion);
    const https = o.target.protocol === 'https:';
    this.send = https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
    this.agent = https ? o.httpsAgent : o.httpAgent;
    this.pool = new Pool(`${o.target.protocol}//${o.target.host}`, {
      connections: o.connections ?? 256,
      connectTimeout: o.connectMs ?? 0,
      headersTimeout: o.readMs ?? 0,
      bodyTimeout: o.readMs ?? 0,
      ...(https && o.tls ? { connect: { ...o.tls } } : {}),
    });
  }

  /** undici's error as the node:http path gave it (see netError). */
  netError(e: Error): Error {
    return netError(e, this.o.connectMs, this.o.readMs);
  }

  /** As the SDK does on a failed request: the server's clock from now on (a skew). */
  clockFrom(headers: Record<string, string | string[] | undefined>): void {
    const date = headers.date;
    if (typeof date === 'string' && headers.age === undefined) {
      const server = Date.parse(date);
      if (!Number.isNaN(server)) this.o.clock.systemClockOffset = server - Date.now();
    }
  }

  private signed(method: string, path: string, h: Record<string, string>, creds: Creds, payloadHash?: string, query?: string): Record<string, string> {
    this.signer.sign(method, path, h, creds, Date.now() + (this.o.clock.systemClockOffset ?? 0), payloadHash, query);
    return h;
  }

  /** The request's headers, signed (no await when the credentials are static and known). */
  private headers(
    method: string,
    path: string,
    extra: Record<string, string> | undefined,
    payloadHash?: string,
    query?: string,
  ): Record<string, string> | Promise<Record<string, string>> {
    const h: Record<string, string> = extra ? { host: this.t.host, ...extra } : { host: this.t.host };
    const provider = this.o.credentials;
    if (!provider) return h;
    if (this.staticCreds) return this.signed(method, path, h, this.staticCreds, payloadHash, query);
    return provider().then((creds) => {
      // The SDK's providers memoize credentials without an expiration for good: so may we.
      if ((creds as { expiration?: unknown }).expiration === undefined) this.staticCreds = creds;
      return this.signed(method, path, h, creds, payloadHash, query);
    });
  }

  /** One GET or HEAD of a key on the pool (see Exchange). */
  private exchange(method: 'GET' | 'HEAD', key: string, keepWhole: number, alive: Alive | undefined): Promise<Answer> {
    return this.dispatch(method, `${this.t.basePath}/${keyPath(key)}`, '', keepWhole, alive);
  }

  /** One GET or HEAD of `path` (and canonical `query`) on the pool (see Exchange). */
  private dispatch(method: 'GET' | 'HEAD', path: string, query: string, keepWhole: number, alive: Alive | undefined): Promise<Answer> {
    const go = (headers: Record<string, string>) =>
      new Promise<Answer>((resolve, reject) => {
        this.pool.dispatch({ method, path: query ? `${path}?${query}` : path, headers }, new Exchange(this, method, keepWhole, alive, resolve, reject));
      });
    const h = this.headers(method, path, undefined, undefined, query);
    return h instanceof Promise ? h.then(go) : go(h);
  }

  /**
   * One page (up to 1000 keys) of the keys below `prefix`, in S3's order, as ListObjectsV2 gives
   * them (ListObjects, version 1, with `v1`): `token` is the page's continuation token (v1: its
   * marker), `next` the next page's (undefined: the last page). Keys are asked URL-encoded
   * (encoding-type=url: any key survives the XML) and given back decoded. Rejects as `get`.
   */
  async list(prefix: string, token: string | undefined, v1 = false): Promise<ListAnswer> {
    const query = canonicalQuery(
      v1
        ? { 'encoding-type': 'url', marker: token, prefix }
        : { 'continuation-token': token, 'encoding-type': 'url', 'list-type': '2', prefix },
    );
    // The bucket itself: '/bucket' (path style) or '/' (virtual host), as the SDK addresses it.
    const chunks = (await this.dispatch('GET', this.t.basePath || '/', query, Infinity, undefined)) as Buffer[];
    return parseListing(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), v1);
  }

  /** Sends one request on node:http (PUT); resolves with the answer's head (the body unread). */
  private async request(method: string, key: string, extra?: Record<string, string>, body?: Readable, payloadHash?: string): Promise<IncomingMessage> {
    const path = `${this.t.basePath}/${keyPath(key)}`;
    const headers = await this.headers(method, path, extra, payloadHash);
    return directRequest(
      this.send,
      {
        method,
        protocol: this.t.protocol,
        hostname: this.t.hostname,
        ...(this.t.port !== undefined ? { port: this.t.port } : {}),
        path,
        headers: headers as OutgoingHttpHeaders,
        agent: this.agent,
      },
      body,
      this.o.readMs,
    );
  }

  /** An error answer of node:http as an error (its small body read), the clock offset corrected on a skew. */
  private async fail(res: IncomingMessage, method: string): Promise<never> {
    const status = res.statusCode ?? 0;
    const text = method === 'HEAD' ? (res.resume(), '') : await errorBody(res);
    this.clockFrom(res.headers);
    throw answerError(status, res.headers, text);
  }

  private static redirect(status: number): boolean {
    return status === 301 || status === 302 || status === 307 || status === 400;
  }

  /**
   * The object's bytes: its chunks when it has at most `keepWhole` bytes (default: none kept
   * whole), a stream of them otherwise. Rejects with an S3AnswerError on an error answer, UseSdk
   * on a redirect or region error, or the connection's error. `alive` is called as the head and
   * each chunk arrive.
   */
  get(key: string, keepWhole = -1, alive?: Alive): Promise<Buffer[] | Readable> {
    return this.exchange('GET', key, keepWhole, alive) as Promise<Buffer[] | Readable>;
  }

  /** The object's size, or undefined on 404 (S3AnswerError on other error answers). */
  head(key: string): Promise<number | undefined> {
    return this.exchange('HEAD', key, 0, undefined) as Promise<number | undefined>;
  }

  /**
   * One PUT of `size` bytes from `body` (streamed as it comes; the payload is not hashed:
   * UNSIGNED-PAYLOAD, as the SDK signs streamed bodies). Resolves when the server has answered 200.
   */
  async put(key: string, body: Readable, size: number, extra: PutHeaders): Promise<void> {
    const res = await this.request('PUT', key, { ...extra, 'content-length': String(size) }, body, UNSIGNED);
    const status = res.statusCode ?? 0;
    if (status === 200) {
      res.resume();
      return;
    }
    if (S3Direct.redirect(status)) {
      res.resume();
      throw new UseSdk(status);
    }
    return this.fail(res, 'PUT');
  }

  /** Closes the pool's connections (requests still running fail). */
  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}
