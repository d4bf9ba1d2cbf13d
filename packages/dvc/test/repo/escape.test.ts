/**
 * Paths from a .dvc file, dvc.yaml/dvc.lock, git (committed symlinks) or the command line never
 * lead a write out of the repository: one ERROR line, non-zero exit, nothing written outside.
 * Symlink loops inside a tracked folder are named as loops.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, isCleanError, makeRepo, writeFiles } from './helpers.js';

function oneLine(r: { code: number; stderr: string }): boolean {
  return isCleanError(r) && r.stderr.trim().split('\n').length === 1;
}

describe('writes never leave the repository', () => {
  test('a .dvc output below a symlink committed in git: checkout, pull, status, add refuse', () => {
    const { dir, dvc, cleanup } = makeRepo();
    const outside = mkdtempSync(join(tmpdir(), 'copper-outside-'));
    try {
      const remote = join(dir, '..', 'remote');
      mkdirSync(remote);
      assert.equal(dvc('remote', 'add', '-d', 'store', remote).code, 0);
      writeFiles(dir, { m7: 'payload\n' });
      assert.equal(dvc('add', 'm7').code, 0);
      assert.equal(dvc('push').code, 0);
      const text = readFileSync(join(dir, 'm7.dvc'), 'utf8').replace('path: m7', 'path: evil/m7');
      rmSync(join(dir, 'm7'));
      rmSync(join(dir, 'm7.dvc'));
      writeFileSync(join(dir, 'e.dvc'), text);
      symlinkSync(outside, join(dir, 'evil'));
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'evil');
      for (const args of [['checkout'], ['checkout', 'e.dvc'], ['pull'], ['fetch'], ['status'], ['checkout']]) {
        const r = dvc(...args);
        assert.ok(oneLine(r), `${args.join(' ')}: ${r.code} ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr, /'evil\/m7' is outside of the repository: 'evil' is a symlink to /, args.join(' '));
        assert.deepEqual(readdirSync(outside), [], `${args.join(' ')} wrote outside`);
      }
    } finally {
      cleanup();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a dvc.yaml / dvc.lock output below a symlink: repro, checkout, pull refuse and the lock is kept', () => {
    const { dir, dvc, cleanup } = makeRepo();
    const outside = mkdtempSync(join(tmpdir(), 'copper-outside-'));
    try {
      writeFiles(dir, {
        'dvc.yaml': 'stages:\n  s:\n    cmd: echo hi > evil2/out\n    outs:\n    - evil2/out\n',
        'dvc.lock':
          'schema: \'2.0\'\nstages:\n  s:\n    cmd: echo hi > evil2/out\n    outs:\n    - path: evil2/out\n' +
          '      hash: md5\n      md5: 764efa883dda1e11db47671c4a3bbd9e\n      size: 3\n',
      });
      const lock = readFileSync(join(dir, 'dvc.lock'), 'utf8');
      const remote = join(dir, '..', 'remote');
      mkdirSync(remote);
      assert.equal(dvc('remote', 'add', '-d', 'store', remote).code, 0);
      symlinkSync(outside, join(dir, 'evil2'));
      for (const args of [['repro'], ['repro', '-f'], ['checkout'], ['pull'], ['status'], ['commit', '-f']]) {
        const r = dvc(...args);
        assert.ok(oneLine(r), `${args.join(' ')}: ${r.code} ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr, /output 'evil2\/out' is outside of the repository: 'evil2' is a symlink to /, args.join(' '));
        assert.deepEqual(readdirSync(outside), [], `${args.join(' ')} wrote outside`);
        assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock, `${args.join(' ')} rewrote dvc.lock`);
      }
    } finally {
      cleanup();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('dvc add through a symlinked folder leading out writes no .dvc file there', () => {
    const { dir, dvc, cleanup } = makeRepo();
    const outside = mkdtempSync(join(tmpdir(), 'copper-outside-'));
    try {
      writeFileSync(join(outside, 'f'), 'data\n');
      symlinkSync(outside, join(dir, 'ext'));
      for (const args of [['add', 'ext/f'], ['add', 'ext/new/g'], ['add', 'm', '-o', 'ext/copy']]) {
        if (args.includes('-o')) writeFileSync(join(dir, 'm'), 'm\n');
        const r = dvc(...args);
        assert.ok(oneLine(r), `${args.join(' ')}: ${r.code} ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr, /is outside of the repository: 'ext' is a symlink to /, args.join(' '));
        assert.deepEqual(readdirSync(outside), ['f'], `${args.join(' ')} wrote outside`);
      }
      // A broken link as a parent is refused too (it cannot be written through safely).
      symlinkSync(join(outside, 'missing'), join(dir, 'dangling'));
      const r = dvc('add', 'm', '-o', 'dangling/x');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /'dangling' is a broken symlink/);
      assert.deepEqual(readdirSync(outside), ['f']);
    } finally {
      cleanup();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('links that stay inside, and dependencies read through a link leading out, still work', () => {
    const { dir, dvc, cleanup } = makeRepo();
    const outside = mkdtempSync(join(tmpdir(), 'copper-outside-'));
    try {
      writeFileSync(join(outside, 'in.txt'), 'input\n');
      symlinkSync(outside, join(dir, 'ext'));
      mkdirSync(join(dir, 'real'));
      symlinkSync('real', join(dir, 'alias'));
      writeFiles(dir, {
        'real/a': 'a\n',
        'dvc.yaml': 'stages:\n  s:\n    cmd: cp ext/in.txt out.txt\n    deps:\n    - ext/in.txt\n    outs:\n    - out.txt\n',
      });
      let r = dvc('add', 'alias/a');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(join(dir, 'real/a.dvc')));
      r = dvc('repro');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'input\n');
      assert.deepEqual(readdirSync(outside), ['in.txt']);
    } finally {
      cleanup();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('symlink loops are named', () => {
  test('a link back to a folder that contains it', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'data/sub/a': 'a\n' });
      symlinkSync('..', join(dir, 'data/sub/up'));
      const r = dvc('add', 'data');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /^ERROR: symlink loop: 'data\/sub\/up' points to 'data', a folder that contains it\n$/);
      assert.equal(existsSync(join(dir, 'data.dvc')), false);
    } finally {
      cleanup();
    }
  });

  test('two folders linking to each other, and links pointing at each other', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'w/a/x': 'x\n', 'w/b/y': 'y\n' });
      symlinkSync('../b', join(dir, 'w/a/l1'));
      symlinkSync('../a', join(dir, 'w/b/l2'));
      let r = dvc('add', 'w');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /symlink loop: 'w\/(a\/l1|b\/l2)\/(l2|l1)' points to 'w\/(a|b)', a folder that contains it/);
      symlinkSync('l2', join(dir, 'l1'));
      symlinkSync('l1', join(dir, 'l2'));
      r = dvc('add', 'l1');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /symlink loop: 'l1'/);
    } finally {
      cleanup();
    }
  });
});
