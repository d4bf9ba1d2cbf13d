// Loads the native addon (build/Release/copper_torch.node) and names the op codes it understands.
// Everything here is internal: use the Tensor API (tensor.ts) and functional.ts instead.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque handle to a libtorch tensor, owned by exactly one Tensor object. */
export type Handle = { readonly __handle: unique symbol };
type H = Handle;
type HN = Handle | null;
type Num = number;
type Ints = number | readonly number[];

/** The functions the addon exports (see src/native/*.cc). */
export interface Native {
  fromBuffer(data: ArrayBufferView, dtype: Num, shape: readonly number[]): H;
  toBuffer(t: H): ArrayBuffer;
  item(t: H): number | boolean;
  shape(t: H): number[];
  strides(t: H): number[];
  dim(t: H): number;
  numel(t: H): number;
  size(t: H, dim: Num): number;
  dtype(t: H): number;
  device(t: H): string;
  isContiguous(t: H): boolean;
  free(t: H): void;
  liveTensors(): number;
  full(shape: readonly number[], value: number | boolean, dtype: Num): H;
  empty(shape: readonly number[], dtype: Num): H;
  arange(start: Num, end: Num, step: Num, dtype: Num): H;
  linspace(start: Num, end: Num, steps: Num, dtype: Num): H;
  eye(n: Num, m: Num, dtype: Num): H;
  rand(shape: readonly number[], dtype: Num): H;
  randn(shape: readonly number[], dtype: Num): H;
  randint(low: Num, high: Num, shape: readonly number[], dtype: Num): H;
  randperm(n: Num, dtype: Num): H;
  multinomial(probs: H, n: Num, replacement: boolean): H;
  uniform_(t: H, a: Num, b: Num): void;
  normal_(t: H, mean: Num, std: Num): void;
  bernoulli(t: H, p?: Num): H;
  fill_(t: H, v: number | boolean): void;
  zero_(t: H): void;
  copy_(t: H, src: H): void;
  setData(t: H, src: H): void;
  to(t: H, dtype: Num): H;
  toDevice(t: H, device: string): H;
  cudaIsAvailable(): boolean;
  clone(t: H): H;
  detach(t: H): H;
  contiguous(t: H): H;
  alias(t: H): H;
  contiguousAs(t: H, format: string): H;
  isContiguousAs(t: H, format: string): boolean;
  equal(a: H, b: H): boolean;
  allclose(a: H, b: H, rtol: Num, atol: Num): boolean;
  toString(t: H): string;
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, v: boolean): void;
  grad(t: H): HN;
  hasGrad(t: H): boolean;
  setGrad(t: H, g: HN): void;
  isLeaf(t: H): boolean;
  retainGrad(t: H): void;
  gradFn(t: H): string | null;
  backward(ts: H[], grads: HN[] | null, retainGraph: boolean | null, createGraph: boolean): void;
  autogradGrad(outs: H[], ins: H[], gradOuts: HN[] | null, retainGraph: boolean | null, createGraph: boolean, allowUnused: boolean): HN[];
  setGradEnabled(v: boolean): boolean;
  isGradEnabled(): boolean;
  inferenceModeEnter(on: boolean): void;
  inferenceModeExit(): void;
  isInferenceMode(): boolean;
  manualSeed(seed: Num): void;
  setNumThreads(n: Num): void;
  getNumThreads(): number;
  version(): string;
  noop(): void;

  unary(t: H, code: Num, inplace?: boolean): H;
  binary(a: H, b: H | number | boolean, code: Num, inplace?: boolean): H;
  addScaled(a: H, b: H, alpha: Num, inplace: boolean): H;
  addcmul(a: H, b: H, c: H, value: Num, inplace: boolean): H;
  addcdiv(a: H, b: H, c: H, value: Num, inplace: boolean): H;
  lerp(a: H, b: H, w: Num, inplace: boolean): H;
  clamp(t: H, min: number | null, max: number | null, inplace: boolean): H;
  where(c: H, a: H | number, b: H | number): H;
  reduce(t: H, code: Num, dims: readonly number[] | null, keepdim: boolean): H;
  maxDim(t: H, dim: Num, keepdim: boolean, isMin: boolean): [H, H];
  argmax(t: H, dim: number | null, keepdim: boolean, isMin: boolean): H;
  cumsum(t: H, dim: Num): H;
  cumprod(t: H, dim: Num): H;
  sort(t: H, dim: Num, descending: boolean): [H, H];
  topk(t: H, k: Num, dim: Num, largest: boolean): [H, H];
  softmax(t: H, dim: Num): H;
  logSoftmax(t: H, dim: Num): H;
  reshape(t: H, shape: readonly number[]): H;
  view(t: H, shape: readonly number[]): H;
  permute(t: H, dims: readonly number[]): H;
  transpose(t: H, a: Num, b: Num): H;
  squeeze(t: H, dim: number | null): H;
  unsqueeze(t: H, dim: Num): H;
  flatten(t: H, start: Num, end: Num): H;
  expand(t: H, shape: readonly number[]): H;
  repeat(t: H, reps: readonly number[]): H;
  cat(ts: H[], dim: Num): H;
  stack(ts: H[], dim: Num): H;
  split(t: H, size: Ints, dim: Num): H[];
  chunk(t: H, n: Num, dim: Num): H[];
  unbind(t: H, dim: Num): H[];
  slice(t: H, dim: Num, start: number | null, end: number | null, step: Num): H;
  narrow(t: H, dim: Num, start: Num, length: Num): H;
  asStrided(t: H, size: readonly number[], stride: readonly number[], offset: Num): H;
  select(t: H, dim: Num, index: Num): H;
  indexSelect(t: H, dim: Num, index: H): H;
  gather(t: H, dim: Num, index: H): H;
  scatter(t: H, dim: Num, index: H, src: H | number, add: boolean): H;
  index(t: H, indices: HN[]): H;
  indexPut(t: H, indices: HN[], values: H, accumulate: boolean, inplace: boolean): H;
  maskedFill(t: H, mask: H, value: H | number | boolean): H;
  maskedSelect(t: H, mask: H): H;
  nonzero(t: H): H;
  tril(t: H, k: Num): H;
  triu(t: H, k: Num): H;
  flip(t: H, dims: readonly number[]): H;
  roll(t: H, shifts: readonly number[], dims: readonly number[]): H;
  oneHot(t: H, n: Num): H;
  outer(a: H, b: H): H;
  einsum(eq: string, ts: H[]): H;

  linear(x: H, w: H, b: HN): H;
  conv(x: H, w: H, b: HN, stride: readonly number[], padding: readonly number[], dilation: readonly number[], groups: Num): H;
  convTranspose2d(x: H, w: H, b: HN, stride: readonly number[], padding: readonly number[], outputPadding: readonly number[], groups: Num, dilation: readonly number[]): H;
  maxPool2d(x: H, k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceil: boolean): H;
  maxPool1d(x: H, k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceil: boolean): H;
  avgPool2d(x: H, k: readonly number[], s: readonly number[], p: readonly number[], ceil: boolean, countIncludePad: boolean): H;
  avgPool1d(x: H, k: readonly number[], s: readonly number[], p: readonly number[], ceil: boolean, countIncludePad: boolean): H;
  adaptiveAvgPool2d(x: H, size: readonly number[]): H;
  adaptiveMaxPool2d(x: H, size: readonly number[]): H;
  batchNorm(x: H, w: HN, b: HN, rm: HN, rv: HN, training: boolean, momentum: Num, eps: Num): H;
  layerNorm(x: H, shape: readonly number[], w: HN, b: HN, eps: Num): H;
  groupNorm(x: H, groups: Num, w: HN, b: HN, eps: Num): H;
  dropout(x: H, p: Num, training: boolean, inplace: boolean): H;
  leakyRelu(x: H, slope: Num): H;
  elu(x: H, alpha: Num): H;
  hardtanh(x: H, min: Num, max: Num): H;
  softplus(x: H, beta: Num, threshold: Num): H;
  crossEntropy(x: H, target: H, weight: HN, reduction: string, ignoreIndex: Num, labelSmoothing: Num): H;
  nllLoss(x: H, target: H, weight: HN, reduction: string, ignoreIndex: Num): H;
  mseLoss(a: H, b: H, reduction: string): H;
  l1Loss(a: H, b: H, reduction: string): H;
  smoothL1Loss(a: H, b: H, reduction: string, beta: Num): H;
  huberLoss(a: H, b: H, reduction: string, delta: Num): H;
  bceWithLogits(x: H, y: H, weight: HN, posWeight: HN, reduction: string): H;
  bce(x: H, y: H, weight: HN, reduction: string): H;
  klDiv(x: H, y: H, reduction: string, logTarget: boolean): H;
  embedding(w: H, idx: H, paddingIdx: Num): H;
  pad(x: H, pads: readonly number[], mode: string, value: Num): H;
  interpolate(x: H, size: readonly number[], mode: string, alignCorners: boolean): H;
  pixelShuffle(x: H, factor: Num): H;
  cosineSimilarity(a: H, b: H, dim: Num, eps: Num): H;
  normalize(x: H, p: Num, dim: Num, eps: Num): H;
  scaledDotProductAttention(q: H, k: H, v: H, mask: HN, dropoutP: Num, isCausal: boolean, training: boolean): [H, H];
  adamStep(ps: H[], gs: H[], m: H[], v: H[], vmax: H[] | null, step: Num, lr: Num, b1: Num, b2: Num, eps: Num, wd: Num, decoupled: boolean, amsgrad: boolean): void;
  sgdStep(ps: H[], gs: H[], bufs: H[] | null, lr: Num, momentum: Num, dampening: Num, wd: Num, nesterov: boolean, first: boolean): void;

  callOp(name: string, overload: string, args: unknown[]): unknown;
  pickleSave(value: unknown): Buffer;
  pickleLoad(data: Uint8Array): unknown;
}

