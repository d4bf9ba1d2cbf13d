/** `dvc destroy`: what DVC 3.64 removes (and keeps), and its confirmation. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../conformance/replay.js';
import { sandbox, type Sandbox } from './helpers.js';

function project(cacheType?: string): Sandbox {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  if (cacheType) assert.equal(s.dvc(['config', 'cache.type', cacheType]).code, 0);
  mkdirSync(join(s.repo, 'data'));
  writeFileSync(join(s.repo, 'data', 'a.txt'), 'a\n');
  assert.equal(s.dvc(['add', '-q', 'data']).code, 0);
  mkdirSync(join(s.repo, 'sub'));
  writeFileSync(join(s.repo, 'sub', 'f'), 'f\n');
  assert.equal(s.dvc(['add', '-q', 'sub/f']).code, 0);
  writeFileSync(join(s.repo, 'in.txt'), 'x\n');
  assert.equal(s.dvc(['stage', 'add', '-q', '-n', 's', '-d', 'in.txt', '-o', 'out.txt', 'cp in.txt out.txt']).code, 0);
  assert.equal(s.dvc(['repro', '-q']).code, 0);
  return s;
}

function withStdin(s: Sandbox, input: string) {
  const r = spawnSync(process.execPath, [CLI, 'destroy'], { cwd: s.repo, env: s.env, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PROMPT =
  'This will destroy all information about your pipelines, all data files, as well as cache in .dvc/cache.\nAre you sure you want to continue? [y/n]: ';

describe('dvc destroy', () => {
  test('-f removes .dvc files, dvc.yaml, dvc.lock, .dvcignore and .dvc/; data (unlinked from the cache) and .gitignore stay', () => {
    const s = project('symlink');
    assert.ok(lstatSync(join(s.repo, 'data', 'a.txt')).isSymbolicLink());
    const gitignore = readFileSync(join(s.repo, '.gitignore'), 'utf8');
    const r = s.dvc(['destroy', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, '');
    for (const gone of ['.dvc', '.dvcignore', 'data.dvc', 'sub/f.dvc', 'dvc.yaml', 'dvc.lock']) assert.ok(!existsSync(join(s.repo, gone)), gone);
    for (const [f, text] of [['data/a.txt', 'a\n'], ['sub/f', 'f\n'], ['out.txt', 'x\n'], ['in.txt', 'x\n']] as const) {
      assert.ok(lstatSync(join(s.repo, f)).isFile(), `${f} is a plain file`);
      assert.equal(readFileSync(join(s.repo, f), 'utf8'), text);
    }
    assert.equal(readFileSync(join(s.repo, '.gitignore'), 'utf8'), gitignore);
    // no longer a DVC repository
    assert.equal(s.dvc(['status']).code, 253);
  });

  test('asks first: "n", end of input or no answer refuse with exit 1 and remove nothing', () => {
    const s = project();
    for (const input of ['n\n', '', 'maybe\nno\n']) {
      const r = withStdin(s, input);
      assert.equal(r.code, 1);
      assert.ok(r.stdout.startsWith(PROMPT), r.stdout);
      assert.equal(r.stderr, 'ERROR: failed to destroy DVC - cannot destroy without a confirmation from the user. Use `-f` to force.\n');
      assert.ok(existsSync(join(s.repo, '.dvc', 'config')));
      assert.ok(existsSync(join(s.repo, 'data.dvc')));
    }
    assert.match(withStdin(s, 'maybe\nn\n').stdout, /Your response must be one of: \['yes', 'no', 'y', 'n'\]\. Please try again\./);
  });

  test('"y" goes on', () => {
    const s = project();
    const r = withStdin(s, 'y\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, PROMPT);
    assert.ok(!existsSync(join(s.repo, '.dvc')));
    assert.equal(readFileSync(join(s.repo, 'data', 'a.txt'), 'utf8'), 'a\n');
  });

  test('outside a DVC repository: exit 253', () => {
    const s = sandbox();
    const r = s.dvc(['destroy', '-f']);
    assert.equal(r.code, 253);
    assert.match(r.stderr, /^ERROR: you are not inside of a DVC repository/);
  });
});
