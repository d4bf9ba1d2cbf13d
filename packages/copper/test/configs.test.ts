// Smoke tests of the configs tree (lightning-hydra-template style): every option of every group,
// every experiment, debug and hparams_search config composes, resolves and instantiates into
// copper's objects; the main ones run a fast_dev_run training.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DIR, hydraRun, makeData, scratch, smallRun } from './helpers.js';
import { buildAll } from '../src/tasks/common.js';
import { train } from '../src/tasks/train.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { Trainer } from '../src/trainer/trainer.js';
import { SimpleCNN, TinyResNet } from '../src/models/nets.js';
import { ResNet } from '../src/models/torchvision.js';

function options(group: string): string[] {
  return readdirSync(join(CONFIG_DIR, group))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

const GROUPS = ['data', 'model', 'trainer', 'callbacks', 'logger', 'paths', 'hydra', 'extras', 'experiment', 'debug'];

describe('configs', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch());
    makeData(dir, 12);
  });
  after(() => cleanup());

  test('the tree has every group the template needs, each with options', () => {
    for (const g of [...GROUPS, 'hparams_search']) assert.ok(options(g).length > 0, `configs/${g}/ has options`);
    for (const f of ['train.yaml', 'eval.yaml', 'infer.yaml']) assert.ok(existsSync(join(CONFIG_DIR, f)), f);
    assert.ok(options('model').length >= 2, 'at least two models');
    for (const c of ['model_checkpoint', 'early_stopping', 'model_summary', 'progress_bar', 'lr_monitor']) assert.ok(options('callbacks').includes(c), c);
    for (const l of ['csv', 'tensorboard', 'many_loggers']) assert.ok(options('logger').includes(l), l);
    for (const d of ['fdr', 'overfit', 'limit', 'default']) assert.ok(options('debug').includes(d), d);
  });

  test('train.yaml defaults', async () => {
    const r = await hydraRun('train', smallRun(dir), (cfg) => {
      assert.equal(cfg.task_name, 'train');
      assert.equal(cfg.data._target_, 'copper.data.ImageFolderDataModule');
      assert.equal(cfg.data.data_dir, `${dir}/data/PetImages`);
      assert.deepEqual([...cfg.data.train_val_test_split], [0.8, 0.1, 0.1]);
      assert.equal(cfg.model.optimizer._partial_, true);
      assert.equal(cfg.callbacks.model_checkpoint.dirpath, `${dir}/run/checkpoints`);
      assert.equal(cfg.callbacks.model_checkpoint.monitor, 'val/acc');
      assert.equal(cfg.trainer.default_root_dir, `${dir}/run`);
      const b = buildAll(cfg, 'train');
      assert.ok(b.datamodule instanceof ImageFolderDataModule);
      assert.ok(b.model instanceof ImageClassifier);
      assert.ok((b.model as ImageClassifier).net instanceof SimpleCNN);
      assert.ok(b.trainer instanceof Trainer);
      assert.deepEqual(b.callbacks.map((c) => c.constructor.name), ['ModelCheckpoint', 'EarlyStopping', 'ModelSummary', 'ProgressBar', 'LearningRateMonitor']);
      assert.deepEqual(b.loggers.map((l) => l.constructor.name), ['CSVLogger']);
      return 'ok';
    });
    assert.equal(r.jobs[0]!.returnValue, 'ok');
    assert.ok(existsSync(join(dir, 'run', '.hydra', 'config.yaml')));
  });

  for (const group of GROUPS) {
    for (const option of options(group)) {
      test(`${group}=${option} composes and instantiates (train.yaml)`, async () => {
        // early_stopping alone leaves its monitor ??? (mandatory), as in lightning-hydra-template
        const extra = group === 'callbacks' && option === 'early_stopping' ? ['callbacks.early_stopping.monitor=val/acc'] : [];
        // the torchvision model config requires its weights file (???): null = random init
        const yaml = readFileSync(join(CONFIG_DIR, group, `${option}.yaml`), 'utf8');
        if ((group === 'model' && option === 'torchvision') || yaml.includes('override /model: torchvision')) extra.push('model.net.weights=null');
        const r = await hydraRun('train', [...smallRun(dir), `${group}=${option}`, ...extra], (cfg) => {
          const b = buildAll(cfg, 'train');
          assert.ok(b.trainer instanceof Trainer);
          assert.ok(b.model instanceof ImageClassifier);
          if (group === 'model') assert.ok((b.model as ImageClassifier).net instanceof (option === 'tiny_resnet' ? TinyResNet : option === 'torchvision' ? ResNet : SimpleCNN));
          if (group === 'logger') assert.equal(b.loggers.length, option === 'many_loggers' ? 2 : 1);
          if (group === 'callbacks' && option === 'none') assert.equal(b.callbacks.length, 0);
          return true;
        });
        assert.equal(r.jobs[0]!.returnValue, true);
      });
    }
  }

  for (const option of options('hparams_search')) {
    test(`hparams_search=${option} runs a search sweep`, async () => {
      const r = await hydraRun('train', [...smallRun(dir), `hparams_search=${option}`, 'hydra.sweeper.n_trials=2'], (cfg) => {
        assert.ok(cfg.optimized_metric);
        buildAll(cfg, 'train');
        return 0.5;
      });
      assert.equal(r.mode, 'MULTIRUN');
      assert.equal(r.jobs.length, 2);
      assert.ok(existsSync(join(dir, 'multirun', 'optimization_results.yaml')));
    });
  }

  test("--config-dir adds a project's own configs (an experiment of its own)", async () => {
    const mine = join(dir, 'myconfigs', 'experiment');
    mkdirSync(mine, { recursive: true });
    writeFileSync(join(mine, 'mine.yaml'), '# @package _global_\ndefaults:\n  - override /model: tiny_resnet\ntags: ["mine"]\ntrainer:\n  max_epochs: 3\n');
    await hydraRun('train', [...smallRun(dir), '--config-dir', join(dir, 'myconfigs'), 'experiment=mine'], (cfg) => {
      assert.deepEqual([...cfg.tags], ['mine']);
      assert.equal(cfg.trainer.max_epochs, 3);
      assert.equal(cfg.model.net._target_, 'copper.models.TinyResNet');
    });
  });

  test('eval.yaml requires ckpt_path and composes with it', async () => {
    await hydraRun('eval', [...smallRun(dir), 'ckpt_path=/x.ckpt'], (cfg) => {
      assert.equal(cfg.task_name, 'eval');
      assert.equal(cfg.ckpt_path, '/x.ckpt');
      buildAll(cfg, 'eval');
    });
  });

  test('infer.yaml has img_path, ckpt_path and top-2', async () => {
    await hydraRun('infer', [`paths.root_dir=${dir}`], (cfg) => {
      assert.equal(cfg.top_k, 2);
      assert.equal(cfg.img_path, `${dir}/data/PetImages/Cat/Cat_0000.jpg`);
      assert.equal(cfg.ckpt_path, `${dir}/model.ckpt`);
    });
  });

  // fast_dev_run of the main configs: one batch of train/val/test, no checkpoints or logs
  const MAIN: string[][] = [
    ['data.num_workers=2', 'trainer.deterministic=True', '+trainer.fast_dev_run=True'],
    ['experiment=cat_dog', '+trainer.fast_dev_run=True'],
    ['experiment=cat_dog_resnet', '+trainer.fast_dev_run=True'],
    ['model=tiny_resnet', 'logger=many_loggers', '+trainer.fast_dev_run=True'],
    ['debug=fdr'],
    ['debug=overfit', 'trainer.max_epochs=1'],
    ['debug=limit', 'trainer.max_epochs=1'],
  ];
  for (const ov of MAIN) {
    test(`train ${ov.join(' ')}`, async () => {
      const { dir: out, cleanup: done } = scratch();
      try {
        const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${out}`, ...ov], (cfg) => train(cfg));
        const res = r.jobs[0]!.returnValue as { metrics: Record<string, number> };
        assert.ok(Number.isFinite(res.metrics['train/loss']), 'trained');
        assert.ok(Number.isFinite(res.metrics['test/acc']), 'tested');
        const fdr = ov.some((o) => o.includes('fast_dev_run')) || ov.includes('debug=fdr');
        if (fdr) {
          assert.ok(!existsSync(join(out, 'checkpoints')), 'fast_dev_run writes no checkpoints');
          assert.ok(!existsSync(join(out, 'csv')), 'fast_dev_run writes no logs');
        }
      } finally {
        done();
      }
    });
  }
});
