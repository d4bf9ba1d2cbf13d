// What a user sees without libtorch: npm install still succeeds, importing says how to fix it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));

test('the install script exits 0 with a clear warning when libtorch is missing', () => {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], {
    env: { ...process.env, LIBTORCH: '/nonexistent/libtorch' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /@copper\/torch: LIBTORCH=\/nonexistent\/libtorch has no include\/ATen\/ATen\.h; the native addon was not built\./);
  assert.match(r.stderr, /apt-get install libtorch-dev/);
});

test('importing without the built addon throws one line saying how to install libtorch', () => {
  // a copy of the compiled package without build/ behaves like an install without libtorch
  const dir = mkdtempSync(join(tmpdir(), 'copper-torch-noaddon-'));
  cpSync(join(pkg, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(pkg, 'package.json'), join(dir, 'package.json'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${join(dir, 'src', 'index.ts')}').catch((e) => { console.log(e.message); process.exit(3); })`], {
    encoding: 'utf8',
    cwd: pkg,
  });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^@copper\/torch needs libtorch, and its native addon is not built: install libtorch \(Debian\/Ubuntu: `npm run setup` in the copper folder, or `sudo apt-get install libtorch-dev`; elsewhere set LIBTORCH to a libtorch folder from pytorch\.org or to a pip-installed torch package's folder\)/);
});
