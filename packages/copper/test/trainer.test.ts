// The Trainer through the library API: learning, checkpoints (PyTorch format) and resume,
// callbacks, the CSV logger, fast_dev_run, limits, clipping and accumulation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@copper/torch';
import { makeData, scratch } from './helpers.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { DataLoader } from '../src/data/loader.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { SimpleCNN } from '../src/models/nets.js';
import { Trainer, type TrainerOptions } from '../src/trainer/trainer.js';
import { ModelCheckpoint, formatCheckpointName } from '../src/callbacks/model-checkpoint.js';
import { EarlyStopping } from '../src/callbacks/early-stopping.js';
import { CSVLogger } from '../src/loggers/csv.js';
import { loadCheckpoint } from '../src/trainer/checkpoint.js';
import { ProgressBar } from '../src/callbacks/progress-bar.js';
import { CopperError } from '../src/utils/errors.js';

function model(lr = 0.003) {
  return new ImageClassifier({ net: new SimpleCNN({ num_classes: 2, channels: [8, 16], hidden: 16, dropout: 0 }), optimizer: (p) => new torch.optim.Adam(p, { lr }) as never });
}

describe('Trainer', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  const quiet = { info: () => {} };
  before(() => {
    ({ dir, cleanup } = scratch());
    root = makeData(dir, 30);
  });
  after(() => cleanup());
  const dm = (extra = {}) => new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 8, train_val_test_split: [0.6, 0.2, 0.2], seed: 5, ...extra });

  test('learns the synthetic cats and dogs (> 90% validation accuracy), checkpoints the best epoch', async () => {
    torch.manualSeed(0);
    const out = join(dir, 'learn');
    const ckpt = new ModelCheckpoint({ dirpath: join(out, 'ckpts'), monitor: 'val/acc', mode: 'max', save_last: true, filename: 'epoch_{epoch:03d}', auto_insert_metric_name: false });
    const csv = new CSVLogger({ save_dir: out, name: 'csv' });
    const m = model();
    const t = new Trainer({ max_epochs: 6, callbacks: [ckpt], logger: [csv], log_every_n_steps: 1, ...quiet });
    const d = dm();
    await t.fit(m, d);
    assert.ok(t.callbackMetrics['val/acc']! > 0.9, `val/acc ${t.callbackMetrics['val/acc']}`);
    assert.ok(t.callbackMetrics['val/acc_best']! >= t.callbackMetrics['val/acc']!);
    assert.equal(t.currentEpoch, 5);
    assert.ok(t.globalStep === 6 * 5, `global step ${t.globalStep}`);
    // checkpoints: the best epoch and last.ckpt, in PyTorch's format with the Lightning layout
    assert.match(ckpt.bestModelPath, /epoch_00\d\.ckpt$/);
    assert.ok(existsSync(ckpt.bestModelPath));
    assert.deepEqual(readdirSync(join(out, 'ckpts')).filter((f) => f !== 'last.ckpt').length, 1, 'top-1 only');
    const c = loadCheckpoint(join(out, 'ckpts', 'last.ckpt'));
    assert.equal(c.epoch, 5);
    assert.equal(c.global_step, 30);
    assert.deepEqual(Object.keys(c.state_dict).slice(0, 2), ['net.features.0.weight', 'net.features.1.weight']);
    assert.ok((c.optimizer_states![0] as any).state['0'].exp_avg instanceof torch.Tensor);
    assert.ok((c.callbacks as any).ModelCheckpoint.best_model_path === ckpt.bestModelPath);
    torch.dispose(c as unknown);
    // CSV metrics: a row per logging call, epoch rows with train and val metrics
    const lines = readFileSync(join(out, 'csv', 'version_0', 'metrics.csv'), 'utf8').trim().split('\n');
    const head = lines[0]!.split(',');
    for (const k of ['epoch', 'step', 'train/loss', 'train/acc', 'val/loss', 'val/acc', 'val/acc_best']) assert.ok(head.includes(k), k);
    const epochRows = lines.slice(1).filter((l) => l.split(',')[head.indexOf('val/acc')] !== '');
    assert.equal(epochRows.length, 6);
    assert.ok(existsSync(join(out, 'csv', 'version_0', 'hparams.yaml')));
    // test with the best checkpoint
    const [metrics] = await t.test(m, d, { ckptPath: 'best' });
    assert.ok(metrics!['test/acc']! > 0.8, `test/acc ${metrics!['test/acc']}`);
    await d.teardown();
  });

  test('resume from a checkpoint continues at the next epoch with the optimizer state', async () => {
    torch.manualSeed(1);
    const out = join(dir, 'resume');
    const ckpt = new ModelCheckpoint({ dirpath: out, save_last: true });
    const t1 = new Trainer({ max_epochs: 2, callbacks: [ckpt], num_sanity_val_steps: 0, ...quiet });
    await t1.fit(model(), dm());
    assert.ok(existsSync(join(out, 'last.ckpt')));
    const epochs: number[] = [];
    const t2 = new Trainer({ max_epochs: 3, num_sanity_val_steps: 0, info: (m) => void (m.startsWith('Epoch') && epochs.push(Number(m.split(/[ :]/)[1]))) });
    const m2 = model();
    await t2.fit(m2, dm(), { ckptPath: join(out, 'last.ckpt') });
    assert.deepEqual(epochs, [2], 'only epoch 2 runs');
    assert.equal(t2.globalStep, 3 * 5);
    const opt = t2.optimizerConfig!.optimizer;
    const st = opt.state.get(m2.parameters()[0]!)!;
    assert.equal(st.step, 15, 'Adam step count continued');
    await assert.rejects(new Trainer({ ...quiet }).fit(model(), dm(), { ckptPath: join(out, 'missing.ckpt') }), /does not exist/);
  });

  test('fast_dev_run: one batch each, no checkpoints, no logs', async () => {
    const out = join(dir, 'fdr');
    const ckpt = new ModelCheckpoint({ dirpath: join(out, 'ckpts'), save_last: true });
    const csv = new CSVLogger({ save_dir: out });
    const t = new Trainer({ fast_dev_run: true, max_epochs: 5, callbacks: [ckpt], logger: [csv], ...quiet });
    await t.fit(model(), dm());
    assert.equal(t.globalStep, 1);
    assert.equal(t.numTrainBatches, 1);
    assert.equal(t.numValBatches, 1);
    assert.ok(!existsSync(out), 'nothing written');
  });

  test('limits, accumulation and clipping', async () => {
    const t = new Trainer({ max_epochs: 2, limit_train_batches: 2, limit_val_batches: 0.5, accumulate_grad_batches: 2, gradient_clip_val: 0.01, num_sanity_val_steps: 0, ...quiet });
    const m = model(0.01);
    const before = m.net.parameters().map((p) => Array.from(p.toArray() as Float32Array));
    await t.fit(m, dm());
    assert.equal(t.numTrainBatches, 2);
    assert.equal(t.numValBatches, 1);
    assert.equal(t.globalStep, 2, 'one optimizer step per 2 batches');
    const after = m.net.parameters().map((p) => Array.from(p.toArray() as Float32Array));
    assert.notDeepEqual(after, before);
    for (const opts of [{ accumulate_grad_batches: 0 }, { max_epoch: 3 }, { accelerator: 'tpu' }, { precision: 16 }] as TrainerOptions[]) {
      assert.throws(() => new Trainer(opts), CopperError);
    }
  });

  test('early stopping stops when the monitored metric stops improving', async () => {
    const es = new EarlyStopping({ monitor: 'val/loss', patience: 1, mode: 'min', min_delta: 10 });
    const t = new Trainer({ max_epochs: 20, callbacks: [es], num_sanity_val_steps: 0, limit_train_batches: 1, ...quiet });
    await t.fit(model(), dm());
    assert.equal(t.currentEpoch, 1, 'stops after one epoch without a 10.0 improvement');
    assert.match(es.stopReason!, /did not improve/);
    const bad = new Trainer({ max_epochs: 1, callbacks: [new EarlyStopping({ monitor: 'val/nope' })], ...quiet });
    await assert.rejects(bad.fit(model(), dm()), /could not find the monitored metric 'val\/nope'/);
  });

  test('checkpoint names follow Lightning templates', () => {
    assert.equal(formatCheckpointName('epoch_{epoch:03d}', { epoch: 7 }, false), 'epoch_007');
    assert.equal(formatCheckpointName('{epoch}-{val/acc:.2f}', { epoch: 3, 'val/acc': 0.9123 }, true), 'epoch=3-val_acc=0.91');
  });

  test('progress bar draws on a TTY only', async () => {
    const chunks: string[] = [];
    const stream = Object.assign(new (await import('node:stream')).Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }), { isTTY: false });
    const t = new Trainer({ max_epochs: 1, limit_train_batches: 2, callbacks: [new ProgressBar({ stream })], ...quiet });
    await t.fit(model(), dm());
    assert.equal(chunks.length, 0, 'quiet when piped');
    stream.isTTY = true;
    const t2 = new Trainer({ max_epochs: 1, limit_train_batches: 2, callbacks: [new ProgressBar({ stream })], ...quiet });
    await t2.fit(model(), dm());
    const text = chunks.join('');
    assert.match(text, /Epoch 0 \[.*\] 2\/2 [\d.]+ it\/s/);
    const bar = new Trainer({ max_epochs: 1, limit_train_batches: 1, enable_progress_bar: false, callbacks: [new ProgressBar({ stream })], ...quiet });
    chunks.length = 0;
    await bar.fit(model(), dm());
    assert.equal(chunks.length, 0, 'enable_progress_bar=false');
  });
});

