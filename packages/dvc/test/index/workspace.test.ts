import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPool } from '../../src/hash/pool.js';
import { StateDb } from '../../src/hash/state.js';
import { hashWorkspace, type HashContext } from '../../src/index/workspace.js';
import { LocalObjectStore } from '../../src/odb/local.js';
import { DvcIgnore } from '../../src/formats/dvcignore.js';

const root = mkdtempSync(join(tmpdir(), 'ws-test-'));
const pool = new HashPool(2);
after(async () => {
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

function ctx(state: StateDb): HashContext {
  return { root, state, pool: () => pool, ignore: new DvcIgnore(root), allowed: [root] };
}

describe('workspace hashing with the state', () => {
  test('a file hashed right after it was written is not trusted later (racy), an old one is', async () => {
    mkdirSync(join(root, 'data'), { recursive: true });
    const state = StateDb.open(join(root, 'tmp'));
    const fresh = join(root, 'data/fresh.txt');
    const old = join(root, 'data/old.txt');
    writeFileSync(old, 'OOOO');
    const past = new Date(Date.now() - 60_000);
    utimesSync(old, past, past);
    writeFileSync(fresh, 'AAAA');
    // "just written" however slow this machine is: an mtime that is not yet in the past
    const soon = new Date(Date.now() + 10_000);
    utimesSync(fresh, soon, soon);
    const first = await hashWorkspace(ctx(state), join(root, 'data'));
    assert.equal(first.kind, 'dir');
    // same inode, same size, same mtime, new content: only the racy rule catches the fresh one
    const { mtime } = statSync(fresh);
    writeFileSync(fresh, 'BBBB');
    utimesSync(fresh, mtime, mtime);
    writeFileSync(old, 'PPPP');
    utimesSync(old, past, past);
    state.flush();
    const second = await hashWorkspace(ctx(state), join(root, 'data'));
    assert.equal(second.kind, 'dir');
    if (first.kind === 'dir' && second.kind === 'dir') {
      const f1 = first.files.find((f) => f.relpath === 'fresh.txt')!;
      const f2 = second.files.find((f) => f.relpath === 'fresh.txt')!;
      assert.notEqual(f2.md5, f1.md5, 'racy file re-hashed');
      const o2 = second.files.find((f) => f.relpath === 'old.txt')!;
      // the old file's stamp was trusted (documented limitation: an edit that restores
      // size and mtime on an old file is invisible, as in git and DVC)
      assert.equal(o2.md5, first.files.find((f) => f.relpath === 'old.txt')!.md5);
    }
    state.close();
  });

  test('store mode puts every file in the cache once; manifest bytes match the walk', async () => {
    const state = StateDb.open(join(root, 'tmp2'));
    const store = new LocalObjectStore(join(root, 'cache'));
    mkdirSync(join(root, 'd2/sub'), { recursive: true });
    writeFileSync(join(root, 'd2/a'), 'hello\n');
    writeFileSync(join(root, 'd2/sub/b'), 'world\n');
    const ws = await hashWorkspace(ctx(state), join(root, 'd2'), store);
    assert.equal(ws.kind, 'dir');
    if (ws.kind === 'dir') {
      assert.equal(ws.text, '[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a"}, {"md5": "591785b794601e212b260e25925636fd", "relpath": "sub/b"}]');
      assert.equal(ws.size, 12);
      assert.equal(ws.nfiles, 2);
    }
    assert.ok(store.exists('b1946ac92492d2347c6235b4d2611184'));
    assert.ok(store.exists('591785b794601e212b260e25925636fd'));
    // an object deleted from the cache is stored again even though the state knows the file
    store.remove('b1946ac92492d2347c6235b4d2611184');
    await hashWorkspace(ctx(state), join(root, 'd2'), store);
    assert.ok(store.exists('b1946ac92492d2347c6235b4d2611184'));
    state.close();
  });

  test('the walk on worker threads gives the same manifest as the walk on this thread', async () => {
    const state = StateDb.open(join(root, 'tmp3'));
    for (const d of ['p/a', 'p/b/c', 'p/d']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'p/top.txt'), 'top');
    for (let i = 0; i < 20; i++) writeFileSync(join(root, `p/${['a', 'b/c', 'd'][i % 3]}/f${i}`), `file ${i}`);
    writeFileSync(join(root, '.dvcignore'), 'f7\n');
    const serial = await hashWorkspace(ctx(state), join(root, 'p'));
    process.env.COPPER_PARALLEL_WALK = 'force';
    try {
      const parallel = await hashWorkspace(ctx(StateDb.memory()), join(root, 'p'));
      assert.equal(serial.kind, 'dir');
      assert.equal(parallel.kind, 'dir');
      if (serial.kind === 'dir' && parallel.kind === 'dir') {
        assert.equal(parallel.oid, serial.oid);
        assert.equal(parallel.nfiles, 20, '20 files + top.txt - f7 (ignored)');
      }
    } finally {
      delete process.env.COPPER_PARALLEL_WALK;
      rmSync(join(root, '.dvcignore'));
      state.close();
    }
  });
});
