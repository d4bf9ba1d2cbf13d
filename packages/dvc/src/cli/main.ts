#!/usr/bin/env node
import { run } from './run.js';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ERROR: unexpected error - ${String(err)}\n`);
    process.exit(255);
  },
);
