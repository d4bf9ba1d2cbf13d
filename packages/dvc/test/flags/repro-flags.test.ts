/**
 * `dvc repro -k / --ignore-errors / --force-downstream / --allow-missing / -p / -R / --glob / -i`,
 * as DVC's repo/reproduce.py runs them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sandbox, type Sandbox } from '../cli/helpers.js';
import { CLI } from '../conformance/replay.js';

const PIPELINE = `stages:
  a:
    cmd: cut -c1 in.txt > a.txt
    deps: [in.txt]
    outs: [a.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
  bad:
    cmd: exit 3
    deps: [in.txt]
    outs: [bad.txt]
  after_bad:
    cmd: echo ok > after.txt
    deps: [bad.txt]
    outs: [after.txt]
  solo:
    cmd: echo solo > solo.txt
    outs: [solo.txt]
`;

function project(): Sandbox {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  writeFileSync(join(s.repo, 'in.txt'), 'x1\n');
  writeFileSync(join(s.repo, 'dvc.yaml'), PIPELINE);
  mkdirSync(join(s.repo, 'sub'));
  writeFileSync(join(s.repo, 'sub', 'dvc.yaml'), 'stages:\n  inner:\n    cmd: echo in > inner.txt\n    outs: [inner.txt]\n');
  return s;
}

const ran = (stdout: string) => [...stdout.matchAll(/^Running stage '([^']+)':$/gm)].map((m) => m[1]);

describe('repro flags', () => {
  test('-k skips what depends on a failed stage and fails at the end; --ignore-errors goes on and succeeds', () => {
    const s = project();
    const k = s.dvc(['repro', '-k']);
    assert.equal(k.code, 255);
    assert.deepEqual(ran(k.stdout), ['a', 'b', 'bad', 'solo']);
    assert.equal(
      k.stderr,
      "WARNING: failed to run: exit 3, exited with 3\nWARNING: Stage 'after_bad' will be skipped due to this failure\nERROR: failed to reproduce 'bad'\n",
    );
    assert.ok(existsSync(join(s.repo, 'solo.txt')) && !existsSync(join(s.repo, 'after.txt')));
    // Without -k the first failure stops everything after it.
    rmSync(join(s.repo, 'solo.txt'));
    const plain = s.dvc(['repro']);
    assert.equal(plain.code, 255);
    assert.ok(!existsSync(join(s.repo, 'solo.txt')));
    const ig = s.dvc(['repro', '--ignore-errors']);
    assert.equal(ig.code, 0, ig.stderr);
    assert.match(ig.stderr, /^WARNING: failed to run: exit 3, exited with 3 \(ignored\)$/m);
    // after_bad is tried too (its dependency is missing: one more ignored error).
    assert.match(ig.stderr, /^WARNING: dependency 'bad.txt' does not exist \(ignored\)$/m);
    assert.deepEqual(ran(ig.stdout), ['bad', 'solo']);
  });

  test('--force-downstream runs what follows a stage that ran; --allow-missing skips stages only missing outputs', () => {
    const s = project();
    assert.equal(s.dvc(['repro', 'b']).code, 0);
    writeFileSync(join(s.repo, 'in.txt'), 'x2\n'); // a runs again, a.txt stays 'x'
    assert.deepEqual(ran(s.dvc(['repro', 'b']).stdout), ['a']);
    writeFileSync(join(s.repo, 'in.txt'), 'x3\n');
    assert.deepEqual(ran(s.dvc(['repro', '--force-downstream', 'b']).stdout), ['a', 'b']);
    rmSync(join(s.repo, 'b.txt'));
    const m = s.dvc(['repro', '--allow-missing', 'b']);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^Stage 'b' didn't change, skipping$/m);
    assert.ok(!existsSync(join(s.repo, 'b.txt')));
    const again = s.dvc(['repro', 'b']);
    assert.equal(again.code, 0);
    assert.equal(readFileSync(join(s.repo, 'b.txt'), 'utf8'), 'x\n');
  });

  test('-p the whole pipeline of a target; -R the stages below a folder; --glob stage name patterns', () => {
    const s = project();
    assert.deepEqual(ran(s.dvc(['repro', '-p', 'b']).stdout), ['a', 'b']);
    assert.deepEqual(ran(s.dvc(['repro', '-s', 'a', '-f']).stdout), ['a']);
    assert.deepEqual(ran(s.dvc(['repro', '-f', '-p', 'a']).stdout), ['a', 'b']);
    assert.deepEqual(ran(s.dvc(['repro', '-R', 'sub']).stdout), ['sub/dvc.yaml:inner']);
    assert.deepEqual(ran(s.dvc(['repro', '--glob', 'so*']).stdout), ['solo']);
    const none = s.dvc(['repro', '--glob', 'zz*']);
    assert.equal(none.code, 255);
    assert.match(none.stderr, /^ERROR: .*zz\*/);
  });

  test('-i asks before each stage: no terminal is a no; y on a terminal runs it', () => {
    const s = project();
    const no = s.dvc(['repro', '-i', 'solo']);
    assert.equal(no.code, 255);
    assert.equal(no.stderr, "ERROR: failed to reproduce 'solo': reproduction aborted by the user\n");
    assert.ok(!existsSync(join(s.repo, 'solo.txt')));
    if (spawnSync('script', ['--version']).status !== 0) return;
    // A terminal through script(1), the answer on its input.
    const r = spawnSync('script', ['-qec', `'${process.execPath}' '${CLI}' repro -i solo`, '/dev/null'], { cwd: s.repo, env: s.env, input: 'y\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Going to reproduce stage: 'solo'\. Are you sure you want to continue\? \[y\/n\]/);
    assert.equal(readFileSync(join(s.repo, 'solo.txt'), 'utf8'), 'solo\n');
  });
});
