/**
 * Azure Blob Storage on the official SDK (@azure/storage-blob). URL: azure://container/prefix.
 *
 * Credentials, as DVC (dvc-azure + adlfs) picks them; the first that applies wins:
 *  1. connection_string
 *  2. account_name + account_key
 *  3. account_name + sas_token
 *  4. account_name + tenant_id, client_id, client_secret (an AD service principal)
 *  5. account_name + allow_anonymous_login (public containers)
 *  6. account_name alone: DefaultAzureCredential (environment, workload identity, managed identity,
 *     VS Code, Azure CLI, PowerShell, azd), less the exclude_*_credential options.
 * Each value comes from the remote's options, else the Azure CLI's environment variables and
 * config file (AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY,
 * AZURE_STORAGE_SAS_TOKEN; `[storage]` in $AZURE_CONFIG_DIR/config, default ~/.azure/config), else
 * adlfs' variables (AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_TENANT_ID,
 * AZURE_STORAGE_CLIENT_ID, AZURE_STORAGE_CLIENT_SECRET). The blob endpoint is
 * https://ACCOUNT.blob.core.windows.net, or a connection string's BlobEndpoint, or the Azure CLI's
 * AZURE_STORAGE_SERVICE_ENDPOINT (sovereign clouds, private endpoints, Azurite).
 * @azure/identity is imported only when a token is first needed (cases 4 and 6).
 *
 * Uploads are atomic by Azure's rules: one Put Blob (known size up to 256 MiB, streamed), or
 * staged blocks that only become the blob at Put Block List; a failed upload commits nothing.
 *
 * Get Blob, Get Blob Properties and Put Blob of a blob go straight on keep-alive sockets, signed
 * with the SDK's own Shared Key credential (or the SAS query, or anonymous) when the login is one
 * of those (azure-direct.ts); token logins, staged uploads, listings and deletes use the SDK.
 * COPPER_AZURE_DIRECT=0 sends every request through the SDK.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AzureDirect } from './azure-direct.js';
import { remoteTimeouts } from './timeouts.js';
import { walkSteps, type FileSystem, type FileStat, type ListPage, type ListStep } from './types.js';
import { httpStatus, joinUrl, networkCode, netWords, notFoundError, optBool, optStr, remoteError, sizeChecked, type RemoteOptions } from './remote-errors.js';

const MiB = 1024 * 1024;
const SINGLE_PUT_MAX = 256 * MiB;

function errCode(e: unknown): string | undefined {
  const x = e as { code?: unknown; details?: { errorCode?: string } };
  if (typeof x?.code === 'string') return x.code;
  return x?.details?.errorCode;
}

/** DefaultAzureCredential's chain (as @azure/identity 4 builds it), in order. */
export const DEFAULT_CREDENTIAL_CHAIN = [
  'EnvironmentCredential',
  'WorkloadIdentityCredential',
  'ManagedIdentityCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
] as const;
export type DefaultCredentialName = (typeof DEFAULT_CREDENTIAL_CHAIN)[number];

/** DVC's exclude_* options and the credential each one drops from the default chain. */
const EXCLUDES: Record<string, DefaultCredentialName | undefined> = {
  exclude_environment_credential: 'EnvironmentCredential',
  exclude_managed_identity_credential: 'ManagedIdentityCredential',
  exclude_visual_studio_code_credential: 'VisualStudioCodeCredential',
  // The JavaScript chain has no shared token cache credential: nothing to drop.
  exclude_shared_token_cache_credential: undefined,
};

/** How a remote logs in: DVC's method names (they appear in its messages). */
export type AzureLogin =
  | { method: 'connection string'; connectionString: string }
  | { method: 'account key'; accountName: string; accountKey: string }
  | { method: 'SAS token'; accountName: string; sasToken: string }
  | { method: 'AD service principal'; accountName: string; tenantId: string; clientId: string; clientSecret: string }
  | { method: 'anonymous login'; accountName: string }
  /** `chain` is undefined for DefaultAzureCredential as it is, else the credentials left after exclusions. */
  | { method: 'default credentials'; accountName: string; chain: DefaultCredentialName[] | undefined };

