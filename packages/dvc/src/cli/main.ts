#!/usr/bin/env node
import { run } from './run.js';

// Warnings from dependencies (Node's multi-line process warnings, e.g. an SDK's notice about
// future Node versions) are not the user's business: shown with -v only, one line each.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (process.argv.includes('-v') || process.argv.includes('--verbose')) {
    process.stderr.write(`DEBUG: ${w.name}: ${String(w.message).split('\n')[0]}\n`);
  }
});

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ERROR: unexpected error - ${String(err)}\n`);
    process.exit(255);
  },
);
