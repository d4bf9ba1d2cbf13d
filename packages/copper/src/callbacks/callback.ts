/** Callback: hooks the Trainer calls around fitting, epochs, batches and validation. */
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';

export abstract class Callback {
  /** Key of this callback's state in a checkpoint's `callbacks`. */
  get stateKey(): string {
    return this.constructor.name;
  }
  onFitStart(trainer: Trainer, model: LightningModule): void | Promise<void> {
    void trainer;
    void model;
  }
  onFitEnd(trainer: Trainer, model: LightningModule): void | Promise<void> {
    void trainer;
    void model;
  }
  onTrainEpochStart(trainer: Trainer, model: LightningModule): void {
    void trainer;
    void model;
  }
  onTrainBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void trainer;
    void model;
    void batchIdx;
  }
  /** After validation and the epoch's metrics (checkpointing and early stopping happen here). */
  onTrainEpochEnd(trainer: Trainer, model: LightningModule): void | Promise<void> {
    void trainer;
    void model;
  }
  onValidationStart(trainer: Trainer, model: LightningModule): void {
    void trainer;
    void model;
  }
  onValidationBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void trainer;
    void model;
    void batchIdx;
  }
  onValidationEnd(trainer: Trainer, model: LightningModule): void {
    void trainer;
    void model;
  }
  onTestStart(trainer: Trainer, model: LightningModule): void {
    void trainer;
    void model;
  }
  onTestBatchEnd(trainer: Trainer, model: LightningModule, batchIdx: number): void {
    void trainer;
    void model;
    void batchIdx;
  }
  onTestEnd(trainer: Trainer, model: LightningModule): void {
    void trainer;
    void model;
  }
  stateDict(): Record<string, unknown> {
    return {};
  }
  loadStateDict(sd: Record<string, unknown>): void {
    void sd;
  }
}
