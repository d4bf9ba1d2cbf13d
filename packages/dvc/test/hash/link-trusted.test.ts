/**
 * Checkout copies from the cache are verified against their oid, except objects the same `dvc
 * pull` has just downloaded and verified (`trusted`): those are copied without a second hash.
 * Real files, real worker threads.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkFiles } from '../../src/hash/worker-ops.js';
import { HashPool } from '../../src/hash/pool.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('checkout copies of trusted objects', () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-trusted-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const filesDir = join(dir, 'files', 'md5');

  /** Stores `content` under the oid of `claimed` (corrupt when they differ). */
  const put = (claimed: string, content: string): string => {
    const oid = md5(claimed);
    mkdirSync(join(filesDir, oid.slice(0, 2)), { recursive: true });
    writeFileSync(join(filesDir, oid.slice(0, 2), oid.slice(2)), content, { mode: 0o444 });
    return oid;
  };

  test('an untrusted corrupt object is refused (ECORRUPT), a trusted one is copied as is', () => {
    const good = put('good', 'good');
    const bad = put('claimed', 'flipped');
    const ws = join(dir, 'ws1');
    mkdirSync(ws);
    const r = linkFiles(
      [
        [good, join(ws, 'a')],
        [bad, join(ws, 'b')],
        [bad, join(ws, 'c')],
      ],
      ['copy'],
      filesDir,
      'md5',
      [false, false, true],
    );
    assert.ok('type' in r[0]! && r[0].type === 'copy');
    assert.equal(readFileSync(join(ws, 'a'), 'utf8'), 'good');
    assert.ok('error' in r[1]! && r[1].code === 'ECORRUPT');
    assert.equal(existsSync(join(ws, 'b')), false);
    assert.ok('type' in r[2]!);
    assert.equal(readFileSync(join(ws, 'c'), 'utf8'), 'flipped');
  });

  test('through the worker pool, the trusted marks stay with their pairs across batches', async () => {
    const ws = join(dir, 'ws2');
    mkdirSync(ws);
    const pairs: Array<[string, string]> = [];
    const trusted: boolean[] = [];
    const corrupt = new Set<number>();
    for (let i = 0; i < 300; i++) {
      // every 7th object is corrupt; every 3rd pair is trusted
      const isBad = i % 7 === 0;
      const oid = put(`file ${i}`, isBad ? `not file ${i}` : `file ${i}`);
      if (isBad) corrupt.add(i);
      pairs.push([oid, join(ws, `f${i}`)]);
      trusted.push(i % 3 === 0);
    }
    const pool = new HashPool(2);
    try {
      const r = await pool.link(pairs, ['copy'], { filesDir, trusted });
      for (let i = 0; i < pairs.length; i++) {
        const refused = corrupt.has(i) && !trusted[i];
        const res = r[i]!;
        if (refused) {
          assert.ok('error' in res && res.code === 'ECORRUPT', `pair ${i} should be refused`);
          assert.equal(existsSync(join(ws, `f${i}`)), false);
        } else {
          assert.ok(!('error' in res), `pair ${i} should be placed`);
          assert.equal(readFileSync(join(ws, `f${i}`), 'utf8'), corrupt.has(i) ? `not file ${i}` : `file ${i}`);
        }
      }
    } finally {
      await pool.close();
    }
  });

  test('an object still stamped as when its bytes were last hashed is copied as is; any other stamp means hashing again', async () => {
    // A corrupt object stands for "the bytes changed below the file system": the only change a
    // stamp (inode, size, mtime, ctime) cannot show. Every change made through the file system
    // moves the ctime and so is hashed and caught (see test/sync/corrupt-cache.test.ts).
    const bad = put('claimed 2', 'flipped 2');
    const src = join(filesDir, bad.slice(0, 2), bad.slice(2));
    const st = statSync(src);
    const stamp = [st.ino, st.size, st.mtimeMs, st.ctimeMs];
    const ws = join(dir, 'ws3');
    mkdirSync(ws);
    const known = new Float64Array([...stamp, stamp[0]!, stamp[1]!, stamp[2]!, stamp[3]! - 1, NaN, NaN, NaN, NaN]);
    const r = linkFiles([[bad, join(ws, 'same')], [bad, join(ws, 'other-ctime')], [bad, join(ws, 'unknown')]], ['copy'], filesDir, 'md5', undefined, known);
    assert.ok('type' in r[0]!, 'an object with its recorded stamp is trusted');
    assert.equal(readFileSync(join(ws, 'same'), 'utf8'), 'flipped 2');
    assert.ok('error' in r[1]! && r[1].code === 'ECORRUPT', 'another ctime: hashed and refused');
    assert.ok('error' in r[2]! && r[2].code === 'ECORRUPT', 'no stamp: hashed and refused');
    // A sound object hashed now reports its stamp (for the state to remember), a trusted one not.
    const good = put('good 3', 'good 3');
    const g = statSync(join(filesDir, good.slice(0, 2), good.slice(2)));
    const r2 = linkFiles([[good, join(ws, 'g1')]], ['copy'], filesDir, 'md5', undefined, new Float64Array(4).fill(NaN));
    assert.deepEqual('obj' in r2[0]! && r2[0].obj, [g.ino, g.size, g.mtimeMs, g.ctimeMs]);
    // Through the pool, the stamps stay with their pairs across batches.
    const pairs: Array<[string, string]> = [];
    const stamps = new Float64Array(300 * 4).fill(NaN);
    for (let i = 0; i < 300; i++) {
      pairs.push([bad, join(ws, `p${i}`)]);
      if (i % 2 === 0) stamps.set(stamp, i * 4);
    }
    const pool = new HashPool(2);
    try {
      const res = await pool.link(pairs, ['copy'], { filesDir, known: stamps });
      for (let i = 0; i < 300; i++) assert.equal('error' in res[i]!, i % 2 === 1, `pair ${i}`);
    } finally {
      await pool.close();
    }
  });
});
