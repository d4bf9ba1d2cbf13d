/**
 * save/load in PyTorch's own file format (libtorch's pickle_save/pickle_load): what `save` writes,
 * Python's `torch.load` reads, and files from Python's `torch.save` (default zip format) load here.
 * Values: Tensor, number, string, boolean, null, arrays and plain objects of them (a state dict, an
 * optimizer state dict, a checkpoint { model, optimizer, epoch }).
 */
import { SerializationError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { types } from 'node:util';
import { native, type Handle } from '../native.js';
import { isLegacyTorchFile, isZipArchive, loadLegacyTorchFile, loadTorchArchive, UnsupportedPickle } from './python-pickle.js';
import { Tensor } from '../tensor.js';

export type Saveable = Tensor | number | string | boolean | null | readonly Saveable[] | { readonly [k: string]: Saveable };
export type Loaded = Tensor | number | string | boolean | null | Loaded[] | { [k: string]: Loaded };

function toNative(v: unknown, depth: number): unknown {
  if (depth > 64) throw new SerializationError('save: value is nested too deeply');
  if (v instanceof Tensor) return v.handle;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v ?? null;
  if (Array.isArray(v)) return v.map((x) => toNative(x, depth + 1));
  if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toNative(x, depth + 1);
    return o;
  }
  throw new TypeError(`save: cannot store a ${(v as object).constructor?.name ?? typeof v} (save tensors, numbers, strings, booleans, null, arrays and plain objects)`);
}

function fromNative(v: unknown): Loaded {
  if (types.isExternal(v)) return new Tensor(v as Handle);
  if (Array.isArray(v)) return v.map(fromNative);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, Loaded> = {};
    for (const [k, x] of Object.entries(v)) o[k] = fromNative(x);
    return o;
  }
  return v as Loaded;
}

/** The bytes of a torch.save-compatible file holding `value`. */
export function serialize(value: Saveable | object): Buffer {
  return native.pickleSave(toNative(value, 0));
}

/**
 * Reads bytes written by serialize()/save() or by Python's torch.save (zip format, including state
 * dicts saved as OrderedDict, which libtorch 1.13's own reader rejects, and the legacy format of
 * files saved before PyTorch 1.6 or with _use_new_zipfile_serialization=False).
 */
export function deserialize(data: Uint8Array): Loaded {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isZipArchive(buf)) {
    try {
      return loadTorchArchive(buf);
    } catch (e) {
      if (!(e instanceof UnsupportedPickle)) throw e;
      try {
        return fromNative(native.pickleLoad(buf));
      } catch {
        throw new SerializationError(`it holds ${e.message}`);
      }
    }
  }
  if (isLegacyTorchFile(buf)) {
    try {
      return loadLegacyTorchFile(buf);
    } catch (e) {
      if (e instanceof UnsupportedPickle) throw new SerializationError(`it is in torch.save's legacy format and holds ${e.message}`);
      throw e;
    }
  }
  return fromNative(native.pickleLoad(buf));
}

/** Writes `value` to `path` atomically (a temporary file, then rename). */
export function save(value: Saveable | object, path: string): void {
  const bytes = serialize(value);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw new SerializationError(`save: cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Loads a file written by save() or by Python's torch.save. */
export function load(path: string): Loaded {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw new SerializationError(`load: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return deserialize(data);
  } catch (e) {
    throw new SerializationError(`load: ${path} is not a PyTorch file libtorch can read (${(e as Error).message.split('\n')[0]})`);
  }
}
