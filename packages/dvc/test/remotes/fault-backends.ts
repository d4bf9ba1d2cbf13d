/**
 * Every remote kind's real test server, as the fault contract (fault-contract.ts) needs it, each
 * behind the fault-injecting proxy (fault-proxy.ts): S3 (Ceph RGW), Azure (Azurite), GCS (the
 * firebase emulator), WebDAV and HTTP (nginx), WebHDFS (the REST emulator), SSH (OpenSSH sshd).
 * One faults-<kind>.test.ts file runs each (the runner runs them side by side).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { S3Client, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { STALE_TEMP_AGE_MS } from '../../src/fs/types.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { AzureFileSystem } from '../../src/fs/azure.js';
import { GsFileSystem } from '../../src/fs/gs.js';
import { startWebhdfsEmulator, type WebhdfsEmulator } from '../servers/webhdfs-emulator.js';
import type { FaultBackend } from './fault-contract.js';
import { httpFaultProxy, tcpFaultProxy } from './fault-proxy.js';
import { nginxEnv } from './nginx-env.js';
import { testServer, uniqueName } from './servers.js';

/** Connect and read timeouts of one second, through each kind's own option names where DVC has them. */
const QUICK = { connect_timeout: 1, read_timeout: 1 };
const aDayAgo = () => new Date(Date.now() - STALE_TEMP_AGE_MS - 3600_000);
const hex16 = () => randomBytes(8).toString('hex');

/** S3 on Ceph RGW. */
export function s3Faults(): FaultBackend {
  const server = testServer('ceph');
  const info = server.info;
  const bucket = uniqueName('s3f').toLowerCase();
  const keys = () => ({ access_key_id: info!.access_key_id!, secret_access_key: info!.secret_access_key! });
  return {
    name: 's3 (Ceph RGW)',
    skip: server.skip,
    prepare: async () => {
      const fs = new S3FileSystem(`s3://${bucket}`, { endpointurl: info!.endpoint!, ...keys() });
      await fs.createBucket();
      await fs.close();
    },
    proxy: () => httpFaultProxy(info!.endpoint!),
    remote: (proxy, name) => ({ url: `s3://${bucket}/${name}`, options: { endpointurl: `http://${proxy}`, ...keys(), ...QUICK } }),
    isListing: (m, url) => m === 'GET' && url.includes('list-type=2'),
    leaveTemp: async (name, path) => {
      // A killed multipart upload: started, one part sent, never completed nor aborted.
      const client = new S3Client({
        endpoint: info!.endpoint!,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: info!.access_key_id!, secretAccessKey: info!.secret_access_key! },
      });
      const Key = `${name}/${path}`;
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
      await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(1000) }));
      client.destroy();
      return path;
    },
    badOptions: () => ({ secret_access_key: 'not-the-secret' }),
  };
}

/** Azure on Azurite. */
export function azureFaults(): FaultBackend {
  const server = testServer('azurite');
  const info = server.info;
  const container = uniqueName('azf').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const via = (proxy: string, key = info!.account_key!) =>
    `DefaultEndpointsProtocol=http;AccountName=${info!.account_name};AccountKey=${key};BlobEndpoint=http://${proxy}/${info!.account_name};`;
  return {
    name: 'azure (Azurite)',
    skip: server.skip,
    prepare: async () => {
      const fs = new AzureFileSystem(`azure://${container}`, { connection_string: info!.connection_string! });
      await fs.createContainer();
      await fs.close();
    },
    proxy: () => httpFaultProxy(info!.endpoint!),
    remote: (proxy, name) => ({
      url: `azure://${container}/${name}`,
      options: { connection_string: via(proxy), connection_timeout: 1, read_timeout: 1 },
    }),
    isListing: (m, url) => m === 'GET' && url.includes('comp=list'),
    leaveTemp: 'Azure keeps the blocks of an unfinished upload out of sight and discards them after a week: no temp files',
    badOptions: (proxy) => ({ connection_string: via(proxy, Buffer.alloc(64, 1).toString('base64')) }),
  };
}

/** GCS on the firebase emulator. */
export function gsFaults(): FaultBackend {
  const server = testServer('gcs');
  const info = server.info;
  const bucket = uniqueName('gsf').toLowerCase();
  return {
    name: 'gs (firebase emulator)',
    skip: server.skip,
    prepare: async () => {
      const fs = new GsFileSystem(`gs://${bucket}`, { endpointurl: info!.endpoint!, projectname: info!.project! });
      await fs.createBucket();
      await fs.close();
    },
    proxy: () => httpFaultProxy(info!.endpoint!),
    remote: (proxy, name) => ({ url: `gs://${bucket}/${name}`, options: { endpointurl: `http://${proxy}`, projectname: info!.project!, ...QUICK } }),
    isListing: (m, url) => m === 'GET' && /\/o(\?|$)/.test(url.split('#')[0]!),
    leaveTemp: 'GCS discards unfinished resumable uploads after a week, and a failed simple upload stores nothing',
    badOptions: 'the emulator checks no credentials',
  };
}

