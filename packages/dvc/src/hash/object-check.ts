/**
 * Checking bytes against the object id they claim (see verify.ts): the hasher and the error, in a
 * module of their own so that copying files (fs/local.ts) needs neither streams nor crypto loaded
 * until it hashes something.
 */
import { createHash } from './crypto.js';
import { Dos2UnixMd5, type HashName } from './md5.js';

export interface ObjectHasher {
  update(data: Uint8Array): unknown;
  /** Hex digest (call once). */
  digest(): string;
}

export function objectHasher(name: HashName = 'md5'): ObjectHasher {
  if (name === 'md5-dos2unix') return new Dos2UnixMd5();
  const h = createHash('md5');
  return { update: (d) => h.update(d), digest: () => h.digest('hex') };
}

/** A cache object whose bytes do not hash to its name (a flipped bit, a cut-short file). */
export class CorruptObjectError extends Error {
  readonly code = 'ECORRUPT';
  constructor(
    readonly oid: string,
    /** What the bytes hash to. */
    readonly actual: string,
    readonly path?: string,
  ) {
    super(`cache object '${oid}' is corrupted (its content hashes to ${actual})`);
    this.name = 'CorruptObjectError';
  }
}

export function isCorrupt(e: unknown): e is { code: 'ECORRUPT'; oid?: string; actual?: string } {
  for (let x = e, depth = 0; x && depth < 6; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { code?: unknown }).code === 'ECORRUPT') return true;
  }
  return false;
}