/**
 * The addon cannot be used: libtorch is missing, or the addon was not built against it. Its `code`
 * (ERR_COPPER_TORCH_NATIVE) lets command-line tools print the one-line message without a trace.
 */
export class TorchNativeUnavailableError extends Error {
  readonly code = 'ERR_COPPER_TORCH_NATIVE';
  constructor(message: string) {
    super(message);
    this.name = 'TorchNativeUnavailableError';
  }
}

const HOW_TO_INSTALL =
  'install libtorch (Debian/Ubuntu: `npm run setup` in the copper folder, or `sudo apt-get install libtorch-dev`; elsewhere set LIBTORCH to a libtorch folder from pytorch.org or to a pip-installed torch package\'s folder), then rebuild the addon with `npm run build:native -w packages/torch` (or `npm rebuild @copper/torch`)';

function load(): Native {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
  const file = join(pkg, 'build', 'Release', 'copper_torch.node');
  if (!existsSync(file)) {
    throw new TorchNativeUnavailableError(`@copper/torch needs libtorch, and its native addon is not built: ${HOW_TO_INSTALL}`);
  }
  try {
    return createRequire(import.meta.url)(file) as Native;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new TorchNativeUnavailableError(`@copper/torch: cannot load the native addon (${msg}): ${HOW_TO_INSTALL}`);
  }
}

