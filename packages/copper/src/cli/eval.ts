#!/usr/bin/env node
/** copper_eval: `copper_eval ckpt_path=logs/train/runs/.../checkpoints/best.ckpt` */
import { runApp } from './run.js';
import { evaluate } from '../tasks/eval.js';

await runApp('eval', async (cfg: Record<string, any>) => (await evaluate(cfg)).metrics);
