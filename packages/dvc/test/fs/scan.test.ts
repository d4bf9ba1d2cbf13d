import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, listDir, listDirNative, listDirNode, nativeScanAvailable, type DirListing } from '../../src/fs/scan.js';

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
