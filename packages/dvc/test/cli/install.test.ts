/** `dvc install` and `dvc git-hook ...`: the hooks Python DVC writes, run by our CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../conformance/replay.js';
import { isOneLineError, sandbox } from './helpers.js';
import { which } from '../../src/repo/install.js';

/** A `dvc` on PATH that runs our CLI (as a user's install would). */
function dvcOnPath(tmp: string): string {
  const bin = join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'dvc'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'dvc'), 0o755);
  return `${bin}:${process.env.PATH}`;
}

describe('dvc install', () => {
  test('writes the three hooks exactly as Python DVC, and the merge driver', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const r = s.dvc(['install']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const sh = which('sh') ?? '/bin/sh';
    for (const h of ['post-checkout', 'pre-commit', 'pre-push']) {
      const p = join(s.repo, '.git', 'hooks', h);
      // Python DVC (scmrepo): f"#!{shutil.which('sh')}\n" + f"exec dvc git-hook {hook} $@\n", mode 0777
      assert.equal(readFileSync(p, 'utf8'), `#!${sh}\nexec dvc git-hook ${h} $@\n`);
      assert.equal(statSync(p).mode & 0o777, 0o777);
    }
    assert.equal(s.git(['config', 'merge.dvc.name']).stdout, 'DVC merge driver\n');
    assert.equal(s.git(['config', 'merge.dvc.driver']).stdout, 'dvc git-hook merge-driver --ancestor %O --our %A --their %B \n');
  });

  test('refuses to overwrite a hook (exit 1, one line), leaving it as it was', () => {
    const s = sandbox();
    s.dvc(['init', '-q']);
    mkdirSync(join(s.repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(s.repo, '.git', 'hooks', 'pre-push'), '#!/bin/sh\necho mine\n');
    const r = s.dvc(['install']);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.equal(
      r.stderr,
      "ERROR: failed to install DVC Git hooks - Hook 'pre-push' already exists. Please refer to <https://man.dvc.org/install> for more info.\n",
    );
    assert.equal(readFileSync(join(s.repo, '.git', 'hooks', 'pre-push'), 'utf8'), '#!/bin/sh\necho mine\n');
    assert.ok(!existsSync(join(s.repo, '.git', 'hooks', 'post-checkout')));
  });

  test('--use-pre-commit-tool adds DVC to .pre-commit-config.yaml (once) instead of hooks', () => {
    const s = sandbox();
    s.dvc(['init', '-q']);
    writeFileSync(join(s.repo, '.pre-commit-config.yaml'), 'repos:\n- repo: local\n  hooks: []\n');
    assert.equal(s.dvc(['install', '--use-pre-commit-tool']).code, 0);
    assert.equal(s.dvc(['install', '--use-pre-commit-tool']).code, 0);
    const text = readFileSync(join(s.repo, '.pre-commit-config.yaml'), 'utf8');
    assert.match(text, /^repos:\n- repo: local\n/);
    assert.equal(text.split('repo: https://github.com/iterative/dvc').length, 2, text);
    for (const id of ['dvc-pre-commit', 'dvc-pre-push', 'dvc-post-checkout']) assert.ok(text.includes(`id: ${id}`), text);
    assert.ok(!existsSync(join(s.repo, '.git', 'hooks', 'pre-commit')));
  });
});

describe('dvc git-hook', () => {
  test('after dvc install, git checkout brings the data of the commit checked out', () => {
    const s = sandbox();
    const PATH = dvcOnPath(s.tmp);
    const git = (args: string[]) => {
      const r = s.git(args);
      assert.equal(r.code, 0, r.stderr);
    };
    s.dvc(['init', '-q']);
    mkdirSync(join(s.repo, 'data'));
    writeFileSync(join(s.repo, 'data', 'f.txt'), 'v1\n');
    assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
    git(['add', '-A']);
    git(['commit', '-qm', 'v1']);
    writeFileSync(join(s.repo, 'data', 'f.txt'), 'v2\n');
    writeFileSync(join(s.repo, 'data', 'x.txt'), 'x\n');
    assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
    git(['add', '-A']);
    git(['commit', '-qm', 'v2']);
    assert.equal(s.dvc(['install']).code, 0);
    const co = spawnSync('git', ['checkout', '-q', 'HEAD~1'], { cwd: s.repo, env: { ...s.env, PATH }, encoding: 'utf8' });
    assert.equal(co.status, 0, co.stderr);
    assert.equal(co.stderr, 'M       data/\n');
    assert.equal(readFileSync(join(s.repo, 'data', 'f.txt'), 'utf8'), 'v1\n');
    assert.ok(!existsSync(join(s.repo, 'data', 'x.txt')));
    // pre-commit runs `dvc status` (its report on git's stderr; the commit goes on)
    writeFileSync(join(s.repo, 'data', 'f.txt'), 'changed\n');
    const c = spawnSync('git', ['commit', '--allow-empty', '-qm', 'e'], { cwd: s.repo, env: { ...s.env, PATH }, encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stderr, /data\.dvc:\n\tchanged outs:\n\t\tmodified:\s+data/);
  });

  test('post-checkout of files only (flag 0) leaves the data alone', () => {
    const s = sandbox();
    s.dvc(['init', '-q']);
    writeFileSync(join(s.repo, 'f'), 'x\n');
    assert.equal(s.dvc(['add', '-q', 'f']).code, 0);
    writeFileSync(join(s.repo, 'f'), 'changed\n');
    const r = s.dvc(['git-hook', 'post-checkout', 'a', 'b', '0']);
    assert.equal(r.code, 0);
    assert.equal(readFileSync(join(s.repo, 'f'), 'utf8'), 'changed\n');
  });

  test('post-checkout of a branch refuses to drop unsaved changes, as dvc checkout', () => {
    const s = sandbox();
    s.dvc(['init', '-q']);
    writeFileSync(join(s.repo, 'f'), 'x\n');
    assert.equal(s.dvc(['add', '-q', 'f']).code, 0);
    writeFileSync(join(s.repo, 'f'), 'changed\n');
    const r = s.dvc(['git-hook', 'post-checkout', 'a', 'b', '1']);
    assert.notEqual(r.code, 0);
    assert.equal(readFileSync(join(s.repo, 'f'), 'utf8'), 'changed\n');
  });

  test('outside a DVC repository every hook does nothing and exits 0', () => {
    const s = sandbox();
    for (const h of ['pre-commit', 'post-checkout', 'pre-push']) {
      const r = s.dvc(['git-hook', h, 'x', 'y', '1']);
      assert.equal(r.code, 0, `${h}: ${r.stderr}`);
      assert.equal(r.stdout + r.stderr, '');
    }
  });

  test('pre-push pushes to the default remote', () => {
    const s = sandbox();
    s.dvc(['init', '-q']);
    assert.equal(s.dvc(['remote', 'add', '-d', 'r', join(s.tmp, 'remote')]).code, 0);
    writeFileSync(join(s.repo, 'f'), 'pushed\n');
    assert.equal(s.dvc(['add', '-q', 'f']).code, 0);
    const r = s.dvc(['git-hook', 'pre-push', 'origin', 'url']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.tmp, 'remote', 'files', 'md5', '28', '5ae2b6d74088e208ef46516b37e82b'), 'utf8'), 'pushed\n');
  });
});