/** The `[storage]` section of the Azure CLI's config file (what DVC reads through knack). */
export function readAzStorageConfig(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const dir = env.AZURE_CONFIG_DIR || join(homedir(), '.azure');
  let text: string;
  try {
    text = readFileSync(join(dir, 'config'), 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) section = sec[1]!.trim().toLowerCase();
    else if (section === 'storage') {
      const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
      if (m) out[m[1]!.toLowerCase()] = m[2]!;
    }
  }
  return out;
}

/**
 * Which credential a remote uses (see the header for the order), from its options, the
 * environment and the Azure CLI config. Throws a one-line RemoteError when there is no account,
 * or only part of a service principal.
 */
export function azureLogin(url: string, options: RemoteOptions, env: NodeJS.ProcessEnv = process.env, az: Record<string, string> = readAzStorageConfig(env)): AzureLogin {
  const pick = (opt: string, cliEnv: string | undefined, azKey: string | undefined, adlfsEnv: string | undefined): string | undefined =>
    optStr(options[opt]) ?? (cliEnv ? optStr(env[cliEnv]) : undefined) ?? (azKey ? optStr(az[azKey]) : undefined) ?? (adlfsEnv ? optStr(env[adlfsEnv]) : undefined);
  const connectionString = pick('connection_string', 'AZURE_STORAGE_CONNECTION_STRING', 'connection_string', undefined);
  if (connectionString) return { method: 'connection string', connectionString };
  const accountName = pick('account_name', 'AZURE_STORAGE_ACCOUNT', 'account', 'AZURE_STORAGE_ACCOUNT_NAME');
  if (!accountName) {
    throw remoteError(
      `${url}: Authentication to Azure Blob Storage requires either account_name or connection_string (remote options, or AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_CONNECTION_STRING)`,
    );
  }
  const accountKey = pick('account_key', 'AZURE_STORAGE_KEY', 'key', 'AZURE_STORAGE_ACCOUNT_KEY');
  if (accountKey) return { method: 'account key', accountName, accountKey };
  const sasToken = pick('sas_token', 'AZURE_STORAGE_SAS_TOKEN', 'sas_token', undefined);
  if (sasToken) return { method: 'SAS token', accountName, sasToken };
  const sp = {
    tenant_id: pick('tenant_id', undefined, undefined, 'AZURE_STORAGE_TENANT_ID'),
    client_id: pick('client_id', undefined, undefined, 'AZURE_STORAGE_CLIENT_ID'),
    client_secret: pick('client_secret', undefined, undefined, 'AZURE_STORAGE_CLIENT_SECRET'),
  };
  const given = Object.entries(sp).filter(([, v]) => v);
  if (given.length === 3) {
    return { method: 'AD service principal', accountName, tenantId: sp.tenant_id!, clientId: sp.client_id!, clientSecret: sp.client_secret! };
  }
  if (given.length) {
    const missing = Object.entries(sp).filter(([, v]) => !v).map(([k]) => k);
    throw remoteError(`${url}: an AD service principal needs tenant_id, client_id and client_secret; ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`);
  }
  if (optBool(options.allow_anonymous_login, false)) return { method: 'anonymous login', accountName };
  const excluded = Object.entries(EXCLUDES)
    .filter(([opt, name]) => name && optBool(options[opt], false))
    .map(([, name]) => name!);
  const chain = excluded.length ? DEFAULT_CREDENTIAL_CHAIN.filter((c) => !excluded.includes(c)) : undefined;
  return { method: 'default credentials', accountName, chain };
}

/** What @azure/identity throws when it gets no token. */
const TOKEN_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

const firstLine = (m: unknown) => String(m ?? '').split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? '';

/**
 * One line for a failed token: a credential that was refused says why (AAD's answer); when every
 * credential of the chain was merely unavailable, a hint at what to set instead of the six reasons.
 */
