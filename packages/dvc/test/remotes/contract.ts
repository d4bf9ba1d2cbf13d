/**
 * The backend contract: every FileSystem (src/fs/types.ts) must pass these tests against its real
 * server. A backend's test file calls `backendContract({...})` with a factory that opens a
 * FileSystem on a fresh, empty root (a unique prefix in the test bucket/folder).
 *
 *   import { backendContract } from './contract.js';
 *   backendContract({ name: 's3 (ceph)', skip: reason ?? false, open: () => openS3(...) });
 *
 * Not a *.test.ts file itself: the runner only picks up the files that call it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FileSystem } from '../../src/fs/types.js';
import { RemoteError } from '../../src/errors.js';

export interface ContractOptions {
  /** Shown in the test names, e.g. 's3 (ceph radosgw)'. */
  name: string;
  /** A reason to skip the whole suite (server not installed...), or false to run it. */
  skip?: string | false;
  /** Opens a FileSystem on a fresh, empty root. Called once per suite (and per error case). */
  open: () => Promise<FileSystem>;
  /** Opens a FileSystem whose credentials the server refuses; omit (or give a string reason) when the server checks none. */
  badCredentials?: (() => Promise<FileSystem>) | string;
  /** Opens a FileSystem on a bucket/container/folder that does not exist; a string is a reason to skip. */
  missingBucket?: (() => Promise<FileSystem>) | string;
  /** Size of the streamed large object in MiB (default 48). */
  largeMiB?: number;
  /** Timeout per test in ms (default 120000). */
  timeout?: number;
}

/** Deterministic pseudo-random bytes, produced chunk by chunk (never held whole in memory). */
export function generated(size: number, seed = 1, chunk = 1 << 20): { stream: () => Readable; md5: () => string } {
  const block = (i: number): Buffer => {
    // Each 1 MiB block is the SHA-256 chain of (seed, block index): cheap and never repeating.
    const out = Buffer.allocUnsafe(Math.min(chunk, size - i * chunk));
    let h = createHash('sha256').update(`${seed}:${i}`).digest();
    for (let o = 0; o < out.length; o += 32) {
      h.copy(out, o, 0, Math.min(32, out.length - o));
      if ((o & 0xfff) === 0) h = createHash('sha256').update(h).digest();
    }
    return out;
  };
  const blocks = Math.ceil(size / chunk);
  return {
    stream: () => {
      let i = 0;
      return new Readable({
        highWaterMark: chunk,
        read() {
          if (i >= blocks) this.push(null);
          else this.push(block(i++));
        },
      });
    },
    md5: () => {
      const h = createHash('md5');
      for (let i = 0; i < blocks; i++) h.update(block(i));
      return h.digest('hex');
    },
  };
}

/** A stream that yields `good` bytes and then fails, like a source file read that breaks. */
export function failingStream(good: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(randomBytes(good));
      } else {
        setTimeout(() => this.destroy(new Error('source stream broke (test)')), 20);
      }
    },
  });
}

/** A function that runs V8's garbage collector (node's --expose-gc, switched on at run time). */
function collector(): () => void {
  const g = globalThis as { gc?: () => void };
  if (g.gc) return g.gc;
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(parts);
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of it) out.push(p);
  return out.sort();
}

function bytes(s: string): Readable {
  return Readable.from([Buffer.from(s)]);
}

