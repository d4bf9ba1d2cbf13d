/**
 * BackboneFinetuning (Lightning's lightning.pytorch.callbacks.BackboneFinetuning): trains only the
 * head first, then unfreezes the backbone at `unfreeze_backbone_at_epoch` with its own parameter
 * group at a smaller learning rate, raised by `lambda_func` every epoch after (never above the
 * head's rate when `should_align`).
 *
 * The backbone is the model's `backbone` module when it has one, else its `net`'s: for the
 * torchvision networks (copper.models.*) everything but the classifier head. BatchNorm layers keep
 * training while frozen when `train_bn` (Lightning's default). `lambda_func` is a number (the
 * per-epoch multiplier, Lightning's default 1.5) or, from code, a function of the epoch.
 *
 * Resuming such a run from a checkpoint (ckpt_path) is not supported yet: the Trainer configures
 * the optimizer before callbacks run, so its parameter groups differ from the checkpoint's.
 */
import * as torch from '@copper/torch';
import { Callback } from './callback.js';
import type { Trainer } from '../trainer/trainer.js';
import type { LightningModule } from '../models/lightning-module.js';
import { VisionNet } from '../models/torchvision.js';
import { CopperError } from '../utils/errors.js';

export interface BackboneFinetuningOptions {
  unfreeze_backbone_at_epoch?: number;
  lambda_func?: number | ((epoch: number) => number);
  backbone_initial_ratio_lr?: number;
  backbone_initial_lr?: number | null;
  should_align?: boolean;
  initial_denom_lr?: number;
  train_bn?: boolean;
  verbose?: boolean;
  rounding?: number;
}

type Module = torch.nn.Module;
const isBatchNorm = (m: Module) => m instanceof torch.nn.BatchNorm2d || m instanceof torch.nn.BatchNorm1d;

export class BackboneFinetuning extends Callback {
  readonly unfreezeAt: number;
  readonly lambda: (epoch: number) => number;
  readonly ratio: number;
  readonly initialLr: number | null;
  readonly shouldAlign: boolean;
  readonly trainBn: boolean;
  readonly verbose: boolean;
  readonly rounding: number;
  /** The backbone group's learning rate in the last epoch (Lightning's previous_backbone_lr). */
  previousBackboneLr: number | null = null;

  constructor(opts: BackboneFinetuningOptions = {}) {
    super();
    this.unfreezeAt = opts.unfreeze_backbone_at_epoch ?? 10;
    if (!Number.isInteger(this.unfreezeAt) || this.unfreezeAt < 0) throw new CopperError(`BackboneFinetuning: unfreeze_backbone_at_epoch must be a non-negative integer, got ${opts.unfreeze_backbone_at_epoch}`);
    const lf = opts.lambda_func ?? 1.5;
    if (typeof lf === 'number' && !(lf > 0)) throw new CopperError(`BackboneFinetuning: lambda_func must be a positive multiplier, got ${lf}`);
    this.lambda = typeof lf === 'number' ? () => lf : lf;
    this.ratio = opts.backbone_initial_ratio_lr ?? 0.1;
    this.initialLr = opts.backbone_initial_lr ?? null;
    this.shouldAlign = opts.should_align ?? true;
    this.trainBn = opts.train_bn ?? true;
    this.verbose = opts.verbose ?? false;
    this.rounding = opts.rounding ?? 12;
  }

  /** The backbone modules of `model` (see the class doc). */
  backbone(model: LightningModule): Module[] {
    const own = (model as unknown as { backbone?: unknown }).backbone;
    if (own instanceof torch.nn.Module) return [own];
    const net = (model as unknown as { net?: unknown }).net;
    if (net instanceof VisionNet) return net.backboneModules();
    const nb = (net as { backbone?: unknown } | undefined)?.backbone;
    if (nb instanceof torch.nn.Module) return [nb];
    throw new CopperError('BackboneFinetuning needs a model with a `backbone` module, or a torchvision network as `net` (copper.models.resnet18, ...)');
  }

  private params(modules: Module[], forFreeze: boolean): torch.nn.Parameter[] {
    const out: torch.nn.Parameter[] = [];
    for (const root of modules) {
      for (const m of root.modules()) {
        if (forFreeze && this.trainBn && isBatchNorm(m)) continue;
        out.push(...m.parameters(false));
      }
    }
    return out;
  }

  override onFitStart(trainer: Trainer, model: LightningModule): void {
    const modules = this.backbone(model);
    const frozen = new Set<unknown>(this.params(modules, true));
    for (const p of frozen as Set<torch.nn.Parameter>) p.requiresGrad = false;
    // the optimizer was configured with every parameter: the frozen ones leave it until unfrozen
    const opt = trainer.optimizerConfig?.optimizer;
    if (opt) for (const g of opt.paramGroups) g.params = g.params.filter((p) => !frozen.has(p));
  }

  override onTrainEpochStart(trainer: Trainer, model: LightningModule): void {
    const opt = trainer.optimizerConfig?.optimizer;
    if (!opt) return;
    const epoch = trainer.currentEpoch;
    const headLr = opt.paramGroups[0]!.lr;
    const round = (v: number) => Number(v.toFixed(this.rounding));
    if (epoch === this.unfreezeAt) {
      const lr = this.initialLr ?? headLr * this.ratio;
      this.previousBackboneLr = lr;
      const inOptimizer = new Set(opt.paramGroups.flatMap((g) => g.params));
      const params = this.params(this.backbone(model), false).filter((p) => !inOptimizer.has(p));
      for (const p of params) p.requiresGrad = true;
      if (params.length) opt.addParamGroup({ params, lr } as never);
      if (this.verbose) trainer.log(`BackboneFinetuning: epoch ${epoch}: unfroze the backbone (${params.length} tensors) with lr ${round(lr)}`);
    } else if (epoch > this.unfreezeAt && this.previousBackboneLr !== null) {
      let next = this.lambda(epoch + 1) * this.previousBackboneLr;
      if (this.shouldAlign && next > headLr) next = headLr;
      opt.paramGroups[opt.paramGroups.length - 1]!.lr = next;
      this.previousBackboneLr = next;
      if (this.verbose) trainer.log(`BackboneFinetuning: epoch ${epoch}: head lr ${round(headLr)}, backbone lr ${round(next)}`);
    }
  }

  override stateDict(): Record<string, unknown> {
    return { previous_backbone_lr: this.previousBackboneLr };
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    const v = sd.previous_backbone_lr;
    this.previousBackboneLr = typeof v === 'number' ? v : null;
  }
}
