#!/usr/bin/env node
// Builds the native addon (build/Release/copper_torch.node) with node-gyp against libtorch.
// Runs at `npm install`. Without libtorch it prints a warning and exits 0, so the rest of the
// workspace still installs; importing @copper/torch then says how to install libtorch.
// Incremental: only changed .cc files are recompiled (node-gyp build, not rebuild).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch, gloo } from './libtorch.mjs';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const warn = (msg) => {
  console.warn(`@copper/torch: ${msg}; the native addon was not built.`);
  console.warn('  Install libtorch (Debian/Ubuntu: apt-get install libtorch-dev, or set LIBTORCH=/path/to/libtorch) and run `npm run build:native -w packages/torch`.');
  process.exit(0);
};

if (process.env.COPPER_TORCH_SKIP_NATIVE) warn('COPPER_TORCH_SKIP_NATIVE is set');
const t = findLibtorch();
if (t.error) warn(t.error);

let nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) {
  const candidates = [
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.unshift(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  nodeGyp = candidates.find((c) => existsSync(c));
}
if (!nodeGyp) warn('node-gyp not found (it ships with npm)');
try {
  createRequire(join(pkg, 'package.json')).resolve('node-addon-api');
} catch {
  warn('node-addon-api is not installed');
}

const args = [];
// Use the headers of the running node when they are installed beside it (no download needed).
const localHeaders = join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (!process.env.npm_config_nodedir && existsSync(localHeaders)) args.push(`--nodedir=${join(dirname(process.execPath), '..')}`);

const run = (cmd) => {
  const r = spawnSync(process.execPath, [nodeGyp, ...cmd, ...args], { cwd: pkg, stdio: 'inherit', env: { ...process.env } });
  return r.status === 0;
};
const makefile = join(pkg, 'build', 'Makefile');
const gyp = join(pkg, 'binding.gyp');
const mtime = (p) => statSync(p).mtimeMs;
// The op tables and the Native interface come from scripts/native-spec.mjs (both sides at once).
// Only in a source checkout: a published package ships the generated files it was built with.
if (existsSync(join(pkg, 'src', 'native.ts'))) {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'gen-native.mjs')], { cwd: pkg, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('@copper/torch: generating the native interface failed (scripts/gen-native.mjs)');
    process.exit(1);
  }
}
const started = Date.now();
console.log(`@copper/torch: building the native addon against ${t.source} (${t.libdir})`);
// The configuration binding.gyp reads from libtorch.mjs (Gloo found or not): a change (libgloo-dev
// installed since the last build) re-runs configure.
const features = JSON.stringify({ source: t.source, gloo: gloo(t) });
const featuresFile = join(pkg, 'build', 'copper-features.json');
const oldFeatures = existsSync(featuresFile) ? readFileSync(featuresFile, 'utf8') : null;
if (!existsSync(makefile) || oldFeatures !== features || mtime(gyp) > mtime(makefile) || mtime(join(pkg, 'scripts', 'libtorch.mjs')) > mtime(makefile)) {
  if (!run(['configure'])) warn('node-gyp configure failed');
  writeFileSync(featuresFile, features);
}
console.log(`@copper/torch: torch.distributed (Gloo) ${gloo(t) ? 'enabled' : 'disabled: no Gloo headers (Debian/Ubuntu: apt-get install libgloo-dev)'}`);
const jobs = process.env.JOBS ?? '2';
if (!run(['build', '-j', jobs])) {
  console.error('@copper/torch: native build failed (see the compiler output above)');
  process.exit(process.env.COPPER_TORCH_STRICT ? 1 : 0);
}
console.log(`@copper/torch: native addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
