#!/usr/bin/env node
// Runs every packages/*/test/**/*.test.ts with node's own test runner (TypeScript through tsx),
// so CI reads one summary. Pass file or folder paths to run a subset.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}
const args = process.argv.slice(2);
const roots = args.length ? args.map((a) => join(process.cwd(), a)) : readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test'));
const files = [];
for (const r of roots) {
  try {
    if (statSync(r).isDirectory()) walk(r, files);
    else files.push(r);
  } catch {}
}
files.sort();
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
