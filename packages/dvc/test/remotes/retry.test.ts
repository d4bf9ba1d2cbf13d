// retry.ts through the real S3 backend against a real local HTTP server that fails on purpose.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { FlakyS3 } from './flaky-server.js';
import { readAll, collect } from './contract.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { retrying, withRetry, backoffDelay } from '../../src/fs/retry.js';
import { isTransient } from '../../src/fs/remote-errors.js';
import { RemoteError } from '../../src/errors.js';
import type { FileSystem } from '../../src/fs/types.js';

describe('retry wrapper', () => {
  const server = new FlakyS3();
  let endpoint = '';
  let fs: FileSystem;
  let retries: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'copper-retry-'));

  before(async () => {
    endpoint = await server.start();
    const s3 = new S3FileSystem('s3://bkt/root', { endpointurl: endpoint, access_key_id: 'k', secret_access_key: 's' });
    fs = retrying(s3, { retries: 4, baseDelayMs: 5, maxDelayMs: 40, onRetry: (_e, n) => retries.push(n) });
  });
  after(async () => {
    await fs.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const reset = () => {
    server.seen.length = 0;
    server.faults = [];
    retries = [];
  };

  test('503 twice, then the answer: the caller sees only the answer', async () => {
    reset();
    server.objects.set('bkt/root/a', Buffer.from('abc'));
    server.failNext(2, { kind: 'status', status: 503, code: 'ServiceUnavailable' });
    assert.equal(await fs.size('a'), 3);
    assert.deepEqual(retries, [1, 2]);
    assert.equal(server.seen.length, 3);
  });

  test('reset connections are retried', async () => {
    reset();
    server.failNext(2, { kind: 'reset' }, 'GET');
    assert.equal((await readAll(await fs.read('a'))).toString(), 'abc');
    assert.equal(retries.length, 2);
  });

  test('500 and 429 are transient; the retries run out and the error is a one-line RemoteError', async () => {
    reset();
    server.failNext(10, { kind: 'status', status: 500, code: 'InternalError' });
    await assert.rejects(fs.exists('a'), (e: unknown) => e instanceof RemoteError && !e.message.includes('\n'));
    assert.equal(server.seen.length, 5, 'one try and four retries');
    reset();
    server.failNext(1, { kind: 'status', status: 429, code: 'SlowDown' });
    assert.equal(await fs.exists('a'), true);
    assert.equal(retries.length, 1);
  });

  test('403 and 404 are never retried', async () => {
    reset();
    server.failNext(1, { kind: 'status', status: 403, code: 'AccessDenied' });
    await assert.rejects(fs.read('a'), (e: unknown) => e instanceof RemoteError && /access denied/.test(e.message));
    assert.equal(server.seen.length, 1);
    reset();
    assert.equal(await fs.size('missing'), undefined);
    await assert.rejects(fs.read('missing'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    // HEAD of the object, the one HeadBucket after a first 404 (is the bucket there?), GET.
    assert.deepEqual(server.seen, ['HEAD', 'HEAD', 'GET']);
    assert.deepEqual(retries, []);
  });

  test('a download cut half-way is resumed: the stream delivers every byte once', async () => {
    reset();
    const data = randomBytes(3 * 1024 * 1024);
    server.objects.set('bkt/root/big', data);
    server.failNext(1, { kind: 'cut' }, 'GET');
    const back = await readAll(await fs.read('big'));
    assert.equal(back.length, data.length);
    assert.ok(back.equals(data));
    assert.equal(retries.length, 1);
  });

  test('an upload from a file is retried from the start of the file', async () => {
    reset();
    const file = join(dir, 'src.bin');
    const data = randomBytes(200_000);
    writeFileSync(file, data);
    server.failNext(2, { kind: 'status', status: 503, code: 'ServiceUnavailable' }, 'PUT');
    await fs.write('up/file.bin', createReadStream(file), data.length);
    assert.ok(server.objects.get('bkt/root/up/file.bin')?.equals(data));
    assert.equal(retries.length, 2);
  });

  test('an upload from a stream that was partly sent is not retried (nothing can resend it)', async () => {
    reset();
    server.failNext(1, { kind: 'reset' }, 'PUT');
    const chunks = [randomBytes(100_000), randomBytes(100_000)];
    await assert.rejects(fs.write('up/once.bin', Readable.from(chunks), 200_000));
    assert.equal(server.objects.has('bkt/root/up/once.bin'), false);
    assert.deepEqual(retries, []);
  });

  test('a listing that fails is restarted without repeating names', async () => {
    reset();
    for (const k of ['l/1', 'l/2', 'l/3']) server.objects.set(`bkt/root/${k}`, Buffer.from(k));
    server.failNext(1, { kind: 'status', status: 502, code: 'BadGateway' }, 'GET');
    assert.deepEqual(await collect(fs.list('l')), ['l/1', 'l/2', 'l/3']);
    assert.equal(retries.length, 1);
  });
});

describe('retry policy', () => {
  test('isTransient: 5xx/408/429 and connection errors yes, 4xx and local errors no', () => {
    assert.equal(isTransient({ $metadata: { httpStatusCode: 503 } }), true);
    assert.equal(isTransient({ statusCode: 429 }), true);
    assert.equal(isTransient({ statusCode: 408 }), true);
    assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
    assert.equal(isTransient(new RemoteError('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) })), true);
    assert.equal(isTransient({ $metadata: { httpStatusCode: 403 } }), false);
    assert.equal(isTransient({ statusCode: 404 }), false);
    assert.equal(isTransient(new RemoteError('wrapped', { cause: { statusCode: 401 } })), false);
    assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ENOENT' })), false);
    assert.equal(isTransient(new Error('plain')), false);
  });

  test('backoff grows exponentially, with jitter, up to the cap', () => {
    for (let n = 1; n <= 8; n++) {
      const d = Math.min(1000, 100 * 2 ** (n - 1));
      const samples = Array.from({ length: 50 }, () => backoffDelay(n, 100, 1000));
      assert.ok(samples.every((s) => s >= d / 2 && s <= d), `attempt ${n}: ${Math.min(...samples)}..${Math.max(...samples)} not in [${d / 2}, ${d}]`);
      assert.ok(new Set(samples).size > 1, 'no jitter');
    }
  });

  test('withRetry stops at the first non-transient error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw calls < 2 ? Object.assign(new Error('reset'), { code: 'ECONNRESET' }) : Object.assign(new Error('gone'), { statusCode: 404 });
        },
        { baseDelayMs: 1 },
      ),
      /gone/,
    );
    assert.equal(calls, 2);
  });
});
