/**
 * Tensor: a libtorch tensor held from JavaScript, with the methods of torch.Tensor.
 *
 * Names follow PyTorch in camelCase (`logSoftmax`, `requiresGrad`); in-place methods end in `_` and
 * return `this`. Numbers given where PyTorch takes a Python scalar become integer scalars when they
 * are integral and floats otherwise (JS has one number type), so `t.add(1)` keeps an int64 tensor
 * int64 and `t.add(0.5)` gives a float.
 *
 * Memory: each Tensor owns one native handle. `dispose()` frees it at once; `tidy(() => ...)` frees
 * every tensor created inside the callback except those it returns (and those `keep()`-ed); the
 * garbage collector frees what neither reached. Autograd keeps what it needs alive by itself, so
 * disposing an intermediate after `forward` is always safe.
 *
 * This file is the stable API that nn/ and optim/ build on.
 */
import { inspect } from 'node:util';
import { Binary, native, Reduce, Unary, type Handle } from './native.js';
import { DisposedTensorError, TorchError } from './errors.js';

export type DType = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'bool' | 'bfloat16';

const CODE: Record<DType, number> = { uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15 };
const NAME: Record<number, DType> = Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k as DType]));

/** Native code of a dtype name (internal). */
export function dtypeCode(d: DType): number {
  const c = CODE[d];
  if (c === undefined) throw new TypeError(`unknown dtype '${String(d)}' (expected one of ${Object.keys(CODE).join(', ')})`);
  return c;
}

/** Default dtype for floating-point factories (like torch.get_default_dtype()). */
let defaultDtype: DType = 'float32';
export function setDefaultDtype(d: DType): void {
  if (d !== 'float32' && d !== 'float64') throw new TypeError('the default dtype must be float32 or float64');
  defaultDtype = d;
}
export function getDefaultDtype(): DType {
  return defaultDtype;
}

/** Memory layouts (torch.memory_format); 'channelsLast' (NHWC) makes CPU convolutions faster. */
export type MemoryFormat = 'contiguous' | 'channelsLast' | 'channelsLast3d';

export type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

/** Nested arrays of numbers or booleans, as accepted by `tensor()`. */
export type NestedArray = number | boolean | readonly NestedArray[];

// ---------------------------------------------------------------------------------------------
// Scopes (tidy) and disposal

const scopes: Tensor[][] = [];

function track(t: Tensor): void {
  const s = scopes[scopes.length - 1];
  if (s !== undefined) s.push(t);
}

function collect(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collect(x, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(v) === Object.prototype || v instanceof Map) {
    for (const x of v instanceof Map ? v.values() : Object.values(v)) collect(x, out, depth + 1);
  }
}

/**
 * Runs `fn` and frees every tensor created during it, except the tensors it returns (found in a
 * returned Tensor, array, Map or plain object) and tensors marked with `keep()`. Returned tensors
 * move to the enclosing scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new TorchError('tidy() takes a synchronous function; await outside it or dispose tensors explicitly');
  }
  const out = new Set<Tensor>();
  collect(result, out);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (out.has(t)) {
      if (parent !== undefined) parent.push(t);
    } else if (!t.kept) t.dispose();
  }
  return result;
}

/** Marks tensors to survive every enclosing `tidy` (parameters, optimizer state, caches). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Disposes every tensor found in `v` (a Tensor, array, Map or plain object of tensors). */
export function dispose(v: unknown): void {
  const s = new Set<Tensor>();
  collect(v, s);
  for (const t of s) t.dispose();
}

/** Number of native tensor handles not yet disposed or collected (for leak checks). */
export function liveTensors(): number {
  return native.liveTensors();
}

// ---------------------------------------------------------------------------------------------
// Autograd mode

/** Runs `fn` with gradient recording off (torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs `fn` with gradient recording on (torch.enable_grad()). */
export function enableGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/**
 * Runs `fn` in inference mode (torch.inference_mode()): like noGrad but also skips autograd's
 * bookkeeping, so inference is a little faster. Tensors made inside cannot be used in autograd
 * later (libtorch says so when tried).
 */
