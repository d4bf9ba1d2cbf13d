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
import Database from 'better-sqlite3';
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

/** Flips one byte of a cache object, then sets its mode and mtime back (to the nanosecond). */
function flipKeepingMtime(obj: string): void {
  const before = statSync(obj, { bigint: true });
  chmodSync(obj, 0o644);
  const b = readFileSync(obj);
  b[5] = b[5]! ^ 0x01;
  writeFileSync(obj, b);
  chmodSync(obj, 0o444);
  const ns = before.mtimeNs;
  assert.equal(spawnSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, obj]).status, 0);
  const after = statSync(obj, { bigint: true });
  assert.equal(after.mtimeNs, before.mtimeNs, 'the mtime was not set back: this test would prove less');
  assert.equal(after.size, before.size);
  assert.equal(after.ino, before.ino);
}

function remoteObject(remote: string, oid: string): string {
  return join(remote, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
}

// 6 objects: copied on the main thread; 100: on the hashing pool's workers.
for (const n of [6, 100]) {
  test(`push to a local remote (${n} objects) trusts objects add stamped, yet refuses a flipped byte whose mtime was set back`, () => {
    const r = makeRepo();
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < n - 1; i++) files[`data/f${i}.txt`] = `push content ${i}\n`.repeat(20);
      writeFiles(r.dir, files);
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
      const remote = join(r.dir, '..', 'remote');
      const oid = md5(files['data/f3.txt']!);
      flipKeepingMtime(join(r.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2)));

      const s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.doesNotMatch(s.stderr, /\n\s+at /, 'no stack trace');
      assert.match(s.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/f3\\.txt' \\(md5: ${oid}\\) is corrupted \\(its content hashes to [0-9a-f]{32}\\)`, 'm'));
      assert.match(s.stderr, /^ERROR: failed to push data to the cloud - 2 files failed to upload \(1 corrupted cache object\)$/m);
      assert.equal(existsSync(remoteObject(remote, oid)), false, 'the corrupt object was pushed');
      for (const [name, text] of Object.entries(files)) {
        if (name === 'data/f3.txt') continue;
        assert.equal(readFileSync(remoteObject(remote, md5(text)), 'utf8'), text, `${name} on the remote`);
      }
    } finally {
      r.cleanup();
    }
  });
}

test('push to a local remote copies an object whose stamp is the recorded one without hashing it again', () => {
  // What makes the push cheap: a stamped object is trusted. To see it, the object is changed and
  // its new stamp recorded by hand, as if the bytes had changed below the file system (which is
  // the one case the rule cannot see, as for checkout): push then copies it as it is.
  const r = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`data/f${i}.txt`] = `trusted ${i}\n`.repeat(20);
    writeFiles(r.dir, files);
    assert.equal(r.dvc('add', 'data').code, 0);
    assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
    const oid = md5(files['data/f9.txt']!);
    const obj = join(r.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
    flipKeepingMtime(obj);
    const st = statSync(obj);
    const db = new Database(join(r.dir, '.dvc', 'tmp', 'copper-state.sqlite'));
    try {
      const n = db.prepare('UPDATE objects SET ino = ?, size = ?, mtime = ?, ctime = ? WHERE oid = ?').run(st.ino, st.size, st.mtimeMs, st.ctimeMs, oid).changes;
      assert.equal(n, 1, 'add recorded no stamp for the object');
    } finally {
      db.close();
    }
    assert.equal(r.dvc('push').code, 0);
    assert.deepEqual(readFileSync(remoteObject(join(r.dir, '..', 'remote'), oid)), readFileSync(obj), 'the object was not copied as it is');
  } finally {
    r.cleanup();
  }
});

