/**
 * Connect and read timeouts of a remote, from DVC's remote options, so that no remote operation
 * waits forever on a link that stopped answering. The same values configure the backend's own
 * client (sockets, SDK) and the deadlines retry.ts puts on every attempt.
 *
 * Options (seconds; 0 switches the limit off):
 *   - connect: `connect_timeout` (s3, http), `connection_timeout` (azure), `timeout` (ssh, webdav)
 *   - read, the longest wait for an answer or for the next bytes of a transfer: `read_timeout`
 *     (s3, http, azure), `timeout` (webdav)
 * gs, webhdfs and ssh have no read timeout option in DVC's schema: the default applies (the
 * backends still honour `connect_timeout`/`read_timeout` given by a program, as the tests do).
 */
import type http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { optNum, type RemoteOptions } from './remote-errors.js';

/** Seconds to get connected when the remote sets no connect timeout. */
export const DEFAULT_CONNECT_TIMEOUT_S = 15;
/** Seconds without an answer or a byte when the remote sets no read timeout. */
export const DEFAULT_READ_TIMEOUT_S = 60;

export interface Timeouts {
  /** undefined: no limit. */
  connectMs: number | undefined;
  readMs: number | undefined;
}

function ms(v: number | undefined, dflt: number): number | undefined {
  const s = v ?? dflt;
  return s > 0 ? Math.round(s * 1000) : undefined;
}

export function remoteTimeouts(scheme: string, o: RemoteOptions): Timeouts {
  const s = scheme.toLowerCase();
  const webdav = s === 'webdav' || s === 'webdavs';
  const connect = optNum(o.connect_timeout) ?? optNum(o.connection_timeout) ?? (webdav || s === 'ssh' ? optNum(o.timeout) : undefined);
  const read = optNum(o.read_timeout) ?? (webdav ? optNum(o.timeout) : undefined);
  return { connectMs: ms(connect, DEFAULT_CONNECT_TIMEOUT_S), readMs: ms(read, DEFAULT_READ_TIMEOUT_S) };
}

/**
 * `agent` with its sockets bounded in time: one that is not connected within the connect timeout,
 * or stays idle (no byte either way) for the read timeout while in use, is destroyed with an
 * ETIMEDOUT error (transient: retry.ts tries again). For the clients that take a node agent.
 */
export function guardAgent<A extends http.Agent>(agent: A, t: Timeouts): A {
  const a = agent as unknown as { createConnection: (o: unknown, cb?: unknown) => net.Socket | undefined };
  const create = a.createConnection.bind(agent);
  a.createConnection = (options: unknown, cb?: unknown) => {
    const sock = create(options, cb);
    if (sock) guardSocket(sock, t);
    return sock;
  };
  return agent;
}

function guardSocket(sock: net.Socket, t: Timeouts): void {
  const fail = (what: string, ms: number) =>
    sock.destroy(Object.assign(new Error(`${what} within ${ms / 1000} s (timed out)`), { code: 'ETIMEDOUT' }));
  const idle = () => {
    sock.setTimeout(t.readMs ?? 0);
    sock.removeListener('timeout', onConnectTimeout);
    if (t.readMs !== undefined) sock.on('timeout', () => fail('no answer', t.readMs!));
  };
  const onConnectTimeout = () => fail('not connected', t.connectMs!);
  if (t.connectMs !== undefined && sock.connecting) {
    sock.setTimeout(t.connectMs);
    sock.once('timeout', onConnectTimeout);
    sock.once(sock instanceof tls.TLSSocket ? 'secureConnect' : 'connect', idle);
  } else idle();
  // A keep-alive socket idle in the pool for as long is closed too (servers close theirs).
}
