/**
 * Checks any FileSystem backend the way the sync layer uses it: nested writes, streamed reads that
 * compare bytes, exists/size, list by prefix (when the kind can list), overwrite, delete, and that
 * an upload whose source fails midway leaves nothing under the final name.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FileSystem } from '../../src/fs/types.js';
import { failingStream } from './contract.js';

export async function readAll(fs: FileSystem, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await fs.read(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out.sort();
}

export interface CheckOptions {
  canList: boolean;
  /** Size of the large streamed object. */
  bigBytes?: number;
}

export async function checkBackend(fs: FileSystem, prefix: string, o: CheckOptions): Promise<void> {
  const a = `${prefix}/files/md5/ab/cdef0123456789`;
  const b = `${prefix}/files/md5/ab/0000.dir`;
  const c = `${prefix}/files/md5/cd/deeper name é`;
  assert.equal(await fs.exists(a), false);
  assert.equal(await fs.size(a), undefined);
  await assert.rejects(() => fs.read(a), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');

  await fs.write(a, Readable.from([Buffer.from('hello\n')]), 6);
  await fs.write(b, Readable.from([Buffer.from('[]')]));
  await fs.write(c, Readable.from([Buffer.from('x')]), 1);
  assert.equal(await fs.exists(a), true);
  assert.equal(await fs.size(a), 6);
  assert.equal((await readAll(fs, a)).toString(), 'hello\n');
  assert.equal((await readAll(fs, c)).toString(), 'x');

  // overwrite replaces the content
  await fs.write(b, Readable.from([Buffer.from('[1]')]), 3);
  assert.equal((await readAll(fs, b)).toString(), '[1]');

  if (o.canList) {
    assert.deepEqual(await collect(fs.list(`${prefix}/files/md5`)), [b, a, c].sort());
    assert.deepEqual(await collect(fs.list(`${prefix}/files/md5/ab`)), [b, a].sort());
    assert.deepEqual(await collect(fs.list(`${prefix}/nothing-here`)), []);
  }

  // a big object streamed in chunks comes back identical
  const big = o.bigBytes ?? 8 * 1024 * 1024;
  const seed = randomBytes(1024 * 1024);
  const parts = Math.ceil(big / seed.length);
  const want = createHash('md5');
  for (let i = 0; i < parts; i++) want.update(seed);
  const bigPath = `${prefix}/files/md5/ee/big`;
  await fs.write(bigPath, Readable.from((function* () { for (let i = 0; i < parts; i++) yield seed; })()), parts * seed.length);
  const got = createHash('md5');
  let n = 0;
  for await (const chunk of await fs.read(bigPath)) {
    got.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  assert.equal(n, parts * seed.length);
  assert.equal(got.digest('hex'), want.digest('hex'));

  // a source that fails midway: the write rejects and no object appears under the final name
  const broken = `${prefix}/files/md5/ff/broken`;
  await assert.rejects(() => fs.write(broken, failingStream(300_000), 10 * 1024 * 1024));
  assert.equal(await fs.exists(broken), false, 'a failed upload left an object under its final name');
  if (o.canList) assert.deepEqual(await collect(fs.list(`${prefix}/files/md5/ff`)), []);

  await fs.delete(a);
  await fs.delete(a); // missing: not an error
  assert.equal(await fs.exists(a), false);
  await fs.delete(bigPath);
  if (o.canList) assert.deepEqual(await collect(fs.list(`${prefix}/files/md5`)), [b, c].sort());
}
