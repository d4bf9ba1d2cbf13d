/**
 * torch.nn.functional in camelCase: the stateless ops that layers are made of.
 * Options mirror PyTorch's keyword arguments; sizes accept a number (same for every spatial dim)
 * or an array.
 */
import { native, Unary } from './native.js';
import { Tensor } from './tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';
type Size = number | readonly number[];

function pair(v: Size, n: number, name: string): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) throw new RangeError(`${name} must have ${n} values, got ${v.length}`);
  return [...v];
}
const h = (t: Tensor | null | undefined) => (t ? t.handle : null);

export function relu(x: Tensor, inplace = false): Tensor {
  return inplace ? x.relu_() : x.relu();
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return x.gelu(approximate);
}
export function silu(x: Tensor): Tensor {
  return x.silu();
}
export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}
export function tanh(x: Tensor): Tensor {
  return x.tanh();
}
export function mish(x: Tensor): Tensor {
  return new Tensor(native.unary(x.handle, Unary.mish));
}
export function hardswish(x: Tensor): Tensor {
  return new Tensor(native.unary(x.handle, Unary.hardswish));
}
/** relu6(x + 3) / 6 (torch.nn.functional.hardsigmoid). */
export function hardsigmoid(x: Tensor): Tensor {
  return new Tensor(native.unary(x.handle, Unary.hardsigmoid));
}
/**
 * torchvision.ops.stochastic_depth: in training, zeroes whole rows ('row': each sample of the
 * batch) or the whole input ('batch') with probability p and scales the rest by 1 / (1 - p); the
 * identity in eval mode or when p is 0.
 */
export function stochasticDepth(x: Tensor, p: number, mode: 'row' | 'batch', training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`drop probability has to be between 0 and 1, but got ${p}`);
  if (mode !== 'row' && mode !== 'batch') throw new RangeError(`mode has to be either 'row' or 'batch', but got ${String(mode)}`);
  if (!training || p === 0) return x;
  const survival = 1 - p;
  const size = mode === 'row' ? [x.shape[0]!, ...x.shape.slice(1).map(() => 1)] : x.shape.map(() => 1);
  const noise = new Tensor(native.full(size, survival, native.dtype(x.handle)));
  let mask = new Tensor(native.bernoulli(noise.handle));
  noise.dispose();
  if (x.device !== 'cpu') {
    const m = mask.toDevice(x.device);
    mask.dispose();
    mask = m;
  }
  if (survival > 0) mask.div_(survival);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}
export function logSigmoid(x: Tensor): Tensor {
  return new Tensor(native.unary(x.handle, Unary.logSigmoid));
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return new Tensor(native.leakyRelu(x.handle, negativeSlope));
}
export function elu(x: Tensor, alpha = 1): Tensor {
  return new Tensor(native.elu(x.handle, alpha));
}
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  return new Tensor(native.hardtanh(x.handle, minVal, maxVal));
}
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return new Tensor(native.softplus(x.handle, beta, threshold));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

/** y = x W^T + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, h(bias)));
}

export interface ConvOptions {
  stride?: Size;
  padding?: Size;
  dilation?: Size;
  groups?: number;
}
function conv(x: Tensor, w: Tensor, b: Tensor | null | undefined, o: ConvOptions, n: number): Tensor {
  return new Tensor(
    native.conv(x.handle, w.handle, h(b), pair(o.stride ?? 1, n, 'stride'), pair(o.padding ?? 0, n, 'padding'), pair(o.dilation ?? 1, n, 'dilation'), o.groups ?? 1),
  );
}
/** 2-D convolution of a (N, C, H, W) input with a (out, in/groups, kH, kW) weight. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return conv(x, weight, bias, opts, 2);
}
/** 1-D convolution of a (N, C, L) input. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return conv(x, weight, bias, opts, 1);
}
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts: ConvOptions & { outputPadding?: Size } = {},
): Tensor {
  return new Tensor(
    native.convTranspose2d(
      x.handle, weight.handle, h(bias), pair(opts.stride ?? 1, 2, 'stride'), pair(opts.padding ?? 0, 2, 'padding'),
      pair(opts.outputPadding ?? 0, 2, 'outputPadding'), opts.groups ?? 1, pair(opts.dilation ?? 1, 2, 'dilation'),
    ),
  );
}

export interface PoolOptions {
  /** defaults to the kernel size */
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  ceilMode?: boolean;
}
export function maxPool2d(x: Tensor, kernelSize: Size, opts: PoolOptions = {}): Tensor {
  const k = pair(kernelSize, 2, 'kernelSize');
  return new Tensor(native.maxPool2d(x.handle, k, pair(opts.stride ?? k, 2, 'stride'), pair(opts.padding ?? 0, 2, 'padding'), pair(opts.dilation ?? 1, 2, 'dilation'), opts.ceilMode ?? false));
}
export function maxPool1d(x: Tensor, kernelSize: Size, opts: PoolOptions = {}): Tensor {
  const k = pair(kernelSize, 1, 'kernelSize');
  return new Tensor(native.maxPool1d(x.handle, k, pair(opts.stride ?? k, 1, 'stride'), pair(opts.padding ?? 0, 1, 'padding'), pair(opts.dilation ?? 1, 1, 'dilation'), opts.ceilMode ?? false));
}
export function avgPool2d(x: Tensor, kernelSize: Size, opts: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  const k = pair(kernelSize, 2, 'kernelSize');
  return new Tensor(native.avgPool2d(x.handle, k, pair(opts.stride ?? k, 2, 'stride'), pair(opts.padding ?? 0, 2, 'padding'), opts.ceilMode ?? false, opts.countIncludePad ?? true));
}
export function avgPool1d(x: Tensor, kernelSize: Size, opts: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  const k = pair(kernelSize, 1, 'kernelSize');
  return new Tensor(native.avgPool1d(x.handle, k, pair(opts.stride ?? k, 1, 'stride'), pair(opts.padding ?? 0, 1, 'padding'), opts.ceilMode ?? false, opts.countIncludePad ?? true));
}
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x.handle, pair(outputSize, 2, 'outputSize')));
}
export function adaptiveMaxPool2d(x: Tensor, outputSize: Size): Tensor {
  return new Tensor(native.adaptiveMaxPool2d(x.handle, pair(outputSize, 2, 'outputSize')));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation over dim 1; in training, updates runningMean/runningVar in place. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  return new Tensor(native.batchNorm(x.handle, h(opts.weight), h(opts.bias), h(runningMean), h(runningVar), opts.training ?? false, opts.momentum ?? 0.1, opts.eps ?? 1e-5));
}
export function layerNorm(x: Tensor, normalizedShape: Size, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x.handle, typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape, h(weight), h(bias), eps));
}
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.groupNorm(x.handle, numGroups, h(weight), h(bias), eps));
}
/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  return new Tensor(native.dropout(x.handle, p, training, false));
}

