/**
 * Google Cloud Storage on the official SDK (@google-cloud/storage). URL: gs://bucket/prefix.
 * Options (DVC's): projectname, credentialpath (a service-account JSON), endpointurl (or
 * `endpoint`), allow_anonymous_login; environment: GOOGLE_APPLICATION_CREDENTIALS,
 * STORAGE_EMULATOR_HOST (both read by the SDK itself).
 *
 * Uploads are atomic by GCS's rules: an object exists only once its upload (one request, or a
 * resumable session for large/unsized data) completes; a broken upload leaves no object.
 *
 * An object's bytes, its metadata and simple uploads go straight on keep-alive sockets with the
 * SDK's own endpoint and auth client (gs-direct.ts); listings, deletes, resumable uploads, the
 * bucket lookup, STORAGE_EMULATOR_HOST and anonymous access use the SDK. COPPER_GS_DIRECT=0 sends
 * every request through the SDK.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type Bucket, type StorageOptions } from '@google-cloud/storage';
import { GsDirect } from './gs-direct.js';
import { remoteTimeouts } from './timeouts.js';
import { walkSteps, type FileStat, type FileSystem, type ListPage, type ListStep } from './types.js';
import { httpStatus, joinUrl, networkCode, netWords, notFoundError, optBool, optStr, remoteError, sizeChecked, type RemoteOptions } from './remote-errors.js';

const MiB = 1024 * 1024;

/** GCS says "The specified bucket does not exist." (object errors say "No such object: b/k"). */
function isBucketMissing(e: unknown): boolean {
  return /bucket does not exist|no such bucket|bucket not found/i.test(String((e as Error)?.message ?? ''));
}
/** Larger (or unsized) uploads use a resumable session. */
const SIMPLE_UPLOAD_MAX = 32 * MiB;

