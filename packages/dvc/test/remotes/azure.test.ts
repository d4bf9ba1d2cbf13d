// The Azure backend against Azurite, Microsoft's Azure Storage emulator (test/servers/azurite.sh).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backendContract, readAll } from './contract.js';
import { testServer, uniqueName, withEnv } from './servers.js';
import { AzureFileSystem } from '../../src/fs/azure.js';
import { RemoteError } from '../../src/errors.js';

const server = testServer('azurite');
const info = server.info;
const container = uniqueName('azt').toLowerCase().replace(/[^a-z0-9-]/g, '-');
let made = false;

async function open(prefix: string, options: Record<string, string> = { connection_string: info!.connection_string! }): Promise<AzureFileSystem> {
  const fs = new AzureFileSystem(`azure://${container}/${prefix}`, options);
  if (!made) {
    await fs.createContainer();
    made = true;
  }
  return fs;
}

const wrongKey = Buffer.alloc(64, 1).toString('base64');

backendContract({
  name: 'azure on Azurite',
  skip: server.skip,
  open: () => open(uniqueName('contract')),
  badCredentials: async () => {
    await (await open('x')).close();
    return new AzureFileSystem(`azure://${container}/bad`, {
      connection_string: info!.connection_string!.replace(info!.account_key!, wrongKey),
    });
  },
  missingBucket: async () => new AzureFileSystem(`azure://${container}-missing/x`, { connection_string: info!.connection_string! }),
});

describe('azure specifics', { skip: server.skip }, () => {
  test('AZURE_STORAGE_CONNECTION_STRING from the environment', async () => {
    const fs0 = await open('env');
    await fs0.write('k', Readable.from([Buffer.from('from env')]), 8);
    const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
    process.env.AZURE_STORAGE_CONNECTION_STRING = info!.connection_string;
    try {
      const fs = new AzureFileSystem(`azure://${container}/env`, {});
      assert.equal((await readAll(await fs.read('k'))).toString(), 'from env');
    } finally {
      if (saved === undefined) delete process.env.AZURE_STORAGE_CONNECTION_STRING;
      else process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    }
  });

  test('no account at all is a one-line RemoteError naming the options', async () => {
    const cleared = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AZURE_STORAGE')).map((k) => [k, undefined]));
    await withEnv(cleared, () => {
      assert.throws(() => new AzureFileSystem(`azure://${container}/x`, {}), (e: unknown) => e instanceof RemoteError && /connection_string/.test(e.message));
    });
  });

  test('a source shorter or longer than its declared size is refused at once, nothing stored', async () => {
    const fs = await open('sizes');
    const t0 = Date.now();
    await assert.rejects(fs.write('s/short', Readable.from([Buffer.alloc(500)]), 1000), /ended after 500 of its 1000 bytes/);
    await assert.rejects(fs.write('s/long', Readable.from([Buffer.alloc(1500)]), 1000), /more than its 1000 bytes/);
    assert.ok(Date.now() - t0 < 20_000, 'the server was left waiting for the missing bytes');
    assert.equal(await fs.exists('s/short'), false);
    assert.equal(await fs.exists('s/long'), false);
    await fs.close();
  });

  test('an unsized upload larger than one block is staged and committed whole', async () => {
    const fs = await open('blocks');
    const block = Buffer.alloc(4 * 1024 * 1024 + 17, 3);
    await fs.write('big/b.bin', Readable.from([block, block, Buffer.from('end')]));
    const back = await readAll(await fs.read('big/b.bin'));
    assert.equal(back.length, block.length * 2 + 3);
    assert.ok(back.subarray(-3).equals(Buffer.from('end')));
  });
});
