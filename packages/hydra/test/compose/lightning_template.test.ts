// Smoke test of lightning-hydra-template's config tree (the tree copper's training template uses):
// every option of every config group composes, resolves, and keeps the template's documented values.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compose, composeNodes, toContainer, select, ConfigCompositionError } from '../../src/index.js';

const configDir = fileURLToPath(new URL('../fixtures/lht/configs', import.meta.url));
const RUNTIME = ['hydra.runtime.output_dir=/tmp/lht-out'];

function groupOptions(group: string): string[] {
  return readdirSync(`${configDir}/${group}`)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** The task config resolved, plus `hydra` (unresolved) and `h(key)` to resolve one hydra key. */
function resolved(configName: string, overrides: string[]): any {
  const { cfg } = composeNodes({ configDir, configName, overrides: [...overrides, ...RUNTIME] });
  const out: any = {};
  for (const k of cfg.keys()) out[k] = k === 'hydra' ? toContainer(cfg.get(k)!) : toContainer(cfg.get(k)!, { resolve: true });
  out.h = (key: string) => select(cfg, key);
  return out;
}

describe('lightning-hydra-template configs', () => {
  before(() => {
    process.env.PROJECT_ROOT = '/proj';
    process.env.COMET_API_TOKEN = 'comet-token';
    process.env.NEPTUNE_API_TOKEN = 'neptune-token';
  });

  test('train.yaml composes with the documented defaults', () => {
    const c = resolved('train', []);
    assert.equal(c.task_name, 'train');
    assert.deepEqual(c.tags, ['dev']);
    assert.equal(c.data._target_, 'src.data.mnist_datamodule.MNISTDataModule');
    assert.equal(c.data.data_dir, '/proj/data/');
    assert.deepEqual(c.data.train_val_test_split, [55000, 5000, 10000]);
    assert.equal(c.model.optimizer.lr, 0.001);
    assert.equal(c.model.optimizer._partial_, true);
    assert.deepEqual(Object.keys(c.callbacks), ['model_checkpoint', 'early_stopping', 'model_summary', 'rich_progress_bar']);
    assert.equal(c.callbacks.model_checkpoint.dirpath, '/tmp/lht-out/checkpoints');
    assert.equal(c.callbacks.model_checkpoint.monitor, 'val/acc');
    assert.equal(c.callbacks.early_stopping.patience, 100);
    assert.equal(c.callbacks.model_summary.max_depth, -1);
    assert.equal(c.logger, undefined, 'logger: null adds nothing');
    assert.equal(c.trainer.default_root_dir, '/tmp/lht-out');
    assert.equal(c.paths.work_dir, process.cwd());
    assert.match(c.h('hydra.run.dir'), /^\/proj\/logs\/\/train\/runs\/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    assert.equal(c.h('hydra.job_logging.handlers.file.filename'), '/tmp/lht-out/train.log');
    assert.equal(c.hydra.runtime.choices['hydra/job_logging'], 'colorlog');
    assert.equal(c.hydra.runtime.choices.local, 'default', 'optional local: default is recorded even though absent');
  });

  test('the readme command line: data.num_workers=16 trainer.deterministic=True +trainer.fast_dev_run=True', () => {
    const c = resolved('train', ['data.num_workers=16', 'trainer.deterministic=True', '+trainer.fast_dev_run=True']);
    assert.equal(c.data.num_workers, 16);
    assert.equal(c.trainer.deterministic, true);
    assert.equal(c.trainer.fast_dev_run, true);
    assert.throws(() => resolved('train', ['trainer.fast_dev_run=True']), (e: Error) => e instanceof ConfigCompositionError && /\+trainer\.fast_dev_run=True/.test(e.message));
  });

  for (const group of ['callbacks', 'data', 'debug', 'experiment', 'extras', 'hparams_search', 'logger', 'model', 'paths', 'trainer']) {
    test(`every option of '${group}' composes and resolves`, () => {
      const options = groupOptions(group);
      assert.ok(options.length > 0);
      for (const opt of options) {
        const c = resolved('train', [`${group}=${opt}`]);
        assert.equal(c.hydra.runtime.choices[group], opt, `${group}=${opt}`);
      }
    });
  }

  test('experiment=example overrides groups and values', () => {
    const c = resolved('train', ['experiment=example']);
    assert.deepEqual(c.tags, ['mnist', 'simple_dense_net']);
    assert.equal(c.seed, 12345);
    assert.equal(c.trainer.min_epochs, 10);
    assert.equal(c.trainer.gradient_clip_val, 0.5);
    assert.equal(c.model.optimizer.lr, 0.002);
    assert.equal(c.model.net.lin1_size, 128);
    assert.equal(c.data.batch_size, 64);
    assert.deepEqual(c.logger.wandb.tags, ['mnist', 'simple_dense_net']);
  });

  test('debug configs inherit debug/default and disable callbacks and loggers', () => {
    const c = resolved('train', ['debug=fdr']);
    assert.equal(c.task_name, 'debug');
    assert.equal(c.callbacks, null);
    assert.equal(c.trainer.fast_dev_run, true);
    assert.equal(c.trainer.detect_anomaly, true);
    assert.equal(c.hydra.job_logging.root.level, 'DEBUG');
    assert.equal(resolved('train', ['debug=overfit']).trainer.overfit_batches, 3);
  });

  test('logger options and many_loggers', () => {
    const c = resolved('train', ['logger=many_loggers']);
    assert.deepEqual(Object.keys(c.logger), ['csv', 'tensorboard', 'wandb']);
    assert.equal(c.logger.csv.save_dir, '/tmp/lht-out');
    assert.equal(resolved('train', ['logger=comet']).logger.comet.api_key, 'comet-token');
  });

  test('trainer options inherit trainer/default', () => {
    const c = resolved('train', ['trainer=ddp']);
    assert.equal(c.trainer.strategy, 'ddp');
    assert.equal(c.trainer.devices, 4);
    assert.equal(c.trainer.max_epochs, 10);
  });

  test('hparams_search selects the search sweeper and multirun mode', () => {
    const c = resolved('train', ['hparams_search=mnist_optuna', 'experiment=example']);
    assert.equal(c.hydra.mode, 'MULTIRUN');
    assert.equal(c.hydra.sweeper.direction, 'maximize');
    assert.equal(c.hydra.sweeper.n_trials, 20);
    assert.equal(c.hydra.sweeper.sampler.seed, 1234);
    assert.equal(c.hydra.sweeper.sampler._target_, 'optuna.samplers.TPESampler');
    assert.equal(c.hydra.sweeper.params['data.batch_size'], 'choice(32, 64, 128, 256)');
    assert.equal(c.optimized_metric, 'val/acc_best');
  });

  test('eval.yaml needs ckpt_path', () => {
    const cfg = compose<any>({ configDir, configName: 'eval' });
    assert.throws(() => cfg.ckpt_path, /Missing mandatory value: ckpt_path/);
    assert.equal(compose<any>({ configDir, configName: 'eval', overrides: ['ckpt_path=/x.ckpt'] }).ckpt_path, '/x.ckpt');
  });

  test('a missing group option names the options', () => {
    assert.throws(() => resolved('train', ['trainer=tpu']), /Could not find 'trainer\/tpu'\. Available options in 'trainer': cpu, ddp, ddp_sim, default, gpu, mps/);
  });
});