export class GsFileSystem implements FileSystem {
  readonly protocol = 'gs';
  readonly url: string;
  readonly bucketName: string;
  readonly root: string;
  private readonly storage: Storage;
  private readonly bucket: Bucket;
  /** The one bucket lookup asked after the first object that answered 404 (see checkBucket). */
  private bucketCheck: Promise<void> | undefined;
  /** Single requests on keep-alive sockets (gs-direct.ts), where the SDK's setup allows it. */
  private readonly direct: GsDirect | undefined;

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'gs:' && u.protocol !== 'gcs:') throw remoteError(`not a gs URL: ${url}`);
    this.bucketName = u.hostname;
    if (!this.bucketName) throw remoteError(`${url}: the URL names no bucket (gs://BUCKET/path)`);
    const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    this.root = path ? `${path}/` : '';
    this.url = `gs://${this.bucketName}${path ? `/${path}` : ''}`;

    const opts: StorageOptions = {
      // Retries are retry.ts's job.
      retryOptions: { autoRetry: false, maxRetries: 0 },
    };
    const project = optStr(options.projectname);
    if (project) opts.projectId = project;
    const keyFile = optStr(options.credentialpath);
    if (keyFile) opts.keyFilename = keyFile;
    const endpoint = optStr(options.endpointurl) ?? optStr(options.endpoint);
    if (endpoint) opts.apiEndpoint = endpoint;
    const anonymous = optBool(options.allow_anonymous_login, false);
    if (anonymous) {
      // Public buckets: no credentials are looked up or sent.
      (opts as { authClient?: unknown }).authClient = undefined;
      opts.useAuthWithCustomEndpoint = false;
    }
    this.storage = new Storage(opts);
    this.bucket = this.storage.bucket(this.bucketName);
    this.direct = process.env.COPPER_GS_DIRECT === '0' ? undefined : GsDirect.for(this.storage, this.bucketName, remoteTimeouts('gs', options), anonymous);
  }

  private fail(e: unknown, path: string, op: string): Error {
    if ((e as Error)?.name === 'RemoteError') return e as Error;
    const status = httpStatus(e);
    const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
    if (status === 401 || status === 403 || /Could not load the default credentials|invalid_grant|unauthorized/i.test(msg)) {
      return remoteError(
        `${this.url}: access denied - check the remote's credentials (credentialpath, GOOGLE_APPLICATION_CREDENTIALS, projectname): ${msg}`,
        e,
      );
    }
    const net = networkCode(e);
    if (net) return remoteError(`${this.url}: cannot reach ${this.storage.apiEndpoint} (${netWords(net)})`, e);
    if (status === 404 && isBucketMissing(e)) return remoteError(`${this.url}: bucket '${this.bucketName}' does not exist`, e);
    return remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${status ? `HTTP ${status}: ` : ''}${msg}`, e);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      if (this.direct) return (await this.direct.meta(this.root + path)).size;
      const [meta] = await this.bucket.file(this.root + path).getMetadata();
      return Number(meta.size ?? 0);
    } catch (e) {
      if (httpStatus(e) === 404) {
        if (isBucketMissing(e)) throw this.fail(e, path, 'stat');
        await this.checkBucket();
        return undefined;
      }
      throw this.fail(e, path, 'stat');
    }
  }

  async info(path: string): Promise<FileStat | undefined> {
    try {
      if (this.direct) {
        const m = await this.direct.meta(this.root + path);
        return { size: m.size, ...(m.etag ? { etag: m.etag } : {}), ...(m.generation ? { versionId: m.generation } : {}) };
      }
      const [meta] = await this.bucket.file(this.root + path).getMetadata();
      const etag = typeof meta.etag === 'string' ? meta.etag : undefined;
      const gen = meta.generation === undefined || meta.generation === null ? undefined : String(meta.generation);
      return { size: Number(meta.size ?? 0), ...(etag ? { etag } : {}), ...(gen ? { versionId: gen } : {}) };
    } catch (e) {
      if (httpStatus(e) === 404) {
        if (isBucketMissing(e)) throw this.fail(e, path, 'stat');
        await this.checkBucket();
        return undefined;
      }
      throw this.fail(e, path, 'stat');
    }
  }

  /**
   * An object's 404 does not always say whether the bucket is there: after the first one, one
   * bucket lookup tells, so `status -c` on a missing bucket fails instead of calling every object
   * new. A bucket we may not look up (403: no storage.buckets.get) is taken to exist, and so is
   * any answer that is not GCS's "bucket does not exist" (the firebase emulator has no bucket API
   * and makes buckets on first upload).
   */
  private checkBucket(): Promise<void> {
    this.bucketCheck ??= this.bucket.getMetadata().then(
      () => undefined,
      (e) => {
        const status = httpStatus(e);
        if (status === 404 && isBucketMissing(e)) throw remoteError(`${this.url}: bucket '${this.bucketName}' does not exist`, e);
        if (status !== undefined && status < 500 && status !== 408 && status !== 429) return undefined;
        this.bucketCheck = undefined;
        throw this.fail(e, '', 'stat');
      },
    );
    return this.bucketCheck;
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s));
  }

  /** One page of the listing (up to 1000 objects); the next page is the next step. */
  async listStep(step: ListStep): Promise<ListPage> {
    let p = step.prefix.replace(/^\/+/, '');
    if (p && !p.endsWith('/')) p += '/';
    let names: string[];
    let next: string | undefined;
    try {
      const [files, nextQuery] = await this.bucket.getFiles({
        prefix: this.root + p,
        autoPaginate: false,
        maxResults: 1000,
        ...(step.token ? { pageToken: step.token } : {}),
      });
      names = files.map((f) => f.name);
      next = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
    } catch (e) {
      if (httpStatus(e) === 404) throw remoteError(`${this.url}: bucket '${this.bucketName}' does not exist`, e);
      throw this.fail(e, step.prefix, 'list');
    }
    return {
      files: names.filter((n) => !n.endsWith('/')).map((n) => n.slice(this.root.length)),
      next: next ? [{ prefix: step.prefix, token: next }] : [],
    };
  }


  async read(path: string): Promise<Readable> {
    if (this.direct) {
      try {
        return await this.direct.get(this.root + path);
      } catch (e) {
        if (httpStatus(e) === 404 && !isBucketMissing(e)) throw notFoundError(this.url, path);
        throw this.fail(e, path, 'read');
      }
    }
    // The SDK's stream only sends its request once someone reads it, and reports a missing object
    // as a stream error: pipe it into our own stream now and wait for the answer's status.
    const src = this.bucket.file(this.root + path).createReadStream({ validation: false });
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    try {
      await new Promise<void>((resolve, reject) => {
        src.once('error', reject);
        src.once('response', (res: { statusCode?: number }) => {
          if ((res.statusCode ?? 200) < 400) resolve(); // else the error event follows
        });
        src.pipe(out);
      });
    } catch (e) {
      src.unpipe(out);
      out.destroy();
      if (httpStatus(e) === 404 && !isBucketMissing(e)) throw notFoundError(this.url, path);
      throw this.fail(e, path, 'read');
    }
    src.on('error', (e) => out.destroy(e));
    out.once('close', () => {
      if (!src.destroyed) src.destroy();
    });
    return out;
  }

  async write(path: string, source: Readable, size?: number): Promise<void> {
    // A simple upload sends no length: a short source would otherwise be stored short.
    const data = size === undefined ? source : sizeChecked(source, size, joinUrl(this.url, path));
    const resumable = size === undefined || size > SIMPLE_UPLOAD_MAX;
    if (this.direct && !resumable) {
      let sourceError: Error | undefined;
      data.once('error', (e) => {
        sourceError = e;
      });
      try {
        await this.direct.put(this.root + path, data, size);
        if (sourceError) throw sourceError;
      } catch (e) {
        if (sourceError) throw sourceError;
        if (httpStatus(e) === 404) throw remoteError(`${this.url}: bucket '${this.bucketName}' does not exist`, e);
        throw this.fail(e, path, 'write');
      }
      return;
    }
    const ws = this.bucket.file(this.root + path).createWriteStream({
      resumable,
      validation: false,
      // The SDK cannot abort a simple upload whose source broke: its request would wait for the
      // rest of the body forever. A deadline generous for the size bounds that (2 min + 256 KB/s).
      ...(resumable ? {} : { timeout: 120_000 + Math.ceil((size ?? 0) / 256) }),
    });
    let sourceError: Error | undefined;
    data.once('error', (e) => {
      sourceError = e;
    });
    try {
      await pipeline(data, ws);
    } catch (e) {
      if (sourceError) throw sourceError;
      if (httpStatus(e) === 404) throw remoteError(`${this.url}: bucket '${this.bucketName}' does not exist`, e);
      throw this.fail(e, path, 'write');
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.bucket.file(this.root + path).delete({ ignoreNotFound: true });
    } catch (e) {
      if (httpStatus(e) === 404) return;
      throw this.fail(e, path, 'delete');
    }
  }

  async close(): Promise<void> {
    // The SDK keeps no handles that hold the process open; the fast path's sockets are closed.
    this.direct?.close();
  }

  /** Creates the bucket (for setting up test servers). */
  async createBucket(): Promise<void> {
    try {
      const [exists] = await this.bucket.exists();
      if (!exists) await this.bucket.create();
    } catch (e) {
      // The firebase emulator has no bucket API (501) and makes buckets on first upload.
      if (httpStatus(e) === 501) return;
      throw this.fail(e, '', 'create bucket');
    }
  }
}
