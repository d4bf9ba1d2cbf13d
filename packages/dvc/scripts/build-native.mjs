#!/usr/bin/env node
// Builds the optional native file-system accelerator (build/Release/copper_dvc_fs.node: list a
// folder and stat every entry in one call, on several threads) with node-gyp at `npm install`.
// It is never required: when it cannot be built (no C compiler, no node headers) this prints one
// warning and exits 0, and `dvc` walks folders with fs.readdirSync/statSync instead.
// COPPER_DVC_SKIP_NATIVE=1 skips the build; COPPER_DVC_NATIVE=0 disables the addon at run time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const skip = (why) => {
  console.warn(`@copper/dvc: ${why}; the native folder scanner was not built (dvc falls back to plain Node fs calls).`);
  process.exit(0);
};
if (process.env.COPPER_DVC_SKIP_NATIVE) skip('COPPER_DVC_SKIP_NATIVE is set');
if (process.platform === 'win32') skip('not built on Windows');

let nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !existsSync(nodeGyp)) {
  const candidates = [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.unshift(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  nodeGyp = candidates.find((c) => existsSync(c));
}
if (!nodeGyp) skip('node-gyp not found (it ships with npm)');

const args = [];
// Use the headers installed beside the running node (no download needed, works offline).
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', ...args], { cwd: pkg, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 180_000 });
if (r.status !== 0) {
  const last = (r.stderr ?? '').trim().split('\n').filter((l) => /error/i.test(l)).slice(-1)[0] ?? `node-gyp exited with ${r.status ?? r.signal}`;
  skip(`native build failed (${last.trim()})`);
}
