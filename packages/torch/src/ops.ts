/**
 * torch.ops: any ATen operator by name, for ops without a dedicated method, through libtorch's
 * boxed dispatcher (arguments converted by the operator's schema; omitted trailing arguments take
 * their defaults).
 *
 *   torch.ops.call('aten::cumsum', x, 0)            // overload '' (the default one)
 *   torch.ops.call('aten::std.correction', x, [1], 0, true)
 */
import { native } from './native.js';
import { Tensor } from './tensor.js';

export type OpValue = Tensor | number | boolean | string | null | undefined | readonly OpValue[];
export type OpResult = Tensor | number | boolean | null | OpResult[];

function toNative(v: OpValue): unknown {
  if (v instanceof Tensor) return v.handle;
  if (Array.isArray(v)) return v.map(toNative);
  return v;
}
function fromNative(v: unknown): OpResult {
  if (Array.isArray(v)) return v.map(fromNative);
  if (v !== null && typeof v === 'object') return new Tensor(v as never);
  return v as OpResult;
}

/** Calls `namespace::name[.overload]` (namespace defaults to aten). */
export function call(qualified: string, ...args: OpValue[]): OpResult {
  let name = qualified.includes('::') ? qualified : `aten::${qualified}`;
  let overload = '';
  const dot = name.indexOf('.', name.indexOf('::'));
  if (dot >= 0) {
    overload = name.slice(dot + 1);
    name = name.slice(0, dot);
  }
  return fromNative(native.callOp(name, overload, args.map(toNative)));
}
