import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, writeFiles } from './helpers.js';
import { Repo, add, status, checkout, dataVersion, CheckoutUnsavedError } from '../../src/index.js';

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
