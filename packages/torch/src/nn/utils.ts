/** torch.nn.utils: gradient clipping and parameter/vector conversion. */
import { cat, scalar } from '../creation.js';
import { native } from '../native.js';
import { noGrad, Tensor, tidy } from '../tensor.js';

function grads(params: Iterable<Tensor>): Tensor[] {
  const out: Tensor[] = [];
  for (const p of params) {
    const g = native.grad(p.handle);
    if (g !== null) out.push(new Tensor(g));
  }
  return out;
}

/**
 * Scales the gradients in place so that their joint norm is at most maxNorm (p = 2 or Infinity);
 * returns the norm before clipping, as torch.nn.utils.clip_grad_norm_.
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType: 2 | typeof Infinity = 2): number {
  return noGrad(() =>
    tidy(() => {
      const gs = grads(params);
      if (gs.length === 0) return 0;
      let total: number;
      if (normType === Infinity) total = Math.max(...gs.map((g) => g.abs().max().item()));
      else total = Math.sqrt(gs.reduce((acc, g) => acc + g.square().sum().item(), 0));
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of gs) g.mul_(coef);
      return total;
    }),
  );
}

/** Clamps every gradient element to [-clipValue, clipValue] in place. */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  noGrad(() =>
    tidy(() => {
      for (const g of grads(params)) g.clamp_(-clipValue, clipValue);
    }),
  );
}

/** All parameters flattened into one vector (torch.nn.utils.parameters_to_vector). */
export function parametersToVector(params: Iterable<Tensor>): Tensor {
  return tidy(() => {
    const parts = [...params].map((p) => p.detach().reshape(-1));
    return parts.length ? cat(parts) : scalar(0).reshape(0);
  });
}

/** Copies consecutive slices of `vec` into the parameters (torch.nn.utils.vector_to_parameters). */
export function vectorToParameters(vec: Tensor, params: Iterable<Tensor>): void {
  const list = [...params];
  const total = list.reduce((a, p) => a + p.numel(), 0);
  if (total !== vec.numel()) throw new RangeError(`vector has ${vec.numel()} elements, the parameters ${total}`);
  noGrad(() =>
    tidy(() => {
      let offset = 0;
      for (const p of list) {
        const n = p.numel();
        p.copy_(vec.narrow(0, offset, n).view(p.shape));
        offset += n;
      }
    }),
  );
}
