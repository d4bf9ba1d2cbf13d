/**
 * The train task (lightning-hydra-template's train.py): seed, build the data module, model,
 * callbacks, loggers and trainer from the config, fit, then test with the best checkpoint.
 * Returns the metric named by `optimized_metric` (for hyperparameter search) and all metrics.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { disposeCheckpoint, loadCheckpoint } from '../trainer/checkpoint.js';
import { dirname, resolve } from 'node:path';
import { ImageFolderDataModule } from '../data/datamodule.js';
import { CopperError } from '../utils/errors.js';
import { currentTrial } from '@copper/hydra';
import { OptunaPruning } from '../callbacks/optuna-pruning.js';
import { buildAll, checkModelFitsData, formatMetrics, opt, plainCfg, recordHparams, seedEverything, type Cfg } from './common.js';

export interface TaskResult {
  metrics: Record<string, number>;
  /** optimized_metric's value when the config names one. */
  objective?: number;
  bestCheckpoint?: string | null;
  outputDir?: string | null;
}

export async function train(cfg: Cfg): Promise<TaskResult> {
  const seed = opt(cfg, 'seed') ?? (opt(cfg.trainer, 'deterministic') ? 42 : null);
  if (seed !== null && seed !== undefined) seedEverything(Number(seed));
  const { datamodule, model, trainer, log } = buildAll(cfg, 'train');
  let fitMetrics: Record<string, number> = {};
  try {
    if (seed !== null && seed !== undefined && datamodule instanceof ImageFolderDataModule && opt(cfg.data, 'seed') === undefined) datamodule.hparams.seed = Number(seed);
    await datamodule.prepareData();
    datamodule.setup();
    const dv = datamodule.dataVersion;
    if (dv && dv.committed) log.info(`Data version: ${dv.md5} (${dv.nfiles ?? '?'} files, ${dv.action})`);
    else if (dv) {
      const c = dv.changes;
      log.warning(`Data version: ${dv.workspace_md5}, NOT the committed ${dv.md5} of ${dv.dvc_file}${c ? ` (${c.modified} modified, ${c.added} added, ${c.deleted} deleted)` : ''}: training on it as it is (data.allow_modified=True); recorded in hparams.yaml and the checkpoints`);
    }
    log.info(`Data: ${datamodule.dataset!.length} images, classes [${datamodule.classes.join(', ')}], split ${datamodule.train.length}/${datamodule.val.length}/${datamodule.test.length}`);
    checkModelFitsData(model, datamodule);
    recordHparams(model, datamodule, { seed: seed ?? null, task_name: opt(cfg, 'task_name') ?? 'train', tags: plainCfg(opt(cfg, 'tags')) ?? [] });
    const trial = currentTrial();
    const om0 = opt(cfg, 'optimized_metric');
    // in a search sweep, report optimized_metric each validation so the sweeper's pruner can stop the trial
    if (trial && om0) trainer.callbacks.push(new OptunaPruning(trial, String(om0)));
    if (opt(cfg, 'train') !== false) {
      log.info('Starting training!');
      await trainer.fit(model, datamodule, { ckptPath: opt(cfg, 'ckpt_path') ?? null });
      fitMetrics = { ...trainer.callbackMetrics };
    }
    let testMetrics: Record<string, number> = {};
    if (opt(cfg, 'test')) {
      log.info('Starting testing!');
      const best = trainer.checkpointCallback?.bestModelPath || null;
      if (!best) log.warning('Best ckpt not found! Using current weights for testing...');
      else log.info(`Best ckpt path: ${best}`);
      testMetrics = (await trainer.test(model, datamodule, { ckptPath: best }))[0] ?? {};
      log.info(`Test: ${formatMetrics(testMetrics)}`);
    }
    const metrics = { ...fitMetrics, ...testMetrics };
    const result: TaskResult = { metrics, bestCheckpoint: trainer.checkpointCallback?.bestModelPath || null };
    const exportTo = opt(cfg, 'export_ckpt');
    if (exportTo && trainer.isGlobalZero) {
      const src = result.bestCheckpoint || trainer.checkpointCallback?.lastModelPath;
      if (!src) throw new CopperError('export_ckpt is set but no checkpoint was saved (checkpointing disabled or fast_dev_run)');
      const dst = resolve(String(exportTo));
      if (existsSync(dst)) {
        // replace an earlier checkpoint, never some other file
        try {
          disposeCheckpoint(loadCheckpoint(dst));
        } catch {
          throw new CopperError(`export_ckpt ${dst} exists and is not a checkpoint: not overwriting it`);
        }
      }
      const tmp = `${dst}.tmp-${process.pid}`;
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(src, tmp);
      renameSync(tmp, dst);
      log.info(`Best checkpoint copied to ${dst}`);
    }
    const om = opt(cfg, 'optimized_metric');
    if (om) {
      if (!(om in metrics)) throw new CopperError(`optimized_metric '${om}' was not logged (logged: ${Object.keys(metrics).join(', ')})`);
      result.objective = metrics[om];
    }
    return result;
  } finally {
    await datamodule.teardown();
  }
}
