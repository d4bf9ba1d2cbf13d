// dvc push/pull/status -c/gc -c to an S3 remote on Ceph RGW, through the CLI.
import { describe, before } from 'node:test';
import { testServer, uniqueName } from './servers.js';
import { e2eTests } from './e2e-common.js';
import { S3FileSystem } from '../../src/fs/s3.js';

const server = testServer('ceph');
const info = server.info;
const bucket = uniqueName('e2e').toLowerCase();
const creds = () => ({ endpointurl: info!.endpoint!, access_key_id: info!.access_key_id!, secret_access_key: info!.secret_access_key! });

describe('e2e: s3 remote on Ceph RGW', { skip: server.skip, timeout: 300_000 }, () => {
  before(async () => {
    const fs = new S3FileSystem(`s3://${bucket}`, creds());
    await fs.createBucket();
    await fs.close();
  });
  e2eTests('s3', {
    url: (name) => `s3://${bucket}/${name}`,
    options: info ? creds() : {},
    open: async (name) => new S3FileSystem(`s3://${bucket}/${name}`, creds()),
    badOptions: info ? { ...creds(), secret_access_key: 'wrong-secret' } : 'no server',
    missingUrl: `s3://${bucket}-missing/x`,
    badMessage: /access denied/,
  });
});
