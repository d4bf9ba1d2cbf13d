// The S3 backend against a real S3 server: Ceph RADOS Gateway on 127.0.0.1 (test/servers/ceph.sh).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendContract, readAll } from './contract.js';
import { testServer, uniqueName, withEnv } from './servers.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { RemoteError } from '../../src/errors.js';

const server = testServer('ceph');
const info = server.info;
const bucket = uniqueName('s3t').toLowerCase();
let bucketMade = false;

function opts(extra: Record<string, string> = {}) {
  return {
    endpointurl: info!.endpoint,
    access_key_id: info!.access_key_id,
    secret_access_key: info!.secret_access_key,
    ...extra,
  };
}

async function open(prefix: string): Promise<S3FileSystem> {
  const fs = new S3FileSystem(`s3://${bucket}/${prefix}`, opts());
  if (!bucketMade) {
    await fs.createBucket();
    bucketMade = true;
  }
  return fs;
}

backendContract({
  name: 's3 on Ceph RGW',
  skip: server.skip,
  open: () => open(uniqueName('contract')),
  badCredentials: async () => {
    await (await open('x')).close();
    return new S3FileSystem(`s3://${bucket}/bad`, opts({ secret_access_key: 'not-the-secret' }));
  },
  missingBucket: async () => new S3FileSystem(`s3://${bucket}-missing/x`, opts()),
});

describe('s3 specifics', { skip: server.skip }, () => {
  test('credentials from the AWS_* environment when the config has none', async () => {
    const fs0 = await open('env');
    await fs0.write('k', Readable.from([Buffer.from('env creds')]), 9);
    await fs0.close();
    await withEnv({ AWS_ACCESS_KEY_ID: info!.access_key_id, AWS_SECRET_ACCESS_KEY: info!.secret_access_key, AWS_PROFILE: undefined }, async () => {
      const fs = new S3FileSystem(`s3://${bucket}/env`, { endpointurl: info!.endpoint });
      assert.equal((await readAll(await fs.read('k'))).toString(), 'env creds');
      await fs.close();
    });
  });

  test('credentialpath + profile read the keys from an AWS credentials file', async () => {
    const fs0 = await open('profile');
    await fs0.write('k', Readable.from([Buffer.from('from profile')]), 12);
    await fs0.close();
    const dir = mkdtempSync(join(tmpdir(), 'copper-aws-'));
    try {
      const file = join(dir, 'credentials');
      writeFileSync(file, `[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[copper]\naws_access_key_id = ${info!.access_key_id}\naws_secret_access_key = ${info!.secret_access_key}\n`);
      const fs = new S3FileSystem(`s3://${bucket}/profile`, { endpointurl: info!.endpoint!, credentialpath: file, profile: 'copper' });
      assert.equal((await readAll(await fs.read('k'))).toString(), 'from profile');
      await fs.close();
      // The default profile of the same file holds keys the server refuses.
      const bad = new S3FileSystem(`s3://${bucket}/profile`, { endpointurl: info!.endpoint!, credentialpath: file });
      await assert.rejects(bad.read('k'), (e: unknown) => e instanceof RemoteError && /access denied/.test(e.message));
      await bad.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('listobjects (v1 listing) pages through many keys', async () => {
    const fs = new S3FileSystem(`s3://${bucket}/v1list`, opts({ listobjects: 'true' }));
    const names = Array.from({ length: 30 }, (_, i) => `files/md5/${String(i).padStart(2, '0')}/x`);
    await Promise.all(names.map((n) => fs.write(n, Readable.from([Buffer.from(n)]), n.length)));
    const got: string[] = [];
    for await (const k of fs.list('files')) got.push(k);
    assert.deepEqual(got.sort(), names);
    await fs.close();
  });

  test('an unsized upload over one part goes multipart and reads back whole', async () => {
    const fs = await open('multipart');
    const part = Buffer.alloc(5 * 1024 * 1024, 7);
    const chunks = [part, part, Buffer.from('tail')];
    await fs.write('big/m.bin', Readable.from(chunks));
    const back = await readAll(await fs.read('big/m.bin'));
    assert.equal(back.length, part.length * 2 + 4);
    assert.ok(back.subarray(-4).equals(Buffer.from('tail')));
    await fs.delete('big/m.bin');
    await fs.close();
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

  test('an unreachable endpoint is a one-line RemoteError', async () => {
    const fs = new S3FileSystem(`s3://${bucket}/x`, opts({ endpointurl: 'http://127.0.0.1:1' }));
    await assert.rejects(fs.exists('a'), (e: unknown) => e instanceof RemoteError && !e.message.includes('\n'));
    await fs.close();
  });
});
