#!/usr/bin/env node
// The brief's walkthrough with the training template, in a scratch folder:
// synthetic Cat/Dog JPEGs -> git + dvc init -> dvc add data -> dvc remote add -d local -> dvc push
// -> copper_train (short real training) -> copper_infer on one image.
// `--keep` leaves the folder; the coordinator's root `npm run demo` may call this script.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
// The commands run as a user types them: through the links npm makes in node_modules/.bin.
const binDirs = [join(pkg, 'node_modules', '.bin'), join(pkg, '..', '..', 'node_modules', '.bin')].filter((d) => existsSync(d));
const PATH = [...binDirs, process.env.PATH ?? ''].join(delimiter);
for (const cmd of ['dvc', 'copper_data', 'copper_train', 'copper_infer']) {
  if (!binDirs.some((d) => existsSync(join(d, cmd)))) {
    console.error(`demo: \`${cmd}\` is not linked in node_modules/.bin: run \`npm install\` in the copper folder first`);
    process.exit(1);
  }
}
// Training needs libtorch: say so in one line before doing anything.
try {
  await import('@copper/torch');
} catch (e) {
  console.error(`demo: ${String(e?.message ?? e).split('\n')[0]}`);
  process.exit(1);
}
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'copper-template-demo-'));
const repo = join(work, 'project');
mkdirSync(repo);

function sh(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, PATH, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@example.com' },
  });
  if (r.status !== 0 && !opts.optional) {
    console.error(`demo: step failed (exit ${r.status}): ${cmd} ${args.join(' ')}`);
    process.exit(1);
  }
  return r.status;
}

try {
  sh('copper_data', ['data/PetImages', '--per-class', '60', '--size', '48']);
  sh('git', ['init', '-q']);
  sh('dvc', ['init', '-q']);
  sh('dvc', ['add', 'data']);
  sh('dvc', ['remote', 'add', '-d', 'local', join(work, 'remote')]);
  sh('dvc', ['push', '-r', 'local']);
  sh('git', ['add', 'data.dvc', '.gitignore', '.dvc/config']);
  sh('git', ['commit', '-qm', 'track the PetImages data with DVC']);
  sh('copper_train', [
    'experiment=cat_dog',
    'data.image_size=32',
    'data.num_workers=2',
    'trainer.max_epochs=5',
    'export_ckpt=model.ckpt',
  ]);
  // configs/infer.yaml: img_path defaults to data/PetImages/Cat/Cat_0000.jpg, ckpt_path to model.ckpt
  sh('copper_infer', []);
  sh('copper_infer', ['img_path=data/PetImages/Dog/Dog_0005.jpg']);
  // a glob (or a folder): one block per image, the model loaded once
  sh('copper_infer', ["img_path='data/PetImages/*/*_000[0-1].jpg'", 'top_k=1']);
} finally {
  if (keep) console.log(`(kept ${work})`);
  else rmSync(work, { recursive: true, force: true });
}
