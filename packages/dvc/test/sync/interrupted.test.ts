/**
 * A push or pull killed with SIGKILL at a random point and run again completes, and no object in
 * the remote or the cache is ever partial or corrupt (temp name + rename, md5-checked downloads).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, utimesSync } from 'node:fs';
import { STALE_TEMP_AGE_MS } from '../../src/fs/types.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeRepo, spawnDvc, writeFiles } from '../repo/helpers.js';
import { allFiles, corrupt, dataset, objects } from './helpers.js';

async function killWhen(dir: string, args: string[], ready: () => boolean): Promise<boolean> {
  const child = spawnDvc(dir, args);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  let killed = false;
  for (let i = 0; i < 2000; i++) {
    if (child.exitCode !== null) break;
    if (ready()) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await sleep(2);
  }
  await exited;
  return killed;
}

describe('interrupted transfers', () => {
  test('kill -9 during push, then push again: the remote is complete and nothing is corrupt', async () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, dataset(300, 64 * 1024, 'kill'));
      assert.equal(r.dvc('add', 'data').code, 0);
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      const remote = join(r.dir, '..', 'remote');
      const killed = await killWhen(r.dir, ['push', '-j', '2'], () => objects(remote).size >= 20);
      const partial = objects(remote).size;
      assert.deepEqual(corrupt(remote), []);
      if (killed) assert.ok(partial < 301, 'the kill came before the end');
      // the manifest is uploaded last: a remote that names a folder has all its files
      const s = r.dvc('push');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, `${301 - partial} files pushed\n`);
      assert.equal(objects(remote).size, 301);
      assert.deepEqual(corrupt(remote), []);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'store' are in sync.\n");
      // temp files the killed push left on the remote go with gc -c once they are old (a day)
      const temps = allFiles(remote).filter((f) => f.endsWith('.tmp'));
      const old = new Date(Date.now() - STALE_TEMP_AGE_MS - 3600_000);
      for (const t of temps) utimesSync(join(remote, 'files', 'md5', t), old, old);
      assert.equal(r.dvc('gc', '-w', '-c', '-f').code, 0);
      assert.deepEqual(allFiles(remote).filter((f) => f.endsWith('.tmp')), []);
      assert.equal(objects(remote).size, 301);
    } finally {
      r.cleanup();
    }
  });

  test('kill -9 during pull, then pull again: the cache holds only whole objects and the workspace is restored', async () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, dataset(300, 64 * 1024, 'pull'));
      assert.equal(r.dvc('add', 'data').code, 0);
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      assert.equal(r.dvc('push').code, 0);
      const cache = join(r.dir, '.dvc', 'cache');
      rmSync(cache, { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      await killWhen(r.dir, ['pull', '-j', '2'], () => allFiles(cache).length >= 30);
      assert.deepEqual(corrupt(cache), []);
      const s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /files fetched/);
      assert.equal(objects(cache).size, 301);
      assert.deepEqual(corrupt(cache), []);
      assert.equal(readFileSync(join(r.dir, 'data/5/f5.bin')).subarray(0, 7).toString(), 'pull-5-');
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      r.cleanup();
    }
  });
});
