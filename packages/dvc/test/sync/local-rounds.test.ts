/**
 * Push to and pull from a local remote work in rounds of 8,192 objects (sync/transfer.ts
 * LOCAL_CHUNK: memory bounded at a million objects). A folder of more files than one round goes
 * up and comes back whole, through the CLI, real files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../repo/helpers.js';
import { corrupt, objects } from './helpers.js';

const N = 8192 + 300;

test(`push and pull of ${N} files (more than one round) through a local remote`, { timeout: 600_000 }, () => {
  const r = makeRepo();
  try {
    for (let i = 0; i < N; i++) {
      const dir = join(r.dir, 'data', String(i % 50));
      if (i < 50) mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${i}.txt`), `round file ${i}\n`);
    }
    assert.equal(r.dvc('add', 'data').code, 0);
    assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
    const remote = join(r.dir, '..', 'remote');
    const p = r.dvc('push');
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^${N + 1} files pushed$`, 'm'));
    assert.equal(objects(remote).size, N + 1);
    assert.deepEqual(corrupt(remote), []);

    // An empty cache and workspace: everything comes back from the remote.
    renameSync(join(r.dir, '.dvc', 'cache'), join(r.dir, '..', 'old-cache'));
    renameSync(join(r.dir, 'data'), join(r.dir, '..', 'old-data'));
    const s = r.dvc('pull');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(objects(join(r.dir, '.dvc', 'cache')).size, N + 1);
    for (const i of [0, 1, 8191, 8192, N - 1]) {
      assert.equal(readFileSync(join(r.dir, 'data', String(i % 50), `${i}.txt`), 'utf8'), `round file ${i}\n`);
    }
    assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    const md5 = createHash('md5').update(`round file ${N - 1}\n`).digest('hex');
    assert.equal(objects(remote).has(md5), true);
  } finally {
    r.cleanup();
  }
});
