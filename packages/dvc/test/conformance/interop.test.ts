/**
 * Repositories made by Python DVC 3.64 (the fixtures' final trees, unpacked with their git
 * history replaced by one commit) are used by our CLI with no migration step: status is clean,
 * checkout restores the exact files, config and remotes read as DVC wrote them. (Our CLI writing
 * what Python DVC writes is checked file by file in fixtures.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sandbox } from '../cli/helpers.js';
import { compareTrees, FIXTURES_DIR, parseTree, scanTree } from './replay.js';

/** A sandbox whose repo/ (and remote/) are a fixture's final tree, committed to git. */
function fromFixture(name: string) {
  const s = sandbox();
  const tar = spawnSync('tar', ['xzf', join(FIXTURES_DIR, name, 'tree.tar.gz'), '-C', s.tmp], { encoding: 'utf8' });
  assert.equal(tar.status, 0, tar.stderr);
  assert.equal(s.git(['add', '-A']).code, 0);
  assert.equal(s.git(['commit', '-qm', 'made by Python DVC']).code, 0);
  const expected = parseTree(readFileSync(join(FIXTURES_DIR, name, 'tree.txt'), 'utf8'));
  return { ...s, expected };
}

describe('a repository made by Python DVC, used by our CLI', () => {
  test('02: status is clean; checkout after deleting the data restores every byte and mode', () => {
    const s = fromFixture('02-add-dir');
    const st = s.dvc(['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.stdout, 'Data and pipelines are up to date.\n');
    rmSync(join(s.repo, 'data'), { recursive: true, force: true });
    const co = s.dvc(['checkout', '-q']);
    assert.equal(co.code, 0, co.stderr);
    assert.deepEqual(compareTrees(s.expected, scanTree(s.tmp)), []);
    // a no-op add leaves DVC's .dvc file byte-identical
    const before = readFileSync(join(s.repo, 'data.dvc'));
    assert.equal(s.dvc(['add', 'data', '-q']).code, 0);
    assert.deepEqual(readFileSync(join(s.repo, 'data.dvc')), before);
    assert.equal(s.git(['status', '--porcelain']).stdout, '');
  });

  test('12: moved and removed outputs read as DVC left them', () => {
    const s = fromFixture('12-remove-move');
    const st = s.dvc(['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.stdout, 'Data and pipelines are up to date.\n');
  });

  test('07: config, local config and remotes read as DVC wrote them, and are rewritten identically', () => {
    const s = fromFixture('07-config');
    assert.equal(s.dvc(['config', 'core.autostage']).stdout, 'true\n');
    assert.equal(s.dvc(['config', 'remote.mine.verify']).stdout, 'true\n');
    const list = s.dvc(['remote', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, 'mine    /tmp/some/where\n');
    const def = s.dvc(['remote', 'default']);
    assert.deepEqual([def.code, def.stdout], [1, 'No default remote set\n']);
    // rewriting with the same content gives DVC's bytes again
    assert.equal(s.dvc(['config', 'core.autostage', 'true']).code, 0);
    assert.deepEqual(compareTrees(s.expected, scanTree(s.tmp)), []);
  });

  test('13: the default remote, stored relative to .dvc/, resolves to the folder beside the repo', () => {
    const s = fromFixture('13-errors');
    assert.equal(s.dvc(['remote', 'default']).stdout, 'r\n');
    assert.equal(s.dvc(['config', 'remote.r.url']).stdout, join(s.tmp, 'remote') + '\n');
    const st = s.dvc(['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.stdout, 'Data and pipelines are up to date.\n');
  });
});

describe('a repository made by our CLI, with files Python DVC wrote dropped in', () => {
  test('a .dvc file and cache objects from Python DVC: checkout restores the data exactly', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const py = mkdtempSync(join(s.tmp, 'py-'));
    const tar = spawnSync('tar', ['xzf', join(FIXTURES_DIR, '02-add-dir', 'tree.tar.gz'), '-C', py], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    cpSync(join(py, 'repo', 'data.dvc'), join(s.repo, 'data.dvc'));
    cpSync(join(py, 'repo', '.dvc', 'cache'), join(s.repo, '.dvc', 'cache'), { recursive: true });
    const missing = s.dvc(['status']);
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stdout, /^data\.dvc:\n\tchanged outs:\n\t\tdeleted: +data\n$/);
    const co = s.dvc(['checkout', '-q']);
    assert.equal(co.code, 0, co.stderr);
    const expected = parseTree(readFileSync(join(FIXTURES_DIR, '02-add-dir', 'tree.txt'), 'utf8'));
    const ours = scanTree(s.tmp);
    for (const [path, e] of expected) {
      if (!path.startsWith('repo/data/')) continue;
      assert.equal(ours.get(path)?.md5, e.md5, path);
      assert.equal(ours.get(path)?.size, e.size, path);
    }
    assert.equal(readFileSync(join(s.repo, '.gitignore'), 'utf8'), '/data\n', 'checkout makes git ignore the output');
    assert.equal(s.dvc(['status']).stdout, 'Data and pipelines are up to date.\n');
    rmSync(py, { recursive: true, force: true });
  });
});
