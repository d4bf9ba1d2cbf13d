#!/usr/bin/env node
// `dvc`: runs copper's DVC-compatible CLI. A committed launcher, so npm links it at the first
// `npm install` even before the TypeScript is built; it runs the esbuild bundle when there is
// one (fast start-up) and the compiled modules otherwise.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const plain = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bundle)) await import(bundle.href);
else if (existsSync(plain)) await import(plain.href);
else {
  process.stderr.write("ERROR: copper's dvc is not built yet: run `npm run build` (or `npm install`) in the copper folder\n");
  process.exit(1);
}
