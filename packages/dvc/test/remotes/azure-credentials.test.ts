// Azure credentials as DVC picks them (connection string, account key, SAS token, AD service
// principal, anonymous, DefaultAzureCredential): the choice itself (a pure function), the SAS and
// account-key paths for real against Azurite, the CLI's options, and @azure/identity loading only
// when a token is needed. Azurite checks shared keys and SAS signatures but no AAD tokens, so the
// token paths are checked up to the one clear error they end in here (no Azure AD to sign in to).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { AccountSASPermissions, StorageSharedKeyCredential, generateAccountSASQueryParameters } from '@azure/storage-blob';
import { AzureFileSystem, azureLogin, readAzStorageConfig, DEFAULT_CREDENTIAL_CHAIN } from '../../src/fs/azure.js';
import { RemoteError } from '../../src/errors.js';
import { collect, readAll } from './contract.js';
import { testServer, uniqueName, withEnv } from './servers.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { assertOneErrorLine } from './e2e-common.js';

const URL_ = 'azure://c/p';
const login = (options: Record<string, string>, env: Record<string, string> = {}, az: Record<string, string> = {}) => azureLogin(URL_, options, env, az);

describe('azure credentials: which one is used (DVC: dvc-azure + adlfs)', () => {
  const all = {
    connection_string: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5',
    account_name: 'acct',
    account_key: 'a2V5',
    sas_token: 'sv=1&sig=x',
    tenant_id: 't',
    client_id: 'c',
    client_secret: 's',
  };
  const without = (...keys: string[]) => Object.fromEntries(Object.entries(all).filter(([k]) => !keys.includes(k)));

  test('precedence: connection_string, account_key, sas_token, service principal, then DefaultAzureCredential', () => {
    assert.equal(login(all).method, 'connection string');
    assert.equal(login(without('connection_string')).method, 'account key');
    assert.equal(login(without('connection_string', 'account_key')).method, 'SAS token');
    assert.deepEqual(login(without('connection_string', 'account_key', 'sas_token')), {
      method: 'AD service principal',
      accountName: 'acct',
      tenantId: 't',
      clientId: 'c',
      clientSecret: 's',
    });
    assert.deepEqual(login({ account_name: 'acct' }), { method: 'default credentials', accountName: 'acct', chain: undefined });
  });

  test('allow_anonymous_login: no credentials looked up, but a given key still wins (as adlfs)', () => {
    assert.deepEqual(login({ account_name: 'acct', allow_anonymous_login: 'true' }), { method: 'anonymous login', accountName: 'acct' });
    assert.equal(login({ account_name: 'acct', allow_anonymous_login: 'true', account_key: 'k' }).method, 'account key');
    assert.equal(login({ account_name: 'acct', allow_anonymous_login: 'false' }).method, 'default credentials');
  });

  test('exclude_*_credential options take their credential out of the default chain', () => {
    const l = login({ account_name: 'acct', exclude_environment_credential: 'true', exclude_managed_identity_credential: 'true' });
    assert.equal(l.method, 'default credentials');
    assert.deepEqual(
      (l as { chain: string[] }).chain,
      DEFAULT_CREDENTIAL_CHAIN.filter((c) => c !== 'EnvironmentCredential' && c !== 'ManagedIdentityCredential'),
    );
    const vs = login({ account_name: 'acct', exclude_visual_studio_code_credential: 'true' }) as { chain: string[] };
    assert.ok(!vs.chain.includes('VisualStudioCodeCredential') && vs.chain.includes('AzureCliCredential'));
    // false, or the shared token cache (the JavaScript chain has none): DefaultAzureCredential as it is.
    assert.equal((login({ account_name: 'acct', exclude_environment_credential: 'false' }) as { chain?: string[] }).chain, undefined);
    assert.equal((login({ account_name: 'acct', exclude_shared_token_cache_credential: 'true' }) as { chain?: string[] }).chain, undefined);
  });

  test('no account and no connection string: DVC\'s message, one line', () => {
    assert.throws(
      () => login({ account_key: 'k', sas_token: 's' }),
      (e: unknown) => e instanceof RemoteError && /Authentication to Azure Blob Storage requires either account_name or connection_string/.test(e.message) && !e.message.includes('\n'),
    );
  });

  test('part of a service principal is an error naming what is missing (never a silent fallback)', () => {
    assert.throws(
      () => login({ account_name: 'acct', tenant_id: 't', client_id: 'c' }),
      (e: unknown) => e instanceof RemoteError && /tenant_id, client_id and client_secret; client_secret is not set/.test(e.message),
    );
    assert.throws(() => login({ account_name: 'acct', client_secret: 'sekrit' }), (e: unknown) => e instanceof RemoteError && !e.message.includes('sekrit'));
  });

  test('options beat the Azure CLI environment, which beats its config file, which beats adlfs\' variables', () => {
    const env = { AZURE_STORAGE_ACCOUNT: 'envacct', AZURE_STORAGE_KEY: 'envkey', AZURE_STORAGE_ACCOUNT_NAME: 'adlfsacct' };
    const az = { account: 'azacct', key: 'azkey', sas_token: 'azsas' };
    assert.deepEqual(login({}, env, az), { method: 'account key', accountName: 'envacct', accountKey: 'envkey' });
    assert.deepEqual(login({ account_name: 'optacct' }, env, az), { method: 'account key', accountName: 'optacct', accountKey: 'envkey' });
    assert.deepEqual(login({}, {}, az), { method: 'account key', accountName: 'azacct', accountKey: 'azkey' });
    assert.deepEqual(login({}, { AZURE_STORAGE_ACCOUNT_NAME: 'adlfsacct' }, { sas_token: 'azsas' }), { method: 'SAS token', accountName: 'adlfsacct', sasToken: 'azsas' });
    assert.equal(login({}, { AZURE_STORAGE_CONNECTION_STRING: 'BlobEndpoint=http://x/a;SharedAccessSignature=sv=1' }, az).method, 'connection string');
    const sp = login({ account_name: 'a' }, { AZURE_STORAGE_TENANT_ID: 't', AZURE_STORAGE_CLIENT_ID: 'c', AZURE_STORAGE_CLIENT_SECRET: 's' });
    assert.equal(sp.method, 'AD service principal');
  });

  test('the Azure CLI config file: [storage] of $AZURE_CONFIG_DIR/config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copper-az-'));
    try {
      writeFileSync(join(dir, 'config'), '[core]\noutput = json\n[storage]\naccount = cfgacct\nsas_token = sv=2&sig=y\n# comment\n[other]\nkey = no\n');
      assert.deepEqual(readAzStorageConfig({ AZURE_CONFIG_DIR: dir }), { account: 'cfgacct', sas_token: 'sv=2&sig=y' });
      assert.deepEqual(readAzStorageConfig({ AZURE_CONFIG_DIR: join(dir, 'none') }), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An environment for spawn without the variables set to undefined (withEnv's way to remove one). */
function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

const server = testServer('azurite');
const info = server.info;

/** An account SAS for Azurite, signed with `key` (its well-known key, or a wrong one). */
function accountSas(permissions: string, key = info!.account_key!): string {
  return generateAccountSASQueryParameters(
    {
      permissions: AccountSASPermissions.parse(permissions),
      services: 'b',
      resourceTypes: 'sco',
      startsOn: new Date(Date.now() - 60_000),
      expiresOn: new Date(Date.now() + 3_600_000),
    },
    new StorageSharedKeyCredential(info!.account_name!, key),
  ).toString();
}

describe('azure credentials against Azurite (sas_token, account_key)', { skip: server.skip, timeout: 120_000 }, () => {
  const container = uniqueName('azcred').toLowerCase();
  // Azurite's blob endpoint in place of https://ACCOUNT.blob.core.windows.net (the Azure CLI's variable).
  const endpoint = () => ({ AZURE_STORAGE_SERVICE_ENDPOINT: info!.endpoint!, AZURE_STORAGE_CONNECTION_STRING: undefined, AZURE_STORAGE_ACCOUNT: undefined, AZURE_STORAGE_KEY: undefined, AZURE_STORAGE_SAS_TOKEN: undefined });

  before(async () => {
    await new AzureFileSystem(`azure://${container}`, { connection_string: info!.connection_string! }).createContainer();
  });

  test('sas_token with account_name: write, exists, list, read', async () => {
    await withEnv(endpoint(), async () => {
      const fs = new AzureFileSystem(`azure://${container}/sas`, { account_name: info!.account_name!, sas_token: accountSas('rwdlac') });
      assert.equal(fs.loginMethod, 'SAS token');
      await fs.write('files/md5/ab/cdef', Readable.from([Buffer.from('sas bytes')]), 9);
      assert.equal(await fs.exists('files/md5/ab/cdef'), true);
      assert.equal(await fs.exists('files/md5/ab/none'), false);
      assert.deepEqual(await collect(fs.list('files')), ['files/md5/ab/cdef']);
      assert.equal((await readAll(await fs.read('files/md5/ab/cdef'))).toString(), 'sas bytes');
      // A leading '?' (as the portal shows it) is fine too.
      const q = new AzureFileSystem(`azure://${container}/sas`, { account_name: info!.account_name!, sas_token: `?${accountSas('rl')}` });
      assert.equal(await q.exists('files/md5/ab/cdef'), true);
    });
  });

  test('a read-only SAS reads but cannot write: one line, naming the method', async () => {
    await withEnv(endpoint(), async () => {
      const fs = new AzureFileSystem(`azure://${container}/sas`, { account_name: info!.account_name!, sas_token: accountSas('rl') });
      await assert.rejects(fs.write('files/md5/ab/ro', Readable.from([Buffer.from('x')]), 1), (e: unknown) => {
        assert.ok(e instanceof RemoteError, String(e));
        assert.match(e.message, /access denied .*via SAS token/);
        assert.ok(!e.message.includes('\n') && !e.message.includes('sig='), e.message);
        return true;
      });
    });
  });

  test('a SAS signed with the wrong key is refused for every operation', async () => {
    await withEnv(endpoint(), async () => {
      const sas = accountSas('rwdlac', Buffer.alloc(64, 7).toString('base64'));
      const fs = new AzureFileSystem(`azure://${container}/sas`, { account_name: info!.account_name!, sas_token: sas });
      // One at a time: a rejection that comes before its assert.rejects would be unhandled.
      for (const p of [() => fs.exists('x'), () => collect(fs.list('')), () => fs.write('x', Readable.from([Buffer.from('x')]), 1)]) {
        await assert.rejects(p, (e: unknown) => e instanceof RemoteError && /access denied/.test(e.message) && !e.message.includes(sas));
      }
    });
  });

  test('account_key with account_name (no connection string)', async () => {
    await withEnv(endpoint(), async () => {
      const fs = new AzureFileSystem(`azure://${container}/key`, { account_name: info!.account_name!, account_key: info!.account_key! });
      assert.equal(fs.loginMethod, 'account key');
      await fs.write('k', Readable.from([Buffer.from('key bytes')]), 9);
      assert.equal((await readAll(await fs.read('k'))).toString(), 'key bytes');
    });
  });

  test('dvc with sas_token in config.local: push, status -c, pull; @azure/identity is never loaded', async () => {
    const repo = await withEnv(endpoint(), () => makeRepo());
    const hook = fileURLToPath(new URL('./fixtures/register-trace.mjs', import.meta.url));
    const cli = fileURLToPath(new URL('../../bin/dvc.js', import.meta.url));
    try {
      writeFiles(repo.dir, { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'az', `azure://${container}/cli`).code, 0);
      assert.equal(repo.dvc('remote', 'modify', 'az', 'account_name', info!.account_name!).code, 0);
      assert.equal(repo.dvc('remote', 'modify', '--local', 'az', 'sas_token', accountSas('rwdlac')).code, 0);
      const traced = (args: string[]) => {
        const file = join(repo.dir, '..', `trace-${args[0]}.txt`);
        writeFileSync(file, '');
        const r = spawnSync(process.execPath, ['--import', hook, cli, ...args], {
          cwd: repo.dir,
          env: definedOnly({ ...process.env, ...endpoint(), COPPER_TRACE_FILE: file, HOME: join(repo.dir, '..') }),
          encoding: 'utf8',
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: readFileSync(file, 'utf8') };
      };
      const push = traced(['push']);
      assert.equal(push.code, 0, push.stderr);
      assert.equal(push.stdout, '3 files pushed\n');
      assert.ok(push.loaded.includes('node_modules/@azure/storage-blob'), 'the trace hook saw no Azure SDK: the test would prove nothing');
      assert.ok(!push.loaded.includes('node_modules/@azure/identity'), 'a SAS-token push loaded @azure/identity');
      assert.equal(traced(['status', '-c']).stdout, "Cache and remote 'az' are in sync.\n");
      rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(repo.dir, 'data'), { recursive: true, force: true });
      const pull = traced(['pull']);
      assert.equal(pull.code, 0, pull.stderr);
      assert.equal(readFileSync(join(repo.dir, 'data', 'b.txt'), 'utf8'), 'b\n');
    } finally {
      repo.cleanup();
    }
  });
});

describe('azure token credentials (no Azure AD here: checked up to their error)', { timeout: 120_000 }, () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'copper-azhome-'));
    mkdirSync(join(home, '.azure'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('dvc remote modify takes every azure option DVC has', () => {
    const repo = makeRepo();
    try {
      assert.equal(repo.dvc('remote', 'add', 'az', 'azure://c/p').code, 0);
      const opts: Record<string, string> = {
        account_name: 'acct',
        tenant_id: '00000000-0000-0000-0000-000000000000',
        client_id: 'cid',
        sas_token: 'sv=1&sig=x',
        allow_anonymous_login: 'true',
        exclude_environment_credential: 'true',
        exclude_visual_studio_code_credential: 'true',
        exclude_shared_token_cache_credential: 'false',
        exclude_managed_identity_credential: 'true',
        timeout: '30',
        read_timeout: '60',
        connection_timeout: '10',
      };
      for (const [k, v] of Object.entries(opts)) {
        const r = repo.dvc('remote', 'modify', 'az', k, v);
        assert.equal(r.code, 0, `${k}: ${r.stderr}`);
      }
      assert.equal(repo.dvc('remote', 'modify', '--local', 'az', 'client_secret', 'sekrit').code, 0);
      assert.equal(repo.dvc('remote', 'modify', '--local', 'az', 'account_key', 'a2V5').code, 0);
      const bad = repo.dvc('remote', 'modify', 'az', 'exclude_everything', 'true');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /^ERROR: .*extra keys not allowed/);
      const config = readFileSync(join(repo.dir, '.dvc', 'config'), 'utf8');
      for (const k of Object.keys(opts)) assert.match(config, new RegExp(`\\b${k} = `));
      assert.match(readFileSync(join(repo.dir, '.dvc', 'config.local'), 'utf8'), /client_secret = sekrit/);
    } finally {
      repo.cleanup();
    }
  });

  test('account_name alone: DefaultAzureCredential; nothing to sign in with is one ERROR line (and loads @azure/identity)', () => {
    const repo = makeRepo();
    const hook = fileURLToPath(new URL('./fixtures/register-trace.mjs', import.meta.url));
    const cli = fileURLToPath(new URL('../../bin/dvc.js', import.meta.url));
    try {
      writeFiles(repo.dir, { 'd/a.txt': 'a\n' });
      assert.equal(repo.dvc('add', 'd').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'az', 'azure://c/p').code, 0);
      assert.equal(repo.dvc('remote', 'modify', 'az', 'account_name', 'copperdefault').code, 0);
      // No instance metadata service, no environment credentials here: the rest of the chain
      // (VS Code, az, pwsh, azd) is not installed or not signed in under this HOME.
      assert.equal(repo.dvc('remote', 'modify', 'az', 'exclude_managed_identity_credential', 'true').code, 0);
      assert.equal(repo.dvc('remote', 'modify', 'az', 'exclude_environment_credential', 'true').code, 0);
      const file = join(home, 'trace.txt');
      writeFileSync(file, '');
      const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AZURE_')).map((k) => [k, '']));
      const r = spawnSync(process.execPath, ['--import', hook, cli, 'status', '-c'], {
        cwd: repo.dir,
        env: {
          ...process.env,
          ...clean,
          HOME: home,
          AZURE_CONFIG_DIR: join(home, '.azure'),
          // Nothing listens there: the request never leaves this machine (a token comes first anyway).
          AZURE_STORAGE_SERVICE_ENDPOINT: 'https://127.0.0.1:9',
          COPPER_TRACE_FILE: file,
        },
        encoding: 'utf8',
        timeout: 100_000,
      });
      assertOneErrorLine(
        { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr },
        'status -c with default credentials',
        /Authentication to Azure Blob Storage via default credentials failed: .*az login/,
      );
      assert.ok(readFileSync(file, 'utf8').includes('node_modules/@azure/identity'), '@azure/identity was not what failed');
    } finally {
      repo.cleanup();
    }
  });

  test('a service principal asks Azure AD for a token; unreachable, that is one line naming the method', async () => {
    await withEnv({ AZURE_STORAGE_SERVICE_ENDPOINT: 'https://127.0.0.1:9', AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9' }, async () => {
      const fs = new AzureFileSystem('azure://c/p', {
        account_name: 'acct',
        tenant_id: '00000000-0000-0000-0000-000000000000',
        client_id: '11111111-1111-1111-1111-111111111111',
        client_secret: 'sp-secret-value',
      });
      assert.equal(fs.loginMethod, 'AD service principal');
      await assert.rejects(fs.exists('x'), (e: unknown) => {
        assert.ok(e instanceof RemoteError, String(e));
        assert.match(e.message, /Authentication to Azure Blob Storage via AD service principal failed/);
        assert.ok(!e.message.includes('\n') && !e.message.includes('sp-secret-value'), e.message);
        return true;
      });
    });
  });
});
