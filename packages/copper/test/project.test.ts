// The DVC project template: `copper_data init <dir>` lays it out (dvc.yaml, params.yaml,
// conf/config.yaml, .gitignore; git and dvc init when asked; nothing overwritten), copper_train and
// copper_eval take their settings from params.yaml (`--params-file params.yaml:keys`), copper_eval
// writes metrics.json and the predictions for a confusion plot, and `dvc exp run -S
// model.optimizer.lr=0.01` runs the whole pipeline as an experiment that `dvc exp show` lists
// with its accuracy.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { cli, scratch, DIST_CLI, PKG_DIR } from './helpers.js';

const ROOT = join(PKG_DIR, '..', '..');
const DVC = join(ROOT, 'packages', 'dvc', 'bin', 'dvc.js');
// the bins npm links (copper_data, copper_train, copper_eval), as a project's stages call them
const ENV = {
  PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...ENV } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(r: { code: number | null; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const dvc = (cwd: string, ...args: string[]) => run(process.execPath, [DVC, ...args], cwd);

describe('the DVC project template', { skip: !existsSync(DIST_CLI('train')) && 'build first (npm run build)' }, () => {
  const { dir, cleanup } = scratch();
  after(() => cleanup());

  test('--params-file: the file\'s leaves are overrides (floats, lists, strings), the command line wins, :keys picks', () => {
    const d = join(dir, 'pf');
    mkdirSync(d);
    writeFileSync(join(d, 'p.yaml'), "prepare:\n  per_class: 3\nseed: 7\ndata:\n  batch_size: 4\n  train_val_test_split: [0.5, 0.25, 0.25]\n  data_dir: \"it's/here\"\nmodel:\n  optimizer:\n    lr: 1.0e-2\n    weight_decay: 0.0\n");
    const cfg = parse(ok(cli('train', ['--params-file', 'p.yaml:seed,data,model', 'data.batch_size=8', '--cfg', 'job'], d)));
    assert.equal(cfg.seed, 7);
    assert.equal(cfg.data.batch_size, 8); // the command line's, given after the file's
    assert.deepEqual(cfg.data.train_val_test_split, [0.5, 0.25, 0.25]);
    assert.equal(cfg.data.data_dir, "it's/here");
    assert.equal(cfg.model.optimizer.lr, 0.01);
    assert.equal(cfg.model.optimizer.weight_decay, 0);
    assert.equal(cfg.model.net.hidden, 64); // untouched keys keep the config's values
    // `=` form; the whole file when no keys are picked: `prepare` is not a copper_train key
    let r = cli('train', ['--params-file=p.yaml', '--cfg', 'job'], d);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: p.yaml sets 'prepare.per_class', which is not in copper_train's config (--params-file takes the config's own keys: pick them with --params-file p.yaml:key1,key2)\n");
    r = cli('train', ['--params-file', 'p.yaml:seed,nope', '--cfg', 'job'], d);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: --params-file: p.yaml has no key 'nope' (it has: prepare, seed, data, model)\n");
    r = cli('train', ['--params-file', 'missing.yaml', '--cfg', 'job'], d);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: --params-file: cannot read missing.yaml: no such file\n');
  });

  test('copper_data init lays the project out, with git and dvc when asked, and never overwrites a file', () => {
    const p = join(dir, 'proj1');
    const out = ok(run(process.execPath, [DIST_CLI('data'), 'init', p], dir));
    assert.match(out, /^Created a copper project in .*proj1: dvc\.yaml, params\.yaml, conf\/config\.yaml, \.gitignore\n/);
    for (const f of ['dvc.yaml', 'params.yaml', 'conf/config.yaml', '.gitignore']) assert.ok(existsSync(join(p, f)), f);
    assert.equal(existsSync(join(p, '.git')), false);
    // the Hydra config has params.yaml's keys and values
    assert.deepEqual(parse(readFileSync(join(p, 'conf', 'config.yaml'), 'utf8')), parse(readFileSync(join(p, 'params.yaml'), 'utf8')));
    const stages = parse(readFileSync(join(p, 'dvc.yaml'), 'utf8')).stages;
    assert.deepEqual(Object.keys(stages), ['prepare', 'train', 'eval']);
    assert.match(stages.train.cmd, /^copper_train --params-file params\.yaml:/);
    // again: refused, nothing changed
    writeFileSync(join(p, 'params.yaml'), 'mine: 1\n');
    const r = run(process.execPath, [DIST_CLI('data'), 'init', p], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: .*proj1\/dvc\.yaml, .*proj1\/params\.yaml, .*proj1\/conf\/config\.yaml, .*proj1\/\.gitignore already exist: not overwriting \(copper_data init writes new files only\)\n$/);
    assert.equal(readFileSync(join(p, 'params.yaml'), 'utf8'), 'mine: 1\n');
    const bare = run(process.execPath, [DIST_CLI('data'), 'init'], dir);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /^Error: copper_data init needs a folder/);
    // --dvc: a git repository with DVC in it
    const q = join(dir, 'proj2');
    ok(run(process.execPath, [DIST_CLI('data'), 'init', q, '--dvc', '-q'], dir));
    assert.ok(existsSync(join(q, '.git')) && existsSync(join(q, '.dvc', 'config')));
    assert.equal(ok(run('git', ['status', '--short', '.dvc'], q)), 'A  .dvc/.gitignore\nA  .dvc/config\n');
  });

  test('dvc exp run -S model.optimizer.lr=0.01 runs prepare, train and eval; exp show lists the accuracy', () => {
    const p = join(dir, 'proj3');
    ok(run(process.execPath, [DIST_CLI('data'), 'init', p, '--dvc', '-q'], dir));
    // tiny: 2 x 8 images of 16 px, one epoch
    const params = readFileSync(join(p, 'params.yaml'), 'utf8')
      .replace('per_class: 40', 'per_class: 8')
      .replace(/\n {2}size: 32/, '\n  size: 16')
      .replace('image_size: 32', 'image_size: 16')
      .replace('max_epochs: 5', 'max_epochs: 1');
    writeFileSync(join(p, 'params.yaml'), params);
    ok(run('git', ['add', '-A'], p));
    ok(run('git', ['commit', '-qm', 'copper project'], p));
    const out = ok(dvc(p, 'exp', 'run', '-S', 'model.optimizer.lr=0.01', '-n', 'lr01'));
    assert.match(out, /Running stage 'prepare'[\s\S]*Running stage 'train'[\s\S]*Running stage 'eval'[\s\S]*Ran experiment\(s\): lr01\n/);
    // eval's outputs: metrics and one prediction per test image (2 of 16: the 0.1 split)
    const metrics = JSON.parse(readFileSync(join(p, 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(metrics).sort(), ['test/acc', 'test/loss']);
    const rows = readFileSync(join(p, 'eval', 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(rows[0], 'path,actual,predicted');
    assert.equal(rows.length, 3);
    for (const row of rows.slice(1)) assert.match(row, /^data\/images\/(Cat|Dog)\/\1_\d{4}\.jpg,(Cat|Dog),(Cat|Dog)$/);
    // the experiment, as dvc exp show --json gives it: its lr and its accuracy
    const shown = JSON.parse(ok(dvc(p, 'exp', 'show', '--json')));
    const exp = shown[1].experiments.find((e: { name: string }) => e.name === 'lr01');
    const data = exp.revs[0].data;
    assert.equal(data.params['params.yaml'].data.model.optimizer.lr, 0.01);
    assert.deepEqual(data.metrics['metrics.json'].data, metrics);
    const acc = data.metrics['metrics.json'].data['test/acc'];
    assert.ok(typeof acc === 'number' && acc >= 0 && acc <= 1, String(acc));
    // the trained checkpoint is a cached output of the experiment
    assert.match(ok(run('git', ['show', `${exp.revs[0].rev}:dvc.lock`], p)), /path: model\.ckpt/);
  });
});
