/** torch.autograd: gradients of outputs with respect to inputs without touching `.grad`. */
import { native } from './native.js';
import { Tensor } from './tensor.js';

/**
 * Gradients of `outputs` w.r.t. `inputs` (torch.autograd.grad). With createGraph the result can be
 * differentiated again. Inputs that do not affect the outputs give null when allowUnused.
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts: { gradOutputs?: (Tensor | null)[] | null; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const r = native.autogradGrad(
    outs.map((t) => t.handle), ins.map((t) => t.handle), opts.gradOutputs ? opts.gradOutputs.map((g) => (g ? g.handle : null)) : null,
    opts.retainGraph ?? null, opts.createGraph ?? false, opts.allowUnused ?? false,
  );
  return r.map((h) => (h === null ? null : new Tensor(h)));
}

/** Backward through several outputs at once (torch.autograd.backward). */
export function backward(tensors: Tensor[], gradTensors?: (Tensor | null)[], opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  native.backward(tensors.map((t) => t.handle), gradTensors ? gradTensors.map((g) => (g ? g.handle : null)) : null, opts.retainGraph ?? null, opts.createGraph ?? false);
}
