/** The common layers of torch.nn, with PyTorch's parameter names, shapes and initialisation. */
import { ArgumentError, ShapeError, TorchError } from '../errors.js';
import * as F from '../functional.js';
import { empty, ones, zeros, scalar } from '../creation.js';
import { noGrad, type Tensor } from '../tensor.js';
import * as init from './init.js';
import { Module, Parameter } from './module.js';

type Size = number | readonly number[];
const pair = (v: Size): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

/** y = x W^T + b; W (out, in) and b (out) initialised uniform(-1/sqrt(in), 1/sqrt(in)). */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', new Parameter(empty([outFeatures, inFeatures])));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : new Parameter(empty([outFeatures])));
    this.resetParameters();
  }
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const b = 1 / Math.sqrt(this.inFeatures);
      this.bias.uniform_(-b, b);
    }
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export interface ConvLayerOptions {
  stride?: Size;
  padding?: Size;
  dilation?: Size;
  groups?: number;
  bias?: boolean;
}

abstract class ConvNd extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number[], readonly opts: ConvLayerOptions) {
    super();
    const g = opts.groups ?? 1;
    if (inChannels % g || outChannels % g) throw new ArgumentError('inChannels and outChannels must be divisible by groups');
    this.weight = this.registerParameter('weight', new Parameter(empty([outChannels, inChannels / g, ...kernelSize])));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : new Parameter(empty([outChannels])));
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const b = 1 / Math.sqrt(fanIn);
      this.bias.uniform_(-b, b);
    }
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}]`;
  }
}

/** 2-D convolution over (N, C, H, W). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, pair(kernelSize), opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** 1-D convolution over (N, C, L). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, [kernelSize], opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.opts);
  }
}

export interface BatchNormLayerOptions {
  eps?: number;
  /** null = cumulative average */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormNd extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;
  constructor(readonly numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const affine = opts.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? new Parameter(ones([numFeatures])) : null);
    this.bias = this.registerParameter('bias', affine ? new Parameter(zeros([numFeatures])) : null);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', scalar(0, { dtype: 'int64' }));
    }
  }
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }
  protected abstract checkInput(x: Tensor): void;
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let momentum = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && nbt) {
      noGrad(() => nbt.add_(1));
      if (this.momentum === null) momentum = 1 / nbt.item();
    }
    const useBatch = this.training || !this.trackRunningStats;
    return F.batchNorm(x, this.runningMean, this.runningVar, { weight: this.weight, bias: this.bias, training: useBatch, momentum, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

/** Batch normalisation over (N, C, H, W) per channel. */
export class BatchNorm2d extends BatchNormNd {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}
/** Batch normalisation over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormNd {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** Layer normalisation over the last dims (normalizedShape). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  constructor(normalizedShape: Size, readonly opts: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? new Parameter(ones(this.normalizedShape)) : null);
    this.bias = this.registerParameter('bias', affine ? new Parameter(zeros(this.normalizedShape)) : null);
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}

export class GroupNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  constructor(readonly numGroups: number, readonly numChannels: number, readonly opts: { eps?: number; affine?: boolean } = {}) {
    super();
    const affine = opts.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? new Parameter(ones([numChannels])) : null);
    this.bias = this.registerParameter('bias', affine ? new Parameter(zeros([numChannels])) : null);
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}

/** Zeroes elements with probability p in training mode; identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

/** A lookup table of numEmbeddings vectors of size embeddingDim, initialised N(0, 1). */
export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly opts: { paddingIdx?: number | null } = {}) {
    super();
    this.weight = this.registerParameter('weight', new Parameter(empty([numEmbeddings, embeddingDim])));
    this.weight.normal_(0, 1);
    const pi = opts.paddingIdx;
    if (pi !== undefined && pi !== null) noGrad(() => this.weight.select(0, pi < 0 ? pi + numEmbeddings : pi).fill_(0));
  }
  forward(indices: Tensor): Tensor {
    const pi = this.opts.paddingIdx;
    return F.embedding(indices, this.weight, pi === undefined || pi === null ? null : pi < 0 ? pi + this.numEmbeddings : pi);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }
}
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}
/** torchvision.ops.StochasticDepth: drops residual branches per sample ('row') in training; identity in eval. */
export class StochasticDepth extends Module {
  constructor(readonly p: number, readonly mode: 'row' | 'batch' = 'row') {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`drop probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.stochasticDepth(x, this.p, this.mode, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, mode=${this.mode}`;
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
}
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
}
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Size, readonly opts: F.PoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.opts);
  }
}
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Size, readonly opts: F.PoolOptions & { countIncludePad?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.opts);
  }
}
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Size) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

/**
 * torchvision.ops.SqueezeExcitation: scales each channel by scaleActivation(fc2(activation(fc1(
 * avgpool(x))))), with fc1/fc2 1x1 convolutions (torchvision's parameter names).
 */
export class SqueezeExcitation extends Module {
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation: Module;
  readonly scale_activation: Module;
  constructor(inputChannels: number, squeezeChannels: number, opts: { activation?: () => Module; scaleActivation?: () => Module } = {}) {
    super();
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc1 = new Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = (opts.activation ?? (() => new ReLU()))();
    this.scale_activation = (opts.scaleActivation ?? (() => new Sigmoid()))();
  }
  forward(x: Tensor): Tensor {
    const s = this.scale_activation.forward(this.fc2.forward(this.activation.forward(this.fc1.forward(this.avgpool.forward(x)))));
    return s.mul(x);
  }
}

/** Runs its modules in order; children are named '0', '1', ... as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: any): any {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): Module {
    const m = this.layers[i < 0 ? this.layers.length + i : i];
    if (!m) throw new RangeError(`index ${i} is out of range`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }
}

/** A list of modules registered as '0', '1', ... (no forward of its own). */
export class ModuleList extends Module {
  private readonly items: Module[] = [];
  constructor(modules: Module[] = []) {
    super();
    for (const m of modules) this.append(m);
  }
  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): Module {
    const m = this.items[i < 0 ? this.items.length + i : i];
    if (!m) throw new RangeError(`index ${i} is out of range`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }
  forward(): never {
    throw new TorchError('ModuleList has no forward(); iterate over it');
  }
}

/**
 * Multi-head attention as torch.nn.MultiheadAttention (batchFirst option, packed in_proj_weight,
 * out_proj). forward(query, key, value) returns { output, weights } (weights averaged over heads
 * unless averageAttnWeights is false; null when needWeights is false).
 */
export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly in_proj_weight: Parameter;
  readonly in_proj_bias: Parameter | null;
  readonly out_proj: Linear;
  readonly batchFirst: boolean;
  readonly dropout: number;
  constructor(readonly embedDim: number, readonly numHeads: number, opts: { dropout?: number; bias?: boolean; batchFirst?: boolean } = {}) {
    super();
    if (embedDim % numHeads) throw new ArgumentError('embedDim must be divisible by numHeads');
    this.headDim = embedDim / numHeads;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    const bias = opts.bias ?? true;
    this.in_proj_weight = this.registerParameter('in_proj_weight', new Parameter(empty([3 * embedDim, embedDim])));
    this.in_proj_bias = this.registerParameter('in_proj_bias', bias ? new Parameter(zeros([3 * embedDim])) : null);
    this.out_proj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias }));
    init.xavierUniform_(this.in_proj_weight);
    if (this.out_proj.bias) init.zeros_(this.out_proj.bias);
  }
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: { keyPaddingMask?: Tensor | null; attnMask?: Tensor | null; needWeights?: boolean; averageAttnWeights?: boolean; isCausal?: boolean } = {},
  ): { output: Tensor; weights: Tensor | null } {
    const E = this.embedDim;
    const Hh = this.numHeads;
    const D = this.headDim;
    // work in (B, L, E)
    const q0 = this.batchFirst ? query : query.transpose(0, 1);
    const k0 = this.batchFirst ? key : key.transpose(0, 1);
    const v0 = this.batchFirst ? value : value.transpose(0, 1);
    const [B, L] = q0.shape as [number, number];
    const S = k0.size(1);
    const [wq, wk, wv] = this.in_proj_weight.chunk(3, 0) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] = this.in_proj_bias ? (this.in_proj_bias.chunk(3, 0) as [Tensor, Tensor, Tensor]) : [null, null, null];
    const heads = (x: Tensor, w: Tensor, b: Tensor | null, len: number) => F.linear(x, w, b).view(B, len, Hh, D).transpose(1, 2);
    const q = heads(q0, wq, bq, L);
    const k = heads(k0, wk, bk, S);
    const v = heads(v0, wv, bv, S);
    // combine masks into one additive float mask of shape (B, 1|H, L, S)
    let mask: Tensor | null = null;
    const toAdditive = (m: Tensor) => (m.dtype === 'bool' ? zeros(m.shape, { dtype: q.dtype }).maskedFill(m, -Infinity) : m);
    if (opts.attnMask) mask = toAdditive(opts.attnMask);
    if (opts.keyPaddingMask) {
      const kp = toAdditive(opts.keyPaddingMask).view(B, 1, 1, S);
      mask = mask ? mask.add(kp) : kp;
    }
    const { output, weights } = F.attentionWithWeights(q, k, v, { attnMask: mask, dropoutP: this.dropout, isCausal: opts.isCausal ?? false, training: this.training });
    const merged = output.transpose(1, 2).reshape(B, L, E);
    let out = this.out_proj.forward(merged);
    if (!this.batchFirst) out = out.transpose(0, 1);
    let w: Tensor | null = null;
    if (opts.needWeights ?? true) w = (opts.averageAttnWeights ?? true) ? weights.mean(1) : weights;
    return { output: out, weights: w };
  }
}

/** Loss modules (callable objects around the functional losses). */
export class CrossEntropyLoss extends Module {
  constructor(readonly opts: F.CrossEntropyOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.opts);
  }
}
export class MSELoss extends Module {
  constructor(readonly reduction: F.Reduction = 'mean') {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.reduction);
  }
}
export class BCEWithLogitsLoss extends Module {
  constructor(readonly opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: F.Reduction } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.opts);
  }
}


export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}

/**
 * torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual
 * connection and LayerNorm (post-norm by default, pre-norm with normFirst). Same submodule names
 * (self_attn, linear1, linear2, norm1, norm2) so state dicts match PyTorch's.
 */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const p = opts.dropout ?? 0.1;
    const ff = opts.dimFeedforward ?? 2048;
    const eps = opts.layerNormEps ?? 1e-5;
    this.self_attn = this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: opts.batchFirst ?? false }));
    this.linear1 = this.registerModule('linear1', new Linear(dModel, ff));
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.linear2 = this.registerModule('linear2', new Linear(ff, dModel));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, { eps }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, { eps }));
    this.dropout1 = this.registerModule('dropout1', new Dropout(p));
    this.dropout2 = this.registerModule('dropout2', new Dropout(p));
    this.normFirst = opts.normFirst ?? false;
    this.activation = opts.activation ?? 'relu';
  }
  private sa(x: Tensor, mask: Tensor | null, keyPaddingMask: Tensor | null, isCausal: boolean): Tensor {
    const { output } = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask, needWeights: false, isCausal });
    return this.dropout1.forward(output);
  }
  private ff(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.activation === 'gelu' ? h.gelu() : h.relu();
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }
  forward(src: Tensor, opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    const mask = opts.mask ?? null;
    const kpm = opts.srcKeyPaddingMask ?? null;
    const causal = opts.isCausal ?? false;
    if (this.normFirst) {
      const x = src.add(this.sa(this.norm1.forward(src), mask, kpm, causal));
      return x.add(this.ff(this.norm2.forward(x)));
    }
    const x = this.norm1.forward(src.add(this.sa(src, mask, kpm, causal)));
    return this.norm2.forward(x.add(this.ff(x)));
  }
}

/** A stack of encoder layers named layers.0, layers.1, ... plus an optional final norm. */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  constructor(makeLayer: () => TransformerEncoderLayer, numLayers: number, norm: Module | null = null) {
    super();
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: numLayers }, makeLayer)));
    this.norm = norm ? this.registerModule('norm', norm) : null;
  }
  forward(src: Tensor, opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    let x = src;
    for (const l of this.layers) x = (l as TransformerEncoderLayer).forward(x, opts);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** Transposed 2-D convolution ("deconvolution"); weight (in, out/groups, kH, kW) as in PyTorch. */
export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size,
    readonly opts: ConvLayerOptions & { outputPadding?: Size } = {},
  ) {
    super();
    const g = opts.groups ?? 1;
    if (inChannels % g || outChannels % g) throw new ArgumentError('inChannels and outChannels must be divisible by groups');
    this.weight = this.registerParameter('weight', new Parameter(empty([inChannels, outChannels / g, ...pair(kernelSize)])));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : new Parameter(empty([outChannels])));
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const b = 1 / Math.sqrt(fanIn);
      this.bias.uniform_(-b, b);
    }
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

/** Resizes (N, C, H, W) to a size or by a scale factor (nearest or bilinear). */
export class Upsample extends Module {
  constructor(readonly opts: { size?: Size; scaleFactor?: number; mode?: 'nearest' | 'bilinear'; alignCorners?: boolean }) {
    super();
    if (opts.size === undefined && opts.scaleFactor === undefined) throw new ArgumentError('Upsample needs size or scaleFactor');
  }
  forward(x: Tensor): Tensor {
    const { size, scaleFactor, mode, alignCorners } = this.opts;
    const out = size ?? [Math.floor(x.size(2) * scaleFactor!), Math.floor(x.size(3) * scaleFactor!)];
    return F.interpolate(x, out, mode ?? 'nearest', alignCorners ?? false);
  }
}

export class MaxPool1d extends Module {
  constructor(readonly kernelSize: number, readonly opts: F.PoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, this.kernelSize, this.opts);
  }
}
export class AvgPool1d extends Module {
  constructor(readonly kernelSize: number, readonly opts: F.PoolOptions & { countIncludePad?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.opts);
  }
}
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: Size) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
}
