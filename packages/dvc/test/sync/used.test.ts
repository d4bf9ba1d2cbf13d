/**
 * The pieces under push/pull: outputs from dvc.lock, folder expansion order, the remote query
 * strategy (list vs. object by object) and verified downloads, on real folders.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFileSystem } from '../../src/fs/local.js';
import type { FileSystem } from '../../src/fs/types.js';
import { download, upload } from '../../src/sync/transfer.js';
import { ObjectDb } from '../../src/odb/db.js';
import { expandOuts, outsOfLockFile } from '../../src/sync/used.js';
import { LocalObjectStore } from '../../src/odb/local.js';
import { oidToPath } from '../../src/odb/layout.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A FileSystem over a folder that counts calls and hides its local root (like a cloud kind). */
class CountingFs implements FileSystem {
  readonly protocol = 'counting';
  readonly url: string;
  calls = { exists: 0, list: 0, read: 0, write: 0 };
  constructor(private readonly inner: LocalFileSystem) {
    this.url = inner.url;
  }
  exists(p: string) {
    this.calls.exists++;
    return this.inner.exists(p);
  }
  size(p: string) {
    return this.inner.size(p);
  }
  list(p: string) {
    this.calls.list++;
    return this.inner.list(p);
  }
  read(p: string) {
    this.calls.read++;
    return this.inner.read(p);
  }
  write(p: string, d: Readable, n?: number) {
    this.calls.write++;
    return this.inner.write(p, d);
  }
  delete(p: string) {
    return this.inner.delete(p);
  }
  async close() {}
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'copper-used-'));
}

