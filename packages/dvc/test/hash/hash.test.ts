import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { md5File, md5FileSync } from '../../src/hash/md5.js';
import { HashPool } from '../../src/hash/pool.js';
import { StateDb, isRacy } from '../../src/hash/state.js';

const dir = mkdtempSync(join(tmpdir(), 'hash-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('md5', () => {
  test('raw bytes, no CRLF normalisation; streamed large files', async () => {
    writeFileSync(join(dir, 'crlf'), 'line1\r\nline2\r\n');
    assert.equal(md5FileSync(join(dir, 'crlf')).md5, 'c6242222cf6ccdb15a43e0e5b1a08810');
    const big = randomBytes(3 * 1024 * 1024 + 7);
    writeFileSync(join(dir, 'big'), big);
    assert.deepEqual(md5FileSync(join(dir, 'big')), { md5: md5(big), size: big.length });
    assert.deepEqual(await md5File(join(dir, 'big')), { md5: md5(big), size: big.length });
  });
});

describe('worker pool', () => {
  test('hashes and stores many files on worker threads, results in order', async () => {
    const src = join(dir, 'src');
    const files: string[] = [];
    const contents: Buffer[] = [];
    await import('node:fs').then((fs) => fs.mkdirSync(src));
    for (let i = 0; i < 300; i++) {
      const c = randomBytes(i * 37);
      const p = join(src, `f${i}`);
      writeFileSync(p, c);
      files.push(p);
      contents.push(c);
    }
    const large = randomBytes(9 * 1024 * 1024); // above the in-memory limit: streamed to a temp file
    writeFileSync(join(src, 'large'), large);
    files.push(join(src, 'large'));
    contents.push(large);
    files.push(join(src, 'missing'));
    const pool = new HashPool(2);
    try {
      const hashed = await pool.hash(files);
      for (let i = 0; i < contents.length; i++) assert.equal((hashed[i] as { md5: string }).md5, md5(contents[i]!));
      assert.equal((hashed[files.length - 1] as { code?: string }).code, 'ENOENT');

      const filesDir = join(dir, 'cache', 'files', 'md5');
      const stored = await pool.store(filesDir, files);
      for (let i = 0; i < contents.length; i++) {
        const h = md5(contents[i]!);
        assert.equal((stored[i] as { md5: string }).md5, h);
        const obj = join(filesDir, h.slice(0, 2), h.slice(2));
        assert.deepEqual(readFileSync(obj), contents[i]);
        assert.equal(statSync(obj).mode & 0o777, 0o444);
        assert.equal(statSync(join(filesDir, h.slice(0, 2))).mode & 0o777, 0o755);
      }
      // no temp files left behind
      const all = readdirSync(filesDir, { recursive: true }) as string[];
      assert.equal(all.filter((n) => n.includes('tmp')).length, 0);
      // storing again writes nothing new
      const again = await pool.store(filesDir, files.slice(0, 5));
      assert.ok(again.every((r) => 'md5' in r && r.stored === false));
    } finally {
      await pool.close();
    }
  });
});

describe('state db', () => {
  test('remembers md5 by inode/size/mtime; forgets when any changes; skips racy files', () => {
    const state = StateDb.open(join(dir, 'tmp'));
    const p = join(dir, 'stateful');
    writeFileSync(p, 'abc');
    const old = new Date(Date.now() - 60_000);
    utimesSync(p, old, old);
    const st = statSync(p);
    state.set('stateful', st, '900150983cd24fb0d6963f7d28e17f72');
    state.flush();
    assert.equal(state.get('stateful', st), '900150983cd24fb0d6963f7d28e17f72');
    writeFileSync(p, 'abd'); // same size, new mtime
    const st2 = statSync(p);
    assert.equal(state.get('stateful', st2), undefined);
    // just modified: racy, not remembered
    state.set('stateful', st2, 'x'.repeat(32));
    state.flush();
    assert.equal(state.get('stateful', st2), undefined);
    assert.equal(isRacy(st2.mtimeMs), true);
    assert.equal(isRacy(st.mtimeMs), false);
    const snap = state.loadPrefixSorted('');
    const i = snap.rels.indexOf('stateful');
    assert.deepEqual([snap.ino[i], snap.size[i], snap.mtime[i], snap.md5[i]], [st.ino, st.size, st.mtimeMs, '900150983cd24fb0d6963f7d28e17f72']);
    state.close();
    // persisted
    const again = StateDb.open(join(dir, 'tmp'));
    assert.equal(again.get('stateful', st), '900150983cd24fb0d6963f7d28e17f72');
    again.close();
  });

  test('loadPrefixSorted selects a folder and nothing that merely shares the prefix', () => {
    const state = StateDb.open(join(dir, 'tmp2'));
    const p = join(dir, 'old');
    writeFileSync(p, 'x');
    const old = new Date(Date.now() - 60_000);
    utimesSync(p, old, old);
    const st = statSync(p);
    for (const k of ['data', 'data/a', 'data/sub/b', 'data-x/c', 'datab']) state.set(k, st, md5(k));
    state.flush();
    assert.deepEqual([...state.loadPrefixSorted('data').rels].sort(), ['a', 'sub/b']);
    state.close();
  });
});
