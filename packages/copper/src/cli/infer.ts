#!/usr/bin/env node
/**
 * copper_infer: prints the top-k classes of `img_path` (configs/infer.yaml), one line each; for a
 * folder or a glob, one block per image under a line with its path. Images that cannot be read
 * get one `Error: ...` line on stderr each, and the exit code is then 1.
 */
import { runApp } from './run.js';
import { formatPrediction, infer } from '../tasks/infer.js';

await runApp('infer', async (cfg: Record<string, any>) => {
  const r = await infer(cfg);
  const blocks: string[] = [];
  for (const img of r.images) {
    if (img.error) {
      process.stderr.write(`Error: ${img.error}\n`);
      process.exitCode = 1;
      continue;
    }
    const lines = img.predictions.map(formatPrediction);
    blocks.push((r.single ? lines : [img.path, ...lines]).join('\n') + '\n');
  }
  process.stdout.write(blocks.join('\n'));
  return r;
});