// JS numbers make float tensors by default, so class labels built with tensor([...]) arrive as
// floats: say so instead of libtorch's message about class probabilities.
function checkClassTarget(fn: string, input: Tensor, target: Tensor): void {
  if (target.isFloatingPoint && target.ndim === input.ndim - 1) {
    throw new TypeError(`${fn}: class-index targets must be int64, got ${target.dtype} (create them with { dtype: 'int64' } or call .long())`);
  }
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** Cross entropy of logits (N, C, ...) against int64 class indices (N, ...) or class probabilities. */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkClassTarget('crossEntropy', input, target);
  return new Tensor(native.crossEntropy(input.handle, target.handle, h(opts.weight), opts.reduction ?? 'mean', opts.ignoreIndex ?? -100, opts.labelSmoothing ?? 0));
}
export function nllLoss(input: Tensor, target: Tensor, opts: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  checkClassTarget('nllLoss', input, target);
  return new Tensor(native.nllLoss(input.handle, target.handle, h(opts.weight), opts.reduction ?? 'mean', opts.ignoreIndex ?? -100));
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.mseLoss(input.handle, target.handle, reduction));
}
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.l1Loss(input.handle, target.handle, reduction));
}
export function smoothL1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor {
  return new Tensor(native.smoothL1Loss(input.handle, target.handle, reduction, beta));
}
export function huberLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', delta = 1): Tensor {
  return new Tensor(native.huberLoss(input.handle, target.handle, reduction, delta));
}
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return new Tensor(native.bce(input.handle, target.handle, h(opts.weight), opts.reduction ?? 'mean'));
}
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return new Tensor(native.bceWithLogits(input.handle, target.handle, h(opts.weight), h(opts.posWeight), opts.reduction ?? 'mean'));
}
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction | 'batchmean' = 'mean', logTarget = false): Tensor {
  if (reduction === 'batchmean') {
    const s = new Tensor(native.klDiv(input.handle, target.handle, 'sum', logTarget));
    const r = s.div(input.size(0));
    s.dispose();
    return r;
  }
  return new Tensor(native.klDiv(input.handle, target.handle, reduction, logTarget));
}
/** Rows of `weight` picked by int64 `indices`; rows at paddingIdx get no gradient. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  return new Tensor(native.embedding(weight.handle, indices.handle, paddingIdx ?? -1));
}
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  return new Tensor(native.oneHot(indices.handle, numClasses));
}
/** Pads the last dims: pads = [left, right, top, bottom, ...] like F.pad. */
export function pad(x: Tensor, pads: readonly number[], mode: 'constant' | 'reflect' | 'replicate' = 'constant', value = 0): Tensor {
  return new Tensor(native.pad(x.handle, pads, mode, value));
}
export function interpolate(x: Tensor, size: Size, mode: 'nearest' | 'bilinear' = 'nearest', alignCorners = false): Tensor {
  return new Tensor(native.interpolate(x.handle, pair(size, 2, 'size'), mode, alignCorners));
}
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  return new Tensor(native.pixelShuffle(x.handle, upscaleFactor));
}
export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return new Tensor(native.cosineSimilarity(a.handle, b.handle, dim, eps));
}
/** x / max(||x||_p, eps) along dim */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  return new Tensor(native.normalize(x.handle, p, dim, eps));
}

export interface AttentionOptions {
  /** bool (true = may attend) or float (added to the scores), broadcast to (..., L, S) */
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** dropout is applied only when training (default true, as in F.scaled_dot_product_attention) */
  training?: boolean;
}
/** softmax(q k^T / sqrt(d) + mask) v over the last two dims. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const [out, attn] = native.scaledDotProductAttention(q.handle, k.handle, v.handle, h(opts.attnMask), opts.dropoutP ?? 0, opts.isCausal ?? false, opts.training ?? true);
  native.free(attn);
  return new Tensor(out);
}
/** Like scaledDotProductAttention, also returning the attention weights. */
export function attentionWithWeights(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { output: Tensor; weights: Tensor } {
  const [out, attn] = native.scaledDotProductAttention(q.handle, k.handle, v.handle, h(opts.attnMask), opts.dropoutP ?? 0, opts.isCausal ?? false, opts.training ?? true);
  return { output: new Tensor(out), weights: new Tensor(attn) };
}
