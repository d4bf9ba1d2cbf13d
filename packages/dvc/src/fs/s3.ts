/**
 * Amazon S3 (and S3-compatible servers: Ceph RGW, MinIO...) on the official AWS SDK v3.
 * URL: s3://bucket/optional/prefix. Options are DVC's `remote "name"` options for s3.
 *
 * Uploads are atomic by S3's own rules: a single PUT (known size up to 256 MiB, streamed, never
 * buffered) only appears when complete, and larger or unsized uploads go through multipart
 * (lib-storage), which appears only at CompleteMultipartUpload and is aborted on failure. A
 * multipart upload whose process was killed stays pending (invisible, but stored and billed):
 * `removeStaleTemps` (dvc gc) aborts the old ones.
 *
 * Timeouts (timeouts.ts): connect_timeout and read_timeout (seconds) bound the sockets.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig, PutObjectCommandInput } from '@aws-sdk/client-s3';
import { walkSteps, type FileSystem, type FileStat, type ListPage, type ListStep } from './types.js';
import { guardAgent, remoteTimeouts } from './timeouts.js';
import { S3Direct, UseSdk, type Creds, type DirectTarget, type PutHeaders } from './s3-direct.js';
import { httpStatus, networkCode, netWords, notFoundError, remoteError, joinUrl, sizeChecked } from './remote-errors.js';

export { optBool, optStr, optNum, type RemoteOptions } from './remote-errors.js';
import { optBool, optStr, optNum, type RemoteOptions } from './remote-errors.js';

// The SDK warns on every process under Node 20 that future releases need Node 22; `dvc` output
// must stay clean (the pinned SDK supports Node 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MiB = 1024 * 1024;
/** Largest object sent as one streamed PUT; bigger ones go multipart. */
const SINGLE_PUT_MAX = 256 * MiB;

/**
 * Prints nothing. Not the SDK's NoOpLogger, which some SDK paths answer by warning on the console.
 * It has no `info` or `error`: the SDK calls those as `logger.info?.(...)` with arguments it
 * builds by walking each request and response for secrets to mask; without the method, that work
 * is skipped. With cacheMiddleware below, this cut the client CPU of a fetch of 3,000 small files
 * from Ceph RGW by about a fifth (bench/remote.ts).
 */
const QUIET_LOGGER = { debug() {}, warn() {} } as unknown as NonNullable<S3ClientConfig['logger']>;

/** The AWS SDK's S3 module and this remote's client, loaded on first need (see S3FileSystem.sdk). */
interface Sdk {
  m: typeof import('@aws-sdk/client-s3');
  client: S3Client;
}

/**
 * The address of a bucket behind a custom endpoint (`endpointurl`), as the SDK's endpoint rules
 * give it with path-style addressing (which s3.ts always sets with an endpoint):
 * `{scheme}://{authority}{path, ending in /}{bucket}`, signed for `region` as service s3. Only for
 * plain bucket names (lower-case DNS style) and region names; undefined for anything else (the
 * SDK's rules then decide). test/remotes/s3-direct.test.ts holds it against the SDK's rules.
 */
export function customEndpointTarget(endpoint: string, bucket: string, region: string): DirectTarget | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(region)) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) return undefined;
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    host: url.host,
    basePath: `${path}${bucket}`,
    signingRegion: region,
  };
}

/**
 * Whether the SDK would address endpoints other than plainly, from settings outside the remote's
 * options: FIPS or dual-stack in the environment or in the shared config file. Then the SDK's
 * own rules are asked (and the SDK loaded) even for a remote with a custom endpoint.
 */