describe('used objects and transfers', () => {
  test('dvc.lock outputs: paths from the lock file folder, cache:false skipped, paths leaving the repo refused', () => {
    const text = [
      "schema: '2.0'",
      'stages:',
      '  train:',
      '    cmd: python train.py',
      '    deps:',
      '    - path: data',
      '      md5: 0123456789abcdef0123456789abcdef.dir',
      '    outs:',
      '    - path: model.pt',
      '      hash: md5',
      '      md5: 11111111111111111111111111111111',
      '      size: 3',
      '    - path: metrics.json',
      '      md5: 22222222222222222222222222222222',
      '      cache: false',
      '    - path: out',
      '      md5: 33333333333333333333333333333333.dir',
      '      push: false',
    ].join('\n');
    const outs = outsOfLockFile(text, 'sub/dvc.lock');
    assert.deepEqual(outs, [
      { rel: 'sub/model.pt', oid: '11111111111111111111111111111111', push: true },
      // no `hash: md5`: a DVC 2 lock entry, md5-dos2unix in the old layout (as DVC 3 reads it)
      { rel: 'sub/out', oid: '33333333333333333333333333333333.dir', push: false, legacy: true },
    ]);
    assert.throws(
      () => outsOfLockFile("stages:\n  s:\n    outs:\n    - path: ../../etc/x\n      md5: 11111111111111111111111111111111\n", 'dvc.lock'),
      /outside of the repository/,
    );
  });

  test('folders expand through their manifest, files before the manifest, duplicates once', () => {
    const m = '44444444444444444444444444444444.dir';
    const { objects, unreadable } = expandOuts(
      [
        { rel: 'data', oid: m, push: true },
        { rel: 'copy', oid: m, push: true },
        { rel: 'other', oid: '55555555555555555555555555555555.dir', push: true },
      ],
      (oid) => (oid === m ? [{ relpath: 'a', md5: 'a'.repeat(32) }, { relpath: 'b/c', md5: 'a'.repeat(32) }] : undefined),
    );
    assert.deepEqual(
      objects.map((o) => [o.name, o.oid]),
      [
        ['data/a', 'a'.repeat(32)],
        ['data', m],
        ['other', '55555555555555555555555555555555.dir'],
      ],
    );
    assert.deepEqual(unreadable.map((o) => o.name), ['other']);
  });

  test('ObjectDb.hasMany asks object by object for a few objects or a large remote, and lists a small remote', async () => {
    const dir = tmp();
    try {
      const inner = new LocalFileSystem(dir);
      const fs = new CountingFs(inner);
      // 300 objects on the remote
      const have: string[] = [];
      for (let i = 0; i < 300; i++) {
        const oid = md5(`obj ${i}`);
        have.push(oid);
        mkdirSync(join(dir, 'files/md5', oid.slice(0, 2)), { recursive: true });
        writeFileSync(join(dir, oidToPath(oid)), `obj ${i}`);
      }
      const few = [have[0]!, md5('absent')];
      assert.deepEqual([...(await new ObjectDb(fs).hasMany(few, 4))].sort(), [have[0]]);
      assert.equal(fs.calls.exists, 2);
      assert.equal(fs.calls.list, 0);
      // many wanted, small remote: one sample listing then the full listing, no per-object queries
      const many = [...have.slice(0, 200), ...Array.from({ length: 100 }, (_, i) => md5(`missing ${i}`))];
      fs.calls = { exists: 0, list: 0, read: 0, write: 0 };
      const got = await new ObjectDb(fs).hasMany(many, 4);
      assert.equal(got.size, 200);
      assert.equal(fs.calls.exists, 0);
      assert.equal(fs.calls.list, 2);
      // few wanted (40), remote estimated large (a full prefix folder): queries
      const big = have[0]!.slice(0, 2);
      for (let i = 0; i < 400; i++) writeFileSync(join(dir, 'files/md5', big, `${i.toString(16).padStart(30, '0')}`), 'x');
      fs.calls = { exists: 0, list: 0, read: 0, write: 0 };
      const forty = [have[0]!, ...many.slice(250, 289)];
      const r = await new ObjectDb(fs).hasMany(forty, 4);
      assert.deepEqual([...r], [have[0]]);
      assert.equal(fs.calls.list, 1, 'only the sample listing');
      assert.equal(fs.calls.exists, 40);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('upload sends files before manifests; download verifies and never leaves a temp file', async () => {
    const dir = tmp();
    try {
      const cache = new LocalObjectStore(join(dir, 'cache'));
      const fileOid = md5('content');
      cache.addBytes(fileOid, 'content');
      const manifest = `[{"md5": "${fileOid}", "relpath": "f"}]`;
      const dirOid = md5(manifest) + '.dir';
      cache.addBytes(dirOid, manifest);
      const remote = new CountingFs(new LocalFileSystem(join(dir, 'remote')));
      const order: string[] = [];
      const orig = remote.write.bind(remote);
      remote.write = (p, d, n) => {
        order.push(p);
        return orig(p, d, n);
      };
      const objs = [
        { oid: dirOid, name: 'data' },
        { oid: fileOid, name: 'data/f', parent: dirOid },
      ];
      const up = await upload(cache.db, new ObjectDb(remote), objs, { jobs: 4 });
      assert.equal(up.transferred.length, 2);
      assert.deepEqual(order, [oidToPath(fileOid), oidToPath(dirOid)]);

      const empty = new LocalObjectStore(join(dir, 'cache2'));
      // spoil the remote copy of the file: it must not enter the cache
      writeFileSync(join(dir, 'remote', oidToPath(fileOid)), 'spoiled');
      const down = await download(new ObjectDb(remote), empty.db, objs, { jobs: 4 });
      assert.equal(down.transferred.length, 1);
      assert.equal(down.failed.length, 1);
      assert.match(String((down.failed[0]!.error as Error).message), /corrupted/);
      assert.equal(empty.exists(fileOid), false);
      assert.equal(empty.exists(dirOid), true);
      const left = readdirSync(join(dir, 'cache2/files/md5', fileOid.slice(0, 2)));
      assert.deepEqual(left, [], 'no temp file left behind');
      // missing on the remote: reported as missing
      rmSync(join(dir, 'remote', oidToPath(fileOid)));
      const again = await download(new ObjectDb(remote), empty.db, [objs[1]!], { jobs: 4 });
      assert.deepEqual(again.missing.map((o) => o.name), ['data/f']);
      assert.equal(existsSync(empty.path(fileOid)), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
