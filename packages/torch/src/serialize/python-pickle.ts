/**
 * Loads checkpoints written by Python's `torch.save` (zip format) without Python: a small
 * unpickler for what torch.save emits (protocol 2-5 opcodes, dicts/OrderedDicts, lists, tuples,
 * sets, numbers, strings, tensors and parameters, torch dtypes), rebuilding each tensor as a view
 * of its storage read from the archive. Objects of other Python classes (a functools.partial or an
 * nn.Module in a Lightning checkpoint's hyper_parameters) load as
 * `{ __python_class__: 'module.Class', args?, state? }` and a bare class reference as its dotted
 * name, so the rest of the checkpoint stays readable. libtorch 1.13's own unpickler cannot read
 * state dicts saved as OrderedDict, so copper reads Python files here.
 */
import { native } from '../native.js';
import { dtypeCode, Tensor, type DType } from '../tensor.js';
import type { Loaded } from './index.js';
import { readZip } from './zip.js';

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16', bfloat16: 'bfloat16',
  int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};
const ELEMENT_SIZE: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

class Global {
  constructor(readonly module: string, readonly name: string) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}
class Mark {}
class StorageType {
  constructor(readonly dtype: DType) {}
}
class Storage {
  constructor(readonly flat: Tensor) {}
}
/** An object of a Python class this reader does not rebuild: its class, constructor arguments and state. */
class PyObject {
  state: unknown = undefined;
  constructor(readonly cls: string, readonly args: unknown[]) {}
}
/** A tuple (kept apart from lists only to resolve persistent ids; loads as an array). */
class Tuple extends Array<unknown> {}
type Dict = { [k: string]: unknown };

export class UnsupportedPickle extends Error {}

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}
function key(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (Array.isArray(k)) return `(${k.map(key).join(', ')})`;
  throw new UnsupportedPickle('a dict key of an unsupported type');
}
const num = (v: bigint | number): number => (typeof v === 'bigint' ? Number(v) : v);

/** Calls a pickled callable (REDUCE / NEWOBJ) for the classes torch.save uses. */
function call(fn: unknown, args: unknown[], made: Tensor[]): unknown {
  if (!(fn instanceof Global)) throw new UnsupportedPickle('a call of a non-global object');
  switch (fn.full) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict': {
      const d: Dict = {};
      if (Array.isArray(args[0])) for (const kv of args[0] as unknown[][]) d[key(kv[0])] = kv[1];
      return d;
    }
    case 'collections.Counter': {
      // MultiStepLR's milestones: Counter({epoch: count}) loads as that dict
      const d: Dict = {};
      if (isDict(args[0])) Object.assign(d, args[0]);
      return d;
    }
    case 'builtins.set':
    case 'builtins.frozenset':
    case '__builtin__.set':
      return Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [];
    case 'builtins.list':
      return Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [];
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, size, stride, requiresGrad] = args as [Storage, number, number[], number[], boolean];
      if (!(storage instanceof Storage)) throw new UnsupportedPickle('a tensor without storage');
      const t = new Tensor(native.asStrided(storage.flat.handle, size.map(num), stride.map(num), num(offset)));
      made.push(t);
      if (requiresGrad === true && t.isFloatingPoint) t.requiresGrad = true;
      return t;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const [data, requiresGrad] = args as [Tensor, boolean];
      if (!(data instanceof Tensor)) throw new UnsupportedPickle('a parameter without data');
      if (requiresGrad && data.isFloatingPoint) data.requiresGrad = true;
      return data;
    }
    case 'torch.device':
      return String(args[0]);
    case 'copyreg._reconstructor':
      // (cls, base, state): an instance of cls made without calling __init__
      return new PyObject(args[0] instanceof Global ? args[0].full : String(args[0]), []);
  }
  // TorchScript's pickles (libtorch's own save format included) are libtorch's to load
  if (fn.module.startsWith('__torch__') || fn.module.startsWith('torch.jit')) throw new UnsupportedPickle(`an object of Python class ${fn.full}`);
  return new PyObject(fn.full, args);
}

