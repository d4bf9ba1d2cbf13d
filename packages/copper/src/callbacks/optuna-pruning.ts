/**
 * Optuna's PyTorchLightningPruningCallback: after each validation run, reports the monitored
 * metric to the search sweeper's trial (step = epoch) and stops the run with TrialPruned when
 * the sweeper's pruner (`hydra.sweeper.pruner`, e.g. optuna.pruners.MedianPruner) says so.
 * copper_train adds it by itself in a search sweep, monitoring `optimized_metric`.
 */
import { TrialPruned, type Trial } from '@copper/hydra';
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';

export class OptunaPruning extends Callback {
  constructor(
    readonly trial: Trial,
    readonly monitor: string,
  ) {
    super();
  }
  override onValidationEnd(trainer: Trainer, model: LightningModule): void {
    void model;
    const v = trainer.callbackMetrics[this.monitor];
    if (v === undefined) return;
    const epoch = trainer.currentEpoch;
    this.trial.report(v, epoch);
    if (this.trial.shouldPrune()) throw new TrialPruned(`Trial was pruned at epoch ${epoch} (${this.monitor}=${v})`);
  }
}