describe('Trainer determinism and memory', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  before(() => {
    ({ dir, cleanup } = scratch());
    root = makeData(dir, 16);
  });
  after(() => cleanup());
  const dm = (workers = 0) => new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 8, num_workers: workers, train_val_test_split: [0.5, 0.25, 0.25], seed: 9 });

  test('the same seed gives the same run, with or without loader workers', async () => {
    const runOnce = async (workers: number) => {
      torch.manualSeed(123);
      const t = new Trainer({ max_epochs: 2, deterministic: true, info: () => {} });
      const m = model();
      const d = dm(workers);
      await t.fit(m, d);
      await d.teardown();
      return { metrics: { ...t.callbackMetrics }, weights: Array.from(m.net.parameters()[0]!.toArray() as Float32Array) };
    };
    const a = await runOnce(0);
    const b = await runOnce(2);
    assert.deepEqual(b.metrics, a.metrics);
    assert.deepEqual(b.weights, a.weights);
  });

  test('no tensors leak across epochs', async () => {
    const m = model();
    const t1 = new Trainer({ max_epochs: 1, info: () => {} });
    await t1.fit(m, dm());
    const base = torch.liveTensors();
    const t2 = new Trainer({ max_epochs: 3, info: () => {} });
    await t2.fit(m, dm());
    const grown = torch.liveTensors() - base;
    assert.ok(grown < 50, `live tensors grew by ${grown} over 3 epochs`);
  });

  test('val_check_interval validates inside the epoch', async () => {
    let vals = 0;
    const counter = new (class extends (await import('../src/callbacks/callback.js')).Callback {
      override onValidationEnd(t: Trainer): void {
        if (!t.sanityChecking) vals++;
      }
    })();
    const t = new Trainer({ max_epochs: 1, val_check_interval: 0.5, num_sanity_val_steps: 0, callbacks: [counter], info: () => {} });
    await t.fit(model(), dm());
    assert.equal(t.numTrainBatches, 2);
    assert.equal(vals, 2, 'after batch 1 and at the end');
  });
});

