/**
 * @copper/torch: PyTorch's engine for TypeScript, a Node-API binding to libtorch.
 *
 *   import * as torch from '@copper/torch';
 *   const x = torch.randn([4, 3], { requiresGrad: true });
 *   const y = x.matmul(torch.ones([3, 1])).sum();
 *   y.backward();
 *   x.grad;  // tensor of ones
 *
 * `nn` (layers, Module), `optim` (SGD, Adam, AdamW, schedulers), `F` (torch.nn.functional).
 */
import { native } from './native.js';

export {
  Tensor, tidy, keep, dispose, liveTensors, noGrad, enableGrad, inferenceMode, isInferenceMode, setGradEnabled, isGradEnabled,
  setDefaultDtype, getDefaultDtype, type DType, type MemoryFormat, type Index, type NestedArray, type TypedArray,
} from './tensor.js';
export * from './creation.js';
export * as F from './functional.js';
export * as functional from './functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { save, load, serialize, deserialize, type Saveable, type Loaded } from './serialize/index.js';
export * as autograd from './autograd.js';
export * as ops from './ops.js';
export * as distributed from './distributed.js';
export * as amp from './amp.js';
export { autocast, isAutocastEnabled } from './amp.js';
export {
  TorchError, ShapeError, DTypeError, IndexError, ArgumentError, OutOfMemoryError, NativeNotBuiltError, StateDictError,
  SerializationError, DisposedTensorError, DistributedError,
} from './errors.js';

/** Seeds libtorch's random generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
/** Intra-op threads libtorch uses (torch.set_num_threads). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('setNumThreads: expected a positive integer');
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}
/** torch.cuda: whether this libtorch build has CUDA and sees a GPU. */
export const cuda = {
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
};

/** The libtorch version the addon was built against, e.g. '1.13.0'. */
export const libtorchVersion: string = native.version();
