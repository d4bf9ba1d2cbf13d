/** Tensor factories and the torch.* functions that take several tensors (cat, stack, where...). */
import { native, Unary } from './native.js';
import { dtypeCode, getDefaultDtype, Tensor, type DType, type NestedArray, type TypedArray } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function dtypeOfTyped(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) native.setRequiresGrad(t.handle, true);
  return t;
}

function shapeArg(shape: number | readonly number[]): readonly number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  for (const n of s) if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad shape [${s.join(', ')}]: sizes must be non-negative integers`);
  return s;
}

/**
 * Makes a tensor from nested arrays, a typed array (with `shape`, default 1-D), or a number.
 * dtype: given, else from the typed array, bool for booleans, else the default float dtype
 * (JS numbers carry no int/float distinction: pass { dtype: 'int64' } for class labels).
 */
export function tensor(data: NestedArray | TypedArray, opts?: TensorOptions & { shape?: readonly number[] }): Tensor {
  if (ArrayBuffer.isView(data)) {
    const ta = data as TypedArray;
    const src = dtypeOfTyped(ta);
    const shape = opts?.shape ?? [ta.length];
    let t = new Tensor(native.fromBuffer(ta, dtypeCode(src), shape));
    if (opts?.dtype && opts.dtype !== src) {
      const c = t.to(opts.dtype);
      t.dispose();
      t = c;
    }
    return finish(t, opts);
  }
  const shape: number[] = [];
  let probe: NestedArray = data as NestedArray;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = (probe as readonly NestedArray[])[0] as NestedArray;
    if (probe === undefined) break;
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const flat = new Float64Array(n);
  let pos = 0;
  let isBool = typeof probe === 'boolean';
  const walk = (v: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (typeof v === 'boolean') flat[pos++] = v ? 1 : 0;
      else if (typeof v === 'number') {
        flat[pos++] = v;
        isBool = false;
      } else throw new TypeError('tensor(): nested arrays must be rectangular and hold numbers or booleans');
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) throw new TypeError('tensor(): nested arrays must be rectangular');
    for (const x of v as readonly NestedArray[]) walk(x, d + 1);
  };
  walk(data as NestedArray, 0);
  const dtype = opts?.dtype ?? (isBool ? 'bool' : getDefaultDtype());
  const base = new Tensor(native.fromBuffer(flat, dtypeCode('float64'), shape));
  if (dtype === 'float64') return finish(base, opts);
  const t = base.to(dtype);
  base.dispose();
  return finish(t, opts);
}

/** A 0-d tensor holding one number. */
export function scalar(v: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.full([], v, dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}

export function zeros(shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return full(shape, 1, opts);
}
export function full(shape: number | readonly number[], value: number | boolean, opts?: TensorOptions): Tensor {
  const dt = opts?.dtype ?? (typeof value === 'boolean' ? 'bool' : getDefaultDtype());
  return finish(new Tensor(native.full(shapeArg(shape), value, dtypeCode(dt))), opts);
}
/** Uninitialised memory of the given shape. */
export function empty(shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.empty(shapeArg(shape), dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}
/** Zeros with the shape, dtype and device of t. */
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.dtype && opts.dtype !== t.dtype) return zeros(t.shape, opts);
  return finish(new Tensor(native.unary(t.handle, Unary.zerosLike)), opts);
}
/** Ones with the shape, dtype and device of t. */
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.dtype && opts.dtype !== t.dtype) return ones(t.shape, opts);
  return finish(new Tensor(native.unary(t.handle, Unary.onesLike)), opts);
}
export function fullLike(t: Tensor, value: number, opts?: TensorOptions): Tensor {
  return full(t.shape, value, { dtype: opts?.dtype ?? t.dtype, requiresGrad: opts?.requiresGrad });
}
export function randLike(t: Tensor): Tensor {
  return new Tensor(native.unary(t.handle, Unary.randLike));
}
export function randnLike(t: Tensor): Tensor {
  return new Tensor(native.unary(t.handle, Unary.randnLike));
}

/** arange(end) or arange(start, end, step); int64 when all arguments are integers, like PyTorch. */
export function arange(startOrEnd: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  const ints = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const dt = opts?.dtype ?? (ints ? 'int64' : getDefaultDtype());
  return finish(new Tensor(native.arange(start, stop, step, dtypeCode(dt))), opts);
}
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.linspace(start, end, steps, dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}
export function eye(n: number, m = n, opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.eye(n, m, dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}
/** Uniform [0, 1) samples. */
export function rand(shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.rand(shapeArg(shape), dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}
/** Standard normal samples. */
export function randn(shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(native.randn(shapeArg(shape), dtypeCode(opts?.dtype ?? getDefaultDtype()))), opts);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number | readonly number[], opts?: TensorOptions): Tensor {
  return new Tensor(native.randint(low, high, shapeArg(shape), dtypeCode(opts?.dtype ?? 'int64')));
}
export function randperm(n: number, opts?: TensorOptions): Tensor {
  return new Tensor(native.randperm(n, dtypeCode(opts?.dtype ?? 'int64')));
}
export function multinomial(probs: Tensor, numSamples: number, replacement = false): Tensor {
  return new Tensor(native.multinomial(probs.handle, numSamples, replacement));
}
/** Bernoulli samples: with p, of probability p in the shape of t; without, t holds the probabilities. */
export function bernoulli(t: Tensor, p?: number): Tensor {
  return new Tensor(native.bernoulli(t.handle, p));
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensors.map((t) => t.handle), dim));
}
/** Elements of a where the condition holds, else of b. */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(native.where(condition.handle, a instanceof Tensor ? a.handle : a, b instanceof Tensor ? b.handle : b));
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  return new Tensor(native.einsum(equation, tensors.map((t) => t.handle)));
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  return a.maximum(b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return a.minimum(b);
}
export function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  return a.allclose(b, rtol, atol);
}
