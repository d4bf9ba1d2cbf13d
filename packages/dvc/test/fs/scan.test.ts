import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, listDir, listDirNative, listDirNode, nativeScanAvailable, walkCompare, type DirListing } from '../../src/fs/scan.js';
import { encodeDirSnapshot } from '../../src/hash/state.js';
import { walkFiles, type WalkResult } from '../../src/tree/walk.js';

const root = mkdtempSync(join(tmpdir(), 'scan-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function byName(l: DirListing): Map<string, { kind: number; ino: number; size: number; mtime: number }> {
  const m = new Map();
  l.names.forEach((n, i) => m.set(n, { kind: l.kinds[i], ino: l.stats[i * 3], size: l.stats[i * 3 + 1], mtime: l.stats[i * 3 + 2] }));
  return m;
}

describe('folder listing with stamps', () => {
  const dir = join(root, 'd');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'hello');
  writeFileSync(join(dir, 'Ünïcødé ☃ 𝄞.bin'), Buffer.alloc(3000, 7));
  writeFileSync(join(dir, 'empty'), '');
  symlinkSync('a.txt', join(dir, 'link-to-file'));
  symlinkSync('sub', join(dir, 'link-to-dir'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  const fifo = spawnSync('mkfifo', [join(dir, 'pipe')]).status === 0;

  test('the plain-Node listing names every entry with its kind and fs.Stats stamps', () => {
    const m = byName(listDirNode(dir));
    assert.deepEqual([...m.keys()].sort(), ['a.txt', 'dangling', 'empty', 'link-to-dir', 'link-to-file', ...(fifo ? ['pipe'] : []), 'sub', 'Ünïcødé ☃ 𝄞.bin'].sort());
    const st = statSync(join(dir, 'a.txt'));
    assert.deepEqual(m.get('a.txt'), { kind: EntryKind.File, ino: st.ino, size: 5, mtime: st.mtimeMs });
    assert.equal(m.get('sub')!.kind, EntryKind.Dir);
    assert.equal(m.get('link-to-dir')!.kind, EntryKind.Symlink, 'links are not followed');
    assert.equal(m.get('dangling')!.kind, EntryKind.Symlink);
    if (fifo) assert.equal(m.get('pipe')!.kind, EntryKind.Other);
    assert.equal(m.get('Ünïcødé ☃ 𝄞.bin')!.size, 3000);
  });

  test('the native scanner gives exactly the plain-Node listing (mtime bit for bit)', { skip: nativeScanAvailable ? false : 'native scanner not built (no C compiler or node headers at install)' }, () => {
    // enough files that the native side splits the stats over threads
    const big = join(root, 'big');
    mkdirSync(big);
    for (let i = 0; i < 5000; i++) writeFileSync(join(big, `f${i}`), String(i));
    for (const d of [dir, big, join(dir, 'sub')]) {
      const a = byName(listDirNative(d));
      const b = byName(listDirNode(d));
      assert.deepEqual(a, b, d);
    }
  });

  test('listing a missing folder or a file fails with the errno code', () => {
    assert.throws(() => listDir(join(root, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    assert.throws(() => listDir(join(dir, 'a.txt')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR');
    assert.deepEqual(listDir(join(dir, 'sub')).names, []);
  });
});

describe('the native walk of a tracked folder, compared with its snapshot in place', () => {
  const skip = nativeScanAvailable ? false : 'native scanner not built (no C compiler or node headers at install)';
  const top = join(root, 'tracked');
  mkdirSync(join(top, 'Cat'), { recursive: true });
  mkdirSync(join(top, 'Dog', 'deep'), { recursive: true });
  mkdirSync(join(top, '.git'), { recursive: true });
  writeFileSync(join(top, '.git', 'skipped'), 'x');
  for (let i = 0; i < 1500; i++) writeFileSync(join(top, i % 2 ? 'Cat' : 'Dog', `${i}.jpg`), `img ${i}`);
  writeFileSync(join(top, 'Dog', 'deep', 'Ünïcødé ☃.bin'), 'u');
  writeFileSync(join(top, 'top.txt'), 'top');
  const opts = { root, relToRoot: 'tracked' };
  const snapOf = (w: WalkResult) => {
    const n = w.rels.length;
    const stamps = new Float64Array(n * 3);
    w.ino.forEach((v, i) => ((stamps[i * 3] = v), (stamps[i * 3 + 1] = w.size[i]!), (stamps[i * 3 + 2] = w.mtime[i]!)));
    return encodeDirSnapshot({ md5: '0'.repeat(32), rels: w.rels, stamps, md5s: new Uint8Array(n * 16), order: new Uint32Array(n).map((_, i) => i) }, 'tracked');
  };
  const asWalk = (r: { rels: string[]; stats: Float64Array }): WalkResult => ({
    rels: r.rels,
    ino: r.rels.map((_, i) => r.stats[i * 3]!),
    size: r.rels.map((_, i) => r.stats[i * 3 + 1]!),
    mtime: r.rels.map((_, i) => r.stats[i * 3 + 2]!),
  });

  test('without a snapshot it gives exactly the JS walk (same files, same order, same stamps)', { skip }, () => {
    const r = walkCompare(top, undefined);
    assert.ok(r && r !== true);
    assert.deepEqual(asWalk(r), walkFiles(top, opts));
  });

  test('true when names and stamps match the snapshot; the walk when one file changed, was added or removed', { skip }, () => {
    const w = walkFiles(top, opts);
    assert.equal(walkCompare(top, snapOf(w)), true);
    writeFileSync(join(top, 'Cat', '1.jpg'), 'img 1 changed');
    const changed = walkCompare(top, snapOf(w));
    assert.ok(changed && changed !== true, 'a changed file went unnoticed');
    assert.deepEqual(asWalk(changed), walkFiles(top, opts));
    const now = walkFiles(top, opts);
    writeFileSync(join(top, 'Dog', 'deep', 'new'), 'n');
    assert.notEqual(walkCompare(top, snapOf(now)), true, 'an added file went unnoticed');
    rmSync(join(top, 'Dog', 'deep', 'new'));
    assert.equal(walkCompare(top, snapOf(now)), true);
    rmSync(join(top, 'top.txt'));
    assert.notEqual(walkCompare(top, snapOf(now)), true, 'a removed file went unnoticed');
    // A racy file's mtime is NaN in the snapshot: never a match.
    const racy = walkFiles(top, opts);
    racy.mtime[0] = NaN;
    assert.notEqual(walkCompare(top, snapOf(racy)), true);
  });

  test('null (the JS walk decides) for a symlink or a .dvcignore inside; an error for a missing folder', { skip }, () => {
    const other = join(root, 'tracked2');
    mkdirSync(join(other, 'sub'), { recursive: true });
    writeFileSync(join(other, 'sub', 'f'), 'f');
    symlinkSync('f', join(other, 'sub', 'link'));
    assert.equal(walkCompare(other, undefined), null);
    rmSync(join(other, 'sub', 'link'));
    writeFileSync(join(other, 'sub', '.dvcignore'), 'f\n');
    assert.equal(walkCompare(other, undefined), null);
    assert.throws(() => walkCompare(join(root, 'missing'), undefined), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });
});