function tokenFailure(e: unknown): string {
  const errs = (e as { errors?: unknown[] }).errors;
  if (!Array.isArray(errs)) return firstLine((e as Error).message) || String((e as Error).name);
  const refused = errs.find((x) => (x as Error)?.name === 'AuthenticationError');
  if (refused) return firstLine((refused as Error).message);
  return (
    'no credential of DefaultAzureCredential could sign in (environment variables, workload or managed identity, VS Code, Azure CLI, PowerShell, azd); ' +
    "run 'az login', or set account_key, sas_token, connection_string or tenant_id/client_id/client_secret"
  );
}

/** A TokenCredential that imports @azure/identity and builds the real one on its first use. */
class LazyCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;
  constructor(private readonly make: () => Promise<TokenCredential>) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= this.make();
    return (await this.inner).getToken(scopes, options);
  }
}

async function tokenCredential(login: AzureLogin): Promise<TokenCredential> {
  const id = await import('@azure/identity');
  if (login.method === 'AD service principal') return new id.ClientSecretCredential(login.tenantId, login.clientId, login.clientSecret);
  if (login.method !== 'default credentials') throw new Error(`no token credential for ${login.method}`);
  if (!login.chain) return new id.DefaultAzureCredential();
  const env = process.env;
  const clientId = env.AZURE_CLIENT_ID;
  const make: Record<DefaultCredentialName, () => TokenCredential | undefined> = {
    EnvironmentCredential: () => new id.EnvironmentCredential(),
    WorkloadIdentityCredential: () =>
      env.AZURE_FEDERATED_TOKEN_FILE && clientId
        ? new id.WorkloadIdentityCredential({ tenantId: env.AZURE_TENANT_ID, clientId, tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE })
        : undefined,
    ManagedIdentityCredential: () => (clientId ? new id.ManagedIdentityCredential({ clientId }) : new id.ManagedIdentityCredential()),
    VisualStudioCodeCredential: () => new id.VisualStudioCodeCredential(),
    AzureCliCredential: () => new id.AzureCliCredential(),
    AzurePowerShellCredential: () => new id.AzurePowerShellCredential(),
    AzureDeveloperCliCredential: () => new id.AzureDeveloperCliCredential(),
  };
  const sources: TokenCredential[] = [];
  for (const name of login.chain) {
    try {
      const c = make[name]();
      if (c) sources.push(c);
    } catch {
      /* not available here (as DefaultAzureCredential skips it) */
    }
  }
  return new id.ChainedTokenCredential(...sources);
}

/** The blob service for a login (no request is made here). */
export function blobService(login: AzureLogin, pipeline: StoragePipelineOptions, env: NodeJS.ProcessEnv = process.env): BlobServiceClient {
  if (login.method === 'connection string') return BlobServiceClient.fromConnectionString(login.connectionString, pipeline);
  const base = (optStr(env.AZURE_STORAGE_SERVICE_ENDPOINT) ?? `https://${login.accountName}.blob.core.windows.net`).replace(/\/+$/, '');
  switch (login.method) {
    case 'account key':
      return new BlobServiceClient(base, new StorageSharedKeyCredential(login.accountName, login.accountKey), pipeline);
    case 'SAS token':
      return new BlobServiceClient(`${base}?${login.sasToken.replace(/^\?/, '')}`, new AnonymousCredential(), pipeline);
    case 'anonymous login':
      return new BlobServiceClient(base, new AnonymousCredential(), pipeline);
    default:
      return new BlobServiceClient(base, new LazyCredential(() => tokenCredential(login)), pipeline);
  }
}

