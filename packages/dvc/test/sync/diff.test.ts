/** `dvc diff` between git revisions and against the workspace, through the CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { git, isCleanError, makeRepo, writeFiles } from '../repo/helpers.js';

test('dvc diff: revisions, workspace, --json, unknown revision', () => {
  const r = makeRepo();
  try {
    writeFiles(r.dir, { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n', 'model.bin': 'm1' });
    r.dvc('add', 'data', 'model.bin');
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-qm', 'v1');
    writeFiles(r.dir, { 'data/a.txt': 'a2\n', 'data/new.txt': 'n\n' });
    rmSync(join(r.dir, 'data/b.txt'));
    // the workspace differs from HEAD before anything is added
    let s = r.dvc('diff');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(
      s.stdout,
      'Added:\n    data/new.txt\n\nDeleted:\n    data/b.txt\n\nModified:\n    data/\n    data/a.txt\n\nfiles summary: 1 added, 1 deleted, 1 modified\n',
    );
    r.dvc('add', 'data');
    writeFiles(r.dir, { 'model.bin': 'm2' });
    r.dvc('add', 'model.bin');
    git(r.dir, 'commit', '-qam', 'v2');
    s = r.dvc('diff', '--json', 'HEAD~1', 'HEAD');
    // two commits: no "not in cache" key (Python DVC 3.64, fixture 18-diff-history)
    assert.equal(
      s.stdout,
      '{"added": [{"path": "data/new.txt"}], "deleted": [{"path": "data/b.txt"}], "modified": [{"path": "data/"}, {"path": "data/a.txt"}, {"path": "model.bin"}], "renamed": []}\n',
    );
    assert.equal(r.dvc('diff').stdout, '');
    s = r.dvc('diff', 'no-such-rev');
    assert.ok(isCleanError(s));
    assert.match(s.stderr, /unknown Git revision 'no-such-rev'/);
  } finally {
    r.cleanup();
  }
});

test('dvc diff: renames, --targets, --show-hash, --md, --hide-missing', () => {
  const r = makeRepo();
  try {
    writeFiles(r.dir, { 'data/a.txt': 'a\n', 'data/sub/c.txt': 'c\n' });
    r.dvc('add', 'data');
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-qm', 'v1');
    rmSync(join(r.dir, 'data/sub/c.txt'));
    writeFiles(r.dir, { 'data/sub/c2.txt': 'c\n' });
    r.dvc('add', 'data');
    git(r.dir, 'commit', '-qam', 'v2');
    let s = r.dvc('diff', 'HEAD~1', 'HEAD');
    assert.equal(s.stdout, 'Renamed:\n    data/sub/c.txt -> data/sub/c2.txt\n\nModified:\n    data/\n\nfiles summary: 1 renamed\n');
    s = r.dvc('diff', '--json', 'HEAD~1', 'HEAD');
    assert.match(s.stdout, /"renamed": \[\{"path": \{"old": "data\/sub\/c\.txt", "new": "data\/sub\/c2\.txt"\}\}\]/);
    s = r.dvc('diff', '--targets', 'data/a.txt', '--', 'HEAD~1', 'HEAD');
    assert.equal(s.stdout, '');
    s = r.dvc('diff', '--show-hash', 'HEAD~1', 'HEAD');
    assert.match(s.stdout, /^Renamed:\n    2cd6ee2c  data\/sub\/c\.txt -> data\/sub\/c2\.txt\n\nModified:\n    [0-9a-f]{8}\.\.[0-9a-f]{8}  data\/\n/);
    s = r.dvc('diff', '--md', 'HEAD~1', 'HEAD');
    assert.equal(s.stdout, '| Status   | Path                              |\n|----------|-----------------------------------|\n| renamed  | data/sub/c.txt -> data/sub/c2.txt |\n| modified | data/                             |\n');
    s = r.dvc('diff', '--json', '--hide-missing');
    assert.equal(s.stdout, '{"added": [], "deleted": [], "modified": [], "renamed": []}\n');
  } finally {
    r.cleanup();
  }
});
