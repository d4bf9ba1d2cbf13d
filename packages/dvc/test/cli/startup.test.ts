/**
 * What a command loads decides how fast it answers (start-up is most of a no-op `dvc status`):
 * these check that the cheap paths stay cheap. The timings themselves are in `npm run bench`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { CLI } from '../conformance/replay.js';
import { sandbox } from './helpers.js';

const hook = fileURLToPath(new URL('./fixtures/trace-require.cjs', import.meta.url));

describe('dvc start-up loads only what the command needs', () => {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  mkdirSync(join(s.repo, 'data'));
  writeFileSync(join(s.repo, 'data', 'a.txt'), 'a\n');
  assert.equal(s.dvc(['add', '-q', 'data']).code, 0);

  function traced(args: string[]): { code: number | null; stdout: string; required: string[] } {
    const file = join(s.tmp, `require-${args.join('-')}.txt`);
    writeFileSync(file, '');
    const r = spawnSync(process.execPath, ['--require', hook, CLI, ...args], {
      cwd: s.repo,
      env: { ...process.env, COPPER_REQUIRE_TRACE: file },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, required: readFileSync(file, 'utf8').split('\n').filter(Boolean) };
  }

  test('a .dvc file as DVC writes it is read without the YAML library', () => {
    assert.match(readFileSync(join(s.repo, 'data.dvc'), 'utf8'), /^outs:\n- md5: [0-9a-f]{32}\.dir\n  size: \d+\n  nfiles: 1\n  hash: md5\n  path: data\n$/);
    const r = traced(['status']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Data and pipelines are up to date.\n');
    assert.ok(!r.required.includes('yaml'), `dvc status loaded yaml: ${r.required.join(', ')}`);
  });

  test('dvc --version loads no package at all', () => {
    const r = traced(['--version']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.required, []);
  });
});