export function inferenceMode<T>(fn: () => T): T {
  native.inferenceModeEnter(true);
  try {
    return fn();
  } finally {
    native.inferenceModeExit();
  }
}
export function isInferenceMode(): boolean {
  return native.isInferenceMode();
}

export function setGradEnabled(on: boolean): void {
  native.setGradEnabled(on);
}
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

// ---------------------------------------------------------------------------------------------
// Indexing

/**
 * One index of `Tensor.index()`: a number (select, drops the dim), a slice string as in Python
 * (':', '1:', ':-1', '::2', '1:5:2'), null (same as ':'), '...' (Ellipsis), 'None' (new axis of
 * size 1), or an index tensor / number array (advanced indexing, int64 or bool mask).
 */
export type Index = number | string | null | Tensor | readonly number[];

function parseSlice(s: string): [number | null, number | null, number] {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) throw new TypeError(`bad slice '${s}'`);
  const num = (x: string | undefined): number | null => {
    if (x === undefined || x.trim() === '') return null;
    const n = Number(x);
    if (!Number.isInteger(n)) throw new TypeError(`bad slice '${s}'`);
    return n;
  };
  const step = num(parts[2]) ?? 1;
  if (step <= 0) throw new RangeError(`slice step must be positive, got ${step}`);
  return [num(parts[0]), num(parts[1]), step];
}

function wrapList(hs: Handle[]): Tensor[] {
  return hs.map((h) => new Tensor(h));
}

type Operand = Tensor | number | boolean;
const op = (v: Operand): Handle | number | boolean => (v instanceof Tensor ? v.handle : v);

function dimsArg(dims: number | readonly number[] | undefined | null): readonly number[] | null {
  if (dims === undefined || dims === null) return null;
  return typeof dims === 'number' ? [dims] : dims;
}

// ---------------------------------------------------------------------------------------------

export class Tensor {
  /** @internal the native handle; null once disposed */
  _h: Handle | null;
  /** Survives tidy() scopes (set by keep()). */
  kept = false;

  /** @internal Wraps a native handle; use the factories (tensor, zeros, ...) instead. */
  constructor(h: Handle) {
    this._h = h;
    track(this);
  }

  /** @internal */
  get handle(): Handle {
    const h = this._h;
    if (h === null) throw new DisposedTensorError('tensor was disposed');
    return h;
  }

  /** Frees the native tensor now. Using the tensor afterwards throws. Safe to call twice. */
  dispose(): void {
    if (this._h !== null) {
      native.free(this._h);
      this._h = null;
    }
  }

  get isDisposed(): boolean {
    return this._h === null;
  }

