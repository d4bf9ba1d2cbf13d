// Configs are strict: a key a target does not take fails with one line naming the key, the
// target and the keys it takes (closest first), as Python's instantiate raises TypeError; the
// Trainer options trainer.max_time, trainer.profiler and trainer.strategy do what they say.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as torch from '@copper/torch';
import { cli, makeData, scratch, DIST_CLI } from './helpers.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { SimpleCNN } from '../src/models/nets.js';
import { Trainer, type TrainerOptions } from '../src/trainer/trainer.js';
import { ModelCheckpoint } from '../src/callbacks/model-checkpoint.js';

function oneLineError(r: { code: number | null; stdout: string; stderr: string }): string {
  assert.equal(r.code, 1, `exit 1:\n${r.stderr}${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

describe('strict configs (copper_train)', { skip: !existsSync(DIST_CLI('train')) && 'build first' }, () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch());
    makeData(dir, 6);
  });
  after(() => cleanup());

  // [override, full key, target, the closest key it takes (first in the list)]
  const TYPOS: [string, string, string, string][] = [
    ['+data.batchsize=64', 'data.batchsize', 'copper.data.ImageFolderDataModule', 'batch_size'],
    ['+model.net.num_class=10', 'model.net.num_class', 'copper.models.SimpleCNN', 'num_classes'],
    ['+model.foo=1', 'model.foo', 'copper.models.ImageClassifier', ''],
    ['+model.optimizer.foo=1', 'model.optimizer.foo', 'torch.optim.Adam', ''],
    ['+callbacks.early_stopping.patiense=1', 'callbacks.early_stopping.patiense', 'copper.callbacks.EarlyStopping', 'patience'],
    ['+logger.csv.foo=1', 'logger.csv.foo', 'copper.loggers.CSVLogger', ''],
  ];
  for (const [override, full, target, closest] of TYPOS) {
    test(`${override} fails with one line`, () => {
      const line = oneLineError(cli('train', ['-q', override, '+trainer.fast_dev_run=True', 'data.image_size=16', 'hydra.run.dir=run'], dir));
      const key = full.split('.').pop()!;
      const esc = (s: string) => s.replace(/[.]/g, '\\.');
      assert.match(line, new RegExp(`^Error: unexpected key '${key}' \\(${esc(full)}\\) for ${esc(target)}; it takes: ${closest ? `${closest}, ` : ''}`));
    });
  }

  test('the keys listed are the ones the target takes', () => {
    const line = oneLineError(cli('train', ['-q', '+model.optimizer.foo=1'], dir));
    const keys = line.replace(/^.*it takes: /, '').split(', ').sort();
    assert.deepEqual(keys, ['amsgrad', 'betas', 'eps', 'lr', 'maximize', 'weight_decay']);
  });

  test('trainer.strategy: auto and single_device train, others are refused with one line', () => {
    const ok = cli('train', ['-q', 'trainer.strategy=single_device', '+trainer.fast_dev_run=True', 'data.image_size=16', 'hydra.run.dir=run-sd'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    const line = oneLineError(cli('train', ['-q', 'trainer.strategy=ddp_spawn', 'trainer.devices=2', '+trainer.fast_dev_run=True', 'hydra.run.dir=run-ddp'], dir));
    assert.match(line, /^Error: .*trainer\.strategy "ddp_spawn" is not supported \(auto, single_device, ddp, ddp_find_unused_parameters_true, ddp_find_unused_parameters_false\).*use trainer\.strategy=ddp/);
  });

  test('trainer.max_time in a bad format is refused with one line', () => {
    const line = oneLineError(cli('train', ['-q', '+trainer.max_time=10:00', 'hydra.run.dir=run-mt'], dir));
    assert.match(line, /trainer\.max_time must be "DD:HH:MM:SS"/);
  });
});

describe('Trainer max_time and profiler', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  before(() => {
    ({ dir, cleanup } = scratch());
    root = makeData(dir, 12);
  });
  after(() => cleanup());
  const model = () => new ImageClassifier({ net: new SimpleCNN({ num_classes: 2, channels: [4], hidden: 8, dropout: 0 }), optimizer: (p) => new torch.optim.Adam(p, { lr: 0.01 }) as never });
  // 12 per class, 16 px, batches of 4, split 16/4/4: 4 training batches an epoch
  const dm = () => new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 4, train_val_test_split: [16, 4, 4], seed: 1, dvc_checkout: false });
  const run = async (opts: TrainerOptions) => {
    const lines: string[] = [];
    const t = new Trainer({ max_epochs: 3, num_sanity_val_steps: 0, ...opts, info: (m) => lines.push(m) });
    await t.fit(model(), dm());
    return { t, log: lines.join('\n') };
  };

  test('max_time reached stops training after the current batch (string and dict forms)', async () => {
    for (const max_time of ['00:00:00:00', { seconds: 0 }] as const) {
      const { t, log } = await run({ max_time });
      assert.equal(t.globalStep, 1, 'one optimizer step, then the time limit stops it');
      assert.equal(t.currentEpoch, 0);
      assert.match(log, /Time limit reached/);
      assert.ok(Number.isFinite(t.callbackMetrics['val/acc']), 'validated before stopping (as Lightning)');
    }
  });

  test('max_time respects min_epochs, and a limit not reached changes nothing', async () => {
    const a = await run({ max_time: '00:00:00:00', min_epochs: 2 });
    assert.equal(a.t.globalStep, 4 + 1, 'epoch 0 whole, then one batch of epoch 1');
    const b = await run({ max_time: { days: 1 } });
    assert.equal(b.t.globalStep, 12, 'all 3 epochs');
    assert.doesNotMatch(b.log, /Time limit/);
  });

  test('profiler=simple reports time per hook and data loading at the end of fit and test', async () => {
    const ck = new ModelCheckpoint({ dirpath: `${dir}/ck`, monitor: 'val/acc', mode: 'max' });
    const lines: string[] = [];
    const t = new Trainer({ max_epochs: 2, num_sanity_val_steps: 0, profiler: 'simple', callbacks: [ck], info: (m) => lines.push(m) });
    const m = model();
    const d = dm();
    await t.fit(m, d);
    const fit = lines.find((l) => l.startsWith('FIT Profiler Report'));
    assert.ok(fit, lines.join('\n'));
    const row = (report: string, action: string) => {
      const r = report.split('\n').find((l) => l.startsWith(`|  ${action} `));
      assert.ok(r, `${action} in\n${report}`);
      const cells = r.split('|').map((c) => c.trim());
      return { mean: Number(cells[2]), calls: Number(cells[3]), total: Number(cells[4]) };
    };
    assert.match(fit, /\|\s+Action\s+\|\s+Mean duration \(s\)\s+\|\s+Num calls\s+\|\s+Total time \(s\)\s+\|\s+Percentage %\s+\|/);
    assert.equal(row(fit, '[LightningModule]ImageClassifier.training_step').calls, 8, '4 batches x 2 epochs');
    assert.equal(row(fit, '[_TrainingEpochLoop].train_dataloader_next').calls, 8, 'data loading, once per batch');
    assert.equal(row(fit, '[_EvaluationLoop].val_next').calls, 2, 'one val batch an epoch');
    assert.equal(row(fit, '[Callback]ModelCheckpoint.on_train_epoch_end').calls, 2);
    assert.equal(row(fit, 'run_training_epoch').calls, 2);
    const total = row(fit, 'Total');
    assert.ok(row(fit, 'run_training_epoch').total <= total.total + 1e-3);
    await t.test(m, d);
    const testReport = lines.find((l) => l.startsWith('TEST Profiler Report'));
    assert.ok(testReport);
    assert.equal(row(testReport, '[LightningModule]ImageClassifier.test_step').calls, 1);
    assert.doesNotMatch(testReport, /training_step/, 'each report covers its own stage');
  });

  test('profiler=advanced adds min/max/std per action; other profilers are refused', async () => {
    const { log } = await run({ max_epochs: 1, profiler: 'advanced' });
    assert.match(log, /FIT Profiler Report[\s\S]*\|\s+Min \(s\)\s+\|\s+Max \(s\)\s+\|\s+Std \(s\)\s+\|/);
    assert.throws(() => new Trainer({ profiler: 'pytorch' as never }), /trainer\.profiler must be simple or advanced/);
  });

  test('no profiler, no report', async () => {
    const { log } = await run({ max_epochs: 1 });
    assert.doesNotMatch(log, /Profiler Report/);
  });
});
