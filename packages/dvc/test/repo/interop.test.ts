import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, '..', 'fixtures', 'dvc');

/** A repository exactly as Python DVC 3.64 left it (fixture tree.tar.gz), under real git. */
function pythonDvcRepo(fixture: string) {
  const base = mkdtempSync(join(tmpdir(), 'interop-'));
  const r = spawnSync('tar', ['xzf', join(FIXTURES, fixture, 'tree.tar.gz'), '-C', base]);
  assert.equal(r.status, 0, String(r.stderr));
  const dir = join(base, 'repo');
  spawnSync('git', ['init', '-q'], { cwd: dir });
  const env = { ...process.env, DVC_GLOBAL_CONFIG_DIR: join(base, 'g'), DVC_SYSTEM_CONFIG_DIR: join(base, 's') };
  const dvc = (...args: string[]) => {
    const x = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8' });
    return { code: x.status ?? -1, stdout: x.stdout, stderr: x.stderr };
  };
  return { dir, dvc, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

function md5Tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    for (const name of readdirSync(p)) {
      const abs = join(p, name);
      if (statSync(abs).isDirectory()) walk(abs, rel + name + '/');
      else out[rel + name] = createHash('md5').update(readFileSync(abs)).digest('hex');
    }
  };
  walk(root, '');
  return out;
}

describe('a repository written by Python DVC 3.64 works with ours', () => {
  test('fixture 02: status, checkout after deleting, modify + commit', () => {
    const { dir, dvc, cleanup } = pythonDvcRepo('02-add-dir');
    try {
      const before = md5Tree(join(dir, 'data'));
      let r = dvc('status');
      assert.equal(r.stdout, 'Data and pipelines are up to date.\n', r.stderr);
      rmSync(join(dir, 'data'), { recursive: true });
      r = dvc('checkout');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'A       data/\n');
      assert.deepEqual(md5Tree(join(dir, 'data')), before, 'every file restored byte for byte (unicode names too)');
      // our add on their repo leaves their bytes unchanged when nothing changed
      const dvcFile = readFileSync(join(dir, 'data.dvc'), 'utf8');
      assert.equal(dvc('add', 'data').code, 0);
      assert.equal(readFileSync(join(dir, 'data.dvc'), 'utf8'), dvcFile);
      appendFileSync(join(dir, 'data/a.txt'), 'more\n');
      assert.equal(dvc('commit').code, 0);
      assert.notEqual(readFileSync(join(dir, 'data.dvc'), 'utf8'), dvcFile);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });

  test('fixtures 03 and 12: files in subfolders and moved outputs', () => {
    for (const fx of ['03-add-files', '12-remove-move']) {
      const { dir, dvc, cleanup } = pythonDvcRepo(fx);
      try {
        assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n', fx);
        const target = fx === '03-add-files' ? 'sub/dir/f.bin' : 'g.txt';
        rmSync(join(dir, target));
        const r = dvc('checkout');
        assert.equal(r.stdout, `A       ${target}\n`, r.stderr);
        assert.equal(readFileSync(join(dir, target), 'utf8'), 'abc');
      } finally {
        cleanup();
      }
    }
  });
});
