/**
 * Azure Blob Storage on the official SDK (@azure/storage-blob). URL: azure://container/prefix.
 * Options (DVC's): connection_string, account_name, account_key, sas_token, allow_anonymous_login;
 * environment: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY,
 * AZURE_STORAGE_SAS_TOKEN. Endpoints other than Azure's (Azurite) come through the connection
 * string's BlobEndpoint.
 *
 * Uploads are atomic by Azure's rules: one Put Blob (known size up to 256 MiB, streamed), or
 * staged blocks that only become the blob at Put Block List; a failed upload commits nothing.
 */
import type { Readable } from 'node:stream';
import {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { FileSystem } from './types.js';
import { httpStatus, joinUrl, networkCode, notFoundError, optBool, optStr, remoteError, sizeChecked, type RemoteOptions } from './remote-errors.js';

const MiB = 1024 * 1024;
const SINGLE_PUT_MAX = 256 * MiB;

function errCode(e: unknown): string | undefined {
  const x = e as { code?: unknown; details?: { errorCode?: string } };
  if (typeof x?.code === 'string') return x.code;
  return x?.details?.errorCode;
}

export class AzureFileSystem implements FileSystem {
  readonly protocol = 'azure';
  readonly url: string;
  readonly container: string;
  readonly root: string;
  private readonly client: ContainerClient;

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'azure:') throw remoteError(`not an azure URL: ${url}`);
    this.container = u.hostname;
    if (!this.container) throw remoteError(`${url}: the URL names no container (azure://CONTAINER/path)`);
    const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    this.root = path ? `${path}/` : '';
    this.url = `azure://${this.container}${path ? `/${path}` : ''}`;

    // Retries are retry.ts's job; the SDK keeps connections alive by default.
    const pipeline: StoragePipelineOptions = { retryOptions: { maxTries: 1 } };
    const env = process.env;
    const connectionString = optStr(options.connection_string) ?? env.AZURE_STORAGE_CONNECTION_STRING;
    const account = optStr(options.account_name) ?? env.AZURE_STORAGE_ACCOUNT;
    const key = optStr(options.account_key) ?? env.AZURE_STORAGE_KEY;
    const sas = optStr(options.sas_token) ?? env.AZURE_STORAGE_SAS_TOKEN;
    let service: BlobServiceClient;
    try {
      if (connectionString) {
        service = BlobServiceClient.fromConnectionString(connectionString, pipeline);
      } else if (account) {
        const base = `https://${account}.blob.core.windows.net`;
        if (key) service = new BlobServiceClient(base, new StorageSharedKeyCredential(account, key), pipeline);
        else if (sas) service = new BlobServiceClient(`${base}?${sas.replace(/^\?/, '')}`, new AnonymousCredential(), pipeline);
        else if (optBool(options.allow_anonymous_login, false)) service = new BlobServiceClient(base, new AnonymousCredential(), pipeline);
        else {
          throw remoteError(
            `${this.url}: no Azure credentials for account '${account}' (set account_key, sas_token or connection_string, or allow_anonymous_login)`,
          );
        }
      } else {
        throw remoteError(
          `${this.url}: no Azure storage account given (set connection_string, or account_name with account_key/sas_token, or AZURE_STORAGE_CONNECTION_STRING)`,
        );
      }
    } catch (e) {
      if ((e as Error).name === 'RemoteError') throw e;
      throw remoteError(`${this.url}: bad Azure credentials: ${(e as Error).message}`, e);
    }
    this.client = service.getContainerClient(this.container);
  }

  private blob(path: string) {
    return this.client.getBlockBlobClient(this.root + path);
  }

  private fail(e: unknown, path: string, op: string): Error {
    const code = errCode(e);
    const status = httpStatus(e);
    if (code === 'ContainerNotFound') return remoteError(`${this.url}: container '${this.container}' does not exist`, e);
    if (status === 403 || status === 401 || code === 'AuthenticationFailed' || code === 'AuthorizationFailure') {
      return remoteError(
        `${this.url}: access denied${code ? ` (${code})` : ''} - check the remote's credentials (account_key, sas_token, connection_string or AZURE_STORAGE_*)`,
        e,
      );
    }
    const net = networkCode(e);
    if (net) return remoteError(`${this.url}: cannot reach the blob service at ${this.client.url.replace(/\?.*$/, '')} (${net})`, e);
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    return remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${code ?? (status ? `HTTP ${status}` : (e as Error)?.name)}: ${msg}`, e);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const p = await this.blob(path).getProperties();
      return p.contentLength ?? 0;
    } catch (e) {
      if (httpStatus(e) === 404 && errCode(e) !== 'ContainerNotFound') return undefined;
      throw this.fail(e, path, 'stat');
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let p = prefix.replace(/^\/+/, '');
    if (p && !p.endsWith('/')) p += '/';
    const pages = this.client.listBlobsFlat({ prefix: this.root + p }).byPage({ maxPageSize: 5000 });
    for (;;) {
      let r;
      try {
        r = await pages.next();
      } catch (e) {
        throw this.fail(e, prefix, 'list');
      }
      if (r.done) return;
      for (const b of r.value.segment.blobItems) yield b.name.slice(this.root.length);
    }
  }

  async read(path: string): Promise<Readable> {
    try {
      const r = await this.blob(path).download(0);
      const body = r.readableStreamBody as Readable | undefined;
      if (!body) throw remoteError(`${joinUrl(this.url, path)}: download returned no body`);
      return body;
    } catch (e) {
      if (httpStatus(e) === 404 && errCode(e) !== 'ContainerNotFound') throw notFoundError(this.url, path);
      if ((e as Error).name === 'RemoteError') throw e;
      throw this.fail(e, path, 'read');
    }
  }

  async write(path: string, source: Readable, size?: number): Promise<void> {
    const data = size === undefined ? source : sizeChecked(source, size, joinUrl(this.url, path));
    const ac = new AbortController();
    let sourceError: Error | undefined;
    const onError = (err: Error) => {
      sourceError = err;
      ac.abort(err);
    };
    data.once('error', onError);
    try {
      const b = this.blob(path);
      if (size !== undefined && size <= SINGLE_PUT_MAX) {
        let used = false;
        await b.upload(
          () => {
            // The SDK asks again only when it retries, which it does not here (maxTries 1).
            if (used) throw new Error('upload body requested twice');
            used = true;
            return data;
          },
          size,
          { abortSignal: ac.signal },
        );
      } else {
        await b.uploadStream(data, 4 * MiB, 4, { abortSignal: ac.signal });
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
      await this.blob(path).deleteIfExists();
    } catch (e) {
      if (httpStatus(e) === 404 && errCode(e) !== 'ContainerNotFound') return;
      throw this.fail(e, path, 'delete');
    }
  }

  async close(): Promise<void> {
    // The SDK's HTTP agent holds no handles that keep the process alive.
  }

  /** Creates the container (for setting up test servers). */
  async createContainer(): Promise<void> {
    try {
      await this.client.createIfNotExists();
    } catch (e) {
      throw this.fail(e, '', 'create container');
    }
  }
}
