/** torch.optim.Adam and AdamW (bias-corrected moments, optional AMSGrad; same update as PyTorch). */
import { native } from '../native.js';
import { zerosLike } from '../creation.js';
import { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function check(o: AdamOptions): void {
  if (!(o.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${o.eps}`);
  if (!(o.betas[0] >= 0 && o.betas[0] < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${o.betas[0]}`);
  if (!(o.betas[1] >= 0 && o.betas[1] < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${o.betas[1]}`);
  if (!(o.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${o.weightDecay}`);
}

class AdamBase extends Optimizer<AdamOptions> {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], d: AdamOptions, private readonly decoupled: boolean) {
    check(d);
    super(params, d);
  }

  step(): void {
    for (const g of this.paramGroups) {
      // parameters grouped by their step count (all equal unless grads were missing on some steps)
      const bySteps = new Map<number, { p: Tensor[]; g: Tensor[]; m: Tensor[]; v: Tensor[]; vmax: Tensor[] }>();
      const grads = this.gradients(g);
      for (const [p, grad] of grads.items) {
        let s = this.state.get(p);
        if (!s) {
          s = { step: 0, expAvg: this.stateTensor(zerosLike(p)), expAvgSq: this.stateTensor(zerosLike(p)) };
          if (g.amsgrad) s.maxExpAvgSq = this.stateTensor(zerosLike(p));
          this.state.set(p, s);
        }
        if (g.amsgrad && !s.maxExpAvgSq) s.maxExpAvgSq = this.stateTensor(zerosLike(p));
        const step = (s.step as number) + 1;
        s.step = step;
        let b = bySteps.get(step);
        if (!b) bySteps.set(step, (b = { p: [], g: [], m: [], v: [], vmax: [] }));
        b.p.push(p);
        b.g.push(grad);
        b.m.push(s.expAvg as Tensor);
        b.v.push(s.expAvgSq as Tensor);
        if (g.amsgrad) b.vmax.push(s.maxExpAvgSq as Tensor);
      }
      const [b1, b2] = g.betas;
      for (const [step, b] of bySteps) {
        native.adamStep(
          b.p.map((t) => t.handle), b.g.map((t) => t.handle), b.m.map((t) => t.handle), b.v.map((t) => t.handle),
          g.amsgrad ? b.vmax.map((t) => t.handle) : null, step, g.lr, b1, b2, g.eps, g.weightDecay, this.decoupled, g.amsgrad,
        );
      }
      grads.release();
    }
  }
}

/** Adam (Kingma & Ba); weightDecay adds an L2 term to the gradient. */
export class Adam extends AdamBase {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts }, false);
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay, default 0.01 as in PyTorch. */
export class AdamW extends AdamBase {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...opts }, true);
  }
}
