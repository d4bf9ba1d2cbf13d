import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPool } from '../../src/hash/pool.js';
import { StateDb } from '../../src/hash/state.js';
import { hashWorkspace, type HashContext } from '../../src/sync/workspace.js';
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

  test('a folder unchanged since its last hash is known from its snapshot; every kind of change is still seen', async () => {
    const state = StateDb.open(join(root, 'tmp3'));
    const p = join(root, 'p');
    for (const d of ['p/a', 'p/b/c']) mkdirSync(join(root, d), { recursive: true });
    const past = new Date(Date.now() - 60_000);
    const put = (rel: string, text: string, when = past) => {
      writeFileSync(join(p, rel), text);
      utimesSync(join(p, rel), when, when);
    };
    for (let i = 0; i < 12; i++) put(`${['a', 'b/c', '.'][i % 3]}/f${i}`, `file ${i}`);
    const oidOf = async () => {
      const ws = await hashWorkspace(ctx(state), p);
      assert.equal(ws.kind, 'dir');
      return ws.kind === 'dir' ? ws : assert.fail();
    };
    const fresh = async () => {
      const ws = await hashWorkspace(ctx(StateDb.memory()), p);
      return ws.kind === 'dir' ? ws.oid : assert.fail();
    };
    const first = await oidOf();
    const again = await oidOf();
    assert.equal(again.oid, first.oid);
    assert.equal(again.text, first.text, 'the manifest is rebuilt from the snapshot on demand');
    assert.deepEqual(again.files.map((f) => [f.relpath, f.md5]), first.files.map((f) => [f.relpath, f.md5]));
    assert.deepEqual([...again.md5List()].sort(), first.files.map((f) => f.md5).sort());
    // content change, same size, mtime moved
    put('a/f0', 'FILE 0', new Date(past.getTime() - 5000));
    const c1 = await oidOf();
    assert.notEqual(c1.oid, first.oid);
    assert.equal(c1.oid, await fresh());
    // new file with the same name, size and mtime (another inode)
    put('b/c/f1.new', 'FILE 1');
    renameSync(join(p, 'b/c/f1.new'), join(p, 'b/c/f1'));
    const c2 = await oidOf();
    assert.notEqual(c2.oid, c1.oid);
    assert.equal(c2.oid, await fresh());
    // added, then deleted
    put('a/new', 'new');
    const c3 = await oidOf();
    assert.equal(c3.nfiles, 13);
    assert.equal(c3.oid, await fresh());
    rmSync(join(p, 'a/new'));
    rmSync(join(p, 'f2'));
    const c4 = await oidOf();
    assert.equal(c4.nfiles, 11);
    assert.equal(c4.oid, await fresh());
    // newly ignored
    writeFileSync(join(root, '.dvcignore'), 'f5\n');
    try {
      const c5 = await oidOf();
      assert.equal(c5.nfiles, 10);
      assert.equal(c5.oid, await fresh());
    } finally {
      rmSync(join(root, '.dvcignore'));
      state.close();
    }
  });

  test('a snapshot listing the same files in another order (as after a checkout) is still trusted', async () => {
    const state = StateDb.open(join(root, 'tmp5'));
    const r = join(root, 'r');
    mkdirSync(join(r, 'sub'), { recursive: true });
    const past = new Date(Date.now() - 60_000);
    for (const rel of ['b', 'a', 'sub/c', 'sub/d']) {
      writeFileSync(join(r, rel), `content of ${rel}`);
      utimesSync(join(r, rel), past, past);
    }
    const first = await hashWorkspace(ctx(state), r);
    assert.ok(first.kind === 'dir');
    const snap = state.getDir('r')!;
    // the same entries, reversed (another listing order), manifest order adjusted to match
    const n = snap.rels.length;
    const rev = (i: number) => n - 1 - i;
    const stamps = new Float64Array(n * 3);
    const md5s = new Uint8Array(n * 16);
    for (let i = 0; i < n; i++) {
      stamps.set(snap.stamps.subarray(i * 3, i * 3 + 3), rev(i) * 3);
      md5s.set(snap.md5s.subarray(i * 16, i * 16 + 16), rev(i) * 16);
    }
    state.putDir('r', { md5: snap.md5, rels: [...snap.rels].reverse(), stamps, md5s, order: snap.order.map(rev) });
    // new content under an unchanged stamp: only a trusted snapshot can make us miss it
    const { mtime, size } = statSync(join(r, 'a'));
    writeFileSync(join(r, 'a'), 'CONTENT OF a'.slice(0, size));
    utimesSync(join(r, 'a'), mtime, mtime);
    const again = await hashWorkspace(ctx(state), r);
    assert.ok(again.kind === 'dir');
    assert.equal(again.oid, first.oid);
    assert.equal(again.text, first.text, 'manifest order derived from the reordered snapshot');
    assert.deepEqual(state.getDir('r')!.rels, snap.rels, 'saved again in the order of the walk');
    state.close();
  });

  test('a folder inside a hashed folder is known from the enclosing snapshot (no per-file rows needed)', async () => {
    const state = StateDb.open(join(root, 'tmp6'));
    const t = join(root, 't');
    mkdirSync(join(t, 'sub/deep'), { recursive: true });
    const past = new Date(Date.now() - 60_000);
    for (const rel of ['top', 'sub/a', 'sub/b', 'sub/deep/c', 'subway']) {
      writeFileSync(join(t, rel), `content of ${rel}`);
      utimesSync(join(t, rel), past, past);
    }
    await hashWorkspace(ctx(state), t);
    const alone = await hashWorkspace(ctx(StateDb.memory()), join(t, 'sub'));
    // new content under an unchanged stamp: only a trusted snapshot can make us miss it
    const { mtime } = statSync(join(t, 'sub/a'));
    writeFileSync(join(t, 'sub/a'), 'CONTENT OF sub/a');
    utimesSync(join(t, 'sub/a'), mtime, mtime);
    const part = await hashWorkspace(ctx(state), join(t, 'sub'));
    assert.ok(part.kind === 'dir' && alone.kind === 'dir');
    assert.equal(part.nfiles, 3, "'subway' is not inside 'sub'");
    assert.equal(part.oid, alone.oid, 'hashes taken from the enclosing snapshot');
    assert.equal(part.text, alone.text);
    state.close();
  });

  test('a racy file in a folder is hashed again next time even though the folder snapshot lists it', async () => {
    const state = StateDb.open(join(root, 'tmp4'));
    const q = join(root, 'q');
    mkdirSync(q, { recursive: true });
    const past = new Date(Date.now() - 60_000);
    writeFileSync(join(q, 'old'), 'old');
    utimesSync(join(q, 'old'), past, past);
    writeFileSync(join(q, 'racy'), 'AAAA');
    const soon = new Date(Date.now() + 10_000);
    utimesSync(join(q, 'racy'), soon, soon);
    const first = await hashWorkspace(ctx(state), q);
    const { mtime } = statSync(join(q, 'racy'));
    writeFileSync(join(q, 'racy'), 'BBBB');
    utimesSync(join(q, 'racy'), mtime, mtime);
    const second = await hashWorkspace(ctx(state), q);
    assert.equal(first.kind, 'dir');
    assert.equal(second.kind, 'dir');
    if (first.kind === 'dir' && second.kind === 'dir') assert.notEqual(second.oid, first.oid);
    state.close();
  });
});