/** Errors a user sees must be RemoteError with one line of text. */
async function assertRemoteError(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RemoteError, `${what}: expected a RemoteError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), `${what}: message must be one line: ${JSON.stringify(e.message)}`);
    return true;
  });
}

export function backendContract(opts: ContractOptions): void {
  const timeout = opts.timeout ?? 120_000;
  const largeMiB = opts.largeMiB ?? 48;
  describe(`backend contract: ${opts.name}`, { skip: opts.skip || false, timeout }, () => {
    let fs: FileSystem;
    before(async () => {
      fs = await opts.open();
    });
    after(async () => {
      if (!fs) return;
      try {
        for (const p of await collect(fs.list(''))) await fs.delete(p);
      } finally {
        await fs.close();
      }
    });

    test('a missing file: exists false, size undefined, read rejects with ENOENT, delete is quiet', async () => {
      assert.equal(await fs.exists('nope/missing.bin'), false);
      assert.equal(await fs.size('nope/missing.bin'), undefined);
      await assert.rejects(fs.read('nope/missing.bin'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
      await fs.delete('nope/missing.bin');
      assert.deepEqual(await collect(fs.list('nope')), []);
    });

    test('write then read back the same bytes; exists and size agree', async () => {
      const data = randomBytes(100_003);
      await fs.write('a/small.bin', Readable.from([data]), data.length);
      assert.equal(await fs.exists('a/small.bin'), true);
      assert.equal(await fs.size('a/small.bin'), data.length);
      assert.ok((await readAll(await fs.read('a/small.bin'))).equals(data));
    });

    test('write without a known size, and an empty file', async () => {
      const data = randomBytes(70_001);
      await fs.write('b/unsized.bin', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      assert.ok((await readAll(await fs.read('b/unsized.bin'))).equals(data));
      await fs.write('b/empty', Readable.from([]), 0);
      assert.equal(await fs.exists('b/empty'), true);
      assert.equal(await fs.size('b/empty'), 0);
      assert.equal((await readAll(await fs.read('b/empty'))).length, 0);
    });

    test('nested keys and list by prefix (recursive, folder-bounded)', async () => {
      const keys = [
        'files/md5/ab/cdef0123456789abcdef0123456789',
        'files/md5/ab/ff00000000000000000000000000.dir',
        'files/md5/cd/0000000000000000000000000000ee',
        'files/md5x/ab/not-below-files-md5',
        'other/deep/er/still/file.txt',
      ];
      await Promise.all(keys.map((k, i) => fs.write(k, bytes(`content ${i}`), `content ${i}`.length)));
      assert.deepEqual(await collect(fs.list('files/md5')), keys.slice(0, 3));
      assert.deepEqual(await collect(fs.list('files/md5/')), keys.slice(0, 3));
      assert.deepEqual(await collect(fs.list('files/md5/ab')), keys.slice(0, 2));
      assert.deepEqual(await collect(fs.list('other')), [keys[4]]);
      assert.deepEqual(await collect(fs.list('files/md5/zz')), []);
      const all = await collect(fs.list(''));
      for (const k of keys) assert.ok(all.includes(k), `list('') misses ${k}`);
      assert.equal((await readAll(await fs.read(keys[2]!))).toString(), 'content 2');
    });

    test('overwrite replaces the content', async () => {
      await fs.write('c/over.txt', bytes('first version, longer'), 21);
      await fs.write('c/over.txt', bytes('second'), 6);
      assert.equal((await readAll(await fs.read('c/over.txt'))).toString(), 'second');
      assert.equal(await fs.size('c/over.txt'), 6);
    });

    test('delete removes the file and only that file', async () => {
      await fs.write('d/one', bytes('1'), 1);
      await fs.write('d/two', bytes('2'), 1);
      await fs.delete('d/one');
      assert.equal(await fs.exists('d/one'), false);
      assert.equal(await fs.exists('d/two'), true);
      assert.deepEqual(await collect(fs.list('d')), ['d/two']);
    });

    test('many parallel writes all land and list complete', async () => {
      const n = 40;
      const names = Array.from({ length: n }, (_, i) => `p/${(i * 7919).toString(16).padStart(4, '0')}/obj${i}`);
      await Promise.all(names.map((k) => fs.write(k, bytes(k), Buffer.byteLength(k))));
      assert.deepEqual(await collect(fs.list('p')), [...names].sort());
      const back = await Promise.all(names.map(async (k) => (await readAll(await fs.read(k))).toString()));
      assert.deepEqual(back, names);
    });

    test('a failed upload leaves nothing under the final name (and keeps an older version intact)', async () => {
      await assert.rejects(fs.write('e/partial.bin', failingStream(300_000), 1_000_000));
      assert.equal(await fs.exists('e/partial.bin'), false, 'a partial object is visible under its final name');
      assert.deepEqual(await collect(fs.list('e')), [], 'the failed upload left files behind');
      // Unsized and over one multipart part (8 MiB): the multipart path must abort too.
      await assert.rejects(fs.write('e/partial2.bin', failingStream(9 * 1024 * 1024)));
      assert.equal(await fs.exists('e/partial2.bin'), false, 'a partial unsized upload is visible under its final name');
      assert.deepEqual(await collect(fs.list('e')), [], 'the failed unsized upload left files behind');
      await fs.write('e/kept.bin', bytes('old and complete'), 16);
      await assert.rejects(fs.write('e/kept.bin', failingStream(200_000), 2_000_000));
      assert.equal((await readAll(await fs.read('e/kept.bin'))).toString(), 'old and complete');
      assert.deepEqual(await collect(fs.list('e')), ['e/kept.bin']);
    });

    test(`a ${largeMiB} MiB object streams both ways with bounded memory`, async () => {
      const size = largeMiB * 1024 * 1024 + 12345;
      const src = generated(size, 7);
      const expected = src.md5();
      // Live memory only: garbage is collected before each sample, so what is counted is held.
      const gc = collector();
      gc();
      const base = process.memoryUsage();
      let peak = 0;
      const sample = () => {
        gc();
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (base.heapUsed + base.arrayBuffers));
      };
      const timer = setInterval(sample, 50);
      try {
        await fs.write('big/large.bin', src.stream(), size);
        sample();
        assert.equal(await fs.size('big/large.bin'), size);
        const h = createHash('md5');
        let n = 0;
        for await (const c of await fs.read('big/large.bin')) {
          h.update(c as Buffer);
          n += (c as Buffer).length;
        }
        sample();
        assert.equal(n, size);
        assert.equal(h.digest('hex'), expected);
      } finally {
        clearInterval(timer);
      }
      // A backend that buffers the whole object would need at least `size` bytes at once.
      const bound = Math.min(size * 0.8, 96 * 1024 * 1024);
      assert.ok(peak < bound, `memory grew by ${(peak / 2 ** 20).toFixed(1)} MiB while moving ${largeMiB} MiB (bound ${(bound / 2 ** 20).toFixed(0)} MiB)`);
    });

    const bad = opts.badCredentials;
    test('wrong credentials give a one-line RemoteError', { skip: typeof bad === 'string' ? bad : bad ? false : 'no credentials to get wrong' }, async () => {
      const b = await (bad as () => Promise<FileSystem>)();
      try {
        await assertRemoteError(b.write('x/y', bytes('z'), 1), 'write');
        await assertRemoteError(collect(b.list('x')), 'list');
        await assertRemoteError(b.read('x/y'), 'read');
      } finally {
        await b.close();
      }
    });

    const missing = opts.missingBucket;
    test('a missing bucket gives a one-line RemoteError', { skip: typeof missing === 'string' ? missing : missing ? false : 'not applicable' }, async () => {
      const m = await (missing as () => Promise<FileSystem>)();
      try {
        await assertRemoteError(m.write('x/y', bytes('z'), 1), 'write');
        await assertRemoteError(collect(m.list('x')), 'list');
        // HEAD answers a missing object and a missing bucket alike (a bare 404): never "not there".
        await assertRemoteError(m.exists('x/y'), 'exists');
        await assertRemoteError(m.size('x/y'), 'size');
        await assertRemoteError(m.read('x/y'), 'read');
      } finally {
        await m.close();
      }
    });
  });
}
