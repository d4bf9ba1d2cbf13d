/** `dvc data status`: committed, uncommitted, not in cache / remote, untracked, unchanged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from '../repo/helpers.js';

test('dvc data status through a day of work', () => {
  const r = makeRepo();
  try {
    const remote = join(r.dir, '..', 'remote');
    assert.equal(r.dvc('remote', 'add', '-d', 'local', remote).code, 0);
    writeFiles(r.dir, { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n', 'data/sub/c.txt': 'c\n' });
    r.dvc('add', 'data');
    let s = r.dvc('data', 'status');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^DVC committed changes:\n  \(git commit the corresponding dvc files to update the repo\)\n        added: data\/\n/);
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-qm', 'v1');
    assert.equal(r.dvc('push', '-q').code, 0);
    assert.equal(r.dvc('data', 'status').stdout, 'No changes.\n');
    writeFileSync(join(r.dir, 'other.txt'), 'other\n');
    r.dvc('add', 'other.txt');
    writeFiles(r.dir, { 'data/a.txt': 'a2\n', 'data/sub/n.txt': 'n\n', 'untracked.txt': 'u\n' });
    rmSync(join(r.dir, 'data/b.txt'));
    s = r.dvc('data', 'status', '--granular', '--unchanged', '--not-in-remote', '--untracked-files', '--json');
    const j = JSON.parse(s.stdout);
    assert.deepEqual(j.not_in_remote, ['other.txt']);
    assert.deepEqual(j.committed, { added: ['other.txt'] });
    assert.deepEqual(j.uncommitted, { modified: ['data/', 'data/a.txt'], added: ['data/sub/n.txt'], deleted: ['data/b.txt'] });
    assert.ok(j.untracked.includes('untracked.txt') && j.untracked.includes('other.txt.dvc'));
    assert.ok(j.unchanged.includes('data/sub/c.txt'));
    assert.deepEqual(Object.keys(j), ['not_in_remote', 'committed', 'uncommitted', 'untracked', 'unchanged']);
    s = r.dvc('data', 'status', '--json');
    assert.equal(s.stdout, '{"committed": {"added": ["other.txt"]}, "uncommitted": {"modified": ["data/"]}}\n');
    s = r.dvc('data', 'status', 'data');
    assert.equal(
      s.stdout,
      'DVC uncommitted changes:\n  (use "dvc commit <file>..." to track changes)\n  (use "dvc checkout <file>..." to discard changes)\n        modified: data/\n(there are other changes not tracked by dvc, use "git status" to see)\n',
    );
    rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
    s = r.dvc('data', 'status', '--json');
    assert.deepEqual(JSON.parse(s.stdout).not_in_cache, ['data/', 'other.txt']);
    s = r.dvc('data', 'status', '--untracked-files', 'sometimes');
    assert.equal(s.code, 254);
  } finally {
    r.cleanup();
  }
});