  // ---- metadata ----
  get shape(): number[] {
    return native.shape(this.handle);
  }
  /** `size()` is the shape; `size(d)` the length of dim d (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    return dim === undefined ? native.shape(this.handle) : native.size(this.handle, dim);
  }
  stride(): number[] {
    return native.strides(this.handle);
  }
  get ndim(): number {
    return native.dim(this.handle);
  }
  dim(): number {
    return native.dim(this.handle);
  }
  numel(): number {
    return native.numel(this.handle);
  }
  get dtype(): DType {
    return NAME[native.dtype(this.handle)] ?? ('unknown' as DType);
  }
  get device(): string {
    return native.device(this.handle);
  }
  isContiguous(memoryFormat?: MemoryFormat): boolean {
    return memoryFormat ? native.isContiguousAs(this.handle, memoryFormat) : native.isContiguous(this.handle);
  }
  get isFloatingPoint(): boolean {
    const d = this.dtype;
    return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
  }

  // ---- data out ----
  /** The elements as a new typed array in row-major order (int64 -> BigInt64Array, bool -> Uint8Array). */
  toArray(): TypedArray {
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') return this.to('float32').toArrayAndDispose();
    const buf = native.toBuffer(this.handle);
    switch (d) {
      case 'float32': return new Float32Array(buf);
      case 'float64': return new Float64Array(buf);
      case 'int64': return new BigInt64Array(buf);
      case 'int32': return new Int32Array(buf);
      case 'int16': return new Int16Array(buf);
      case 'int8': return new Int8Array(buf);
      default: return new Uint8Array(buf);
    }
  }
  private toArrayAndDispose(): TypedArray {
    const a = this.toArray();
    this.dispose();
    return a;
  }
  /** The elements as (nested) JS numbers or booleans, like torch's tolist(). */
  tolist(): NestedArray {
    const a = this.toArray();
    const flat: (number | boolean)[] = [];
    const isBool = this.dtype === 'bool';
    for (let i = 0; i < a.length; i++) flat.push(isBool ? a[i] !== 0 : Number(a[i]));
    const shape = this.shape;
    if (shape.length === 0) return flat[0]!;
    let pos = 0;
    const build = (d: number): NestedArray => {
      const n = shape[d]!;
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? flat[pos++]! : build(d + 1));
      return out;
    };
    return build(0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return Number(native.item(this.handle));
  }
  toString(): string {
    if (this._h === null) return 'Tensor(disposed)';
    return native.toString(this._h);
  }
  [inspect.custom](): string {
    if (this._h === null) return 'Tensor(disposed)';
    return `tensor(${native.toString(this._h).trim()}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad=true' : ''})`;
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(v: boolean) {
    native.setRequiresGrad(this.handle, v);
  }
  requiresGrad_(v = true): this {
    native.setRequiresGrad(this.handle, v);
    return this;
  }
  /** The accumulated gradient (a new Tensor sharing its memory), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    native.setGrad(this.handle, g === null ? null : g.handle);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** Name of the autograd node that made this tensor (e.g. 'AddBackward0'), or null. */
  get gradFn(): string | null {
    return native.gradFn(this.handle);
  }
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }
  /** Computes gradients of this tensor (a scalar unless `gradient` is given) into the leaves' `.grad`. */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward([this.handle], gradient ? [gradient.handle] : null, opts.retainGraph ?? null, opts.createGraph ?? false);
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.handle));
  }
  detach_(): this {
    const d = native.detach(this.handle);
    native.free(this.handle);
    this._h = d;
    return this;
  }

  // ---- conversion ----
  /** A copy in another dtype (this tensor itself when it already has it, like PyTorch). */
  to(dtype: DType): Tensor {
    return new Tensor(native.to(this.handle, dtypeCode(dtype)));
  }
  /** A copy on another device ('cpu', 'cuda', 'cuda:1'; CUDA needs a CUDA build of libtorch). */
  toDevice(device: string): Tensor {
    return new Tensor(native.toDevice(this.handle, device));
  }
  cpu(): Tensor {
    return this.toDevice('cpu');
  }
  cuda(index = 0): Tensor {
    return this.toDevice(`cuda:${index}`);
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.handle));
  }
  /** This tensor laid out densely in the given memory format (default row-major). */
  contiguous(memoryFormat?: MemoryFormat): Tensor {
    return new Tensor(memoryFormat ? native.contiguousAs(this.handle, memoryFormat) : native.contiguous(this.handle));
  }
  /** True when both have the same shape and elements. */
  equal(other: Tensor): boolean {
    return native.equal(this.handle, other.handle);
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(this.handle, other.handle, rtol, atol);
  }

  // ---- element-wise ----
  private u(code: number): Tensor {
    return new Tensor(native.unary(this.handle, code));
  }
  private ui(code: number): this {
    native.unary(this.handle, code, true);
    return this;
  }
  private b(other: Operand, code: number): Tensor {
    return new Tensor(native.binary(this.handle, op(other), code));
  }
  private bi(other: Operand, code: number): this {
    native.binary(this.handle, op(other), code, true);
    return this;
  }

  /** this + alpha * other */
  add(other: Operand, alpha?: number): Tensor {
    if (alpha !== undefined && alpha !== 1 && other instanceof Tensor) return new Tensor(native.addScaled(this.handle, other.handle, alpha, false));
    if (alpha !== undefined && alpha !== 1 && typeof other === 'number') return this.b(other * alpha, Binary.add);
    return this.b(other, Binary.add);
  }
  add_(other: Operand, alpha?: number): this {
    if (alpha !== undefined && alpha !== 1 && other instanceof Tensor) {
      native.addScaled(this.handle, other.handle, alpha, true);
      return this;
    }
    if (alpha !== undefined && alpha !== 1 && typeof other === 'number') return this.bi(other * alpha, Binary.add);
    return this.bi(other, Binary.add);
  }
  sub(other: Operand, alpha?: number): Tensor {
    if (alpha !== undefined && alpha !== 1) return this.add(other instanceof Tensor ? other : Number(other), -alpha);
    return this.b(other, Binary.sub);
  }
  sub_(other: Operand, alpha?: number): this {
    if (alpha !== undefined && alpha !== 1) return this.add_(other instanceof Tensor ? other : Number(other), -alpha);
    return this.bi(other, Binary.sub);
  }
  /** other - this (torch.rsub) */
  rsub(other: number): Tensor {
    return this.b(other, Binary.rsub);
  }
  mul(other: Operand): Tensor {
    return this.b(other, Binary.mul);
  }
  mul_(other: Operand): this {
    return this.bi(other, Binary.mul);
  }
  div(other: Operand, roundingMode?: 'floor'): Tensor {
    return this.b(other, roundingMode === 'floor' ? Binary.floorDivide : Binary.div);
  }
  div_(other: Operand): this {
    return this.bi(other, Binary.div);
  }
  /** other / this for a number */
  rdiv(other: number): Tensor {
    return this.b(other, Binary.rdiv);
  }
  pow(exponent: Operand): Tensor {
    return this.b(exponent, Binary.pow);
  }
  pow_(exponent: Operand): this {
    return this.bi(exponent, Binary.pow);
  }
  remainder(other: Operand): Tensor {
    return this.b(other, Binary.remainder);
  }
  fmod(other: Operand): Tensor {
    return this.b(other, Binary.fmod);
  }
  floorDivide(other: Operand): Tensor {
    return this.b(other, Binary.floorDivide);
  }
  maximum(other: Operand): Tensor {
    return this.b(other, Binary.maximum);
  }
  minimum(other: Operand): Tensor {
    return this.b(other, Binary.minimum);
  }
  atan2(other: Tensor): Tensor {
    return this.b(other, Binary.atan2);
  }
  eq(other: Operand): Tensor {
    return this.b(other, Binary.eq);
  }
  ne(other: Operand): Tensor {
    return this.b(other, Binary.ne);
  }
  lt(other: Operand): Tensor {
    return this.b(other, Binary.lt);
  }
  le(other: Operand): Tensor {
    return this.b(other, Binary.le);
  }
  gt(other: Operand): Tensor {
    return this.b(other, Binary.gt);
  }
  ge(other: Operand): Tensor {
    return this.b(other, Binary.ge);
  }
  logicalAnd(other: Tensor): Tensor {
    return this.b(other, Binary.logicalAnd);
  }
  logicalOr(other: Tensor): Tensor {
    return this.b(other, Binary.logicalOr);
  }
  logicalXor(other: Tensor): Tensor {
    return this.b(other, Binary.logicalXor);
  }
  logicalNot(): Tensor {
    return this.u(Unary.logicalNot);
  }
  bitwiseAnd(other: Operand): Tensor {
    return this.b(other, Binary.bitwiseAnd);
  }
  bitwiseOr(other: Operand): Tensor {
    return this.b(other, Binary.bitwiseOr);
  }
  bitwiseNot(): Tensor {
    return this.u(Unary.bitwiseNot);
  }
  /** Matrix product with broadcasting (torch.matmul). */
  matmul(other: Tensor): Tensor {
    return this.b(other, Binary.matmul);
  }
  mm(other: Tensor): Tensor {
    return this.b(other, Binary.mm);
  }
  bmm(other: Tensor): Tensor {
    return this.b(other, Binary.bmm);
  }
  outer(other: Tensor): Tensor {
    return new Tensor(native.outer(this.handle, other.handle));
  }
  /** this + value * a * b */
  addcmul(a: Tensor, b: Tensor, value = 1): Tensor {
    return new Tensor(native.addcmul(this.handle, a.handle, b.handle, value, false));
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    native.addcmul(this.handle, a.handle, b.handle, value, true);
    return this;
  }
  /** this + value * a / b */
  addcdiv(a: Tensor, b: Tensor, value = 1): Tensor {
    return new Tensor(native.addcdiv(this.handle, a.handle, b.handle, value, false));
  }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    native.addcdiv(this.handle, a.handle, b.handle, value, true);
    return this;
  }
  /** this + weight * (end - this) */
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(native.lerp(this.handle, end.handle, weight, false));
  }
  lerp_(end: Tensor, weight: number): this {
    native.lerp(this.handle, end.handle, weight, true);
    return this;
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(native.clamp(this.handle, min ?? null, max ?? null, false));
  }
  clamp_(min?: number | null, max?: number | null): this {
    native.clamp(this.handle, min ?? null, max ?? null, true);
    return this;
  }
  clampMin(min: number): Tensor {
    return this.clamp(min, null);
  }
  clampMax(max: number): Tensor {
    return this.clamp(null, max);
  }

  neg(): Tensor { return this.u(Unary.neg); }
  neg_(): this { return this.ui(Unary.neg); }
  abs(): Tensor { return this.u(Unary.abs); }
  abs_(): this { return this.ui(Unary.abs); }
  exp(): Tensor { return this.u(Unary.exp); }
  exp_(): this { return this.ui(Unary.exp); }
  expm1(): Tensor { return this.u(Unary.expm1); }
  log(): Tensor { return this.u(Unary.log); }
  log_(): this { return this.ui(Unary.log); }
  log1p(): Tensor { return this.u(Unary.log1p); }
  log2(): Tensor { return this.u(Unary.log2); }
  sqrt(): Tensor { return this.u(Unary.sqrt); }
  sqrt_(): this { return this.ui(Unary.sqrt); }
  rsqrt(): Tensor { return this.u(Unary.rsqrt); }
  square(): Tensor { return this.u(Unary.square); }
  reciprocal(): Tensor { return this.u(Unary.reciprocal); }
  sin(): Tensor { return this.u(Unary.sin); }
  cos(): Tensor { return this.u(Unary.cos); }
  tan(): Tensor { return this.u(Unary.tan); }
  asin(): Tensor { return this.u(Unary.asin); }
  acos(): Tensor { return this.u(Unary.acos); }
  atan(): Tensor { return this.u(Unary.atan); }
  tanh(): Tensor { return this.u(Unary.tanh); }
  tanh_(): this { return this.ui(Unary.tanh); }
  sigmoid(): Tensor { return this.u(Unary.sigmoid); }
  sigmoid_(): this { return this.ui(Unary.sigmoid); }
  relu(): Tensor { return this.u(Unary.relu); }
  relu_(): this { return this.ui(Unary.relu); }
  erf(): Tensor { return this.u(Unary.erf); }
  floor(): Tensor { return this.u(Unary.floor); }
  ceil(): Tensor { return this.u(Unary.ceil); }
  round(): Tensor { return this.u(Unary.round); }
  trunc(): Tensor { return this.u(Unary.trunc); }
  frac(): Tensor { return this.u(Unary.frac); }
  sign(): Tensor { return this.u(Unary.sign); }
  isnan(): Tensor { return this.u(Unary.isnan); }
  isinf(): Tensor { return this.u(Unary.isinf); }
  zero_(): this {
    native.zero_(this.handle);
    return this;
  }
  fill_(value: number | boolean): this {
    native.fill_(this.handle, value);
    return this;
  }
  /** Copies `src` (broadcast) into this tensor. */
  copy_(src: Tensor): this {
    native.copy_(this.handle, src.handle);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    native.uniform_(this.handle, from, to);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    native.normal_(this.handle, mean, std);
    return this;
  }
  /** where(condition, this, other) */
  where(condition: Tensor, other: Tensor | number): Tensor {
    return new Tensor(native.where(condition.handle, this.handle, other instanceof Tensor ? other.handle : other));
  }
  maskedFill(mask: Tensor, value: Tensor | number | boolean): Tensor {
    return new Tensor(native.maskedFill(this.handle, mask.handle, value instanceof Tensor ? value.handle : value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(native.maskedSelect(this.handle, mask.handle));
  }
  nonzero(): Tensor {
    return new Tensor(native.nonzero(this.handle));
  }

  // ---- reductions ----
  private r(code: number, dim: number | readonly number[] | undefined | null, keepdim: boolean): Tensor {
    return new Tensor(native.reduce(this.handle, code, dimsArg(dim), keepdim));
  }
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.sum, dim, keepdim); }
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.mean, dim, keepdim); }
  prod(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.prod, dim, keepdim); }
  /** Standard deviation; unbiased (Bessel's correction) by default, as in PyTorch. */
  std(dim?: number | readonly number[] | null, keepdim = false, unbiased = true): Tensor {
    return this.r(unbiased ? Reduce.std : Reduce.stdBiased, dim, keepdim);
  }
  var(dim?: number | readonly number[] | null, keepdim = false, unbiased = true): Tensor {
    return this.r(unbiased ? Reduce.var : Reduce.varBiased, dim, keepdim);
  }
  logsumexp(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.logsumexp, dim, keepdim); }
  amax(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.amax, dim ?? [], keepdim); }
  amin(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.amin, dim ?? [], keepdim); }
  all(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.all, dim, keepdim); }
  any(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.any, dim, keepdim); }
  /** Euclidean (2-) norm over all elements or the given dims. */
  norm(dim?: number | readonly number[] | null, keepdim = false): Tensor { return this.r(Reduce.norm, dim, keepdim); }
  /** max() of all elements, or max(dim) -> { values, indices } like PyTorch. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return this.r(Reduce.amax, [], false);
    const [v, i] = native.maxDim(this.handle, dim, keepdim, false);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return this.r(Reduce.amin, [], false);
    const [v, i] = native.maxDim(this.handle, dim, keepdim, true);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim ?? null, keepdim, false));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim ?? null, keepdim, true));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.handle, dim));
  }
  cumprod(dim: number): Tensor {
    return new Tensor(native.cumprod(this.handle, dim));
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.handle, dim, descending);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.handle, dim));
  }

  // ---- shape ----
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.reshape(this.handle, flatArgs(shape)));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.view(this.handle, flatArgs(shape)));
  }
  viewAs(other: Tensor): Tensor {
    return this.view(other.shape);
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.permute(this.handle, flatArgs(dims)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.handle, dim0, dim1));
  }
  /** Transpose of a 2-D tensor (torch.Tensor.t()). */
  t(): Tensor {
    return this.u(Unary.t);
  }
  /** Transpose of the last two dims (Tensor.mT). */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle, dim));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.handle, startDim, endDim));
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.expand(this.handle, flatArgs(shape)));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  repeat(...reps: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.repeat(this.handle, flatArgs(reps)));
  }
  /** Splits into chunks of `size` along `dim`, or into the given sizes. */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return wrapList(native.split(this.handle, size, dim));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapList(native.chunk(this.handle, chunks, dim));
  }
  unbind(dim = 0): Tensor[] {
    return wrapList(native.unbind(this.handle, dim));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.handle, dim, start, length));
  }
  /** this[..., start:end:step, ...] along `dim` (a view). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start ?? null, end ?? null, step));
  }
  /** this[..., index, ...] along `dim` (drops the dim; a view). */
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.handle, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return new Tensor(native.scatter(this.handle, dim, index.handle, src instanceof Tensor ? src.handle : src, false));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatter(this.handle, dim, index.handle, src.handle, true));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(native.tril(this.handle, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(native.triu(this.handle, diagonal));
  }
  flip(dims: number | readonly number[]): Tensor {
    return new Tensor(native.flip(this.handle, typeof dims === 'number' ? [dims] : dims));
  }
  roll(shifts: number | readonly number[], dims: number | readonly number[]): Tensor {
    return new Tensor(native.roll(this.handle, typeof shifts === 'number' ? [shifts] : shifts, typeof dims === 'number' ? [dims] : dims));
  }

  /**
   * Python-style indexing: `t.index(0, ':', '1:3')` is `t[0, :, 1:3]`; see `Index`.
   * Basic indices give views; tensor indices copy.
   */
  index(...idx: Index[]): Tensor {
    return tidyIndex(this, idx, null);
  }
  /** `t[idx] = value` in place (value: tensor or number, broadcast). */
  indexPut_(idx: Index | Index[], value: Tensor | number): this {
    tidyIndex(this, Array.isArray(idx) && !isNumberArray(idx) ? (idx as Index[]) : [idx as Index], value);
    return this;
  }

  // ---- functional shortcuts on the tensor (like torch.Tensor) ----
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return this.u(approximate === 'tanh' ? Unary.geluTanh : Unary.gelu);
  }
  silu(): Tensor {
    return this.u(Unary.silu);
  }
}

