/**
 * Error helpers shared by the remote backends: the ENOENT error `read` rejects with, the one-line
 * RemoteError a user sees, and the test for "transient" failures that retry.ts retries.
 */
import { Transform, type Readable } from 'node:stream';
import { RemoteError } from '../errors.js';

/** The error `read` rejects with for a missing file (code 'ENOENT', like node:fs). */
export function notFoundError(url: string, path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${joinUrl(url, path)}: no such file`);
  e.code = 'ENOENT';
  return e;
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export function joinUrl(url: string, path: string): string {
  if (!path) return url;
  return url.endsWith('/') ? url + path : `${url}/${path}`;
}

/** A RemoteError whose message is one line, keeping the original error as `cause`. */
export function remoteError(message: string, cause?: unknown): RemoteError {
  return new RemoteError(oneLine(message), cause === undefined ? undefined : { cause });
}

export function oneLine(s: string): string {
  const t = s.replace(/\s*\n\s*/g, ' ').trim();
  return t.length > 400 ? `${t.slice(0, 397)}...` : t;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'REQUEST_SEND_ERROR', // @azure/core-rest-pipeline: the request never got an answer
]);
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'InternalError',
  'ServiceUnavailable',
  'ServerBusy',
  'OperationTimedOut',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The network error code (ECONNREFUSED, ENOTFOUND...) behind an SDK error, if that is what it is. */
export function networkCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x && depth < 6; x = (x as { cause?: unknown }).cause, depth++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === 'string' && NETWORK_CODES.has(c)) return c;
    const errs = (x as { errors?: unknown }).errors;
    if (Array.isArray(errs)) for (const sub of errs) {
      const sc = (sub as { code?: unknown })?.code;
      if (typeof sc === 'string' && NETWORK_CODES.has(sc)) return sc;
    }
  }
  return undefined;
}

/** A network error code as a user reads it: ETIMEDOUT says that it timed out. */
export function netWords(code: string): string {
  return code === 'ETIMEDOUT' ? 'timed out: no answer in time, ETIMEDOUT' : code;
}

/** The HTTP status an SDK error carries, whatever the SDK. */
export function httpStatus(e: unknown): number | undefined {
  const x = e as Record<string, unknown> | undefined;
  if (!x || typeof x !== 'object') return undefined;
  const meta = x.$metadata as { httpStatusCode?: number } | undefined;
  for (const v of [meta?.httpStatusCode, x.statusCode, x.status, (x.response as { status?: number } | undefined)?.status]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  // @google-cloud/storage's ApiError carries the status as a numeric `code`.
  if (typeof x.code === 'number' && x.code >= 100 && x.code < 600) return x.code;
  return undefined;
}

/**
 * True for failures worth trying again: 5xx, 408, 429, reset/refused/timed-out connections.
 * Never for 4xx answers (auth, not found, bad request) nor for local errors. Looks through `cause`.
 */
export function isTransient(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 6; x = (x as { cause?: unknown }).cause, depth++) {
    const status = httpStatus(x);
    if (status !== undefined) return status >= 500 || status === 408 || status === 429;
    const err = x as { code?: unknown; name?: unknown; errno?: unknown; transient?: unknown };
    if (err.transient === true) return true;
    if (typeof err.code === 'string' && TRANSIENT_CODES.has(err.code)) return true;
    if (typeof err.name === 'string' && TRANSIENT_NAMES.has(err.name)) return true;
  }
  return false;
}

/** A remote's config options (strings from the config file, or coerced booleans/numbers). */
export type RemoteOptions = Record<string, string | number | boolean | undefined>;

export function optBool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(s)) return true;
  if (['false', 'no', '0', 'off'].includes(s)) return false;
  return dflt;
}

export function optStr(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

export function optNum(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `data` passed through unchanged, failing if it turns out longer or shorter than `size` (a file
 * that changed while it was sent): the upload is then aborted at once instead of the server
 * waiting for bytes that never come, and nothing is stored.
 */
export function sizeChecked(data: Readable, size: number, what: string): Readable {
  let n = 0;
  // The latest chunk is held back until the next one comes or the source ends: the server never
  // has the whole declared length before the source is known to be exactly that long.
  let held: Buffer | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > size) return cb(new Error(`${what}: the source has more than its ${size} bytes`));
      const prev = held;
      held = chunk;
      cb(null, prev);
    },
    flush(cb) {
      if (n !== size) return cb(new Error(`${what}: the source ended after ${n} of its ${size} bytes`));
      cb(null, held);
    },
  });
  data.once('error', (e) => out.destroy(e));
  // The error is kept on the stream (`errored`) for whoever consumes it; never an uncaught event.
  out.on('error', () => {});
  return data.pipe(out);
}