export const native: Native = load();

export const Unary = {
  neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, rsqrt: 5, sin: 6, cos: 7, tanh: 8, sigmoid: 9, relu: 10, gelu: 11,
  silu: 12, floor: 13, ceil: 14, round: 15, sign: 16, reciprocal: 17, square: 18, logicalNot: 19, log1p: 20,
  expm1: 21, erf: 22, log2: 23, tan: 24, atan: 25, asin: 26, acos: 27, isnan: 28, isinf: 29, trunc: 30,
  geluTanh: 31, mish: 32, hardswish: 33, t: 34, logSigmoid: 35, zerosLike: 36, onesLike: 37, randLike: 38,
  randnLike: 39, bitwiseNot: 40, frac: 41,
} as const;

export const Binary = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12,
  matmul: 13, logicalAnd: 14, logicalOr: 15, remainder: 16, atan2: 17, floorDivide: 18, mm: 19, bmm: 20,
  rsub: 21, rdiv: 22, rpow: 23, logicalXor: 24, fmod: 25, bitwiseAnd: 26, bitwiseOr: 27,
} as const;

export const Reduce = {
  sum: 0, mean: 1, prod: 2, amax: 3, amin: 4, std: 5, var: 6, logsumexp: 7, all: 8, any: 9, norm: 10,
  stdBiased: 11, varBiased: 12,
} as const;
