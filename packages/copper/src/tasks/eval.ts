/**
 * The eval task (the template's eval.py): test a checkpoint on a folder of images, all of it by
 * default (`split=all`), or one split of it (`split=test`: the held-out part training made).
 * The network comes from the config saved in the checkpoint (as copper_infer), and so do the
 * input size and normalization, so `copper_eval ckpt_path=...` needs no other setting.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { instantiate } from '@copper/hydra';
import { CopperError } from '../utils/errors.js';
import { LightningModule } from '../models/lightning-module.js';
import { ImageClassifier } from '../models/classifier.js';
import { disposeCheckpoint, loadCheckpoint } from '../trainer/checkpoint.js';
import { assertRegisteredTargets } from '../registry.js';
import { buildAll, checkModelFitsData, formatMetrics, opt, type Cfg } from './common.js';
import type { TaskResult } from './train.js';

const SPLITS = ['all', 'train', 'val', 'test'] as const;

export async function evaluate(cfg: Cfg): Promise<TaskResult & { tested: number; split: string }> {
  const ckpt = opt(cfg, 'ckpt_path');
  if (!ckpt || ckpt === '???') throw new CopperError('ckpt_path is required: copper_eval ckpt_path=<path/to/checkpoint.ckpt>');
  if (!existsSync(String(ckpt))) throw new CopperError(`checkpoint ${ckpt} does not exist`);
  const split = String(opt(cfg, 'split') ?? 'all');
  if (!(SPLITS as readonly string[]).includes(split)) throw new CopperError(`split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const built = buildAll(cfg, 'eval');
  const { datamodule, trainer, log } = built;
  let model = built.model;
  const ck = loadCheckpoint(String(ckpt));
  const hp = (ck.hyper_parameters ?? {}) as Record<string, any>;
  disposeCheckpoint(ck);
  if (hp.model && typeof hp.model === 'object' && hp.model._target_) {
    assertRegisteredTargets(hp.model, String(ckpt));
    try {
      model = instantiate<LightningModule>(hp.model);
    } catch (e) {
      throw new CopperError(`cannot rebuild the model saved in ${ckpt}: ${(e as Error).message}`);
    }
    log.info(`Model from the checkpoint: <${hp.model._target_}> with net <${hp.model.net?._target_ ?? '?'}>`);
  }
  if (typeof hp.image_size === 'number') datamodule.hparams.image_size = hp.image_size;
  if (Array.isArray(hp.mean)) datamodule.hparams.mean = hp.mean.map(Number);
  if (Array.isArray(hp.std)) datamodule.hparams.std = hp.std.map(Number);
  if (typeof hp.channels === 'number') datamodule.hparams.channels = hp.channels;
  // the checkpoint's eval transforms (older checkpoints: a resize to its image_size)
  if (typeof hp.image_size === 'number' || Array.isArray(hp.eval_transforms)) datamodule.hparams.eval_transforms = Array.isArray(hp.eval_transforms) ? hp.eval_transforms : null;
  try {
    await datamodule.prepareData();
    datamodule.setup();
    if (Array.isArray(hp.classes) && hp.classes.join('\0') !== datamodule.classes.join('\0')) {
      throw new CopperError(`the checkpoint was trained on classes [${hp.classes.join(', ')}] but ${datamodule.hparams.data_dir} has [${datamodule.classes.join(', ')}]`);
    }
    checkModelFitsData(model, datamodule);
    const dir = datamodule.hparams.data_dir;
    const total = datamodule.dataset!.length;
    if (split === 'all') {
      datamodule.test = [...datamodule.dataset!.samples];
      log.info(`Testing all ${total} images of ${dir} (split=all)`);
    } else {
      datamodule.test = split === 'train' ? datamodule.train : split === 'val' ? datamodule.val : datamodule.test;
      const h = datamodule.hparams;
      log.info(`Testing the ${split} split of ${dir}: ${datamodule.test.length} of its ${total} images (data.train_val_test_split=[${h.train_val_test_split.join(', ')}], data.seed=${h.seed})`);
    }
    const metricsFile = opt(cfg, 'metrics_file');
    const predictionsFile = opt(cfg, 'predictions_file');
    if (predictionsFile && !(model instanceof ImageClassifier)) throw new CopperError('predictions_file needs an image classifier model (copper.models.ImageClassifier)');
    if (predictionsFile) (model as ImageClassifier).testPredictions = [];
    log.info('Starting testing!');
    const metrics = (await trainer.test(model, datamodule, { ckptPath: String(ckpt) }))[0] ?? {};
    const tested = trainer.evalSamples;
    log.info(`Tested ${tested} images`);
    log.info(`Test: ${formatMetrics(metrics)}`);
    // for DVC: metrics (`metrics:` of a stage, shown by `dvc exp show`) and a confusion-matrix plot
    if (metricsFile) {
      writeAtomic(String(metricsFile), JSON.stringify(metrics, null, 2) + '\n');
      log.info(`Metrics written to ${metricsFile}`);
    }
    if (predictionsFile) {
      const classes = datamodule.classes;
      const csv = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      const rows = ((model as ImageClassifier).testPredictions ?? []).map((p) => [relative(process.cwd(), p.path).split('\\').join('/'), classes[p.actual] ?? String(p.actual), classes[p.predicted] ?? String(p.predicted)].map(csv).join(','));
      (model as ImageClassifier).testPredictions = null;
      writeAtomic(String(predictionsFile), ['path,actual,predicted', ...rows].join('\n') + '\n');
      log.info(`Predictions written to ${predictionsFile}`);
    }
    return { metrics, tested, split };
  } finally {
    await datamodule.teardown();
  }
}

/** Writes a whole file or nothing (temp file and rename), making its folder. */
function writeAtomic(file: string, text: string): void {
  const dst = resolve(file);
  mkdirSync(dirname(dst), { recursive: true });
  const tmp = `${dst}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, dst);
}