function isNumberArray(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

function flatArgs(a: number[] | [readonly number[]]): readonly number[] {
  if (a.length === 1 && Array.isArray(a[0])) return a[0] as readonly number[];
  return a as number[];
}

// Applies basic indices one by one (select/slice/unsqueeze views), then the tensor indices in one
// advanced-indexing call; with `value`, writes instead of reading.
function tidyIndex(t: Tensor, idx: Index[], value: Tensor | number | null): Tensor {
  const temps: Tensor[] = [];
  try {
    let cur = t;
    let dim = 0;
    const adv: (Handle | null)[] = [];
    const ellipsis = idx.indexOf('...');
    const consumed = idx.filter((i) => i !== '...' && i !== 'None').length;
    const nd = t.ndim;
    if (consumed > nd) throw new RangeError(`too many indices for a tensor of dimension ${nd}`);
    let hasAdv = false;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      if (i === '...') {
        if (k !== ellipsis) throw new TypeError('an index can only have a single ellipsis');
        const skip = nd - consumed;
        for (let s = 0; s < skip; s++) adv.push(null);
        dim += skip;
        continue;
      }
      if (typeof i === 'number') {
        cur = new Tensor(native.select(cur.handle, dim, i));
        temps.push(cur);
        continue;
      }
      if (i === null || i === ':' ) {
        adv.push(null);
        dim++;
        continue;
      }
      if (i === 'None') {
        cur = new Tensor(native.unsqueeze(cur.handle, dim));
        temps.push(cur);
        adv.push(null);
        dim++;
        continue;
      }
      if (typeof i === 'string') {
        const [s, e, step] = parseSlice(i);
        cur = new Tensor(native.slice(cur.handle, dim, s, e, step));
        temps.push(cur);
        adv.push(null);
        dim++;
        continue;
      }
      let it: Tensor;
      if (i instanceof Tensor) it = i;
      else if (!Array.isArray(i) || !i.every((x) => Number.isInteger(x))) {
        throw new TypeError(`index: unsupported index ${JSON.stringify(i)} (use numbers, slice strings like '1:3', null, '...', 'None', integer arrays or tensors)`);
      } else {
        it = new Tensor(native.fromBuffer(new BigInt64Array(i.map((x) => BigInt(x))), CODE.int64, [i.length]));
        temps.push(it);
      }
      adv.push(it.handle);
      hasAdv = true;
      dim += it.dtype === 'bool' ? it.ndim : 1;
    }
    if (value !== null) {
      let v: Tensor;
      if (value instanceof Tensor) v = value;
      else {
        v = new Tensor(native.full([], value, native.dtype(t.handle)));
        temps.push(v);
      }
      if (hasAdv) {
        while (adv.length && adv[adv.length - 1] === null) adv.pop();
        native.indexPut(cur.handle, adv, v.handle, false, true);
      } else {
        native.copy_(cur.handle, v.handle);
      }
      return t;
    }
    if (hasAdv) {
      while (adv.length && adv[adv.length - 1] === null) adv.pop();
      const r = new Tensor(native.index(cur.handle, adv));
      return r;
    }
    if (cur === t) return new Tensor(native.alias(t.handle));
    temps.pop();
    return cur;
  } finally {
    for (const x of temps) x.dispose();
  }
}
