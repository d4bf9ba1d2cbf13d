/**
 * Targets inside a tracked folder (`dvc checkout data/sub/c.txt`, `dvc pull data/sub`, ...): as
 * in DVC 3 (dvc/repo/checkout.py, fetch.py `_collect_indexes`, index.py `targets_view`), only the
 * entries under the target are checked out, fetched or pushed. `dvc status data/sub` reports
 * the `.dvc` file of the folder, as DVC does (its status is that of the whole output).
 * Real files, real git, our CLI and the library API.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, git, isCleanError, makeRepo, writeFiles } from './helpers.js';
import { objects } from '../sync/helpers.js';
import { Repo, checkout, pull, push, CheckoutUnsavedError } from '../../src/index.js';
import { createHash } from 'node:crypto';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const DATA = {
  'data/a.txt': 'a\n',
  'data/sub/c.txt': 'c\n',
  'data/sub/deeper/d.txt': 'd\n',
  'data/other/e.txt': 'e\n',
};

/** Our CLI in another folder of a makeRepo() sandbox (same isolated config as `r.dvc`). */
function dvcIn(cwd: string, ...args: string[]) {
  const base = join(cwd, '..');
  const env = { ...process.env, DVC_GLOBAL_CONFIG_DIR: join(base, 'global'), DVC_SYSTEM_CONFIG_DIR: join(base, 'system'), GIT_CONFIG_NOSYSTEM: '1', HOME: base };
  const x = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  return { code: x.status ?? -1, stdout: x.stdout, stderr: x.stderr };
}

function tracked() {
  const r = makeRepo();
  writeFiles(r.dir, DATA);
  writeFiles(r.dir, { 'solo.txt': 'solo\n' });
  assert.equal(r.dvc('add', 'data', 'solo.txt').code, 0);
  return r;
}

