import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DvcIgnore } from '../../src/formats/dvcignore.js';

describe('.dvcignore', () => {
  test('gitignore semantics, nested files, negation, folder patterns', () => {
    const root = mkdtempSync(join(tmpdir(), 'dvcignore-'));
    try {
      writeFileSync(join(root, '.dvcignore'), '# comment\n*.tmp\n/build/\nlogs\n!keep.tmp\n');
      mkdirSync(join(root, 'data', 'sub'), { recursive: true });
      writeFileSync(join(root, 'data', '.dvcignore'), 'secret.txt\n');
      const ig = new DvcIgnore(root);
      assert.equal(ig.isIgnored('a.tmp', false), true);
      assert.equal(ig.isIgnored('data/x/a.tmp', false), true);
      assert.equal(ig.isIgnored('keep.tmp', false), false);
      assert.equal(ig.isIgnored('build', true), true);
      assert.equal(ig.isIgnored('data/build', true), false);
      assert.equal(ig.isIgnored('logs', false), true);
      assert.equal(ig.isIgnored('data/secret.txt', false), true);
      assert.equal(ig.isIgnored('secret.txt', false), false);
      assert.equal(ig.isIgnored('data/sub/.git', true), true);
      assert.equal(ig.isIgnoredPath('build/x/y.txt', false), true);
      const m = ig.match('a.tmp', false)!;
      assert.equal(m.file, '.dvcignore');
      assert.equal(m.line, 2);
      assert.equal(m.pattern, '*.tmp');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
