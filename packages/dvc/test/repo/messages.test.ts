/**
 * Messages a user acts on: a full cache disk says so (where, how much was needed), and a pull
 * rerun after a failed one counts files it writes for the first time as added, as DVC does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoSpaceError } from '../../src/errors.js';
import { throwIfFailed } from '../../src/repo/fetch.js';
import { isCleanError, makeRepo, writeFiles } from './helpers.js';

function oneLine(r: { code: number; stderr: string }): boolean {
  return isCleanError(r) && r.stderr.trim().split('\n').length === 1;
}

/** A 1 MiB tmpfs, or null where this process may not mount (not root). */
function smallDisk(): { dir: string; done: () => void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'copper-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    done: () => {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('a full cache disk', () => {
  const disk = smallDisk();

  test('add and pull say: no space left on the device holding the cache, where, how much was needed', { skip: disk ? false : 'mount not permitted here (the /dev/full test below covers the message)' }, () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      const cache = join(disk!.dir, 'cache');
      assert.equal(dvc('cache', 'dir', cache).code, 0);
      const files: Record<string, Buffer> = {};
      for (let i = 1; i <= 6; i++) files[`data/f${i}.bin`] = randomBytes(300_000);
      writeFiles(dir, files);
      let r = dvc('add', 'data');
      assert.ok(oneLine(r), JSON.stringify(r.stderr));
      const re = new RegExp(
        `^ERROR: no space left on the device holding the cache '${cache}': storing 'data/f\\d\\.bin'( and \\d+ more files?)? needs (\\d+) kB \\((\\d+) kB free\\)\\n$`,
      );
      const m = re.exec(r.stderr);
      assert.ok(m, r.stderr);
      const more = m[1] ? Number(/\d+/.exec(m[1])![0]) : 0;
      assert.equal(Number(m[2]), (more + 1) * 300, 'needed = the bytes of the files that did not fit');
      assert.ok(Number(m[3]) < 300, 'free space is what is left');
      assert.equal(existsSync(join(dir, 'data.dvc')), false);
      for (const [p, c] of Object.entries(files)) assert.deepEqual(readFileSync(join(dir, p)), c, `${p} intact`);

      // pull into the full cache: the same message (sizes from the remote)
      rmSync(cache, { recursive: true, force: true });
      assert.equal(dvc('cache', 'dir', join(dir, '.dvc', 'cache')).code, 0);
      const remote = join(dir, '..', 'remote');
      mkdirSync(remote);
      assert.equal(dvc('remote', 'add', '-d', 'store', remote).code, 0);
      assert.equal(dvc('add', 'data').code, 0);
      assert.equal(dvc('push').code, 0);
      rmSync(join(dir, 'data'), { recursive: true });
      rmSync(join(dir, '.dvc', 'cache'), { recursive: true });
      assert.equal(dvc('cache', 'dir', cache).code, 0);
      r = dvc('pull');
      assert.ok(oneLine(r), JSON.stringify(r.stderr));
      assert.match(r.stderr, new RegExp(`no space left on the device holding the cache '${cache}': storing 'data/f\\d\\.bin'( and \\d+ more files?)? needs \\d+ kB \\(\\d+ kB free\\)\\n$`));
    } finally {
      cleanup();
      disk?.done();
    }
  });

  test('the message from a real ENOSPC (/dev/full)', () => {
    let err: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (e) {
      err = e;
    }
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    const object = { oid: 'd41d8cd98f00b204e9800998ecf8427e', name: 'data/a.bin' };
    assert.throws(
      () => throwIfFailed({ fetched: 0, missing: [], failed: [{ object, error: err }], noSpace: { cacheDir: '/c', names: ['data/a.bin'], bytes: 2_500_000 } }),
      (e: unknown) => e instanceof NoSpaceError && /^no space left on the device holding the cache '\/c': storing 'data\/a\.bin' needs 2\.50 MB/.test(e.message),
    );
  });
});

describe('pull after a failed pull', () => {
  test('files the first pull never wrote are added, not modified; checkout --summary counts files as DVC', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      const remote = join(dir, '..', 'remote');
      mkdirSync(remote);
      assert.equal(dvc('remote', 'add', '-d', 'store', remote).code, 0);
      const files: Record<string, string> = {};
      for (let i = 1; i <= 5; i++) files[`data/f${i}.txt`] = `file ${i}\n`;
      writeFiles(dir, files);
      assert.equal(dvc('add', 'data').code, 0);
      assert.equal(dvc('push').code, 0);
      rmSync(join(dir, 'data'), { recursive: true });
      rmSync(join(dir, '.dvc', 'cache'), { recursive: true });
      // Two objects are away from the remote: the first pull fails and writes the other three.
      const hidden = join(dir, '..', 'hidden');
      mkdirSync(hidden);
      const away = ['file 1\n', 'file 2\n'].map((c) => createHash('md5').update(c).digest('hex'));
      for (const oid of away) renameSync(join(remote, 'files/md5', oid.slice(0, 2), oid.slice(2)), join(hidden, oid));
      let r = dvc('pull');
      assert.notEqual(r.code, 0);
      assert.deepEqual(readdirSync(join(dir, 'data')).sort(), ['f3.txt', 'f4.txt', 'f5.txt']);
      for (const oid of away) renameSync(join(hidden, oid), join(remote, 'files/md5', oid.slice(0, 2), oid.slice(2)));
      r = dvc('pull');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'M       data/\n2 files fetched and 2 files added\n');
      // One file changed, one gone, one extra: DVC's per-file summary, in its order.
      writeFileSync(join(dir, 'data/f3.txt'), 'changed\n');
      rmSync(join(dir, 'data/f4.txt'));
      writeFileSync(join(dir, 'data/extra.txt'), 'extra\n');
      r = dvc('checkout', '--summary', '--force');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '1 file modified, 1 file added and 1 file deleted\n');
    } finally {
      cleanup();
    }
  });
});
