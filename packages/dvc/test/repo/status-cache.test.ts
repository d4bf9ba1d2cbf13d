/**
 * `dvc status` checks that every object of a tracked folder is in the cache. After the first
 * full check it remembers the answer with a fingerprint of the cache's folders; any object added
 * or removed changes the fingerprint, so a missing object is still reported.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeRepo, writeFiles } from './helpers.js';


test('a cache object deleted after a remembered complete check is reported "not in cache"', async () => {
  const repo = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`data/f${i}.txt`] = `file ${i}\n`;
    writeFiles(repo.dir, files);
    assert.equal(repo.dvc('add', '-q', 'data').code, 0);
    // The fingerprint is trusted only for folders unchanged for a few seconds (coarse clocks).
    await sleep(3200);
    assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    const remembered = readdirSync(join(repo.dir, '.dvc', 'tmp', 'copper-complete'));
    assert.equal(remembered.length, 1, 'the complete check was not remembered: this test would prove nothing');
    assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');

    const md5Dir = join(repo.dir, '.dvc', 'cache', 'files', 'md5');
    const prefix = readdirSync(md5Dir).find((p) => readdirSync(join(md5Dir, p)).some((n) => !n.endsWith('.dir')))!;
    const victim = readdirSync(join(md5Dir, prefix)).find((n) => !n.endsWith('.dir'))!;
    rmSync(join(md5Dir, prefix, victim), { force: true });
    const st = repo.dvc('status');
    assert.match(st.stdout, /not in cache:\s+data/);
  } finally {
    repo.cleanup();
  }
});

test('a no-op status reads the folder snapshot from its own file and never opens the SQLite state', async () => {
  const repo = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`data/sub${i % 3}/f${i}.txt`] = `file ${i}\n`;
    writeFiles(repo.dir, files);
    assert.equal(repo.dvc('add', '-q', 'data').code, 0);
    assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    const sqlite = join(repo.dir, '.dvc', 'tmp', 'copper-state.sqlite');
    rmSync(sqlite, { force: true });
    rmSync(sqlite + '-wal', { force: true });
    rmSync(sqlite + '-shm', { force: true });
    assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    assert.equal(existsSync(sqlite), false, 'a no-op status opened (and so created) the SQLite state');
    // A change is still seen, by name and by content, without the per-file rows.
    writeFileSync(join(repo.dir, 'data', 'sub1', 'f1.txt'), 'changed\n');
    assert.match(repo.dvc('status').stdout, /modified:\s+data/);
    writeFileSync(join(repo.dir, 'data', 'sub1', 'f1.txt'), 'file 1\n');
    assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    writeFileSync(join(repo.dir, 'data', 'sub2', 'new.txt'), 'new\n');
    assert.match(repo.dvc('status').stdout, /modified:\s+data/);
  } finally {
    repo.cleanup();
  }
});
