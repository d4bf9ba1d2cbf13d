// The CLIs end to end (built files, as a user runs them): train -> eval -> infer, the README
// command line, output format and error handling.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, hydraRun, makeData, scratch, DIST_CLI } from './helpers.js';
import { runApp } from '../src/cli/run.js';
import { infer, loadPredictor, formatPrediction } from '../src/tasks/infer.js';
import { writeSyntheticDataset } from '../src/data/synthetic.js';
import { train } from '../src/tasks/train.js';
import { evaluate } from '../src/tasks/eval.js';
import { saveCheckpoint } from '../src/trainer/checkpoint.js';

const PRED = /^Class: (Cat|Dog), Probability: (\d\.\d{4})$/;

function assertOneLineError(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('CLIs', { skip: !existsSync(DIST_CLI('train')) && 'build first (npm run build)' }, () => {
  let dir: string;
  let cleanup: () => void;
  let ckpt: string;
  before(() => {
    ({ dir, cleanup } = scratch());
    makeData(dir, 30);
    ckpt = join(dir, 'model.ckpt');
  });
  after(() => cleanup());

  test('the README command: copper_train data.num_workers=16 trainer.deterministic=True +trainer.fast_dev_run=True', () => {
    const r = cli('train', ['data.image_size=32', 'data.num_workers=16', 'trainer.deterministic=True', '+trainer.fast_dev_run=True'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Test: test\/loss=/);
    assert.doesNotMatch(r.stdout + r.stderr, /\r/, 'no progress bar when piped');
    const runs = readdirSync(join(dir, 'logs', 'train', 'runs'));
    assert.equal(runs.length, 1);
    assert.ok(!existsSync(join(dir, 'logs', 'train', 'runs', runs[0]!, 'checkpoints')), 'fast_dev_run saves no checkpoint');
  });

  test('train -> export the best checkpoint -> eval -> infer prints the top-2 classes', () => {
    const t = cli('train', ['experiment=cat_dog', 'data.image_size=32', 'data.batch_size=16', 'data.num_workers=2', 'trainer.max_epochs=5', 'model.optimizer.lr=0.005', `export_ckpt=${ckpt}`, 'hydra.run.dir=run'], dir);
    assert.equal(t.code, 0, t.stderr + t.stdout);
    assert.ok(existsSync(ckpt));
    const va = /val\/acc_best=([\d.]+)/.exec(t.stdout.trim().split('\n').filter((l) => l.includes('Epoch 4:'))[0] ?? '');
    assert.ok(va && Number(va[1]) > 0.9, `best val acc > 0.9: ${va?.[1]}`);
    assert.ok(existsSync(join(dir, 'run', 'checkpoints', 'last.ckpt')));
    assert.ok(existsSync(join(dir, 'run', 'csv', 'version_0', 'metrics.csv')));

    const e = cli('eval', [`ckpt_path=${ckpt}`, 'data.image_size=32', 'hydra.run.dir=evalrun'], dir);
    assert.equal(e.code, 0, e.stderr);
    const acc = /test\/acc=([\d.]+)/.exec(e.stdout);
    assert.ok(acc && Number(acc[1]) >= 0.8, `eval test/acc ${acc?.[1]}`);

    for (const [cls, file] of [['Cat', 'data/PetImages/Cat/Cat_0003.jpg'], ['Dog', 'data/PetImages/Dog/Dog_0007.jpg']] as const) {
      const r = cli('infer', [`img_path=${file}`, `ckpt_path=${ckpt}`], dir);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 2, r.stdout);
      const m = lines.map((l) => PRED.exec(l));
      assert.ok(m[0] && m[1], `format: ${r.stdout}`);
      assert.equal(m[0]![1], cls, `top class of ${file}`);
      assert.notEqual(m[1]![1], cls);
      const p = m.map((x) => Number(x![2]));
      assert.ok(p[0]! >= p[1]!);
      assert.ok(p[0]! + p[1]! <= 1 + 1e-9, `probabilities sum to at most 1: ${p}`);
      assert.equal(r.stderr, '');
    }
    // infer.yaml defaults: ckpt_path ${paths.root_dir}/model.ckpt and the first cat picture
    const d = cli('infer', [], dir);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^Class: Cat, Probability: \d\.\d{4}\nClass: Dog, Probability: \d\.\d{4}\n$/);
    assert.ok(!existsSync(join(dir, 'logs', 'infer')), 'infer writes no run folder');
  });

  test('eval rebuilds the network and input size from the checkpoint', async () => {
    const out = join(dir, 'resnet');
    await hydraRun('train', [`paths.root_dir=${dir}`, `hydra.run.dir=${out}`, 'model=tiny_resnet', 'data.image_size=16', 'data.num_workers=0', 'trainer.max_epochs=1', 'test=False'], (cfg) => train(cfg));
    const last = join(out, 'checkpoints', 'last.ckpt');
    assert.ok(existsSync(last));
    const r = await hydraRun('eval', [`paths.root_dir=${dir}`, `hydra.run.dir=${out}/eval`, `ckpt_path=${last}`], (cfg) => evaluate(cfg));
    const m = r.jobs[0]!.returnValue as { metrics: Record<string, number> };
    assert.ok(Number.isFinite(m.metrics['test/acc']));
  });

  test('three classes: infer prints the top 2 of them, summing below 1', async () => {
    const three = join(dir, 'three');
    writeSyntheticDataset(join(three, 'data', 'PetImages'), { perClass: 6, size: 16, classes: ['Bird', 'Cat', 'Dog'] });
    const ck = join(three, 'three.ckpt');
    await hydraRun('train', [`paths.root_dir=${three}`, `hydra.run.dir=${three}/run`, 'model.net.num_classes=3', 'data.image_size=16', 'data.num_workers=0', 'trainer.max_epochs=1', 'test=False', `export_ckpt=${ck}`], (cfg) => train(cfg));
    const preds = await loadPredictor(ck).predict(join(three, 'data', 'PetImages', 'Bird', 'Bird_0000.jpg'), 2);
    assert.equal(preds.length, 2);
    for (const p of preds) assert.ok(['Bird', 'Cat', 'Dog'].includes(p.class));
    assert.ok(preds[0]!.probability >= preds[1]!.probability);
    assert.ok(preds[0]!.probability + preds[1]!.probability < 1);
    assert.match(formatPrediction(preds[0]!), /^Class: (Bird|Cat|Dog), Probability: 0\.\d{4}$/);
    const all = await loadPredictor(ck).predict(join(three, 'data', 'PetImages', 'Bird', 'Bird_0000.jpg'), 10);
    assert.equal(all.length, 3, 'topk is capped at the number of classes');
  });

  test('errors are one line with a non-zero exit (the CLIs)', () => {
    assertOneLineError(cli('infer', ['img_path=nope.jpg', `ckpt_path=${ckpt}`], dir), /image nope\.jpg does not exist/);
    assertOneLineError(cli('train', ['trainer.max_epochs=1', 'data.data_dir=missing'], dir), /missing cannot be read/);
    assertOneLineError(cli('eval', [], dir), /ckpt_path/);
    const d = cli('data', [], dir);
    assert.equal(d.code, 1);
    assert.match(d.stdout, /^usage: copper_data/);
  });

  test('errors are one line with a non-zero exit (in process)', async () => {
    const run = async (name: string, task: (cfg: any) => unknown, argv: string[]) => {
      const err: string[] = [];
      const write = process.stderr.write;
      const prevCode = process.exitCode;
      const cwd = process.cwd();
      process.chdir(dir);
      process.stderr.write = ((c: string) => (err.push(String(c)), true)) as never;
      try {
        await runApp(name, task, [...argv, 'hydra.run.dir=errrun', 'hydra/job_logging=disabled', 'hydra/hydra_logging=disabled']);
      } finally {
        process.stderr.write = write;
        process.chdir(cwd);
      }
      const code = process.exitCode;
      process.exitCode = prevCode;
      return { code: code ?? 0, stdout: '', stderr: err.join('') };
    };
    const inferTask = (cfg: any) => infer(cfg);
    assertOneLineError(await run('infer', inferTask, ['ckpt_path=missing.ckpt']), /checkpoint missing\.ckpt does not exist/);
    writeFileSync(join(dir, 'broken.ckpt'), 'garbage');
    assertOneLineError(await run('infer', inferTask, ['ckpt_path=broken.ckpt']), /cannot read checkpoint broken\.ckpt/);
    writeFileSync(join(dir, 'text.jpg'), 'not really');
    assertOneLineError(await run('infer', inferTask, ['img_path=text.jpg', `ckpt_path=${ckpt}`]), /cannot decode image text\.jpg/);
    assertOneLineError(await run('infer', inferTask, ['nonsense=1']), /Could not override 'nonsense'/);
    assertOneLineError(await run('infer', inferTask, ['top_k=0', `ckpt_path=${ckpt}`]), /top_k must be a positive integer/);
    // a checkpoint cannot make copper load code: only registered targets are accepted from it
    saveCheckpoint({ epoch: 0, global_step: 0, state_dict: {}, hyper_parameters: { model: { _target_: './evil.js#Net' } } }, join(dir, 'evil.ckpt'));
    assertOneLineError(await run('infer', inferTask, ['ckpt_path=evil.ckpt']), /refusing _target_ ".\/evil.js#Net"/);
    const trainTask = (cfg: any) => train(cfg);
    assertOneLineError(await run('train', trainTask, ['data=nope']), /data/);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    assertOneLineError(await run('train', trainTask, ['trainer.max_epochs=1', 'data.image_size=16', 'export_ckpt=notes.txt']), /notes\.txt exists and is not a checkpoint: not overwriting it/);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assertOneLineError(await run('train', trainTask, ['model.net.num_classes=3', 'trainer.max_epochs=1', 'data.image_size=16']), /outputs 3 classes but .* has 2/);
    assertOneLineError(await run('train', trainTask, ['+trainer.max_epoch=1']), /unexpected key 'max_epoch' \(trainer\.max_epoch\) for copper\.trainer\.Trainer; it takes: max_epochs, /);
    assertOneLineError(await run('train', trainTask, ['trainer.max_epochs=1', 'data.train_val_test_split=[0.5,0.5,0.5]']), /fractions must sum to 1/);
    assertOneLineError(await run('eval', (cfg: any) => evaluate(cfg), ['ckpt_path=nope.ckpt']), /checkpoint nope\.ckpt does not exist/);
  });
});
