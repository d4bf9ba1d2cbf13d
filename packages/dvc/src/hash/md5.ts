/**
 * md5 of file contents, streamed with a fixed buffer so memory stays bounded whatever the file
 * size. DVC 3's `hash: md5` is the md5 of the raw bytes (no CRLF normalisation). Outputs of DVC 2
 * `.dvc` files (no `hash:` line) use DVC's legacy `md5-dos2unix` instead: see `Dos2UnixMd5`.
 */
import { createHash } from './crypto.js';
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

/** The hash names DVC 3 uses for outputs in a repository. */
export type HashName = 'md5' | 'md5-dos2unix';

/** How many leading bytes of a block decide whether it is text (DVC's `istextblock`). */
export const TEXT_PROBE = 512;

/** Bytes DVC counts as text: printable ASCII and \n \r \t \f \b. */
const TEXT_BYTE = new Uint8Array(256);
for (let c = 32; c < 127; c++) TEXT_BYTE[c] = 1;
for (const c of [10, 13, 9, 12, 8]) TEXT_BYTE[c] = 1;

/**
 * DVC's text heuristic: empty is text; a NUL byte means binary; otherwise text when at most 30%
 * of the bytes are outside the text set.
 */
export function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nontext = 0;
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (c === 0) return false;
    if (!TEXT_BYTE[c]) nontext++;
  }
  return nontext / block.length <= 0.3;
}

/** `data` with every CRLF turned into LF (a new buffer only when there is one). */
function dos2unix(data: Buffer): Buffer {
  let i = data.indexOf(CRLF);
  if (i < 0) return data;
  const parts: Buffer[] = [];
  let start = 0;
  while (i >= 0) {
    parts.push(data.subarray(start, i));
    start = i + 1; // keep the LF
    i = data.indexOf(CRLF, start);
  }
  parts.push(data.subarray(start));
  return Buffer.concat(parts);
}
const CRLF = Buffer.from('\r\n');

/**
 * The legacy `md5-dos2unix` hash of DVC 2 outputs, computed as DVC 3 (dvc-data) does: the data is
 * read in 1 MiB blocks; a block whose first 512 bytes look like text is hashed with its CRLFs
 * turned into LFs, any other block as is. Feed it bytes in chunks of any size.
 */
export class Dos2UnixMd5 {
  private h = createHash('md5');
  /** The block being filled (bytes are copied: callers may reuse their buffers). */
  private buf: Buffer | undefined;
  private fill = 0;
  /** Raw bytes fed so far. */
  size = 0;

  update(data: Uint8Array): this {
    let src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.size += src.length;
    while (src.length) {
      if (this.fill === 0 && src.length >= CHUNK) {
        // A whole block straight from the caller's bytes.
        this.hashBlock(src.subarray(0, CHUNK));
        src = src.subarray(CHUNK);
        continue;
      }
      const b = (this.buf ??= Buffer.allocUnsafe(CHUNK));
      const n = src.copy(b, this.fill, 0, Math.min(CHUNK - this.fill, src.length));
      this.fill += n;
      src = src.subarray(n);
      if (this.fill === CHUNK) {
        this.hashBlock(b);
        this.fill = 0;
      }
    }
    return this;
  }

  private hashBlock(b: Buffer): void {
    this.h.update(isTextBlock(b.subarray(0, TEXT_PROBE)) ? dos2unix(b) : b);
  }

  digest(): string {
    if (this.fill) this.hashBlock(this.buf!.subarray(0, this.fill));
    this.fill = 0;
    return this.h.digest('hex');
  }
}

/** `md5-dos2unix` of bytes in memory. */
export function md5Dos2UnixBytes(data: Uint8Array | string): string {
  return new Dos2UnixMd5().update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest();
}

/** `md5-dos2unix` of a file (size: its raw size). */
export function md5Dos2UnixFileSync(path: string): { md5: string; size: number } {
  const buf = Buffer.allocUnsafe(CHUNK);
  const h = new Dos2UnixMd5();
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { md5: h.digest(), size: h.size };
}

/** The file hash function for a hash name. */
export function fileHasher(name: HashName): (path: string) => { md5: string; size: number } {
  return name === 'md5-dos2unix' ? md5Dos2UnixFileSync : md5FileSync;
}

/** The bytes hash function for a hash name. */
export function bytesHasher(name: HashName): (data: Uint8Array | string) => string {
  return name === 'md5-dos2unix' ? md5Dos2UnixBytes : md5Bytes;
}
