// hash/verify.ts: a cache object is hashed while it streams to a remote; a bad one never delivers
// its last byte, is never stored, and is not retried (real files, the local backend and a real
// local HTTP server speaking S3).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifiedFileStream, isCorrupt } from '../../src/hash/verify.js';
import { retrying } from '../../src/fs/retry.js';
import { LocalFileSystem } from '../../src/fs/local.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { FlakyS3 } from '../remotes/flaky-server.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('verified uploads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-verify-'));
  const server = new FlakyS3();
  let endpoint = '';
  before(async () => {
    endpoint = await server.start();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a good object streams whole; a bad one errors (ECORRUPT) before its last byte is delivered', async () => {
    const data = randomBytes(300_000); // several chunks
    const file = join(dir, 'obj');
    writeFileSync(file, data);
    const got: Buffer[] = [];
    for await (const c of new VerifiedFileStream(file, md5(data))) got.push(c as Buffer);
    assert.ok(Buffer.concat(got).equals(data));

    const bad = Buffer.from(data);
    bad[150_000] = bad[150_000]! ^ 1;
    writeFileSync(file, bad);
    let delivered = 0;
    await assert.rejects(
      (async () => {
        for await (const c of new VerifiedFileStream(file, md5(data))) delivered += (c as Buffer).length;
      })(),
      (e: unknown) => isCorrupt(e) && (e as Error).message.includes(md5(bad)),
    );
    assert.ok(delivered < bad.length, `delivered ${delivered} of ${bad.length} bytes`);
  });

  test('a corrupt object never lands on the remote and is not retried, even when its error looks transient', async () => {
    const remote = join(dir, 'remote');
    const retries: number[] = [];
    const fs = retrying(new LocalFileSystem(remote), { retries: 3, baseDelayMs: 1, isTransient: () => true, onRetry: (_e, n) => retries.push(n) });
    const good = randomBytes(100_000);
    const file = join(dir, 'spoiled');
    writeFileSync(file, Buffer.concat([good.subarray(0, 50_000)])); // cut short
    await assert.rejects(fs.write('files/md5/aa/bb', new VerifiedFileStream(file, md5(good)), 50_000), (e: unknown) => isCorrupt(e));
    assert.deepEqual(retries, []);
    assert.equal(existsSync(join(remote, 'files/md5/aa/bb')), false);
    assert.deepEqual(readdirSync(join(remote, 'files/md5/aa')), [], 'no temp file left');
  });

  test('a verified upload that fails transiently is retried from a fresh read of the object', async () => {
    const retries: number[] = [];
    const fs = retrying(new S3FileSystem('s3://bkt/root', { endpointurl: endpoint, access_key_id: 'k', secret_access_key: 's' }), {
      retries: 3,
      baseDelayMs: 1,
      onRetry: (_e, n) => retries.push(n),
    });
    try {
      const data = randomBytes(200_000);
      const file = join(dir, 'up');
      writeFileSync(file, data);
      server.failNext(1, { kind: 'status', status: 503, code: 'ServiceUnavailable' }, 'PUT');
      await fs.write('files/md5/cc/dd', new VerifiedFileStream(file, md5(data)), data.length);
      assert.deepEqual(retries, [1]);
      assert.ok(server.objects.get('bkt/root/files/md5/cc/dd')?.equals(readFileSync(file)));
    } finally {
      await fs.close();
    }
  });
});
