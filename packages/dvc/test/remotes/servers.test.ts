// The shared skip helper of the remote suites: a missing server skips, except under
// COPPER_REQUIRE_SERVERS=1 (CI), where it fails the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Runs a test file that asks for a server that is not there, under node's test runner. */
function runMissing(env: Record<string, string>): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'copper-require-'));
  try {
    const file = join(dir, 'missing.test.ts');
    writeFileSync(
      file,
      `import { test } from 'node:test';\n` +
        `import { requireServer } from ${JSON.stringify(join(here, 'servers.ts'))};\n` +
        `const skip = requireServer('imaginary server not installed');\n` +
        `test('uses the imaginary server', { skip }, () => {});\n`,
    );
    const { NODE_TEST_CONTEXT: _, ...outer } = process.env; // a run of its own, not a subtest of this one
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', file], {
      cwd: here,
      encoding: 'utf8',
      env: { ...outer, COPPER_REQUIRE_SERVERS: '', ...env },
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a missing test server skips its suite, saying why', () => {
  const r = runMissing({});
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /# SKIP imaginary server not installed/);
});

test('under COPPER_REQUIRE_SERVERS=1 a missing test server fails the run', () => {
  const r = runMissing({ COPPER_REQUIRE_SERVERS: '1' });
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /imaginary server not installed \(COPPER_REQUIRE_SERVERS=1: a missing test server fails the run\)/);
});

test('.ci/run sets COPPER_REQUIRE_SERVERS=1 before the tests', () => {
  const ci = readFileSync(join(here, '../../../../.ci/run'), 'utf8').split('\n');
  const exported = ci.findIndex((l) => l === 'export COPPER_REQUIRE_SERVERS=1');
  const npmTest = ci.findIndex((l) => l === 'npm test');
  assert.ok(exported >= 0 && npmTest > exported, 'the export must come before npm test');
});
