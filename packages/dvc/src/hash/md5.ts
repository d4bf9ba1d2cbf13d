/**
 * md5 of file contents, streamed with a fixed buffer so memory stays bounded whatever the file
 * size. DVC 3's `hash: md5` is the md5 of the raw bytes (no CRLF normalisation).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, createReadStream } from 'node:fs';

export const MD5_RE = /^[0-9a-f]{32}$/;
/** An object id: 32 lowercase hex digits, `.dir` suffix for directory manifests. */
export const OID_RE = /^[0-9a-f]{32}(\.dir)?$/;

const CHUNK = 1 << 20;
let sharedBuf: Buffer | undefined;

export function md5Bytes(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Synchronous streaming md5 of a file (used inside hashing workers). */
export function md5FileSync(path: string): { md5: string; size: number } {
  const buf = (sharedBuf ??= Buffer.allocUnsafe(CHUNK));
  const h = createHash('md5');
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n <= 0) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { md5: h.digest('hex'), size };
}

/** Asynchronous streaming md5 of a file. */
export function md5File(path: string): Promise<{ md5: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    let size = 0;
    createReadStream(path, { highWaterMark: CHUNK })
      .on('data', (c) => {
        size += (c as Buffer).length;
        h.update(c as Buffer);
      })
      .on('error', reject)
      .on('end', () => resolve({ md5: h.digest('hex'), size }));
  });
}
