#!/usr/bin/env node
// The main job on a built-in default: the seed's DVC walkthrough in a scratch folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dvc = join(root, 'packages', 'dvc', 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'copper-demo-'));
const repo = join(work, 'repo');
mkdirSync(repo);
function sh(cmd, args) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd === 'dvc' ? process.execPath : cmd, cmd === 'dvc' ? [dvc, ...args] : args, {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@example.com' },
  });
  if (r.status !== 0) {
    console.error(`demo: step failed (exit ${r.status}): ${cmd} ${args.join(' ')}`);
    process.exit(1);
  }
}
try {
  sh('git', ['init', '-q']);
  sh('dvc', ['init']);
  mkdirSync(join(repo, 'data', 'Cat'), { recursive: true });
  mkdirSync(join(repo, 'data', 'Dog'), { recursive: true });
  for (let i = 0; i < 20; i++) {
    writeFileSync(join(repo, 'data', 'Cat', `${i}.jpg`), `cat ${i}\n`.repeat(100 + i));
    writeFileSync(join(repo, 'data', 'Dog', `${i}.jpg`), `dog ${i}\n`.repeat(100 + i));
  }
  sh('dvc', ['remote', 'add', '-d', 'local', join(work, 'remote')]);
  sh('dvc', ['add', 'data']);
  sh('git', ['add', '-A']);
  sh('git', ['commit', '-q', '-m', 'data v1']);
  sh('dvc', ['push', '-r', 'local']);
  rmSync(join(repo, 'data'), { recursive: true });
  sh('dvc', ['status']);
  sh('dvc', ['checkout']);
  sh('dvc', ['status']);
  console.log(`\ndemo: done (scratch folder ${work})`);
} finally {
  if (!process.env.KEEP_DEMO) rmSync(work, { recursive: true, force: true });
}