function sdkEndpointSettings(): boolean {
  for (const v of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) if (process.env[v] !== undefined) return true;
  const file = process.env.AWS_CONFIG_FILE ?? join(process.env.HOME ?? homedir(), '.aws', 'config');
  try {
    return /use_(fips|dualstack)_endpoint/i.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

export class S3FileSystem implements FileSystem {
  readonly protocol = 's3';
  readonly url: string;
  readonly bucket: string;
  /** Key prefix of the remote root, '' or ending in '/'. */
  readonly root: string;
  /** The client's settings; the SDK and the client are made on first need (sdk()). */
  private readonly config: S3ClientConfig;
  /** fromIni's options, for credentials from a profile (loaded with the SDK). */
  private readonly ini: Parameters<typeof import('@aws-sdk/credential-provider-ini').fromIni>[0] | undefined;
  private sdkLoad: Promise<Sdk> | undefined;
  /** The clock offset of the fast path; the SDK client's own once that is made. */
  private readonly clock: { systemClockOffset?: number } = {};
  /** The fast path's address without the SDK (customEndpointTarget), when settings allow. */
  private readonly plainTarget: DirectTarget | undefined;
  private readonly endpoint: string | undefined;
  private readonly listV1: boolean;
  private readonly putExtras: Partial<PutObjectCommandInput>;
  private readonly sseC: { SSECustomerAlgorithm?: string; SSECustomerKey?: string };
  /** The one HeadBucket asked after the first object HEAD that answered 404 (see checkBucket). */
  private bucketCheck: Promise<void> | undefined;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly readMs: number | undefined;
  private readonly connectMs: number | undefined;
  private readonly tlsOptions: { rejectUnauthorized?: boolean; ca?: Buffer };
  private readonly anonymous: boolean;
  /** The fast path (s3-direct.ts), once known to apply; undefined: every request on the SDK. */
  private direct: Promise<S3Direct | undefined> | undefined;
  /** The fast path once made (so that each request need not wait on `direct`). */
  private directMade: S3Direct | undefined;
  private directOff = false;
  /** The PUT headers of putExtras, for the fast path. */
  private readonly putHeaders: PutHeaders;

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 's3:') throw remoteError(`not an s3 URL: ${url}`);
    this.bucket = u.hostname;
    if (!this.bucket) throw remoteError(`${url}: the URL names no bucket (s3://BUCKET/path)`);
    const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    this.root = path ? `${path}/` : '';
    this.url = `s3://${this.bucket}${path ? `/${path}` : ''}`;
    this.listV1 = optBool(options.listobjects, false);

    const useSsl = optBool(options.use_ssl, true);
    let endpoint = optStr(options.endpointurl) ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    if (endpoint && !/^[a-z]+:\/\//i.test(endpoint)) endpoint = `${useSsl ? 'https' : 'http'}://${endpoint}`;
    const sslVerify = optStr(options.ssl_verify);
    const tlsOptions: { rejectUnauthorized?: boolean; ca?: Buffer } = {};
    if (sslVerify !== undefined) {
      if (['false', 'no', '0', 'off'].includes(sslVerify.toLowerCase())) tlsOptions.rejectUnauthorized = false;
      else if (!['true', 'yes', '1', 'on'].includes(sslVerify.toLowerCase())) {
        try {
          tlsOptions.ca = readFileSync(sslVerify);
        } catch (e) {
          throw remoteError(`${this.url}: cannot read ssl_verify CA bundle '${sslVerify}': ${(e as Error).message}`);
        }
      }
    }
    this.tlsOptions = tlsOptions;
    const t = remoteTimeouts('s3', options);
    this.readMs = t.readMs;
    this.connectMs = t.connectMs;
    // The sockets carry the connect and read (idle) timeouts, downloads included. One pool for
    // the SDK and the fast path; it holds as many sockets as there are jobs at once.
    this.httpAgent = guardAgent(new HttpAgent({ keepAlive: true, maxSockets: 256 }), t);
    this.httpsAgent = guardAgent(new HttpsAgent({ keepAlive: true, maxSockets: 256, ...tlsOptions }), t);

    const config: S3ClientConfig = {
      region: optStr(options.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Ceph RGW and s3rver break on the v3 SDK's default CRC32 + aws-chunked uploads.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      followRegionRedirects: true,
      // The SDK would otherwise print its warnings on the user's console (see QUIET_LOGGER).
      logger: QUIET_LOGGER,
      // One middleware stack per command kind, built once instead of on every request.
      cacheMiddleware: true,
      // Retries are retry.ts's job (one policy for every backend).
      maxAttempts: 1,
      requestHandler: { httpAgent: this.httpAgent, httpsAgent: this.httpsAgent },
    };
    this.endpoint = endpoint;
    if (endpoint) {
      config.endpoint = endpoint;
      config.forcePathStyle = true;
    }
    const keyId = optStr(options.access_key_id);
    const secret = optStr(options.secret_access_key);
    let staticKeys: Creds | undefined;
    this.ini = undefined;
    if (keyId && secret) {
      const token = optStr(options.session_token);
      staticKeys = { accessKeyId: keyId, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
      config.credentials = staticKeys;
    } else if (optStr(options.profile) || optStr(options.credentialpath) || optStr(options.configpath)) {
      const profile = optStr(options.profile);
      const filepath = optStr(options.credentialpath);
      const configFilepath = optStr(options.configpath);
      this.ini = {
        ...(profile ? { profile } : {}),
        ...(filepath ? { filepath } : {}),
        ...(configFilepath ? { configFilepath } : {}),
      };
    }
    this.anonymous = false;
    if (optBool(options.allow_anonymous_login, false) && !config.credentials && !this.ini) {
      this.anonymous = true;
      // Public buckets: requests go unsigned.
      config.credentials = { accessKeyId: '', secretAccessKey: '' };
      config.signer = { sign: async (request) => request };
    }
    this.config = config;

    const extras: Partial<PutObjectCommandInput> = {};
    const sse = optStr(options.sse);
    if (sse) extras.ServerSideEncryption = sse as PutObjectCommandInput['ServerSideEncryption'];
    const kms = optStr(options.sse_kms_key_id);
    if (kms) extras.SSEKMSKeyId = kms;
    const acl = optStr(options.acl);
    if (acl) extras.ACL = acl as PutObjectCommandInput['ACL'];
    for (const [opt, field] of [
      ['grant_read', 'GrantRead'],
      ['grant_read_acp', 'GrantReadACP'],
      ['grant_write_acp', 'GrantWriteACP'],
      ['grant_full_control', 'GrantFullControl'],
    ] as const) {
      const v = optStr(options[opt]);
      if (v) extras[field] = v;
    }
    this.sseC = {};
    const cAlg = optStr(options.sse_customer_algorithm);
    const cKey = optStr(options.sse_customer_key);
    if (cAlg) this.sseC.SSECustomerAlgorithm = cAlg;
    if (cKey) this.sseC.SSECustomerKey = cKey;
    this.putExtras = { ...extras, ...this.sseC };
    const h: PutHeaders = { 'content-type': 'application/octet-stream' };
    if (extras.ServerSideEncryption) h['x-amz-server-side-encryption'] = extras.ServerSideEncryption;
    if (extras.SSEKMSKeyId) h['x-amz-server-side-encryption-aws-kms-key-id'] = extras.SSEKMSKeyId;
    if (extras.ACL) h['x-amz-acl'] = extras.ACL;
    if (extras.GrantRead) h['x-amz-grant-read'] = extras.GrantRead;
    if (extras.GrantReadACP) h['x-amz-grant-read-acp'] = extras.GrantReadACP;
    if (extras.GrantWriteACP) h['x-amz-grant-write-acp'] = extras.GrantWriteACP;
    if (extras.GrantFullControl) h['x-amz-grant-full-control'] = extras.GrantFullControl;
    this.putHeaders = h;
    // SSE-C needs its key headers on every request: the SDK does those.
    this.directOff = process.env.COPPER_S3_DIRECT === '0' || !!(this.sseC.SSECustomerAlgorithm || this.sseC.SSECustomerKey);
    // A custom endpoint and keys in the options (or none: anonymous): the fast path needs nothing
    // of the SDK, which then loads only for requests the fast path does not make (a fetch served
    // wholly by GETs never loads it: about 0.3 s of CPU).
    this.plainTarget =
      !this.directOff && endpoint && (staticKeys || this.anonymous) && !sdkEndpointSettings()
        ? customEndpointTarget(endpoint, this.bucket, String(config.region))
        : undefined;
    this.staticKeys = staticKeys;
  }

  private readonly staticKeys: Creds | undefined;

  /**
   * The AWS SDK and this remote's client, made on first need. From then on the fast path and the
   * SDK share one clock offset (the client's).
   */
  private sdk(): Promise<Sdk> {
    this.sdkLoad ??= (async () => {
      const m = await import('@aws-sdk/client-s3');
      const config = { ...this.config };
      if (this.ini) config.credentials = (await import('@aws-sdk/credential-provider-ini')).fromIni(this.ini);
      if (this.clock.systemClockOffset !== undefined) config.systemClockOffset = this.clock.systemClockOffset;
      const client = new m.S3Client(config);
      const cfg = client.config as { systemClockOffset?: number };
      Object.defineProperty(this.clock, 'systemClockOffset', {
        get: () => cfg.systemClockOffset,
        set: (v: number | undefined) => {
          cfg.systemClockOffset = v;
        },
        configurable: true,
      });
      return { m, client };
    })();
    return this.sdkLoad;
  }

  /**
   * The fast path for this bucket (s3-direct.ts), or undefined when the SDK must do every
   * request: switched off (COPPER_S3_DIRECT=0, SSE-C), or the SDK's endpoint rules give an
   * address this path does not sign for. Asked once.
   */
  private fast(): Promise<S3Direct | undefined> | undefined {
    if (this.directOff) return undefined;
    this.direct ??= this.makeDirect().then(
      (d) => (this.directMade = d),
      () => undefined,
    );
    return this.direct;
  }

  /** The fast path, made or not (undefined: the SDK). */
  private async fastPath(): Promise<S3Direct | undefined> {
    if (this.directOff) return undefined;
    return this.directMade ?? (await this.fast());
  }

  private async makeDirect(): Promise<S3Direct | undefined> {
    let target = this.plainTarget;
    let credentials: (() => Promise<Creds>) | undefined;
    if (target) {
      const keys = this.staticKeys;
      credentials = keys ? async () => keys : undefined;
    } else {
      const { m, client } = await this.sdk();
      const cfg = client.config;
      const { getEndpointFromInstructions } = await import('@smithy/core/endpoints');
      const ep = await getEndpointFromInstructions({ Bucket: this.bucket, Key: `${this.root}x` }, m.GetObjectCommand, cfg as never);
      const scheme = (ep.properties?.authSchemes as { name?: string; signingName?: string; signingRegion?: string }[] | undefined)?.[0];
      const url = ep.url;
      if (!scheme || scheme.name !== 'sigv4' || scheme.signingName !== 's3' || !scheme.signingRegion) return undefined;
      if (Object.keys(ep.headers ?? {}).length || url.search || url.username || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
      credentials = this.anonymous ? undefined : (cfg.credentials as unknown as () => Promise<Creds>);
      target = {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : undefined,
        host: url.host,
        basePath: url.pathname.replace(/\/+$/, ''),
        signingRegion: scheme.signingRegion,
      };
    }
    return new S3Direct({
      target,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      tls: this.tlsOptions,
      credentials,
      clock: this.clock,
      connectMs: this.connectMs,
      readMs: this.readMs,
    });
  }

  /** The fast path met an answer only the SDK handles (a redirect): the SDK from now on. */
  private sdkFromNow(): void {
    this.directOff = true;
  }

  private key(path: string): string {
    return this.root + path;
  }

  /** Turns an SDK error into what the FileSystem contract promises. */
  private fail(e: unknown, path: string, op: string): Error {
    const err = e as { name?: string; Code?: string; message?: string };
    const name = err?.Code ?? err?.name ?? 'Error';
    const status = httpStatus(e);
    if (name === 'NoSuchBucket') return remoteError(`${this.url}: bucket '${this.bucket}' does not exist`, e);
    if (
      status === 403 ||
      status === 401 ||
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'ExpiredToken', 'InvalidToken'].includes(name)
    ) {
      // A HEAD answer has no body: the SDK then names the error 'Forbidden' or 'Unknown'.
      const code = ['Forbidden', 'Error', 'Unknown', 'UnknownError'].includes(name) ? '' : ` (${name})`;
      return remoteError(
        `${this.url}: access denied${code} - check the remote's credentials (access_key_id/secret_access_key, profile, or the AWS_* environment)`,
        e,
      );
    }
    if (name === 'CredentialsProviderError') {
      return remoteError(`${this.url}: no AWS credentials found (set access_key_id/secret_access_key, a profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`, e);
    }
    const net = networkCode(e);
    if (net) return remoteError(`${this.url}: cannot reach ${this.endpoint ?? 'the S3 endpoint'} (${netWords(net)})`, e);
    if (name === 'AbortError' && (e as { sourceError?: unknown }).sourceError) {
      return (e as { sourceError: Error }).sourceError;
    }
    const msg = err?.message && err.message !== 'UnknownError' ? err.message : `HTTP ${status ?? '?'}`;
    return remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${name}${msg && msg !== name ? `: ${msg}` : ''}`, e);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    const direct = await this.fastPath();
    if (direct) {
      let n: number | undefined;
      try {
        n = await direct.head(this.key(path));
      } catch (e) {
        if (!(e instanceof UseSdk)) throw this.fail(e, path, 'stat');
        this.sdkFromNow();
        return this.size(path);
      }
      if (n === undefined) await this.checkBucket();
      return n;
    }
    try {
      const { m, client } = await this.sdk();
      const r = await client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path), ...this.sseC }));
      return r.ContentLength ?? 0;
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (httpStatus(e) === 404 && name !== 'NoSuchBucket') {
        await this.checkBucket();
        return undefined;
      }
      throw this.fail(e, path, 'stat');
    }
  }

  async info(path: string): Promise<FileStat | undefined> {
    try {
      const { m, client } = await this.sdk();
      const r = await client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path), ...this.sseC }));
      return { size: r.ContentLength ?? 0, ...(r.ETag ? { etag: r.ETag } : {}), ...(r.VersionId ? { versionId: r.VersionId } : {}) };
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (httpStatus(e) === 404 && name !== 'NoSuchBucket') {
        await this.checkBucket();
        return undefined;
      }
      throw this.fail(e, path, 'stat');
    }
  }

  /**
   * HEAD of an object answers a bare 404 (no body, so no NoSuchBucket code) both when the object
   * is missing and when the whole bucket is: after the first such answer, one HeadBucket tells
   * them apart, so `status -c` on a missing bucket fails instead of calling every object new.
   * A bucket we may not HEAD (403: no s3:ListBucket) is taken to exist.
   */
  private checkBucket(): Promise<void> {
    this.bucketCheck ??= this.sdk().then(({ m, client }) => client.send(new m.HeadBucketCommand({ Bucket: this.bucket }))).then(
      () => undefined,
      (e) => {
        const status = httpStatus(e);
        if (status === 404) throw remoteError(`${this.url}: bucket '${this.bucket}' does not exist`, e);
        if (status === 403 || status === 401 || status === 301 || status === 400) return undefined;
        // Not answered (network, 5xx): ask again next time; this attempt fails (and is retried).
        this.bucketCheck = undefined;
        throw this.fail(e, '', 'stat');
      },
    );
    return this.bucketCheck;
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s));
  }

  /**
   * One page of the listing (up to 1000 keys); the next page is the next step. On the fast path
   * (s3-direct.ts: one signed GET on its pool) where GET and HEAD take it, else through the SDK;
   * both give the same keys and tokens.
   */
  async listStep(step: ListStep): Promise<ListPage> {
    let p = step.prefix.replace(/^\/+/, '');
    if (p && !p.endsWith('/')) p += '/';
    const full = this.root + p;
    const token = step.token;
    let keys: string[];
    let next: string | undefined;
    const direct = await this.fastPath();
    if (direct) {
      try {
        ({ keys, next } = await direct.list(full, token, this.listV1));
      } catch (e) {
        if (!(e instanceof UseSdk)) throw this.fail(e, step.prefix, 'list');
        // A redirect: this page and every request after it through the SDK (the token is the same).
        this.sdkFromNow();
        return this.listStep(step);
      }
      return this.page(step, keys, next);
    }
    try {
      const { m, client } = await this.sdk();
      if (this.listV1) {
        const r = await client.send(new m.ListObjectsCommand({ Bucket: this.bucket, Prefix: full, Marker: token }));
        keys = (r.Contents ?? []).map((c) => c.Key!).filter(Boolean);
        next = r.IsTruncated ? (r.NextMarker ?? keys[keys.length - 1]) : undefined;
      } else {
        const r = await client.send(new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token }));
        keys = (r.Contents ?? []).map((c) => c.Key!).filter(Boolean);
        next = r.IsTruncated ? r.NextContinuationToken : undefined;
      }
    } catch (e) {
      throw this.fail(e, step.prefix, 'list');
    }
    return this.page(step, keys, next);
  }

  private page(step: ListStep, keys: string[], next: string | undefined): ListPage {
    return {
      // Folder markers made by consoles are no files.
      files: keys.filter((k) => !k.endsWith('/')).map((k) => k.slice(this.root.length)),
      next: next ? [{ prefix: step.prefix, token: next }] : [],
    };
  }

  /** Aborts the multipart uploads below `prefix` started more than `olderThanMs` ago. */
  async removeStaleTemps(prefix: string, olderThanMs: number, owned: (finalPath: string) => boolean = () => true): Promise<string[]> {
    let p = prefix.replace(/^\/+/, '');
    if (p && !p.endsWith('/')) p += '/';
    const removed: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      let r;
      const { m, client } = await this.sdk();
      try {
        r = await client.send(new m.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.root + p, KeyMarker, UploadIdMarker }));
      } catch (e) {
        throw this.fail(e, prefix, 'list uploads');
      }
      for (const u of r.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !u.Initiated || Date.now() - u.Initiated.getTime() <= olderThanMs) continue;
        if (!u.Key.startsWith(this.root) || !owned(u.Key.slice(this.root.length))) continue;
        try {
          await client.send(new m.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        } catch (e) {
          if (httpStatus(e) !== 404) throw this.fail(e, u.Key.slice(this.root.length), 'abort upload');
        }
        removed.push(u.Key.slice(this.root.length));
      }
      if (!r.IsTruncated) return removed;
      KeyMarker = r.NextKeyMarker;
      UploadIdMarker = r.NextUploadIdMarker;
    }
  }

  read(path: string): Promise<Readable> {
    return this.get(path, -1, undefined) as Promise<Readable>;
  }

  /**
   * The object's chunks when it has at most `maxBytes` bytes (one request, no stream: the fast
   * path), else a stream of it (the SDK's too).
   */
  readSmall(path: string, maxBytes: number, alive?: () => void): Promise<Buffer[] | Readable> {
    return this.get(path, maxBytes, alive);
  }

  private async get(path: string, keepWhole: number, alive: (() => void) | undefined): Promise<Buffer[] | Readable> {
    const direct = await this.fastPath();
    try {
      if (direct) {
        try {
          return await direct.get(this.key(path), keepWhole, alive);
        } catch (e) {
          if (!(e instanceof UseSdk)) throw e;
          this.sdkFromNow();
        }
      }
      const { m, client } = await this.sdk();
      const r = await client.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: this.key(path), ...this.sseC }));
      return r.Body as Readable;
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'NoSuchKey' || (httpStatus(e) === 404 && name !== 'NoSuchBucket')) throw notFoundError(this.url, path);
      throw this.fail(e, path, 'read');
    }
  }

  async write(path: string, source: Readable, size?: number): Promise<void> {
    const Key = this.key(path);
    const data = size === undefined ? source : sizeChecked(source, size, joinUrl(this.url, path));
    const ac = new AbortController();
    let sourceError: Error | undefined;
    const onError = (err: Error) => {
      sourceError = err;
      ac.abort(err);
    };
    data.once('error', onError);
    try {
      const direct = size !== undefined && size <= SINGLE_PUT_MAX ? await this.fastPath() : undefined;
      if (direct && size !== undefined) {
        try {
          await direct.put(Key, data, size, this.putHeaders);
        } catch (e) {
          if (!(e instanceof UseSdk)) throw e;
          // A redirect: the bytes are spent; the retry wrapper sends them again, through the SDK.
          this.sdkFromNow();
          throw Object.assign(remoteError(`${joinUrl(this.url, path)}: write redirected (HTTP ${e.answer}), sent again through the SDK`), { transient: true });
        }
      } else if (size !== undefined && size <= SINGLE_PUT_MAX) {
        const { m, client } = await this.sdk();
        await client.send(
          new m.PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentLength: size, ...this.putExtras }),
          { abortSignal: ac.signal },
        );
      } else {
        // Parts are buffered (partSize x queueSize bytes), so keep both small; 10,000 parts max.
        const partSize = Math.max(8 * MiB, size ? Math.ceil(size / 9000) : 0);
        const { client } = await this.sdk();
        const { Upload } = await import('@aws-sdk/lib-storage');
        const upload = new Upload({
          client,
          params: { Bucket: this.bucket, Key, Body: data, ...this.putExtras },
          partSize,
          queueSize: 2,
          leavePartsOnError: false,
          abortController: ac,
        });
        await upload.done();
      }
      if (sourceError) throw sourceError;
    } catch (e) {
      if (sourceError) throw sourceError;
      throw this.fail(e, path, 'write');
    } finally {
      data.off('error', onError);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      const { m, client } = await this.sdk();
      await client.send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
    } catch (e) {
      if (httpStatus(e) === 404 && (e as { name?: string }).name !== 'NoSuchBucket') return;
      throw this.fail(e, path, 'delete');
    }
  }

  async close(): Promise<void> {
    if (this.sdkLoad) (await this.sdkLoad.catch(() => undefined))?.client.destroy();
    const direct = this.directMade ?? (this.direct ? await this.direct : undefined);
    await direct?.close();
  }

  /** Creates the bucket (tests and `dvc` never need it; handy for setting up a server). */
  async createBucket(): Promise<void> {
    try {
      const { m, client } = await this.sdk();
      await client.send(new m.CreateBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
      throw this.fail(e, '', 'create bucket');
    }
  }
}

export async function openS3(url: string, options: RemoteOptions = {}): Promise<FileSystem> {
  return new S3FileSystem(url, options);
}
