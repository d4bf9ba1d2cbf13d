// The GCS backend against firebase-tools' Cloud Storage emulator (test/servers/gcs.sh). Emulator
// tests: the emulator implements a subset of the GCS JSON API, checks no credentials and makes
// buckets on first upload, so those two error cases cannot be tested here.
import { test, describe, after } from 'node:test';
import type { Socket } from 'node:net';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backendContract, collect, readAll } from './contract.js';
import { testServer, uniqueName } from './servers.js';
import { GsFileSystem } from '../../src/fs/gs.js';

const server = testServer('gcs');
const info = server.info;
const bucket = uniqueName('gst').toLowerCase();
const opts = () => ({ endpointurl: info!.endpoint!, projectname: info!.project! });

// The SDK cannot abort a simple upload whose source stream broke (the contract's atomicity test
// does that on purpose): its request stays open until gs.ts's deadline. Close those sockets here
// so the test process can end; the object itself is never created (the test checks it).
after(() => {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const h of handles) {
    const sock = h as Socket;
    if (info && typeof sock.remotePort === 'number' && `http://127.0.0.1:${sock.remotePort}` === info.endpoint) sock.destroy();
  }
});

backendContract({
  name: 'gs on the firebase Cloud Storage emulator',
  skip: server.skip,
  open: async () => {
    const fs = new GsFileSystem(`gs://${bucket}/${uniqueName('contract')}`, opts());
    await fs.createBucket();
    return fs;
  },
  badCredentials: 'the emulator checks no credentials',
  missingBucket: 'the emulator makes a bucket on the first upload',
  // Under the 32 MiB simple-upload limit (the emulator's path); large enough that live memory
  // seen while a download is consumed (12-19 MiB under load on 2 cores) stays clearly below what
  // a backend holding the whole object would need.
  largeMiB: 31,
});

describe('gs specifics (emulator)', { skip: server.skip }, () => {
  test('STORAGE_EMULATOR_HOST from the environment replaces endpointurl', async () => {
    const fs0 = new GsFileSystem(`gs://${bucket}/env`, opts());
    await fs0.write('k', Readable.from([Buffer.from('env endpoint')]), 12);
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = info!.endpoint;
    try {
      const fs = new GsFileSystem(`gs://${bucket}/env`, { projectname: info!.project! });
      assert.equal((await readAll(await fs.read('k'))).toString(), 'env endpoint');
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });

  test('a source shorter or longer than its declared size is refused, nothing stored', async () => {
    const fs = new GsFileSystem(`gs://${bucket}/sizes`, opts());
    await assert.rejects(fs.write('s/short', Readable.from([Buffer.alloc(500)]), 1000), /ended after 500 of its 1000 bytes/);
    await assert.rejects(fs.write('s/long', Readable.from([Buffer.alloc(1500)]), 1000), /more than its 1000 bytes/);
    assert.equal(await fs.exists('s/short'), false);
    assert.equal(await fs.exists('s/long'), false);
    assert.deepEqual(await collect(fs.list('s')), []);
    await fs.close();
  });

  test('an unsized upload goes through a resumable session and reads back whole', async () => {
    const fs = new GsFileSystem(`gs://${bucket}/resumable`, opts());
    const part = Buffer.alloc(3 * 1024 * 1024, 5);
    await fs.write('r.bin', Readable.from([part, part, Buffer.from('z')]));
    const back = await readAll(await fs.read('r.bin'));
    assert.equal(back.length, part.length * 2 + 1);
    assert.equal(back.at(-1), 'z'.charCodeAt(0));
  });
});
