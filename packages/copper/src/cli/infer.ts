#!/usr/bin/env node
/** copper_infer: prints the top-k classes of `img_path` (configs/infer.yaml), one line each. */
import { runApp } from './run.js';
import { formatPrediction, infer } from '../tasks/infer.js';

await runApp('infer', async (cfg: Record<string, any>) => {
  const preds = await infer(cfg);
  for (const p of preds) process.stdout.write(`${formatPrediction(p)}\n`);
  return preds;
});
