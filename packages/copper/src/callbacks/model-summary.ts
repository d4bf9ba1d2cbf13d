/** ModelSummary: a table of the model's layers and parameter counts when fitting starts. */
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  const units = ['K', 'M', 'B', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function summarize(model: LightningModule, maxDepth = 1): string {
  const rows: [string, string, string, string][] = [];
  let idx = 0;
  for (const [name, m] of model.namedModules()) {
    if (!name) continue;
    const depth = name.split('.').length;
    if (maxDepth >= 0 && depth > maxDepth) continue;
    rows.push([String(idx++), name, m.constructor.name, formatCount(m.numParameters())]);
  }
  const head: [string, string, string, string] = ['', 'Name', 'Type', 'Params'];
  const all = [head, ...rows];
  const w = [0, 1, 2, 3].map((i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join(' | ');
  const total = model.numParameters();
  const trainable = model.parameters().filter((p) => p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
  const sep = '-'.repeat(line(head).length);
  return [
    sep,
    line(head),
    sep,
    ...rows.map(line),
    sep,
    `${formatCount(trainable).padEnd(8)} Trainable params`,
    `${formatCount(total - trainable).padEnd(8)} Non-trainable params`,
    `${formatCount(total).padEnd(8)} Total params`,
    `${((total * 4) / 1e6).toFixed(3).padEnd(8)} Total estimated model params size (MB)`,
  ].join('\n');
}

export class ModelSummary extends Callback {
  readonly maxDepth: number;
  constructor(opts: { max_depth?: number } = {}) {
    super();
    this.maxDepth = opts.max_depth ?? 1;
  }
  override onFitStart(trainer: Trainer, model: LightningModule): void {
    if (trainer.opts.enable_model_summary === false || this.maxDepth === 0) return;
    trainer.log(summarize(model, this.maxDepth));
  }
}
