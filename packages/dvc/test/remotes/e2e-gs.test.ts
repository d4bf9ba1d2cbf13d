// dvc push/pull/status -c/gc -c to a GCS remote on firebase's Cloud Storage emulator, through the
// CLI (emulator test: it checks no credentials, so the bad-credentials case is skipped).
import { describe, before } from 'node:test';
import { testServer, uniqueName } from './servers.js';
import { e2eTests } from './e2e-common.js';
import { GsFileSystem } from '../../src/fs/gs.js';

const server = testServer('gcs');
const info = server.info;
const bucket = uniqueName('e2e').toLowerCase();
const opts = () => ({ endpointurl: info!.endpoint!, projectname: info!.project! });

describe('e2e: gs remote on the firebase Cloud Storage emulator', { skip: server.skip, timeout: 300_000 }, () => {
  before(async () => {
    await new GsFileSystem(`gs://${bucket}`, opts()).createBucket();
  });
  e2eTests('gs', {
    url: (name) => `gs://${bucket}/${name}`,
    options: info ? opts() : {},
    open: async (name) => new GsFileSystem(`gs://${bucket}/${name}`, opts()),
    badOptions: 'the emulator checks no credentials',
    missingUrl: '',
    missingSkip: 'the emulator has no bucket API: it makes a bucket on first upload',
    badMessage: /access denied/,
  });
});
