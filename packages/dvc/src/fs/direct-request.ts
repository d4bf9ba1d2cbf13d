/**
 * One HTTP request on a keep-alive agent, for the backends' fast paths (azure-direct.ts,
 * gs-direct.ts, s3-direct.ts's PUT): resolves with the answer's head (the body unread, streamed to
 * the caller), rejects with the socket's error before an answer. With `timeoutMs`, a socket silent
 * that long (no answer, or no bytes of it) is destroyed with an ETIMEDOUT error (before the
 * answer: the request's; after it: the body stream's). A socket fails under a failing upload: the
 * answer's body carries the error. A bodiless request (GET, HEAD, DELETE) that finds its reused keep-alive socket
 * already closed by the server (its idle timeout ran out while the event loop was busy: ECONNRESET
 * or EPIPE before any answer, `reusedSocket`) is sent once more on a fresh socket, as HTTP clients
 * do; every other failure is the caller's (retry.ts) to retry.
 */
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Timeouts } from './timeouts.js';

export type RequestFn = typeof http.request;

const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export function directRequest(send: RequestFn, options: http.RequestOptions, body?: Readable, timeoutMs?: number): Promise<http.IncomingMessage> {
  const opts = timeoutMs === undefined ? options : { ...options, timeout: timeoutMs };
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const attempt = (again: boolean) => {
      const req = send(opts);
      let answered = false;
      if (timeoutMs !== undefined) {
        req.once('timeout', () =>
          req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s (timed out)`), { code: 'ETIMEDOUT' })),
        );
      }
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (answered) return;
        if (!body && again && req.reusedSocket && typeof e.code === 'string' && STALE.has(e.code)) attempt(false);
        else reject(e);
      });
      req.once('response', (res) => {
        answered = true;
        req.on('error', (e) => {
          if (!res.complete) res.destroy(e);
        });
        // An answer before the whole upload was sent (an error): the connection is not reused.
        if (body && !req.writableFinished) res.once('end', () => req.destroy());
        resolve(res);
      });
      if (body) {
        body.once('error', (e) => req.destroy(e));
        body.pipe(req);
      } else req.end();
    };
    attempt(true);
  });
}

/**
 * True when the environment names an HTTP proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, any case):
 * the Azure and GCS SDKs send their requests through it (NO_PROXY aside), so their fast paths step
 * aside and leave every request to the SDK.
 */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].some((k) => !!env[k]);
}

/**
 * The socket limits of a fast path's agent: the remote's connect timeout, and as the longest
 * silence on a socket in use its connect + read timeout, the time retry.ts gives a request to be
 * answered once its upload was all sent (a server may take a while to store a large body before it
 * answers). retry.ts's own deadlines (an answer within connect + read timeout, a download that
 * stalls for the read timeout) decide an attempt; this only frees the socket of one given up.
 */
export function socketLimits(t: Timeouts): Timeouts {
  return { connectMs: t.connectMs, readMs: t.readMs === undefined ? undefined : t.readMs + (t.connectMs ?? 0) };
}

/** Reads a (small) error body as text; gives up quietly on a broken one. */
export function errorBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (s.length < 64 * 1024) s += c;
    });
    res.once('end', () => resolve(s));
    res.once('error', () => resolve(s));
    res.once('aborted', () => resolve(s));
  });
}
