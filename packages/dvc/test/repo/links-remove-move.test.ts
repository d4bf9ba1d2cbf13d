import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from './helpers.js';

describe('cache.type link types, --relink and unprotect', () => {
  for (const type of ['hardlink', 'symlink'] as const) {
    test(`${type}: add links the workspace to the read-only cache; unprotect makes a writable copy`, () => {
      const { dir, dvc, cleanup } = makeRepo();
      try {
        assert.equal(dvc('config', 'cache.type', type).code, 0);
        writeFiles(dir, { 'data/a.txt': 'hello\n', 'data/sub/b.txt': 'world\n' });
        let r = dvc('add', 'data');
        assert.equal(r.code, 0, r.stderr);
        const obj = join(dir, '.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184');
        const a = join(dir, 'data/a.txt');
        if (type === 'hardlink') assert.equal(statSync(a).ino, statSync(obj).ino);
        else assert.equal(readlinkSync(a), obj);
        assert.equal(statSync(a).mode & 0o777, 0o444, 'protected');
        assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
        // a no-op add leaves the links alone (no relink: same inode, same ctime)
        const before = lstatSync(a);
        assert.equal(dvc('add', 'data').code, 0);
        const after = lstatSync(a);
        assert.equal(after.ino, before.ino);
        assert.equal(after.ctimeMs, before.ctimeMs);
        rmSync(join(dir, 'data'), { recursive: true });
        r = dvc('checkout');
        assert.equal(r.stdout, 'A       data/\n');
        assert.equal(lstatSync(a).isSymbolicLink(), type === 'symlink');
        r = dvc('unprotect', 'data');
        assert.equal(r.code, 0, r.stderr);
        assert.ok(lstatSync(a).isFile());
        assert.notEqual(statSync(a).ino, statSync(obj).ino);
        writeFileSync(a, 'edited\n'); // writable now, and the cache is untouched
        assert.equal(readFileSync(obj, 'utf8'), 'hello\n');
        assert.match(dvc('status').stdout, /modified: +data/);
      } finally {
        cleanup();
      }
    });
  }

  test('--relink switches existing files to the configured link type', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'f.txt': 'abc' });
      assert.equal(dvc('add', 'f.txt').code, 0);
      assert.equal(lstatSync(join(dir, 'f.txt')).isSymbolicLink(), false);
      assert.equal(dvc('config', 'cache.type', 'symlink').code, 0);
      assert.equal(dvc('checkout').stdout, '', 'nothing changed: nothing relinked');
      assert.equal(lstatSync(join(dir, 'f.txt')).isSymbolicLink(), false);
      const r = dvc('checkout', '--relink');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(lstatSync(join(dir, 'f.txt')).isSymbolicLink(), true);
      assert.equal(readFileSync(join(dir, 'f.txt'), 'utf8'), 'abc');
    } finally {
      cleanup();
    }
  });

  test('checkout with a missing cache object fails with exit 1 and names the output', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'f.txt': 'abc', 'g.txt': 'def' });
      assert.equal(dvc('add', 'f.txt', 'g.txt').code, 0);
      rmSync(join(dir, '.dvc/cache'), { recursive: true, force: true });
      rmSync(join(dir, 'f.txt'));
      assert.equal(dvc('status').stdout, 'f.txt.dvc:\n\tchanged outs:\n\t\tnot in cache:       f.txt\ng.txt.dvc:\n\tchanged outs:\n\t\tnot in cache:       g.txt\n');
      const r = dvc('checkout');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ERROR: Checkout failed for following targets:\nf\.txt\n/);
      assert.equal(readFileSync(join(dir, 'g.txt'), 'utf8'), 'def', 'the other file is left alone');
    } finally {
      cleanup();
    }
  });
});

describe('remove and move (fixture 12)', () => {
  test('move renames output, .dvc file and .gitignore line; remove keeps the data', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'f.txt': 'abc', 'd/x': 'x' });
      assert.equal(dvc('add', 'f.txt', 'd').code, 0);
      assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), '/f.txt\n/d\n');
      let r = dvc('move', 'f.txt', 'g.txt');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /git add f\.txt\.dvc \.gitignore g\.txt\.dvc/);
      assert.equal(
        readFileSync(join(dir, 'g.txt.dvc'), 'utf8'),
        'outs:\n- md5: 900150983cd24fb0d6963f7d28e17f72\n  size: 3\n  hash: md5\n  path: g.txt\n',
      );
      assert.equal(existsSync(join(dir, 'f.txt.dvc')), false);
      assert.equal(existsSync(join(dir, 'f.txt')), false);
      assert.equal(readFileSync(join(dir, 'g.txt'), 'utf8'), 'abc');
      r = dvc('remove', 'd.dvc');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), '/g.txt\n');
      assert.ok(existsSync(join(dir, 'd/x')));
      assert.equal(existsSync(join(dir, 'd.dvc')), false);
      // move into a folder; remove --outs deletes the output too
      r = dvc('move', 'g.txt', 'sub/h.txt');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'sub/.gitignore'), 'utf8'), '/h.txt\n');
      assert.equal(existsSync(join(dir, '.gitignore')), false, 'emptied .gitignore is deleted');
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      r = dvc('remove', '--outs', 'sub/h.txt.dvc');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(join(dir, 'sub/h.txt')), false);
      assert.ok(existsSync(join(dir, '.dvc/cache/files/md5/90/0150983cd24fb0d6963f7d28e17f72')), 'data stays in the cache');
      assert.equal(dvc('move', 'nope', 'x').code, 1);
    } finally {
      cleanup();
    }
  });

  test('remove --outs never deletes changes that are not in the cache', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'data/a.txt': 'hello\n' });
      assert.equal(dvc('add', 'data').code, 0);
      writeFileSync(join(dir, 'data/a.txt'), 'unsaved work\n');
      const r = dvc('remove', '--outs', 'data.dvc');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ERROR: 'data' has changes that are not in the cache/);
      assert.equal(readFileSync(join(dir, 'data/a.txt'), 'utf8'), 'unsaved work\n');
      assert.ok(existsSync(join(dir, 'data.dvc')), 'nothing removed');
      assert.equal(dvc('commit').code, 0);
      assert.equal(dvc('remove', '--outs', 'data.dvc').code, 0);
      assert.equal(existsSync(join(dir, 'data')), false);
    } finally {
      cleanup();
    }
  });

  test('autostage stages .dvc and .gitignore in git', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      assert.equal(dvc('config', 'core.autostage', 'true').code, 0);
      writeFiles(dir, { 'f.txt': 'abc' });
      const r = dvc('add', 'f.txt');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      const st = git(dir, 'status', '--short').stdout;
      assert.match(st, /^A  \.gitignore$/m);
      assert.match(st, /^A  f\.txt\.dvc$/m);
    } finally {
      cleanup();
    }
  });
});