function global(module: string, name: string): unknown {
  if (module === 'torch' && name in STORAGE_DTYPES) return new StorageType(STORAGE_DTYPES[name]!);
  if (module === 'torch' && name in TORCH_DTYPES) return TORCH_DTYPES[name]!;
  return new Global(module, name);
}

/** Bytes of the storage `key` holding `numel` elements of `dtype` (a flat tensor the loader owns). */
type StorageSource = (key: string, dtype: DType, numel: number) => Tensor;

/** Runs one pickle starting at `start`; returns its value and the offset after its STOP. */
function unpickle(p: Buffer, start: number, source: StorageSource | null): { value: unknown; end: number; made: Tensor[] } {
  const made: Tensor[] = [];
  try {
    return { ...run(p, start, source, made), made };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

function run(p: Buffer, start: number, source: StorageSource | null, made: Tensor[]): { value: unknown; end: number } {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const storages = new Map<string, Storage>();
  let i = start;
  const pop = (): unknown => {
    if (!stack.length) throw new UnsupportedPickle('a malformed pickle (stack underflow)');
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k] instanceof Mark) {
        const items = stack.slice(k + 1);
        stack.length = k;
        return items;
      }
    }
    throw new UnsupportedPickle('a malformed pickle (no MARK)');
  };
  const top = () => stack[stack.length - 1];
  const line = (): string => {
    const n = p.indexOf(0x0a, i);
    if (n < 0) throw new UnsupportedPickle('a truncated pickle');
    const s = p.toString('latin1', i, n);
    i = n + 1;
    return s;
  };
  const str = (len: number, enc: BufferEncoding = 'utf8') => {
    const s = p.toString(enc, i, i + len);
    i += len;
    return s;
  };
  const persistent = (pid: unknown): Storage => {
    // zip: ('storage', storage_type, key, location, numel); legacy adds view_metadata (None)
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !source) throw new UnsupportedPickle('a persistent id that is not a storage');
    const [, type, k, , numel, view] = pid as [string, StorageType, string, string, number, unknown];
    if (!(type instanceof StorageType)) throw new UnsupportedPickle('a storage of an unknown type');
    if (view !== undefined && view !== null) throw new UnsupportedPickle('a storage view (legacy format)');
    const name = key(k);
    let s = storages.get(name);
    if (!s) {
      const flat = source(name, type.dtype, num(numel));
      made.push(flat);
      s = new Storage(flat);
      storages.set(name, s);
    }
    return s;
  };
  while (i < p.length) {
    const op = p[i++]!;
    switch (op) {
      case 0x80: i += 1; break; // PROTO
      case 0x95: i += 8; break; // FRAME
      case 0x2e: return { value: pop(), end: i }; // STOP
      case 0x63: { const m = line(); stack.push(global(m, line())); break; } // GLOBAL
      case 0x93: { const n = pop() as string; stack.push(global(pop() as string, n)); break; } // STACK_GLOBAL
      case 0x58: stack.push(str(p.readUInt32LE((i += 4) - 4))); break; // BINUNICODE
      case 0x8c: stack.push(str(p[(i += 1) - 1]!)); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(Number(p.readBigUInt64LE((i += 8) - 8)))); break; // BINUNICODE8
      case 0x54: stack.push(str(p.readUInt32LE((i += 4) - 4), 'latin1')); break; // BINSTRING
      case 0x55: stack.push(str(p[(i += 1) - 1]!, 'latin1')); break; // SHORT_BINSTRING
      case 0x42: { const n = p.readUInt32LE(i); i += 4; stack.push(Buffer.from(p.subarray(i, i + n))); i += n; break; } // BINBYTES
      case 0x43: { const n = p[i]!; i += 1; stack.push(Buffer.from(p.subarray(i, i + n))); i += n; break; } // SHORT_BINBYTES
      case 0x4a: stack.push(p.readInt32LE(i)); i += 4; break; // BININT
      case 0x4b: stack.push(p[i]!); i += 1; break; // BININT1
      case 0x4d: stack.push(p.readUInt16LE(i)); i += 2; break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement
        const n = p[i]!;
        i += 1;
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(p[i + k]!);
        if (n > 0 && p[i + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        i += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(p.readDoubleBE(i)); i += 8; break; // BINFLOAT
      case 0x49: { const s = line(); stack.push(s === '01' ? true : s === '00' ? false : Number(s)); break; } // INT
      case 0x4c: stack.push(Number(line().replace(/L$/, ''))); break; // LONG
      case 0x46: stack.push(Number(line())); break; // FLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x7d: stack.push({}); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new Tuple()); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x28: stack.push(new Mark()); break; // MARK
      case 0x74: stack.push(Tuple.from(popMark())); break; // TUPLE
      case 0x85: stack.push(Tuple.of(pop())); break;
      case 0x86: { const b = pop(); stack.push(Tuple.of(pop(), b)); break; }
      case 0x87: { const c = pop(); const b = pop(); stack.push(Tuple.of(pop(), b, c)); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const items = popMark(); const d: Dict = {}; for (let k = 0; k < items.length; k += 2) d[key(items[k])] = items[k + 1]; stack.push(d); break; } // DICT
      case 0x91: stack.push(popMark()); break; // FROZENSET
      case 0x71: memo.set(p[i]!, top()); i += 1; break; // BINPUT
      case 0x72: memo.set(p.readUInt32LE(i), top()); i += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memo.get(p[i]!)); i += 1; break; // BINGET
      case 0x6a: stack.push(memo.get(p.readUInt32LE(i))); i += 4; break; // LONG_BINGET
      case 0x52: { const args = pop() as unknown[]; stack.push(call(pop(), [...args], made)); break; } // REDUCE
      case 0x81: { const args = pop() as unknown[]; stack.push(call(pop(), [...args], made)); break; } // NEWOBJ
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x62: { // BUILD: kept for objects of other classes; dropped for OrderedDicts (_metadata) and tensors
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); (top() as Dict)[key(k)] = v; break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        if (!isDict(d)) throw new UnsupportedPickle('SETITEMS on a non-dict');
        for (let k = 0; k < items.length; k += 2) d[key(items[k])] = items[k + 1];
        break;
      }
      case 0x61: { const v = pop(); (top() as unknown[]).push(v); break; } // APPEND
      case 0x65: case 0x90: { const items = popMark(); (top() as unknown[]).push(...items); break; } // APPENDS ADDITEMS
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        throw new UnsupportedPickle(`pickle opcode 0x${op.toString(16)}`);
    }
  }
  throw new UnsupportedPickle('a pickle without STOP');
}

