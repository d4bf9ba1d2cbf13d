// limit.ts through the real S3 backend against a real local HTTP server that counts requests in flight.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FlakyS3 } from './flaky-server.js';
import { readAll } from './contract.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { limited, Semaphore } from '../../src/fs/limit.js';

describe('concurrency limit', () => {
  const server = new FlakyS3();
  let s3: S3FileSystem;

  before(async () => {
    const endpoint = await server.start();
    s3 = new S3FileSystem('s3://bkt/r', { endpointurl: endpoint, access_key_id: 'k', secret_access_key: 's' });
    for (let i = 0; i < 30; i++) server.objects.set(`bkt/r/o${i}`, Buffer.from(`object ${i}`));
  });
  after(async () => {
    await s3.close();
    await server.stop();
  });

  test('never more than N requests at once, and N are used', async () => {
    server.delayMs = 25;
    server.maxInFlight = 0;
    const fs = limited(s3, 3);
    const sizes = await Promise.all(Array.from({ length: 30 }, (_, i) => fs.size(`o${i}`)));
    assert.deepEqual(sizes, Array.from({ length: 30 }, (_, i) => `object ${i}`.length));
    assert.equal(server.maxInFlight, 3);
    server.maxInFlight = 0;
    await Promise.all(Array.from({ length: 12 }, (_, i) => fs.write(`w${i}`, Readable.from([Buffer.from('x')]), 1)));
    assert.equal(server.maxInFlight, 3);
    server.delayMs = 0;
  });

  test('the unlimited backend really does run them all at once (the test can tell)', async () => {
    server.delayMs = 25;
    server.maxInFlight = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => s3.size(`o${i}`)));
    assert.ok(server.maxInFlight > 3, `only ${server.maxInFlight} in flight without a limit`);
    server.delayMs = 0;
  });

  test('a read holds its slot until its stream is consumed', async () => {
    const fs = limited(s3, 2);
    const a = await fs.read('o1');
    const b = await fs.read('o2');
    let thirdDone = false;
    const third = fs.exists('o3').then((v) => {
      thirdDone = true;
      return v;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(thirdDone, false, 'a third operation ran while two streams were open');
    assert.equal((await readAll(a)).toString(), 'object 1');
    assert.equal(await third, true);
    assert.equal((await readAll(b)).toString(), 'object 2');
    // A destroyed stream gives its slot back too.
    const c = await fs.read('o4');
    const d = await fs.read('o5');
    c.destroy();
    d.destroy();
    assert.equal(await fs.exists('o6'), true);
  });

  test('a failed operation gives its slot back', async () => {
    const fs = limited(s3, 1);
    await assert.rejects(fs.read('nope'));
    await assert.rejects(fs.read('nope'));
    assert.equal(await fs.exists('o1'), true);
  });

  test('Semaphore rejects a nonsense limit', () => {
    assert.throws(() => new Semaphore(0), RangeError);
    assert.throws(() => new Semaphore(1.5), RangeError);
  });
});
