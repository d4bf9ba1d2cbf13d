#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) and the hash worker (dist/hash/worker.js) with
// esbuild into dist/bundle/: a few files instead of ~150 modules, so `dvc` starts in a few
// milliseconds more than `node -e 0`. Commands still load their modules only when they run
// (each dynamic import becomes a chunk). Native and cloud-SDK packages stay in node_modules.
// dist/bundle sits two folders below the package root, as dist/<folder>/ does, so the paths the
// code builds from import.meta.url (the native scanner, the worker) stay the same.
// Without esbuild (a production install of a packed @copper/dvc has dist/bundle already) this
// exits 0 and bin/dvc.js runs dist/cli/main.js instead.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('@copper/dvc: esbuild is not installed; dvc runs unbundled (slower start-up).');
  process.exit(0);
}
if (!existsSync(join(pkg, 'dist', 'cli', 'main.js'))) {
  console.error('@copper/dvc: dist/cli/main.js is missing: run tsc -b first');
  process.exit(1);
}
const out = join(pkg, 'dist', 'bundle');
// Up to date (the compiled files are older than the bundle): leave it alone, so a `npm pack`
// (prepack) while dvc commands run never swaps the chunks they are loading.
function newestJs(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('bundle')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestJs(p));
    else if (e.name.endsWith('.js')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const built = join(out, 'main.js');
if (existsSync(built) && existsSync(join(out, 'worker.js')) && statSync(built).mtimeMs > newestJs(join(pkg, 'dist'))) process.exit(0);
// Built beside, then swapped in: a dvc running from the old bundle never sees a half-written one.
const next = join(pkg, 'dist', `bundle.next-${process.pid}`);
const old = join(pkg, 'dist', `bundle.old-${process.pid}`);
rmSync(next, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { main: join(pkg, 'dist', 'cli', 'main.js'), worker: join(pkg, 'dist', 'hash', 'worker.js') },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Native addons and the large cloud SDKs are loaded from node_modules, and only by the commands
  // that need them.
  external: ['better-sqlite3', '@aws-sdk/*', '@smithy/*', '@azure/*', '@google-cloud/*', 'ssh2', 'webdav'],
  // CommonJS dependencies bundled into an ES module need a `require` for Node's built-ins.
  banner: { js: "import { createRequire as __copperCreateRequire } from 'node:module'; const require = __copperCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'none',
});
if (existsSync(out)) renameSync(out, old);
renameSync(next, out);
rmSync(old, { recursive: true, force: true });
