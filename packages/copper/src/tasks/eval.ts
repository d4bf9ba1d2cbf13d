/** The eval task (the template's eval.py): test a checkpoint on the data module's test split. */
import { existsSync } from 'node:fs';
import { CopperError } from '../utils/errors.js';
import { buildAll, checkModelFitsData, formatMetrics, opt, type Cfg } from './common.js';
import type { TaskResult } from './train.js';

export async function evaluate(cfg: Cfg): Promise<TaskResult> {
  const ckpt = opt(cfg, 'ckpt_path');
  if (!ckpt || ckpt === '???') throw new CopperError('ckpt_path is required: copper_eval ckpt_path=<path/to/checkpoint.ckpt>');
  if (!existsSync(String(ckpt))) throw new CopperError(`checkpoint ${ckpt} does not exist`);
  const { datamodule, model, trainer, log } = buildAll(cfg, 'eval');
  try {
    await datamodule.prepareData();
    datamodule.setup();
    checkModelFitsData(model, datamodule);
    log.info('Starting testing!');
    const metrics = (await trainer.test(model, datamodule, { ckptPath: String(ckpt) }))[0] ?? {};
    log.info(`Test: ${formatMetrics(metrics)}`);
    return { metrics };
  } finally {
    await datamodule.teardown();
  }
}