describe('targets inside a tracked folder', () => {
  test('checkout restores only the files under the target and leaves the rest alone', () => {
    const r = tracked();
    try {
      rmSync(join(r.dir, 'data/a.txt'));
      rmSync(join(r.dir, 'data/sub'), { recursive: true });
      writeFileSync(join(r.dir, 'data/other/e.txt'), 'unsaved edit\n');
      rmSync(join(r.dir, 'solo.txt'));

      // one file: the unsaved edit elsewhere in the folder does not block it
      let s = r.dvc('checkout', 'data/sub/c.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, 'M       data/\n');
      assert.equal(readFileSync(join(r.dir, 'data/sub/c.txt'), 'utf8'), 'c\n');
      assert.ok(!existsSync(join(r.dir, 'data/a.txt')));
      assert.ok(!existsSync(join(r.dir, 'data/sub/deeper')));
      assert.ok(!existsSync(join(r.dir, 'solo.txt')));
      assert.equal(readFileSync(join(r.dir, 'data/other/e.txt'), 'utf8'), 'unsaved edit\n');
      // nothing left to do there
      assert.equal(r.dvc('checkout', 'data/sub/c.txt').stdout, '');

      // a subfolder; an untracked file in it is protected, --force removes it (and only it)
      writeFileSync(join(r.dir, 'data/sub/new.txt'), 'mine\n');
      s = r.dvc('checkout', 'data/sub');
      assert.equal(s.code, 255);
      assert.ok(isCleanError(s), s.stderr);
      assert.match(s.stderr, /data\/sub\/new\.txt\n$/);
      assert.doesNotMatch(s.stderr, /e\.txt/);
      assert.ok(!existsSync(join(r.dir, 'data/sub/deeper/d.txt')), 'nothing changed before the refusal');
      s = r.dvc('checkout', '--force', 'data/sub');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, 'M       data/\n');
      assert.equal(readFileSync(join(r.dir, 'data/sub/deeper/d.txt'), 'utf8'), 'd\n');
      assert.ok(!existsSync(join(r.dir, 'data/sub/new.txt')));
      assert.ok(!existsSync(join(r.dir, 'data/a.txt')));
      assert.equal(readFileSync(join(r.dir, 'data/other/e.txt'), 'utf8'), 'unsaved edit\n');

      // two targets in one folder: one output line; a path the folder does not have: nothing
      s = r.dvc('checkout', '--force', 'data/a.txt', 'data/other/e.txt', 'data/nothing/here');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, 'M       data/\n');
      assert.equal(readFileSync(join(r.dir, 'data/a.txt'), 'utf8'), 'a\n');
      assert.equal(readFileSync(join(r.dir, 'data/other/e.txt'), 'utf8'), 'e\n');
      // a path below a tracked file of the folder names nothing: the file stays
      s = r.dvc('checkout', 'data/sub/c.txt/x');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/sub/c.txt'), 'utf8'), 'c\n');
      assert.ok(!existsSync(join(r.dir, 'solo.txt')));
      assert.equal(r.dvc('checkout').stdout, 'A       solo.txt\n');
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      r.cleanup();
    }
  });

  test('checkout: a file where a folder of the target must be; a folder where a file must be', () => {
    const r = tracked();
    try {
      rmSync(join(r.dir, 'data/sub'), { recursive: true });
      writeFileSync(join(r.dir, 'data/sub'), 'a file in the way\n');
      let s = r.dvc('checkout', 'data/sub/deeper/d.txt');
      assert.equal(s.code, 255, 'its content is not in the cache');
      assert.match(s.stderr, /data\/sub\n$/);
      s = r.dvc('checkout', '--force', 'data/sub/deeper/d.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/sub/deeper/d.txt'), 'utf8'), 'd\n');
      assert.ok(!existsSync(join(r.dir, 'data/sub/c.txt')), 'only the target came back');

      rmSync(join(r.dir, 'data/a.txt'));
      writeFiles(r.dir, { 'data/a.txt/inner': 'c\n' }); // content the cache has
      s = r.dvc('checkout', 'data/a.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/a.txt'), 'utf8'), 'a\n');
    } finally {
      r.cleanup();
    }
  });

  test('status of a path inside a folder reports that folder\'s .dvc file only (as DVC)', () => {
    const r = tracked();
    try {
      writeFileSync(join(r.dir, 'solo.txt'), 'changed\n');
      assert.equal(r.dvc('status', 'data/sub').stdout, 'Data and pipelines are up to date.\n');
      writeFileSync(join(r.dir, 'data/sub/c.txt'), 'changed\n');
      const s = r.dvc('status', 'data/sub/c.txt', '--json');
      assert.equal(s.code, 0, s.stderr);
      assert.deepEqual(JSON.parse(s.stdout), { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
      assert.equal(r.dvc('status', 'data/nothing').code, 0);
      const bad = r.dvc('status', 'elsewhere/x');
      assert.notEqual(bad.code, 0);
      assert.ok(isCleanError(bad), bad.stderr);
    } finally {
      r.cleanup();
    }
  });

  test('fetch, pull, push and status -c with targets inside a folder, in a git clone', () => {
    const r = tracked();
    try {
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../store').code, 0);
      assert.equal(r.dvc('push').stdout, '6 files pushed\n');
      git(r.dir, 'add', '-A');
      git(r.dir, 'commit', '-qm', 'v1');
      const clone = join(r.dir, '..', 'clone');
      git(join(r.dir, '..'), 'clone', '-q', r.dir, clone);
      const cache = join(clone, '.dvc', 'cache');
      const man = readFileSync(join(r.dir, 'data.dvc'), 'utf8').match(/md5: (\S+)/)![1]!;

      // pull one file: the manifest and that file come down, only it is checked out
      let s = dvcIn(clone, 'pull', 'data/sub/c.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, 'A       data/\n2 files fetched and 1 file added\n');
      assert.deepEqual([...objects(cache).keys()].sort(), [man, md5('c\n')].sort());
      assert.equal(readFileSync(join(clone, 'data/sub/c.txt'), 'utf8'), 'c\n');
      assert.ok(!existsSync(join(clone, 'data/a.txt')));
      assert.ok(!existsSync(join(clone, 'solo.txt')));

      // fetch a subfolder: only what it lacks there
      s = dvcIn(clone, 'fetch', 'data/sub');
      assert.equal(s.stdout, '1 file fetched\n', s.stderr);
      assert.ok(objects(cache).has(md5('d\n')));
      assert.ok(!objects(cache).has(md5('a\n')));
      assert.ok(!existsSync(join(clone, 'data/sub/deeper')), 'fetch checks nothing out');
      assert.equal(dvcIn(clone, 'status', '-c', 'data/sub').stdout, "Cache and remote 'store' are in sync.\n");
      s = dvcIn(clone, 'status', '-c');
      assert.match(s.stdout, /\tdeleted: +data\/a\.txt\n/);
      assert.match(s.stdout, /\tdeleted: +solo\.txt\n/);
      assert.doesNotMatch(s.stdout, /data\/sub/);

      // pull a subfolder: the fetched file is checked out now, nothing else
      s = dvcIn(clone, 'pull', 'data/sub');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^M {7}data\/\n1 file \w+\n$/); // (DVC counts it as added: a new file)
      assert.equal(readFileSync(join(clone, 'data/sub/deeper/d.txt'), 'utf8'), 'd\n');
      assert.ok(!existsSync(join(clone, 'data/other')));

      // push of a subfolder sends its new files and the new manifest, not the rest
      writeFiles(r.dir, { 'data/sub/new.txt': 'new\n', 'data/other/f.txt': 'f\n' });
      assert.equal(r.dvc('add', 'data').code, 0);
      s = r.dvc('push', 'data/sub');
      assert.equal(s.stdout, '2 files pushed\n', s.stderr);
      const store = join(r.dir, '..', 'store');
      assert.ok(objects(store).has(md5('new\n')));
      assert.ok(!objects(store).has(md5('f\n')));
      s = r.dvc('status', '-c', 'data/other');
      assert.equal(s.stdout, '\tnew:                data/other/f.txt\n');
      assert.equal(r.dvc('push').stdout, '1 file pushed\n');
      // a target that names nothing tracked is an error, one line
      s = r.dvc('pull', 'nowhere/x');
      assert.notEqual(s.code, 0);
      assert.ok(isCleanError(s), s.stderr);
    } finally {
      r.cleanup();
    }
  });

  test('library API: checkout, pull and push of paths inside a folder', async () => {
    const r = tracked();
    const cwd = process.cwd();
    try {
      process.chdir(r.dir);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../store').code, 0);
      rmSync(join(r.dir, 'data'), { recursive: true });
      let co = await checkout(Repo.open(r.dir), ['data/sub/deeper']);
      assert.deepEqual(co.added, ['data/']);
      assert.equal(co.linked, 1);
      assert.equal(readFileSync(join(r.dir, 'data/sub/deeper/d.txt'), 'utf8'), 'd\n');
      assert.ok(!existsSync(join(r.dir, 'data/sub/c.txt')));
      writeFileSync(join(r.dir, 'data/sub/deeper/extra'), 'x');
      await assert.rejects(checkout(Repo.open(r.dir), ['data/sub']), CheckoutUnsavedError);
      co = await checkout(Repo.open(r.dir), ['data/sub'], { force: true });
      assert.deepEqual(co.modified, ['data/']);
      assert.ok(!existsSync(join(r.dir, 'data/sub/deeper/extra')));

      const pushed = await push(Repo.open(r.dir), ['data/other/e.txt']);
      assert.equal(pushed.pushed, 2); // e.txt and the manifest
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true });
      rmSync(join(r.dir, 'data'), { recursive: true });
      const p = await pull(Repo.open(r.dir), ['data/other']);
      assert.equal(p.fetch.fetched, 2);
      assert.deepEqual(p.checkout.added, ['data/']);
      assert.equal(readFileSync(join(r.dir, 'data/other/e.txt'), 'utf8'), 'e\n');
      assert.ok(!existsSync(join(r.dir, 'data/a.txt')));
    } finally {
      process.chdir(cwd);
      r.cleanup();
    }
  });
});
