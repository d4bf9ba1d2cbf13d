// Azure's and GCS's fast paths (azure-direct.ts, gs-direct.ts) against the SDK path on the same
// server (COPPER_AZURE_DIRECT=0 / COPPER_GS_DIRECT=0): what one stores the other reads byte for
// byte with the same size and change markers, a missing object and a missing container are the
// same errors, and names that need escaping work either way. A proxy named in the environment is
// honoured as the SDKs honour it.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testServer, uniqueName, withEnv } from './servers.js';
import { readAll } from './contract.js';
import { AzureFileSystem } from '../../src/fs/azure.js';
import { GsFileSystem } from '../../src/fs/gs.js';
import type { FileSystem } from '../../src/fs/types.js';

interface Kind {
  name: string;
  skip: string | false;
  env: string;
  open: (root: string) => FileSystem;
  missing: () => FileSystem;
  missingMessage: RegExp | undefined;
  prepare: () => Promise<void>;
}

const azurite = testServer('azurite');
const gcs = testServer('gcs');
const container = uniqueName('direct').toLowerCase();
const bucket = uniqueName('direct').toLowerCase();
const kinds: Kind[] = [
  {
    name: 'azure',
    skip: azurite.skip,
    env: 'COPPER_AZURE_DIRECT',
    open: (root) => new AzureFileSystem(`azure://${container}/${root}`, { connection_string: azurite.info!.connection_string! }),
    missing: () => new AzureFileSystem(`azure://${container}-nope/x`, { connection_string: azurite.info!.connection_string! }),
    missingMessage: /container '.*-nope' does not exist/,
    prepare: () => new AzureFileSystem(`azure://${container}`, { connection_string: azurite.info!.connection_string! }).createContainer(),
  },
  {
    name: 'gs',
    skip: gcs.skip,
    env: 'COPPER_GS_DIRECT',
    open: (root) => new GsFileSystem(`gs://${bucket}/${root}`, { endpointurl: gcs.info!.endpoint!, projectname: gcs.info!.project! }),
    missing: () => new GsFileSystem(`gs://${bucket}/x`, { endpointurl: gcs.info!.endpoint!, projectname: gcs.info!.project! }),
    // The emulator has no bucket API (it makes buckets on first upload): no missing-bucket case.
    missingMessage: undefined,
    prepare: () => new GsFileSystem(`gs://${bucket}`, { endpointurl: gcs.info!.endpoint!, projectname: gcs.info!.project! }).createBucket(),
  },
];

for (const k of kinds) {
  describe(`${k.name}: fast path and SDK path agree`, { skip: k.skip, timeout: 120_000 }, () => {
    before(() => k.prepare());
    const both = (root: string) => ({
      fast: withEnv({ [k.env]: undefined }, () => k.open(root)),
      sdk: withEnv({ [k.env]: '0' }, () => k.open(root)),
    });

    test('each reads what the other stored: same bytes, size and change markers', async () => {
      const { fast, sdk } = both(uniqueName('x'));
      const [f, s] = [await fast, await sdk];
      const a = randomBytes(70_001);
      const b = randomBytes(5);
      await f.write('files/md5/aa/one', Readable.from([a]), a.length);
      await s.write('files/md5/bb/two', Readable.from([b]), b.length);
      for (const fs of [f, s]) {
        assert.deepEqual(await readAll(await fs.read('files/md5/aa/one')), a);
        assert.deepEqual(await readAll(await fs.read('files/md5/bb/two')), b);
        assert.equal(await fs.size('files/md5/aa/one'), a.length);
        assert.equal(await fs.size('files/md5/none'), undefined);
        await assert.rejects(() => fs.read('files/md5/none'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
      }
      assert.deepEqual(await f.info!('files/md5/aa/one'), await s.info!('files/md5/aa/one'));
      assert.deepEqual(await f.info!('files/md5/bb/two'), await s.info!('files/md5/bb/two'));
      await f.close();
      await s.close();
    });

    test('a name that needs escaping is stored and read back either way', async () => {
      const { fast, sdk } = both(uniqueName('esc'));
      const [f, s] = [await fast, await sdk];
      await f.write('a b/ü #1.txt', Readable.from([Buffer.from('odd name')]), 8);
      assert.equal((await readAll(await s.read('a b/ü #1.txt'))).toString(), 'odd name');
      assert.equal(await f.size('a b/ü #1.txt'), 8);
      await f.close();
      await s.close();
    });

    test('with HTTP_PROXY set, every request goes through the proxy, as the SDK sends them', async () => {
      // A forward proxy for plain http that counts what it passes on.
      let seen = 0;
      const proxy = http.createServer((req, res) => {
        seen++;
        const up = http.request(req.url!, { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        req.pipe(up);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      try {
        const vars = { [k.env]: undefined, HTTP_PROXY: url, http_proxy: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };
        await withEnv(vars, async () => {
          const fs = k.open(uniqueName('proxy'));
          await fs.write('files/md5/cc/p', Readable.from([Buffer.from('via proxy')]), 9);
          const afterWrite = seen;
          assert.equal(await fs.size('files/md5/cc/p'), 9);
          assert.equal((await readAll(await fs.read('files/md5/cc/p'))).toString(), 'via proxy');
          await fs.close();
          assert.ok(afterWrite >= 1, 'the upload went through the proxy');
          assert.ok(seen >= afterWrite + 2, 'the size and the read went through the proxy');
        });
      } finally {
        proxy.closeAllConnections();
        proxy.close();
      }
    });

    test('a missing container is the same one-line error either way', { skip: k.missingMessage ? false : 'the emulator makes buckets on first use' }, async () => {
      for (const v of [undefined, '0']) {
        const fs = await withEnv({ [k.env]: v }, () => k.missing());
        await assert.rejects(() => fs.size('files/md5/aa/x'), k.missingMessage!);
        await assert.rejects(() => fs.read('files/md5/aa/x'), k.missingMessage!);
        await assert.rejects(() => fs.write('files/md5/aa/x', Readable.from([Buffer.from('x')]), 1), k.missingMessage!);
        await fs.close();
      }
    });
  });
}
