#!/usr/bin/env node
/** copper_data: writes the synthetic Cat/Dog image folder. `copper_data <dir> [--per-class N] [--size S] [--seed N]` */
import { parseArgs } from 'node:util';
import { writeSyntheticDataset } from '../data/synthetic.js';

try {
  const { values, positionals } = parseArgs({
    options: {
      'per-class': { type: 'string', default: '40' },
      size: { type: 'string', default: '32' },
      seed: { type: 'string', default: '1234' },
      format: { type: 'string', default: 'jpeg' },
      quiet: { type: 'boolean', short: 'q', default: false },
      force: { type: 'boolean', short: 'f', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write('usage: copper_data <dir> [--per-class N] [--size PIXELS] [--seed N] [--format jpeg|png] [--force] [-q]\n');
    process.exit(values.help ? 0 : 1);
  }
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const format = values.format === 'png' ? 'png' : values.format === 'jpeg' || values.format === 'jpg' ? 'jpeg' : null;
  if (!format) throw new Error(`--format must be jpeg or png, got '${values.format}'`);
  const files = writeSyntheticDataset(positionals[0]!, {
    perClass: num('per-class', values['per-class']!, 1),
    size: num('size', values.size!, 8),
    seed: num('seed', values.seed!, 0),
    format,
    force: values.force === true,
  });
  if (!values.quiet) {
    for (const [c, list] of Object.entries(files)) process.stdout.write(`${c}: ${list.length} images\n`);
  }
} catch (e) {
  process.stderr.write(`Error: ${(e as Error).message}\n`);
  process.exit(1);
}
