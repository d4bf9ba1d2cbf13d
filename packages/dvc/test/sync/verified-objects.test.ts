/**
 * Checkout by copy trusts a cache object whose stamp (inode, size, mtime, ctime) is the one it had
 * when copper last hashed its bytes (`dvc add` writing it, or an earlier checkout copy), and
 * hashes every other object as it copies it. What a user can do to an object (edit it, truncate
 * it, chmod it, even set its mtime back with `touch -d`) moves its ctime, so it is caught.
 * All through the CLI, real files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, writeFiles } from '../repo/helpers.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

test('a flipped byte in an object whose mtime (and mode) were set back is still caught by checkout', () => {
  const r = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 80; i++) files[`data/f${i}.txt`] = `content of file ${i}\n`.repeat(20);
    writeFiles(r.dir, files);
    assert.equal(r.dvc('config', 'cache.type', 'copy').code, 0);
    assert.equal(r.dvc('add', 'data').code, 0);
    // A first round trip: every object is trusted (add recorded their stamps) and placed.
    rmSync(join(r.dir, 'data'), { recursive: true });
    assert.equal(r.dvc('checkout').code, 0);
    assert.equal(readFileSync(join(r.dir, 'data', 'f7.txt'), 'utf8'), files['data/f7.txt']);

    const oid = md5(files['data/f7.txt']!);
    const obj = join(r.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
    const before = statSync(obj, { bigint: true });
    chmodSync(obj, 0o644);
    const b = readFileSync(obj);
    b[5] = b[5]! ^ 0x01;
    writeFileSync(obj, b);
    chmodSync(obj, 0o444);
    // Set back to the nanosecond (touch(1) takes it whole; Node's utimes rounds to microseconds).
    const ns = before.mtimeNs;
    assert.equal(spawnSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, obj]).status, 0);
    const after = statSync(obj, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs, 'the mtime was not set back: this test would prove less');
    assert.equal(after.size, before.size);
    assert.equal(after.ino, before.ino);

    rmSync(join(r.dir, 'data'), { recursive: true });
    const s = r.dvc('checkout');
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, new RegExp(`^data/f7\\.txt \\(md5: ${oid}, its content hashes to [0-9a-f]{32}\\)$`, 'm'));
    assert.equal(existsSync(join(r.dir, 'data', 'f7.txt')), false, 'the corrupt object was placed');
    assert.equal(readFileSync(join(r.dir, 'data', 'f8.txt'), 'utf8'), files['data/f8.txt']);
  } finally {
    r.cleanup();
  }
});