/** WebDAV on nginx. */
export function webdavFaults(): FaultBackend {
  const { env, skip } = nginxEnv();
  const root = `faults-${randomBytes(3).toString('hex')}`;
  return {
    name: 'webdav (nginx)',
    skip: skip ?? false,
    proxy: () => httpFaultProxy(env!.webdav),
    remote: (proxy, name) => ({
      url: `webdav://${proxy}/${root}/${name}`,
      options: { user: env!.user, password: env!.password, timeout: 1 },
    }),
    isListing: (m) => m === 'PROPFIND',
    leaveTemp: async (name, path) => {
      const temp = `${path}.copper-tmp-${hex16()}`;
      const file = join(env!.davRoot, root, name, temp);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'half an upload');
      return temp;
    },
    ageTemp: async (name, temp) => utimesSync(join(env!.davRoot, root, name, temp), aDayAgo(), aDayAgo()),
    badOptions: () => ({ password: 'not-the-password' }),
  };
}

/** Plain HTTP on nginx (no listing). */
export function httpFaults(): FaultBackend {
  const { env, skip } = nginxEnv();
  const root = `faults-${randomBytes(3).toString('hex')}`;
  return {
    name: 'http (nginx)',
    skip: skip ?? false,
    canList: false,
    proxy: () => httpFaultProxy(env!.http),
    remote: (proxy, name) => ({ url: `http://${proxy}/${root}/${name}`, options: { ...QUICK } }),
    leaveTemp: 'the HTTP server stores each upload itself (its temp files are its own)',
    badOptions: 'the HTTP test server checks no credentials',
  };
}

/** WebHDFS on the REST emulator (started here). */
export function webhdfsFaults(): FaultBackend {
  let emu: WebhdfsEmulator | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'copper-webhdfs-faults-'));
  after(async () => {
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    name: 'webhdfs (REST emulator)',
    skip: false,
    prepare: async () => {
      emu = await startWebhdfsEmulator({ root: dir, user: 'alice' });
    },
    // The namenode's answers go through the proxy; its redirects lead to the datanode directly.
    proxy: () => httpFaultProxy(`http://127.0.0.1:${emu!.namenodePort}`),
    remote: (proxy, name) => ({ url: `webhdfs://alice@${proxy}/user/alice/${name}`, options: { ...QUICK } }),
    isListing: (m, url) => url.includes('op=LISTSTATUS'),
    leaveTemp: async (name, path) => {
      const temp = `${path}.copper-tmp-${hex16()}`;
      const file = join(dir, 'user/alice', name, temp);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'half an upload');
      return temp;
    },
    ageTemp: async (name, temp) => utimesSync(join(dir, 'user/alice', name, temp), aDayAgo(), aDayAgo()),
    badOptions: () => ({ user: 'mallory' }),
  };
}

/** SSH on OpenSSH sshd, behind a TCP proxy. */
export function sshFaults(): FaultBackend {
  const server = testServer('sshd');
  const info = server.info;
  // The proxy's port is not the server's: host keys are checked by ssh-host-keys.test.ts.
  process.env.COPPER_SSH_KNOWN_HOSTS = 'none';
  return {
    name: 'ssh (OpenSSH)',
    skip: server.skip,
    proxy: () => tcpFaultProxy(info!.host!, Number(info!.port)),
    remote: (proxy, name) => ({
      url: `ssh://${info!.user}@${proxy}${info!.root}/${name}`,
      options: { keyfile: info!.keyfile!, timeout: 1, read_timeout: 1 },
    }),
    transient: ['reset'],
    dead: 'blackhole',
    stallBody: 'stall',
    stallUpload: 'stall',
    leaveTemp: async (name, path) => {
      const temp = `${path}.${hex16()}.tmp`;
      const file = join(info!.root!, name, temp);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'half an upload');
      return temp;
    },
    ageTemp: async (name, temp) => utimesSync(join(info!.root!, name, temp), aDayAgo(), aDayAgo()),
    badOptions: () => ({ keyfile: '', password: 'not-the-password' }),
    // One connection per remote (as DVC), opened again only when lost: its first three are reset
    // in a row (the first operation is retried over all three), the fourth holds.
    transientPlan: { script: ['reset', 'reset', 'reset'] },
    // Each lister's first connection is reset mid-listing, the one it reopens holds.
    listingPlan: { script: ['reset', undefined, 'reset', undefined, 'reset'] },
  };
}