test('push with no recorded stamps (a fresh clone, .dvc/tmp removed) hashes every object: a corrupt one is refused, the rest is pushed, and the next push trusts them', () => {
  const r = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`data/f${i}.txt`] = `fresh ${i}\n`.repeat(20);
    writeFiles(r.dir, files);
    assert.equal(r.dvc('add', 'data').code, 0);
    assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
    rmSync(join(r.dir, '.dvc', 'tmp'), { recursive: true, force: true });
    const remote = join(r.dir, '..', 'remote');
    const bad = md5(files['data/f1.txt']!);
    const obj = join(r.dir, '.dvc', 'cache', 'files', 'md5', bad.slice(0, 2), bad.slice(2));
    const good = readFileSync(obj);
    chmodSync(obj, 0o644);
    writeFileSync(obj, 'not the content\n');

    const s = r.dvc('push');
    assert.equal(s.code, 1);
    assert.match(s.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/f1\\.txt' \\(md5: ${bad}\\) is corrupted`, 'm'));
    assert.equal(existsSync(remoteObject(remote, bad)), false);
    for (const [name, text] of Object.entries(files)) {
      if (name !== 'data/f1.txt') assert.equal(readFileSync(remoteObject(remote, md5(text)), 'utf8'), text, `${name} on the remote`);
    }
    // The push recorded the stamps of the objects it hashed: the sound ones only.
    const db = new Database(join(r.dir, '.dvc', 'tmp', 'copper-state.sqlite'), { readonly: true });
    try {
      const oids = new Set((db.prepare('SELECT oid FROM objects').all() as Array<{ oid: string }>).map((x) => x.oid));
      assert.equal(oids.has(bad), false);
      assert.equal(oids.has(md5(files['data/f2.txt']!)), true);
    } finally {
      db.close();
    }
    // Mended: the rest goes up.
    writeFileSync(obj, good);
    chmodSync(obj, 0o444);
    assert.equal(r.dvc('push').code, 0);
    assert.equal(r.dvc('status', '-c').stdout.includes('in sync'), true);
  } finally {
    r.cleanup();
  }
});

test('fetch from a local remote remembers the stamp of each object it hashed into the cache: the next push trusts it, a changed one is refused', () => {
  const r = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`data/f${i}.txt`] = `fetched ${i}\n`.repeat(20);
    writeFiles(r.dir, files);
    assert.equal(r.dvc('add', 'data').code, 0);
    assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
    assert.equal(r.dvc('push').code, 0);
    rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true });
    rmSync(join(r.dir, '.dvc', 'tmp'), { recursive: true, force: true });
    assert.equal(r.dvc('fetch').code, 0);
    const db = new Database(join(r.dir, '.dvc', 'tmp', 'copper-state.sqlite'), { readonly: true });
    const rows = new Map((db.prepare('SELECT oid, ino, size, mtime, ctime FROM objects').all() as Array<{ oid: string; ino: number; size: number; mtime: number; ctime: number }>).map((x) => [x.oid, x]));
    db.close();
    for (const [name, text] of Object.entries(files)) {
      const oid = md5(text);
      const st = statSync(join(r.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2)));
      assert.deepEqual(rows.get(oid), { oid, ino: st.ino, size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs }, `${name}: no stamp, or not the object's own`);
    }
    const bad = md5(files['data/f5.txt']!);
    flipKeepingMtime(join(r.dir, '.dvc', 'cache', 'files', 'md5', bad.slice(0, 2), bad.slice(2)));
    assert.equal(r.dvc('remote', 'add', 'other', '../other').code, 0);
    const s = r.dvc('push', '-r', 'other');
    assert.equal(s.code, 1);
    assert.match(s.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/f5\\.txt' \\(md5: ${bad}\\) is corrupted`, 'm'));
    assert.equal(existsSync(remoteObject(join(r.dir, '..', 'other'), bad)), false);
    assert.equal(readFileSync(remoteObject(join(r.dir, '..', 'other'), md5(files['data/f6.txt']!)), 'utf8'), files['data/f6.txt']);
  } finally {
    r.cleanup();
  }
});
