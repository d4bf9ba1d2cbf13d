/**
 * A fault-injecting proxy on 127.0.0.1, in front of a real test server, for the remote fault
 * tests (fault-contract.ts). Two kinds:
 *
 *  - `httpFaultProxy(target)`: an HTTP/1.1 proxy that forwards each request as it came (same
 *    method, path and headers, Host included, so signed requests still verify) and, for the
 *    requests its plan picks, answers 500, resets the connection, cuts the response body half-way,
 *    stalls (no answer; the body stops after its first bytes; or it stops reading an upload), or
 *    delays; or, only when a plan names it, answers as S3 does for a bucket of another region
 *    (`status301`). `requests` keeps the method, URL and headers of every request seen.
 *  - `tcpFaultProxy(target)`: a TCP relay (SSH) that, for the connections its plan picks, resets
 *    them, stalls them (bytes stop flowing both ways after a few exchanges), or never answers.
 *
 * Which requests fail is decided by a seeded generator, so a run repeats exactly; `plan.script`
 * lists faults for the first requests instead. Bounded: at most `maxFaults` faults (after that
 * everything passes), a stalled connection is dropped after `stallMs`, and `close()` ends every
 * connection at once.
 */
import { createServer as createHttpServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type HttpFault = 'status500' | 'reset' | 'cut' | 'stall' | 'stallBody' | 'stallUpload' | 'delay' | 'status301';
export type TcpFault = 'reset' | 'stall' | 'blackhole' | 'delay';

export interface FaultPlan<F extends string> {
  /** Seed of the generator that picks the faulty requests (default 1). */
  seed?: number;
  /** Share of requests (HTTP) or connections (TCP) that get a fault, 0..1 (default 0). */
  rate?: number;
  /** The faults to pick from, evenly (default: all of the kind's). */
  faults?: F[];
  /** Faults for the first requests/connections in order (undefined: none), before `rate` applies. */
  script?: (F | undefined)[];
  /** Only requests for which this is true may get a fault (HTTP; default all). */
  only?: (method: string, url: string) => boolean;
  /** Most faults in all (default 200); then everything passes. */
  maxFaults?: number;
  /** How long a stall holds a connection before dropping it (default 20 000 ms). */
  stallMs?: number;
  /** The `delay` fault's wait (default 300 ms). */
  delayMs?: number;
}

/** mulberry32: a small seeded generator, so the same seed picks the same requests. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

abstract class FaultProxy<F extends string> {
  /** Every fault applied, in order: `<fault> <method> <path>` (HTTP) or `<fault> conn#<n>` (TCP). */
  readonly log: string[] = [];
  /** Requests (HTTP) or connections (TCP) seen. */
  seen = 0;
  /** Of those, the ones the plan's `only` let through. */
  private eligible = 0;
  protected plan: FaultPlan<F> = {};
  private random = generator(1);
  private faultsLeft = 0;
  protected readonly sockets = new Set<Socket>();
  protected readonly timers = new Set<NodeJS.Timeout>();
  protected abstract readonly server: Server;
  protected abstract readonly allFaults: F[];
  port = 0;

  /** Replaces the plan (and restarts its generator, its fault budget, `log` and `seen`). */
  setPlan(plan: FaultPlan<F>): void {
    this.plan = plan;
    this.log.length = 0;
    this.seen = 0;
    this.eligible = 0;
    this.random = generator(plan.seed ?? 1);
    this.faultsLeft = plan.maxFaults ?? 200;
  }

  /** `host:port` of the proxy. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(plan: FaultPlan<F> = {}): Promise<this> {
    this.setPlan(plan);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The fault for the next request/connection, if any. */
  protected pick(eligible = true): F | undefined {
    this.seen++;
    // Requests the plan leaves alone do not advance its script nor its generator.
    if (!eligible) return undefined;
    const n = this.eligible++;
    const scripted = this.plan.script;
    let f: F | undefined;
    if (scripted && n < scripted.length) f = scripted[n];
    else {
      const r = this.random();
      const choice = this.random();
      if (r < (this.plan.rate ?? 0)) {
        const faults = this.plan.faults ?? this.allFaults;
        f = faults[Math.floor(choice * faults.length)];
      }
    }
    if (!f || this.faultsLeft <= 0) return undefined;
    this.faultsLeft--;
    return f;
  }

  protected later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  protected get stallMs(): number {
    return this.plan.stallMs ?? 20_000;
  }
}

