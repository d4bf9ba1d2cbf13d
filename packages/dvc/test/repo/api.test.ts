import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, writeFiles } from './helpers.js';
import { Repo, add, status, checkout, dataVersion, CheckoutUnsavedError } from '../../src/index.js';
import { StateDb } from '../../src/hash/state.js';

describe('library API', () => {
  test('open, add, status, checkout, dataVersion', async () => {
    const { dir, cleanup } = makeRepo();
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      writeFiles(dir, { 'data/a.txt': 'hello\n', 'data/b.txt': 'world\n' });
      const repo = Repo.open(dir);
      const [added] = await add(repo, ['data']);
      assert.equal(added!.nfiles, 2);
      assert.match(added!.md5, /^[0-9a-f]{32}\.dir$/);
      const v = dataVersion('data', { cwd: dir });
      assert.equal(v.md5, added!.md5);
      assert.equal(v.rel, 'data');
      assert.deepEqual(dataVersion('data.dvc', { cwd: dir }).md5, added!.md5);
      assert.deepEqual((await status(Repo.open(dir))).report, {});
      writeFileSync(join(dir, 'data/a.txt'), 'changed\n');
      assert.deepEqual((await status(Repo.open(dir))).report, { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
      await assert.rejects(checkout(Repo.open(dir)), CheckoutUnsavedError);
      const r = await checkout(Repo.open(dir), [], { force: true });
      assert.deepEqual(r.modified, ['data/']);
      rmSync(join(dir, 'data'), { recursive: true });
      assert.deepEqual((await checkout(Repo.open(dir))).added, ['data/']);
      assert.throws(() => dataVersion('nothing', { cwd: dir }), /not tracked/);
    } finally {
      process.chdir(cwd);
      cleanup();
    }
  });
});

describe('checkout and the hash state', () => {
  test('a folder checkout leaves a snapshot, so the next status trusts the files it wrote', async () => {
    const { dir, cleanup } = makeRepo();
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const files: Record<string, string> = {};
      for (let i = 0; i < 300; i++) files[`data/${i % 3}/f${i}.txt`] = `file ${i}\n`;
      writeFiles(dir, files);
      const [added] = await add(Repo.open(dir), ['data']);
      rmSync(join(dir, 'data'), { recursive: true });
      assert.deepEqual((await checkout(Repo.open(dir))).added, ['data/']);
      const state = StateDb.open(join(dir, '.dvc', 'tmp'));
      const snap = state.getDir('data');
      state.close();
      assert.ok(snap, 'checkout saved the folder snapshot');
      assert.equal(snap.md5 + '.dir', added!.md5);
      assert.equal(snap.rels.length, 300);
      // Every file carries its stamp (checkout waits out the clock's granularity for the last ones).
      for (let i = 0; i < snap.rels.length; i++) {
        const st = statSync(join(dir, 'data', snap.rels[i]!));
        assert.deepEqual([...snap.stamps.subarray(i * 3, i * 3 + 3)], [st.ino, st.size, st.mtimeMs], snap.rels[i]);
      }
      assert.deepEqual((await status(Repo.open(dir))).report, {});
      // and a real change is still seen
      writeFileSync(join(dir, 'data/0/f0.txt'), 'changed\n');
      assert.deepEqual((await status(Repo.open(dir))).report, { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
    } finally {
      process.chdir(cwd);
      cleanup();
    }
  });
});