function finish(v: unknown, seen: Set<unknown> = new Set()): Loaded {
  if (v instanceof Tensor || v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (seen.has(v)) return null; // a reference cycle (objects pointing back at their parents)
  if (Array.isArray(v) || isDict(v) || v instanceof PyObject) seen.add(v);
  try {
    if (Array.isArray(v)) return Array.from(v, (x) => finish(x, seen));
    if (isDict(v)) {
      const o: Record<string, Loaded> = {};
      for (const [k, x] of Object.entries(v)) o[k] = finish(x, seen);
      return o;
    }
    if (v instanceof PyObject) {
      const o: Record<string, Loaded> = { __python_class__: v.cls };
      if (v.args.length) o.args = finish([...v.args], seen);
      if (v.state !== undefined) o.state = finish(v.state, seen);
      return o;
    }
  } finally {
    seen.delete(v);
  }
  if (v instanceof Global) return v.full;
  if (v instanceof Storage) throw new UnsupportedPickle('a bare storage');
  if (Buffer.isBuffer(v)) throw new UnsupportedPickle('a bytes object');
  throw new UnsupportedPickle('an unsupported value');
}

/** True when the bytes look like a torch.save zip archive. */
export function isZipArchive(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/** A flat tensor copied from `bytes` (which must hold at least numel elements). */
function flatTensor(bytes: Uint8Array | undefined, what: string, dtype: DType, numel: number): Tensor {
  if (!bytes) throw new UnsupportedPickle(`a missing storage ${what}`);
  const need = numel * ELEMENT_SIZE[dtype];
  if (bytes.length < need) throw new UnsupportedPickle(`a truncated storage ${what}`);
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(0, need));
  return new Tensor(native.fromBuffer(copy, dtypeCode(dtype), [numel]));
}

/** The loaded value with the flat storages disposed (the views built on them keep the memory alive). */
function settle(r: { value: unknown; made: Tensor[] }): Loaded {
  try {
    const v = finish(r.value);
    const keepSet = new Set<Tensor>();
    const walk = (x: Loaded) => {
      if (x instanceof Tensor) keepSet.add(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') Object.values(x).forEach(walk);
    };
    walk(v);
    for (const t of r.made) if (!keepSet.has(t)) t.dispose();
    return v;
  } catch (e) {
    for (const t of r.made) t.dispose();
    throw e;
  }
}

/** Loads a torch.save zip archive; throws UnsupportedPickle for content it cannot represent. */
export function loadTorchArchive(buf: Buffer): Loaded {
  const entries = readZip(buf);
  if (!entries) throw new UnsupportedPickle('a zip archive this reader does not understand');
  const records = new Map(entries.map((e) => [e.name.toString('utf8'), e.data]));
  const pkl = [...records.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new UnsupportedPickle('an archive without data.pkl');
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const source: StorageSource = (k, dtype, numel) => flatTensor(records.get(`${prefix}data/${k}`), `record data/${k}`, dtype, numel);
  return settle(unpickle(records.get(pkl)!, 0, source));
}

// torch.save's legacy format (_use_new_zipfile_serialization=False, and every file saved before
// PyTorch 1.6): pickles of the magic number, the protocol version and system info, the value
// (tensors referring to storages by key), the list of storage keys, then each storage's bytes
// (an int64 element count and the raw little-endian data) in that order.
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** True when the bytes start like a legacy torch.save file (a pickle of the magic number). */
export function isLegacyTorchFile(buf: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes: 6c fc 9c 46 f9 20 6a a8 50 19
  const head = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return buf.length > head.length && head.every((b, k) => buf[k] === b);
}

/** Loads a legacy-format torch.save file; throws UnsupportedPickle for content it cannot represent. */
export function loadLegacyTorchFile(buf: Buffer): Loaded {
  const magic = unpickle(buf, 0, null);
  if (magic.value !== LEGACY_MAGIC) throw new UnsupportedPickle('a file without the torch.save magic number');
  const proto = unpickle(buf, magic.end, null);
  if (proto.value !== 1001) throw new UnsupportedPickle(`legacy protocol version ${String(proto.value)}`);
  const info = unpickle(buf, proto.end, null);
  if (isDict(info.value) && info.value.little_endian === false) throw new UnsupportedPickle('a big-endian file');
  const start = info.end;
  // the storages follow the value: a first pass over the value (on uninitialised storages) finds where
  const shapes = new Map<string, { dtype: DType; numel: number }>();
  const dry = unpickle(buf, start, (k, dtype, numel) => {
    shapes.set(k, { dtype, numel });
    return new Tensor(native.empty([numel], dtypeCode(dtype)));
  });
  for (const t of dry.made) t.dispose();
  const keys = unpickle(buf, dry.end, null);
  if (!Array.isArray(keys.value)) throw new UnsupportedPickle('a legacy file without its storage key list');
  const data = new Map<string, Uint8Array>();
  let off = keys.end;
  for (const k of keys.value as unknown[]) {
    const name = key(k);
    const shape = shapes.get(name);
    if (!shape || off + 8 > buf.length) throw new UnsupportedPickle(`a truncated storage ${name}`);
    const n = Number(buf.readBigInt64LE(off));
    const bytes = n * ELEMENT_SIZE[shape.dtype];
    data.set(name, buf.subarray(off + 8, off + 8 + bytes));
    off += 8 + bytes;
  }
  return settle(unpickle(buf, start, (k, dtype, numel) => flatTensor(data.get(k), k, dtype, numel)));
}