export class HttpFaultProxy extends FaultProxy<HttpFault> {
  protected readonly allFaults: HttpFault[] = ['status500', 'reset', 'cut', 'stall', 'stallBody', 'stallUpload', 'delay'];
  protected readonly server = createHttpServer((req, res) => this.handle(req, res));
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** Every request seen, in order (cleared with `requests.length = 0`). */
  readonly requests: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];

  constructor(private readonly target: { host: string; port: number }) {
    super();
    this.server.keepAliveTimeout = 30_000;
  }

  override async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await super.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    this.requests.push({ method, url, headers: req.headers });
    const fault = this.pick(this.plan.only ? this.plan.only(method, url) : true);
    if (fault) this.log.push(`${fault} ${method} ${url}`);
    const sock = req.socket;
    switch (fault) {
      case 'status301': {
        // S3's answer for a bucket in another region (the region named is the server's own).
        req.resume();
        const body =
          method === 'HEAD'
            ? ''
            : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>';
        res.writeHead(301, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-bucket-region': 'us-east-1', connection: 'close' });
        res.end(body);
        return;
      }
      case 'status500': {
        req.resume();
        const body = method === 'HEAD' ? '' : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>';
        res.writeHead(500, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' });
        res.end(body);
        return;
      }
      case 'reset':
        // Drop the connection once some of the request has arrived (for an upload: mid-body).
        req.once('data', () => sock.destroy());
        req.once('end', () => sock.destroy());
        req.resume();
        return;
      case 'stallUpload':
        // Reads the first bytes of the request's body, then stops reading (and never answers).
        req.once('data', () => req.pause());
        this.later(this.stallMs, () => sock.destroy());
        return;
      case 'stall':
        // Takes the request and never answers.
        req.resume();
        this.later(this.stallMs, () => sock.destroy());
        return;
      case 'delay':
        this.later(this.plan.delayMs ?? 300, () => this.forward(req, res, undefined));
        return;
      default:
        this.forward(req, res, fault);
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, fault: 'cut' | 'stallBody' | undefined): void {
    const up = httpRequest(
      { host: this.target.host, port: this.target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
      (upRes) => {
        const length = Number(upRes.headers['content-length'] ?? NaN);
        const hasBody = req.method !== 'HEAD' && upRes.statusCode !== 204 && upRes.statusCode !== 304 && length !== 0;
        if (!fault || !hasBody) {
          res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
          upRes.pipe(res);
          return;
        }
        // Keep the upstream answer's framing (length or chunked), then stop part-way.
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
        const limit = Number.isFinite(length) ? Math.max(1, Math.floor(length / 2)) : 64;
        let sent = 0;
        let stopped = false;
        upRes.on('data', (chunk: Buffer) => {
          if (stopped) return;
          const part = chunk.subarray(0, Math.max(0, limit - sent));
          sent += part.length;
          if (part.length) res.write(part);
          if (sent >= limit) {
            stopped = true;
            upRes.destroy();
            if (fault === 'cut') res.socket?.destroy();
            else this.later(this.stallMs, () => res.socket?.destroy());
          }
        });
        upRes.on('end', () => {
          if (!stopped) res.end();
        });
      },
    );
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }
}

export class TcpFaultProxy extends FaultProxy<TcpFault> {
  protected readonly allFaults: TcpFault[] = ['reset', 'stall', 'blackhole', 'delay'];
  protected readonly server = createTcpServer((client) => this.handle(client));

  constructor(private readonly target: { host: string; port: number }) {
    super();
  }

  private handle(client: Socket): void {
    const fault = this.pick();
    const n = this.seen;
    if (fault) this.log.push(`${fault} conn#${n}`);
    client.on('error', () => undefined);
    if (fault === 'blackhole') {
      // Accepts the connection and never answers.
      client.resume();
      this.later(this.stallMs, () => client.destroy());
      return;
    }
    const open = () => {
      const up = connect(this.target.port, this.target.host);
      this.sockets.add(up);
      up.once('close', () => {
        this.sockets.delete(up);
        client.destroy();
      });
      client.once('close', () => up.destroy());
      up.on('error', () => client.destroy());
      // Faults strike after a few round trips (past the SSH handshake), in the server's answers.
      let chunks = 0;
      const after = 12;
      up.on('data', (b: Buffer) => {
        chunks++;
        if (fault === 'reset' && chunks > after) {
          client.resetAndDestroy();
          up.destroy();
          return;
        }
        if (fault === 'stall' && chunks > after) {
          up.pause();
          client.pause();
          this.later(this.stallMs, () => client.destroy());
          return;
        }
        client.write(b);
      });
      client.on('data', (b: Buffer) => up.write(b));
    };
    if (fault === 'delay') this.later(this.plan.delayMs ?? 300, open);
    else open();
  }
}

export async function httpFaultProxy(targetUrl: string, plan: FaultPlan<HttpFault> = {}): Promise<HttpFaultProxy> {
  const u = new URL(targetUrl);
  return new HttpFaultProxy({ host: u.hostname, port: Number(u.port || 80) }).start(plan);
}

export async function tcpFaultProxy(host: string, port: number, plan: FaultPlan<TcpFault> = {}): Promise<TcpFaultProxy> {
  return new TcpFaultProxy({ host, port }).start(plan);
}
