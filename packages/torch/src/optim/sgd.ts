/** torch.optim.SGD: momentum, dampening, Nesterov, weight decay (same update as PyTorch). */
import { native } from '../native.js';
import { zerosLike } from '../creation.js';
import { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Tensor[] | ParamGroupInput<SGDOptions>[], opts: Partial<SGDOptions> & { lr: number }) {
    const d: SGDOptions = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts };
    if (d.nesterov && (d.momentum <= 0 || d.dampening !== 0)) throw new Error('Nesterov momentum requires a momentum and zero dampening');
    super(params, d);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const fresh: [Tensor, Tensor, Tensor][] = [];
      const old: [Tensor, Tensor, Tensor][] = [];
      const grads = this.gradients(g);
      for (const [p, grad] of grads.items) {
        let s = this.state.get(p);
        if (!s) {
          s = {};
          this.state.set(p, s);
        }
        if (g.momentum !== 0) {
          let buf = s.momentumBuffer as Tensor | undefined;
          if (!buf) {
            buf = this.stateTensor(zerosLike(p));
            s.momentumBuffer = buf;
            fresh.push([p, grad, buf]);
          } else old.push([p, grad, buf]);
        } else old.push([p, grad, grad]);
      }
      for (const [list, first] of [[fresh, true], [old, false]] as const) {
        if (!list.length) continue;
        native.sgdStep(
          list.map((x) => x[0].handle), list.map((x) => x[1].handle), g.momentum !== 0 ? list.map((x) => x[2].handle) : null,
          g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, first,
        );
      }
      grads.release();
    }
  }
}
