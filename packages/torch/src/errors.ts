/**
 * The errors @copper/torch throws. Every one is a `TorchError` (catch that to handle any of them);
 * the subclasses say what went wrong:
 *
 *   try { a.matmul(b); } catch (e) { if (e instanceof torch.ShapeError) ... }
 *
 * libtorch's own errors (c10::Error) arrive as one of these with libtorch's message, without a
 * backtrace and without a doubled "Error: " prefix. Argument checks done in JavaScript keep
 * throwing the standard `TypeError`/`RangeError` where JavaScript itself would.
 */

/** Base class of every error from @copper/torch and libtorch. */
export class TorchError extends Error {
  override name = 'TorchError';
}

/** Tensor shapes or sizes that do not fit (matmul operands, conv channels, state dict tensors). */
export class ShapeError extends TorchError {
  override name = 'ShapeError';
}

/** A tensor of the wrong dtype for an op (`expected scalar type Float but found Double`). */
export class DTypeError extends TorchError {
  override name = 'DTypeError';
}

/** An index out of range (libtorch's c10::IndexError). */
export class IndexError extends TorchError {
  override name = 'IndexError';
}

/** A bad argument the binding detected (unknown mode, an op without an in-place form, ...). */
export class ArgumentError extends TorchError {
  override name = 'ArgumentError';
}

/** libtorch could not allocate memory. */
export class OutOfMemoryError extends TorchError {
  override name = 'OutOfMemoryError';
}

/**
 * The native addon is missing, fails to load, or is older than this package's JavaScript. Its
 * `code` (ERR_COPPER_TORCH_NATIVE) lets command-line tools print the one-line message without a
 * trace.
 */
export class NativeNotBuiltError extends TorchError {
  override name = 'NativeNotBuiltError';
  readonly code = 'ERR_COPPER_TORCH_NATIVE';
}

/** loadStateDict(): keys missing from or unexpected in the state dict. */
export class StateDictError extends TorchError {
  override name = 'StateDictError';
  constructor(message: string, readonly missingKeys: string[] = [], readonly unexpectedKeys: string[] = []) {
    super(message);
  }
}

/** save()/load(): a file that cannot be written, read, or understood. */
export class SerializationError extends TorchError {
  override name = 'SerializationError';
}

/**
 * torch.distributed: no backend in this build, a missing torchrun variable, a rendezvous that timed
 * out, or a collective that failed because a peer died or did not answer within the timeout.
 */
export class DistributedError extends TorchError {
  override name = 'DistributedError';
}

/** A tensor used after dispose(). */
export class DisposedTensorError extends TorchError {
  override name = 'DisposedTensorError';
}

const DTYPE = /scalar ?type|\bdtype\b|not implemented for '\w+'|expected .*\b(Float|Double|Long|Int|Half|BFloat16|Byte|Bool|Char|Short)\b.*\bfound\b/i;
const SHAPE =
  /\bshapes?\b|size mismatch|must match the size|cannot be multiplied|\bdimensions?\b|\bdims?\b|\d-?D (input|tensor)|to have \d+ channels|invalid for input of size|cannot be broadcast|expanded size|sizes? of tensors? must match|\bsize\b.*\bexpected\b|\bexpected\b.*\bsize\b/i;

/**
 * The error for a native failure of `kind` (from src/native/common.h's Guarded) and libtorch's
 * message: libtorch raises most failures as a plain c10::Error, so shape and dtype problems are
 * recognised from the message.
 */
export function nativeError(kind: string, message: string): TorchError {
  switch (kind) {
    case 'index':
      return new IndexError(message);
    case 'argument':
      return new ArgumentError(message);
    case 'outOfMemory':
      return new OutOfMemoryError(message);
    case 'disposed':
      return new DisposedTensorError(message);
    case 'distributed':
      return new DistributedError(message);
  }
  if (DTYPE.test(message)) return new DTypeError(message);
  if (SHAPE.test(message)) return new ShapeError(message);
  return new TorchError(message);
}
