/**
 * A small real HTTP server on 127.0.0.1 that speaks the S3 subset the S3 backend uses (HEAD, GET,
 * PUT, DELETE of objects, ListObjectsV2) from memory, and misbehaves on request: answer 5xx/4xx,
 * reset the connection, or cut a GET body half-way, for the next N requests. Used to test
 * retry.ts and limit.ts through a real backend and real sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = { kind: 'status'; status: number; code: string } | { kind: 'reset' } | { kind: 'cut' };

export class FlakyS3 {
  readonly objects = new Map<string, Buffer>();
  /** Requests seen, by method. */
  readonly seen: string[] = [];
  /** Faults to apply to the next matching requests, in order. */
  faults: { method?: string; fault: Fault }[] = [];
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  private server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  failNext(n: number, fault: Fault, method?: string): void {
    for (let i = 0; i < n; i++) this.faults.push({ ...(method ? { method } : {}), fault });
  }

  private takeFault(method: string): Fault | undefined {
    const i = this.faults.findIndex((f) => !f.method || f.method === method);
    if (i < 0) return undefined;
    return this.faults.splice(i, 1)[0]!.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    this.seen.push(method);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const url = new URL(req.url ?? '/', 'http://x');
    // Path style: /bucket/key...
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const fault = this.takeFault(method);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': method === 'HEAD' ? 0 : Buffer.byteLength(xml) });
      res.end(method === 'HEAD' ? undefined : xml);
      return;
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1));
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>` +
        keys.map((k) => `<Contents><Key>${k}</Key><Size>${this.objects.get(`${bucket}/${k}`)!.length}</Size></Contents>`).join('') +
        `</ListBucketResult>`;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(xml);
      return;
    }
    if (method === 'HEAD' && !key) {
      // HeadBucket: every bucket exists here.
      res.writeHead(200);
      res.end();
      return;
    }
    const id = `${bucket}/${key}`;
    const obj = this.objects.get(id);
    if (method === 'PUT') {
      this.objects.set(id, Buffer.concat(body));
      res.writeHead(200, { etag: '"e"' });
      res.end();
    } else if (method === 'DELETE') {
      this.objects.delete(id);
      res.writeHead(204);
      res.end();
    } else if (!obj) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no</Message></Error>`;
      res.writeHead(404, { 'content-type': 'application/xml', 'content-length': method === 'HEAD' ? 0 : Buffer.byteLength(xml) });
      res.end(method === 'HEAD' ? undefined : xml);
    } else if (method === 'HEAD') {
      res.writeHead(200, { 'content-length': obj.length, etag: '"e"' });
      res.end();
    } else if (fault?.kind === 'cut') {
      res.writeHead(200, { 'content-length': obj.length, etag: '"e"' });
      res.write(obj.subarray(0, Math.floor(obj.length / 2)));
      setTimeout(() => req.socket.destroy(), 20);
    } else {
      res.writeHead(200, { 'content-length': obj.length, etag: '"e"' });
      res.end(obj);
    }
  }
}