describe('Trainer with undecodable images', () => {
  test('a batch lost to broken images still ends the epoch with validation', async () => {
    const { dir, cleanup } = scratch();
    try {
      const good = makeData(dir, 4);
      for (let i = 0; i < 4; i++) writeFileSync(join(good, 'Cat', `Cat_000${i}.jpg`), 'broken');
      class Ordered extends ImageFolderDataModule {
        override trainDataloader() {
          const l = super.trainDataloader();
          l.opts.shuffle = false;
          return l;
        }
        override valDataloader() {
          return new DataLoader(this.train.filter((s) => s.label === 1), { batchSize: 4, imageSize: 16, warn: () => {} });
        }
      }
      const d = new Ordered({ data_dir: good, image_size: 16, batch_size: 4, train_val_test_split: [8, 0, 0], seed: 1 });
      d.setup();
      d.train.sort((a, b) => a.label - b.label || (a.path < b.path ? -1 : 1));
      const warnings: string[] = [];
      const t = new Trainer({ max_epochs: 1, num_sanity_val_steps: 0, info: (m) => warnings.push(m) });
      const origWarn = process.stderr.write;
      process.stderr.write = (() => true) as never;
      try {
        await t.fit(model(), d);
      } finally {
        process.stderr.write = origWarn;
      }
      assert.equal(t.numTrainBatches, 2);
      assert.equal(t.globalStep, 1, 'one real batch trained');
      assert.ok(Number.isFinite(t.callbackMetrics['val/acc']), 'validation ran at the end of the epoch');
    } finally {
      cleanup();
    }
  });
});
