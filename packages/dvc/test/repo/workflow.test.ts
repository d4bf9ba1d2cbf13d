import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from './helpers.js';

const DATA = {
  'data/a.txt': 'hello\n',
  'data/b.txt': 'world\n',
  'data/empty.txt': '',
  'data/sub/c.txt': 'nested\n',
};

describe('add / status / checkout / commit on a folder', () => {
  test('the seed walkthrough: add, change, status, git checkout + dvc checkout', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, DATA);
      let r = dvc('add', 'data');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /git add data\.dvc \.gitignore/);
      assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), '/data\n');
      const v1 = readFileSync(join(dir, 'data.dvc'), 'utf8');
      assert.match(v1, /^outs:\n- md5: [0-9a-f]{32}\.dir\n  size: 19\n  nfiles: 4\n  hash: md5\n  path: data\n$/);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      git(dir, 'add', '.');
      git(dir, 'commit', '-qm', 'v1');

      // v2: change a file, add another
      appendFileSync(join(dir, 'data/a.txt'), 'more\n');
      writeFileSync(join(dir, 'data/new.txt'), 'new\n');
      r = dvc('status');
      assert.equal(r.stdout, 'data.dvc:\n\tchanged outs:\n\t\tmodified:           data\n');
      assert.equal(dvc('status', '--json').stdout, '{"data.dvc": [{"changed outs": {"data": "modified"}}]}\n');
      r = dvc('status', '-q');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      r = dvc('add', 'data');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /git add data\.dvc\n/, 'only data.dvc changed');
      git(dir, 'commit', '-qam', 'v2');

      // back to v1
      git(dir, 'checkout', '-q', 'HEAD~1');
      assert.equal(dvc('status').stdout, 'data.dvc:\n\tchanged outs:\n\t\tmodified:           data\n');
      r = dvc('checkout');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'M       data/\n');
      assert.equal(readFileSync(join(dir, 'data/a.txt'), 'utf8'), 'hello\n');
      assert.equal(existsSync(join(dir, 'data/new.txt')), false);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      // and forward again
      git(dir, 'checkout', '-q', 'master');
      r = dvc('checkout', '--summary');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'data/a.txt'), 'utf8'), 'hello\nmore\n');
      assert.equal(readFileSync(join(dir, 'data/new.txt'), 'utf8'), 'new\n');
      // nothing to do: no output
      r = dvc('checkout');
      assert.equal(r.stdout, '');
    } finally {
      cleanup();
    }
  });

  test('deleted workspace copy is restored; unsaved change needs --force', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, DATA);
      assert.equal(dvc('add', 'data').code, 0);
      rmSync(join(dir, 'data'), { recursive: true });
      assert.equal(dvc('status').stdout, 'data.dvc:\n\tchanged outs:\n\t\tdeleted:            data\n');
      let r = dvc('checkout');
      assert.equal(r.stdout, 'A       data/\n');
      assert.equal(readFileSync(join(dir, 'data/sub/c.txt'), 'utf8'), 'nested\n');
      assert.equal(statSync(join(dir, 'data/sub/c.txt')).mode & 0o777, 0o644);
      appendFileSync(join(dir, 'data/b.txt'), 'again\n');
      r = dvc('checkout');
      assert.equal(r.code, 255);
      assert.equal(
        r.stderr,
        `ERROR: Can't remove the following unsaved files without confirmation. Use \`--force\` to force.\n${join(dir, 'data/b.txt')}\n`,
      );
      assert.equal(readFileSync(join(dir, 'data/b.txt'), 'utf8'), 'world\nagain\n', 'not touched');
      // an untracked extra file is also protected
      writeFileSync(join(dir, 'data/extra.txt'), 'mine');
      r = dvc('checkout');
      assert.equal(r.code, 255);
      assert.ok(existsSync(join(dir, 'data/extra.txt')));
      r = dvc('checkout', '--force');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'M       data/\n');
      assert.equal(readFileSync(join(dir, 'data/b.txt'), 'utf8'), 'world\n');
      assert.equal(existsSync(join(dir, 'data/extra.txt')), false);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });

  test('add --no-commit then commit; not in cache status', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'f.bin': 'abc' });
      assert.equal(dvc('add', '--no-commit', 'f.bin').code, 0);
      assert.equal(existsSync(join(dir, '.dvc/cache/files/md5/90/0150983cd24fb0d6963f7d28e17f72')), false);
      assert.equal(dvc('status').stdout, 'f.bin.dvc:\n\tchanged outs:\n\t\tnot in cache:       f.bin\n');
      let r = dvc('commit');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(join(dir, '.dvc/cache/files/md5/90/0150983cd24fb0d6963f7d28e17f72')));
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      writeFileSync(join(dir, 'f.bin'), 'abcd');
      r = dvc('commit', 'f.bin.dvc');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        readFileSync(join(dir, 'f.bin.dvc'), 'utf8'),
        'outs:\n- md5: e2fc714c4727ee9395f324cd2e7f331f\n  size: 4\n  hash: md5\n  path: f.bin\n',
      );
      assert.equal(dvc('status', 'f.bin').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });

  test('a file in a subfolder gets its .dvc and .gitignore beside it', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'sub/dir/f.bin': 'abc' });
      const r = dvc('add', 'sub/dir/f.bin');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'sub/dir/.gitignore'), 'utf8'), '/f.bin\n');
      assert.equal(
        readFileSync(join(dir, 'sub/dir/f.bin.dvc'), 'utf8'),
        'outs:\n- md5: 900150983cd24fb0d6963f7d28e17f72\n  size: 3\n  hash: md5\n  path: f.bin\n',
      );
      rmSync(join(dir, 'sub/dir/f.bin'));
      assert.equal(dvc('status').stdout, 'sub/dir/f.bin.dvc:\n\tchanged outs:\n\t\tdeleted:            sub/dir/f.bin\n');
      assert.equal(dvc('checkout', 'sub/dir/f.bin').stdout, 'A       sub/dir/f.bin\n');
    } finally {
      cleanup();
    }
  });

  test('.dvcignore excludes files from a tracked folder', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { ...DATA, 'data/junk.tmp': 'x', '.dvcignore': '*.tmp\n' });
      assert.equal(dvc('add', 'data').code, 0);
      assert.match(readFileSync(join(dir, 'data.dvc'), 'utf8'), /nfiles: 4\n/);
      writeFileSync(join(dir, 'data/more.tmp'), 'y');
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      let r = dvc('check-ignore', 'data/more.tmp', 'data/a.txt');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'data/more.tmp\n');
      r = dvc('check-ignore', '-d', 'data/more.tmp');
      assert.equal(r.stdout, '.dvcignore:1:*.tmp\tdata/more.tmp\n');
      assert.equal(dvc('check-ignore', 'data/a.txt').code, 1);
    } finally {
      cleanup();
    }
  });

  test('state: an unchanged file is not re-hashed, a changed one (same size, new mtime) is', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'data/a.txt': 'aaaa', 'data/b.txt': 'bbbb' });
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(dir, 'data/a.txt'), old, old);
      utimesSync(join(dir, 'data/b.txt'), old, old);
      assert.equal(dvc('add', 'data').code, 0);
      writeFileSync(join(dir, 'data/a.txt'), 'AAAA'); // same size
      assert.match(dvc('status').stdout, /modified: +data/);
    } finally {
      cleanup();
    }
  });

  test('an empty folder (fixture 04) is tracked and checked out again', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      mkdirSync(join(dir, 'emptydir'));
      assert.equal(dvc('add', 'emptydir').code, 0);
      assert.equal(
        readFileSync(join(dir, 'emptydir.dvc'), 'utf8'),
        'outs:\n- md5: d751713988987e9331980363e24189ce.dir\n  size: 0\n  nfiles: 0\n  hash: md5\n  path: emptydir\n',
      );
      assert.equal(readFileSync(join(dir, '.dvc/cache/files/md5/d7/51713988987e9331980363e24189ce.dir'), 'utf8'), '[]');
      rmSync(join(dir, 'emptydir'), { recursive: true });
      assert.match(dvc('status').stdout, /deleted: +emptydir/);
      assert.equal(dvc('checkout').stdout, 'A       emptydir/\n');
      assert.ok(statSync(join(dir, 'emptydir')).isDirectory());
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });

  test('add SRC -o OUT copies external data in, caches and tracks it', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(join(dir, '..'), { 'ext/a.txt': 'hello\n', 'ext/sub/b.txt': 'world\n' });
      let r = dvc('add', '../ext', '-o', 'data/ext');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'data/ext/sub/b.txt'), 'utf8'), 'world\n');
      assert.match(readFileSync(join(dir, 'data/ext.dvc'), 'utf8'), /nfiles: 2\n  hash: md5\n  path: ext\n$/);
      assert.equal(readFileSync(join(dir, 'data/.gitignore'), 'utf8'), '/ext\n');
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
      r = dvc('add', '../ext', '-o', 'data/ext');
      assert.equal(r.code, 1);
      // DVC's CmdAdd.validate_args: logged, exit 1.
      r = dvc('add', '../ext', '../ext', '-o', 'x');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "ERROR: multiple targets can't be used with --out\n");
    } finally {
      cleanup();
    }
  });
});
