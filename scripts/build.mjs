#!/usr/bin/env node
// Builds every workspace package that has a tsconfig.json (tsc --build follows references).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgs = readdirSync(join(root, 'packages'))
  .map((p) => join('packages', p))
  .filter((p) => existsSync(join(root, p, 'tsconfig.json')));
if (pkgs.length === 0) process.exit(0);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('build: typescript is not installed yet (run npm install)');
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '--build', ...pkgs], { cwd: root, stdio: 'inherit' });
// Packages with a post-compile step (packages/dvc bundles its CLI with esbuild for start-up speed).
if (r.status === 0) {
  for (const p of pkgs) {
    const bundle = join(root, p, 'scripts', 'bundle.mjs');
    if (!existsSync(bundle)) continue;
    const b = spawnSync(process.execPath, [bundle], { cwd: join(root, p), stdio: 'inherit' });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
}
// tsc does not set the executable bit: make every package's bins runnable (npx dvc, copper_train).
for (const p of pkgs) {
  const { bin } = JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8'));
  for (const file of Object.values(typeof bin === 'string' ? { x: bin } : bin ?? {})) {
    const f = join(root, p, file);
    if (existsSync(f)) chmodSync(f, 0o755);
  }
}
process.exit(r.status ?? 1);
