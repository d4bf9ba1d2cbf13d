/**
 * `dvc git-hook merge-driver` through real `git merge`: after `dvc install` and a `.gitattributes`
 * line `*.dvc merge=dvc` (DVC's documented setup), two branches that each add files to a tracked
 * folder merge cleanly and `dvc checkout` brings the union; conflicting changes are refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../conformance/replay.js';
import { sandbox, type Sandbox } from './helpers.js';

function setup(): { s: Sandbox; git: (args: string[]) => { code: number; stdout: string; stderr: string } } {
  const s = sandbox();
  const bin = join(s.tmp, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'dvc'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'dvc'), 0o755);
  const env = { ...s.env, PATH: `${bin}:${process.env.PATH}` };
  const git = (args: string[]) => {
    const r = spawnSync('git', args, { cwd: s.repo, env, encoding: 'utf8' });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  assert.equal(s.dvc(['init', '-q']).code, 0);
  assert.equal(s.dvc(['install']).code, 0);
  writeFileSync(join(s.repo, '.gitattributes'), '*.dvc merge=dvc\n');
  mkdirSync(join(s.repo, 'data'));
  writeFileSync(join(s.repo, 'data', 'a.txt'), 'a\n');
  assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
  assert.equal(git(['add', '-A']).code, 0);
  assert.equal(git(['commit', '-qm', 'base']).code, 0);
  return { s, git };
}

function branch(s: Sandbox, git: ReturnType<typeof setup>['git'], name: string | null, files: Record<string, string>): void {
  if (name) assert.equal(git(['checkout', '-qb', name]).code, 0);
  for (const [f, t] of Object.entries(files)) writeFileSync(join(s.repo, 'data', f), t);
  assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
  const c = git(['commit', '-qam', name ?? 'main side']);
  assert.equal(c.code, 0, c.stderr);
}

describe('dvc git-hook merge-driver', () => {
  test('two branches adding different files to a tracked folder: git merge resolves data.dvc, checkout has both', () => {
    const { s, git } = setup();
    const main = git(['branch', '--show-current']).stdout.trim();
    branch(s, git, 'b1', { 'b.txt': 'b\n' });
    assert.equal(git(['checkout', '-q', main]).code, 0);
    branch(s, git, null, { 'c.txt': 'c\n' });
    const m = git(['merge', '--no-edit', 'b1']);
    assert.equal(m.code, 0, m.stdout + m.stderr);
    const dvcFile = readFileSync(join(s.repo, 'data.dvc'), 'utf8');
    assert.doesNotMatch(dvcFile, /<<<<<<<|>>>>>>>/);
    // DVC's .dvc layout: the merged folder of 3 files of 2 bytes each
    assert.match(dvcFile, /^outs:\n- md5: [0-9a-f]{32}\.dir\n  size: 6\n  nfiles: 3\n  hash: md5\n  path: data\n$/);
    assert.equal(git(['status', '--porcelain', '--', 'data.dvc']).stdout, '');
    const co = s.dvc(['checkout']);
    assert.equal(co.code, 0, co.stderr);
    assert.deepEqual(readdirSync(join(s.repo, 'data')).sort(), ['a.txt', 'b.txt', 'c.txt']);
    assert.equal(readFileSync(join(s.repo, 'data', 'b.txt'), 'utf8'), 'b\n');
    assert.equal(readFileSync(join(s.repo, 'data', 'c.txt'), 'utf8'), 'c\n');
    assert.equal(s.dvc(['status']).stdout, 'Data and pipelines are up to date.\n');
  });

  test('one side removes a file, the other adds one: both changes are kept', () => {
    const { s, git } = setup();
    writeFileSync(join(s.repo, 'data', 'keep.txt'), 'k\n');
    assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
    assert.equal(git(['commit', '-qam', 'two files']).code, 0);
    const main = git(['branch', '--show-current']).stdout.trim();
    assert.equal(git(['checkout', '-qb', 'rm']).code, 0);
    rmSync(join(s.repo, 'data', 'a.txt'));
    assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
    assert.equal(git(['commit', '-qam', 'rm a']).code, 0);
    assert.equal(git(['checkout', '-q', main]).code, 0);
    branch(s, git, null, { 'new.txt': 'n\n' });
    const m = git(['merge', '--no-edit', 'rm']);
    assert.equal(m.code, 0, m.stdout + m.stderr);
    assert.equal(s.dvc(['checkout', '-q']).code, 0);
    assert.deepEqual(readdirSync(join(s.repo, 'data')).sort(), ['keep.txt', 'new.txt']);
  });

  test('the same file changed differently on both sides: the driver refuses (255, DVC message), git reports a conflict', () => {
    const { s, git } = setup();
    const main = git(['branch', '--show-current']).stdout.trim();
    branch(s, git, 'b1', { 'a.txt': 'theirs\n' });
    assert.equal(git(['checkout', '-q', main]).code, 0);
    branch(s, git, null, { 'a.txt': 'ours\n' });
    const ours = readFileSync(join(s.repo, 'data.dvc'), 'utf8');
    const m = git(['merge', '--no-edit', 'b1']);
    assert.notEqual(m.code, 0);
    assert.match(m.stdout + m.stderr, /ERROR: unable to auto-merge the following paths:\na\.txt/);
    assert.match(m.stdout, /CONFLICT \(content\): Merge conflict in data\.dvc/);
    // the driver wrote nothing: git leaves our version, and the data is as it was
    assert.equal(readFileSync(join(s.repo, 'data.dvc'), 'utf8'), ours);
    assert.equal(readFileSync(join(s.repo, 'data', 'a.txt'), 'utf8'), 'ours\n');
  });

  test('a .dvc file that tracks a single file cannot be auto-merged (exit 255)', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const f = (name: string, md5: string) => {
      writeFileSync(join(s.repo, name), `outs:\n- md5: ${md5}\n  size: 2\n  hash: md5\n  path: f\n`);
      return name;
    };
    const r = s.dvc(['git-hook', 'merge-driver', '--ancestor', f('o', 'a'.repeat(32)), '--our', f('a', 'b'.repeat(32)), '--their', f('b', 'c'.repeat(32))]);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, 'ERROR: unable to auto-merge outputs that are not directories\n');
    assert.ok(readFileSync(join(s.repo, 'a'), 'utf8').includes('b'.repeat(32)));
  });

  test('all three options are required (exit 254)', () => {
    const s = sandbox();
    const r = s.dvc(['git-hook', 'merge-driver', '--ancestor', 'x']);
    assert.equal(r.code, 254);
    assert.match(r.stderr, /^ERROR: .*--our/);
    assert.ok(!existsSync(join(s.repo, 'x')));
  });
});
