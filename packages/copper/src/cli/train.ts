#!/usr/bin/env node
/** copper_train: `copper_train experiment=cat_dog data.num_workers=4 +trainer.fast_dev_run=True` */
import { runApp } from './run.js';
import { train } from '../tasks/train.js';

await runApp('train', async (cfg: Record<string, any>) => {
  const r = await train(cfg);
  return r.objective ?? r.metrics;
});