export class AzureFileSystem implements FileSystem {
  readonly protocol = 'azure';
  readonly url: string;
  readonly container: string;
  readonly root: string;
  /** How this remote logs in (DVC's words: 'connection string', 'SAS token'...). */
  readonly loginMethod: AzureLogin['method'];
  private readonly client: ContainerClient;
  /** Signed single requests on keep-alive sockets (azure-direct.ts), when the login allows it. */
  private readonly direct: AzureDirect | undefined;

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
    const login = azureLogin(this.url, options);
    this.loginMethod = login.method;
    let service: BlobServiceClient;
    try {
      service = blobService(login, pipeline);
    } catch (e) {
      // DVC's words; the SDK's reason names no secret (a malformed key or connection string).
      throw remoteError(`${this.url}: Authentication to Azure Blob Storage via ${login.method} failed: ${(e as Error).message}`, e);
    }
    this.client = service.getContainerClient(this.container);
    this.direct = process.env.COPPER_AZURE_DIRECT === '0' ? undefined : AzureDirect.for(this.client, remoteTimeouts('azure', options));
  }

  /** The fast path for `path`, when it takes it. */
  private fast(path: string): AzureDirect | undefined {
    return this.direct && AzureDirect.plain(this.root + path) ? this.direct : undefined;
  }

  private blob(path: string) {
    return this.client.getBlockBlobClient(this.root + path);
  }

  private fail(e: unknown, path: string, op: string): Error {
    if ((e as Error)?.name === 'RemoteError') return e as Error;
    const code = errCode(e);
    const status = httpStatus(e);
    const name = (e as Error)?.name;
    if (code === 'ContainerNotFound') return remoteError(`${this.url}: container '${this.container}' does not exist`, e);
    if (name && TOKEN_ERRORS.has(name)) return remoteError(`${this.url}: Authentication to Azure Blob Storage via ${this.loginMethod} failed: ${tokenFailure(e)}`, e);
    if (status === 403 || status === 401 || code === 'AuthenticationFailed' || code === 'AuthorizationFailure' || code === 'AuthorizationPermissionMismatch') {
      return remoteError(
        `${this.url}: access denied${code ? ` (${code})` : ''} - Authentication to Azure Blob Storage via ${this.loginMethod} was refused; check the remote's credentials (connection_string, account_key, sas_token, tenant_id/client_id/client_secret or AZURE_STORAGE_*)`,
        e,
      );
    }
    const net = networkCode(e);
    if (net) return remoteError(`${this.url}: cannot reach the blob service at ${this.client.url.replace(/\?.*$/, '')} (${netWords(net)})`, e);
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    return remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${code ?? (status ? `HTTP ${status}` : name)}: ${msg}`, e);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const d = this.fast(path);
      if (d) return (await d.head(this.root + path)).size;
      const p = await this.blob(path).getProperties();
      return p.contentLength ?? 0;
    } catch (e) {
      if (httpStatus(e) === 404 && errCode(e) !== 'ContainerNotFound') return undefined;
      throw this.fail(e, path, 'stat');
    }
  }

  async info(path: string): Promise<FileStat | undefined> {
    try {
      const d = this.fast(path);
      if (d) return await d.head(this.root + path);
      const p = await this.blob(path).getProperties();
      return { size: p.contentLength ?? 0, ...(p.etag ? { etag: p.etag } : {}), ...(p.versionId ? { versionId: p.versionId } : {}) };
    } catch (e) {
      if (httpStatus(e) === 404 && errCode(e) !== 'ContainerNotFound') return undefined;
      throw this.fail(e, path, 'stat');
    }
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s));
  }

  /** One page of the listing (up to 5000 blobs); the next page is the next step. */
  async listStep(step: ListStep): Promise<ListPage> {
    let p = step.prefix.replace(/^\/+/, '');
    if (p && !p.endsWith('/')) p += '/';
    const pages = this.client
      .listBlobsFlat({ prefix: this.root + p })
      .byPage({ maxPageSize: 5000, ...(step.token ? { continuationToken: step.token } : {}) });
    let r;
    try {
      r = await pages.next();
    } catch (e) {
      throw this.fail(e, step.prefix, 'list');
    }
    if (r.done) return { files: [], next: [] };
    const token = r.value.continuationToken;
    return {
      files: r.value.segment.blobItems.map((b) => b.name.slice(this.root.length)),
      next: token ? [{ prefix: step.prefix, token }] : [],
    };
  }

  async read(path: string): Promise<Readable> {
    try {
      const d = this.fast(path);
      if (d) return await d.get(this.root + path);
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
      const d = this.fast(path);
      if (d && size !== undefined && size <= SINGLE_PUT_MAX) {
        await d.put(this.root + path, data, size);
      } else if (size !== undefined && size <= SINGLE_PUT_MAX) {
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
    // The SDK's HTTP agent holds no handles that keep the process alive; the fast path's do.
    this.direct?.close();
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
