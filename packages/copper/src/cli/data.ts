#!/usr/bin/env node
/**
 * copper_data: writes the synthetic Cat/Dog image folder. `copper_data <dir> [--per-class N] [--size S] [--seed N]`
 * `copper_data init <dir> [--git] [--dvc]` lays out a project for DVC experiments (../project.ts).
 */
import { parseArgs } from 'node:util';
import { writeSyntheticDataset } from '../data/synthetic.js';

const INIT_USAGE = 'usage: copper_data init <dir> [--git] [--dvc] [-q]\n';

async function init(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      git: { type: 'boolean', default: false },
      dvc: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(
      INIT_USAGE +
        '\nLays out a copper project for DVC experiments in <dir>: dvc.yaml (stages prepare, train, eval),\n' +
        'params.yaml (copper_train config keys), conf/config.yaml (the same as a Hydra config) and .gitignore.\n' +
        'Existing files are never overwritten.\n\n' +
        '  --git   git init <dir>\n  --dvc   dvc init <dir> (and git init)\n  -q      print nothing\n',
    );
    return;
  }
  if (positionals.length !== 1) {
    process.stderr.write(INIT_USAGE);
    process.exit(1);
  }
  const { initProject } = await import('../project.js');
  const r = initProject(positionals[0]!, { git: values.git, dvc: values.dvc });
  if (values.quiet) return;
  const lines = [`Created a copper project in ${positionals[0]}: ${r.files.join(', ')}`];
  if (r.gitInit) lines.push('Initialized a git repository.');
  if (r.dvcInit) lines.push('Initialized DVC.');
  lines.push('', 'Next:', `  cd ${positionals[0]}`);
  if (!r.dvcInit) lines.push(`  ${r.gitInit ? '' : 'git init && '}dvc init`);
  lines.push('  dvc repro && git add -A && git commit -m "copper project"', '  dvc exp run -S model.optimizer.lr=0.01', '  dvc exp show');
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  const argv = process.argv.slice(2);
  if (argv[0] === 'init') {
    if (argv.length === 1) throw new Error('copper_data init needs a folder: copper_data init <dir> (to write images into a folder named init: copper_data ./init)');
    await init(argv.slice(1));
    process.exit(0);
  }
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
    process.stdout.write('usage: copper_data <dir> [--per-class N] [--size PIXELS] [--seed N] [--format jpeg|png] [--force] [-q]\n       copper_data init <dir> [--git] [--dvc] [-q]\n');
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
