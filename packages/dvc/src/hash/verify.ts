/**
 * Checking a cache object against its name while its bytes pass through once (upload, copy to
 * the workspace, `dvc cache check`): a corrupt object is never spread under the name it claims.
 *
 *  - `objectHasher` hashes incrementally with the object's hash (md5, or DVC 2's md5-dos2unix);
 *  - `CorruptObjectError` (code ECORRUPT) names the object and what its bytes hash to;
 *  - `VerifiedFileStream` reads a cache object for an upload, hashing as it goes, and holds the
 *    last chunk back until the hash matched: a mismatch ends the stream with an error before the
 *    last byte leaves, so no backend can complete the upload (a sized PUT lacks a byte, a
 *    multipart upload is aborted, a temp file is never renamed).
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { HashName } from './md5.js';

export { CorruptObjectError, isCorrupt, objectHasher, type ObjectHasher } from './object-check.js';
import { CorruptObjectError, objectHasher, type ObjectHasher } from './object-check.js';

/**
 * The bytes of cache object `oid` at `path`, checked on the way: the stream errors with
 * CorruptObjectError instead of delivering its last chunk when they do not hash to `oid`.
 * `reopen()` gives a fresh stream for a retried upload (none once corruption was seen).
 */
export class VerifiedFileStream extends Readable {
  /** Set when the bytes were found not to match (then the stream errored). */
  corrupt?: CorruptObjectError;
  private src?: ReadStream;
  private hasher: ObjectHasher;
  private held?: Buffer;

  constructor(
    readonly path: string,
    readonly oid: string,
    readonly hashName: HashName = 'md5',
  ) {
    super({ highWaterMark: 1 << 16 });
    this.hasher = objectHasher(hashName);
  }

  override _construct(cb: (e?: Error | null) => void): void {
    const src = createReadStream(this.path, { highWaterMark: 1 << 16 });
    this.src = src;
    src.on('data', (c) => {
      const b = c as Buffer;
      this.hasher.update(b);
      const prev = this.held;
      this.held = b;
      if (prev && !this.push(prev)) src.pause();
    });
    src.on('end', () => {
      const md5 = this.hasher.digest();
      if (md5 !== this.oid.slice(0, 32)) {
        this.corrupt = new CorruptObjectError(this.oid, md5, this.path);
        this.destroy(this.corrupt);
        return;
      }
      if (this.held) this.push(this.held);
      this.held = undefined;
      this.push(null);
    });
    src.on('error', (e) => this.destroy(e));
    src.pause();
    cb();
  }

  override _read(): void {
    this.src?.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.src && !this.src.destroyed) this.src.destroy();
    cb(err);
  }

  /** The same object read again from the start (for a retry); undefined once found corrupt. */
  reopen(): VerifiedFileStream | undefined {
    if (this.corrupt) return undefined;
    this.destroy();
    return new VerifiedFileStream(this.path, this.oid, this.hashName);
  }
}
