/**
 * The fault contract: what every remote backend must do on a bad network, tested against its
 * real server through the fault-injecting proxy (fault-proxy.ts). The cases live here once; each
 * backend (faults.test.ts) says how to open it through a proxy and how a killed upload's temp
 * file looks on its server.
 *
 * The backend is opened as the CLI opens it (fs/registry.ts: the retry wrapper, the remote's
 * timeouts), with connect and read timeouts of one second set through the remote's options, and a
 * short backoff, so every case takes seconds.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FileSystem } from '../../src/fs/types.js';
import { STALE_TEMP_AGE_MS } from '../../src/fs/types.js';
import { openRemoteFs, type RemoteOptions } from '../../src/fs/registry.js';
import { RemoteError } from '../../src/errors.js';
import { collect, readAll } from './contract.js';
import type { FaultPlan, HttpFault, HttpFaultProxy, TcpFault, TcpFaultProxy } from './fault-proxy.js';

/** The retry policy of the tests: the CLI's, with a short backoff. */
export const TEST_RETRY = { baseDelayMs: 20, maxDelayMs: 200 };

export interface FaultBackend {
  /** Shown in the test names. */
  name: string;
  /** A reason to skip (server missing: see servers.ts requireServer), or false. */
  skip: string | false;
  /** Starts the proxy in front of the real server (called once). */
  proxy: () => Promise<HttpFaultProxy | TcpFaultProxy>;
  /** URL and options of a fresh remote root `name` reached through `proxyAddress` (host:port). */
  remote: (proxyAddress: string, name: string) => { url: string; options: RemoteOptions };
  /** Setup on the real server before the first test (bucket/container). */
  prepare?: () => Promise<void>;
  /** False for kinds that cannot list (plain HTTP). */
  canList?: boolean;
  /** The faults that stand for "a transient error" on this link (default 500, reset, cut). */
  transient?: (HttpFault | TcpFault)[];
  /** The fault of a server that takes requests and never answers (default 'stall'). */
  dead?: HttpFault | TcpFault;
  /** The fault of a server that stops reading an upload (default 'stallUpload'). */
  stallUpload?: HttpFault | TcpFault;
  /** The fault of a download that stops mid-body (default 'stallBody'). */
  stallBody?: HttpFault | TcpFault;
  /** Requests that list (for the listing case), by method and URL. */
  isListing?: (method: string, url: string) => boolean;
  /**
   * Leaves below the remote root `name` the temp file a killed upload of `path` leaves, and
   * returns what `removeStaleTemps` reports for it. A string: why this kind has none.
   */
  leaveTemp: ((name: string, path: string) => Promise<string>) | string;
  /** Makes that temp file look a day and an hour old; undefined when the server cannot be told. */
  ageTemp?: (name: string, temp: string) => Promise<void>;
  /** Options that the server refuses (wrong secret), given the proxy's address, or why there are none. */
  badOptions: ((proxyAddress: string) => RemoteOptions) | string;
  /** The plan of the transient-faults case (default: a quarter of the requests fail). */
  transientPlan?: FaultPlan<string>;
  /** The plan of the listing case (default: each transient fault once, then three requests in ten). */
  listingPlan?: FaultPlan<string>;
}

function oneLine(e: unknown): boolean {
  return e instanceof Error && e.message.length > 0 && !e.message.includes('\n');
}

export function faultContract(b: FaultBackend): void {
  describe(`fault contract: ${b.name}`, { skip: b.skip, timeout: 120_000 }, () => {
    let proxy: HttpFaultProxy | TcpFaultProxy;
    let scratch: string;
    const opened: FileSystem[] = [];
    const plan = (p: FaultPlan<string>) => (proxy as { setPlan(p: FaultPlan<string>): void }).setPlan(p);
    const open = async (name: string, extra: RemoteOptions = {}): Promise<FileSystem> => {
      const r = b.remote(proxy.address, name);
      const fs = await openRemoteFs(r.url, { ...r.options, ...extra }, { retry: TEST_RETRY });
      opened.push(fs);
      return fs;
    };
    /** A file on disk and its stream, as push sends cache files (a retry can read it again). */
    const source = (data: Buffer) => {
      const f = join(scratch, randomBytes(6).toString('hex'));
      writeFileSync(f, data);
      return createReadStream(f);
    };
    const fresh = () => `faults-${randomBytes(4).toString('hex')}`;

    before(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'copper-faults-'));
      await b.prepare?.();
      proxy = await b.proxy();
    });
    after(async () => {
      for (const fs of opened) await fs.close().catch(() => undefined);
      await proxy?.close();
      rmSync(scratch, { recursive: true, force: true });
    });

    test('transient faults (500, reset, cut body) on any request are retried: every write, exists, read and listing completes', async () => {
      const fs = await open(fresh());
      const objects = new Map<string, Buffer>();
      for (let i = 0; i < 12; i++) objects.set(`files/md5/${(i % 4).toString(16).padStart(2, '0')}/obj${i}`, randomBytes(20_000 + i));
      plan(b.transientPlan ?? { seed: 7, rate: 0.25, faults: b.transient ?? ['status500', 'reset', 'cut'], maxFaults: 40 });
      for (const [p, data] of objects) await fs.write(p, source(data), data.length);
      for (const [p, data] of objects) {
        assert.equal(await fs.exists(p), true, p);
        assert.ok((await readAll(await fs.read(p))).equals(data), `${p} read back other bytes`);
      }
      if (b.canList !== false) assert.deepEqual(await collect(fs.list('files/md5')), [...objects.keys()].sort());
      assert.ok(proxy.log.length >= 3, `the proxy injected only ${proxy.log.length} faults: the test tested nothing`);
    });

    test('a listing whose requests fail now and then is complete: each failed request is retried alone', { skip: b.canList === false ? 'this kind cannot list' : false }, async () => {
      const name = fresh();
      const fs = await open(name);
      plan({});
      // 24 folders of 2 files: a listing of many requests (one per folder where listing walks).
      const paths: string[] = [];
      for (let i = 0; i < 24; i++) for (const k of ['a', 'b']) paths.push(`files/md5/${i.toString(16).padStart(2, '0')}/${k}${i}`);
      for (const p of paths) await fs.write(p, Readable.from([Buffer.from(p)]), Buffer.byteLength(p));
      const faults = b.transient ?? ['status500', 'reset', 'cut'];
      // Each kind of fault once, then three listing requests in ten fail.
      plan(b.listingPlan ?? { seed: 3, rate: 0.3, script: faults, faults, maxFaults: 100, ...(b.isListing ? { only: b.isListing } : {}) });
      for (let round = 0; round < 3; round++) {
        // Each listing on new connections (SSH's faults strike connections).
        const lister = await open(name);
        assert.deepEqual(await collect(lister.list('files/md5')), [...paths].sort(), `listing ${round + 1}`);
      }
      assert.ok(proxy.log.length >= 3, `the proxy injected only ${proxy.log.length} faults into the listings`);
    });

    test('a download that stalls mid-body is dropped after the read timeout and resumed', async () => {
      const name = fresh();
      const writer = await open(name);
      plan({});
      const data = randomBytes(300_000);
      await writer.write('files/md5/aa/stall', source(data), data.length);
      // A new connection for the read (SSH stalls whole connections).
      const fs = await open(name);
      plan({ rate: 1, faults: [b.stallBody ?? 'stallBody'], maxFaults: 1, only: (m) => m === 'GET' });
      assert.ok((await readAll(await fs.read('files/md5/aa/stall'))).equals(data));
      assert.equal(proxy.log.length, 1);
    });

    test('an upload that meets a server not answering is retried and lands', async () => {
      const fs = await open(fresh());
      plan({ rate: 1, faults: [b.dead ?? 'stall'], maxFaults: 1 });
      const data = randomBytes(50_000);
      await fs.write('files/md5/bb/late', source(data), data.length);
      assert.equal(proxy.log.length, 1);
      plan({});
      assert.ok((await readAll(await fs.read('files/md5/bb/late'))).equals(data));
    });

    test('an upload the server stops reading mid-body is given up and retried', async () => {
      const fs = await open(fresh());
      const data = randomBytes(12 * 1024 * 1024);
      plan({ rate: 1, faults: [b.stallUpload ?? 'stallUpload'], maxFaults: 1, only: (m) => m === 'PUT' || m === 'POST' });
      await fs.write('files/md5/bc/big', source(data), data.length);
      assert.equal(proxy.log.length, 1);
      plan({});
      assert.equal(await fs.size('files/md5/bc/big'), data.length);
    });

    test('a dead link (takes connections, never answers) fails every operation with one line in bounded time', async () => {
      const fs = await open(fresh());
      plan({ rate: 1, faults: [b.dead ?? 'stall'], maxFaults: 1000, stallMs: 60_000 });
      const timedOut = (e: unknown) => {
        assert.ok(oneLine(e), `not one line: ${(e as Error)?.message}`);
        assert.match((e as Error).message, /timed out|timeout/i);
        return true;
      };
      await assert.rejects(fs.exists('files/md5/cc/x'), timedOut);
      await assert.rejects(fs.write('files/md5/cc/y', source(randomBytes(1000)), 1000), timedOut);
      if (b.canList !== false) await assert.rejects(collect(fs.list('files/md5')), timedOut);
      // Tried, and tried again, but not forever: the first attempt and at most two more each.
      assert.ok(proxy.seen >= 3, `only ${proxy.seen} attempts`);
    });

    test('wrong credentials: one line, not retried', { skip: typeof b.badOptions === 'string' ? b.badOptions : false }, async () => {
      const fs = await open(fresh(), (b.badOptions as (proxy: string) => RemoteOptions)(proxy.address));
      plan({});
      const before = proxy.seen;
      await assert.rejects(fs.write('files/md5/dd/x', source(Buffer.from('x')), 1), (e: unknown) => {
        assert.ok(e instanceof RemoteError && oneLine(e), String((e as Error)?.message));
        return true;
      });
      // A refusal does not change on a second try: a handful of requests, not six rounds of them.
      assert.ok(proxy.seen - before <= 4, `${proxy.seen - before} requests for a refused write`);
    });

    test('a source shorter or longer than its size fails the upload, is not retried, and stores nothing', async () => {
      const fs = await open(fresh());
      plan({});
      await assert.rejects(fs.write('files/md5/ee/short', Readable.from([randomBytes(1000)]), 2000));
      await assert.rejects(fs.write('files/md5/ee/long', Readable.from([randomBytes(3000)]), 2000));
      assert.equal(await fs.exists('files/md5/ee/short'), false);
      assert.equal(await fs.exists('files/md5/ee/long'), false);
      if (b.canList !== false) assert.deepEqual(await collect(fs.list('files/md5/ee')), []);
    });

    test('temp files of killed uploads: never listed, kept while fresh, removed by removeStaleTemps once a day old', { skip: typeof b.leaveTemp === 'string' ? b.leaveTemp : false }, async () => {
      const name = fresh();
      const fs = await open(name);
      plan({});
      const data = Buffer.from('a whole object');
      await fs.write('files/md5/ff/whole', source(data), data.length);
      const temp = await (b.leaveTemp as (name: string, path: string) => Promise<string>)(name, 'files/md5/ff/killed');
      if (b.canList !== false) assert.deepEqual(await collect(fs.list('files/md5')), ['files/md5/ff/whole']);
      assert.ok(fs.removeStaleTemps, 'the backend has temp files but no removeStaleTemps');
      assert.deepEqual(await fs.removeStaleTemps('', STALE_TEMP_AGE_MS), [], 'a fresh temp file was removed');
      if (b.ageTemp) {
        await b.ageTemp(name, temp);
        assert.deepEqual(await fs.removeStaleTemps('', STALE_TEMP_AGE_MS), [temp]);
      } else {
        // The server keeps its own clock (an S3 upload's start): every temp file counts as old.
        assert.deepEqual(await fs.removeStaleTemps('', -3600_000), [temp]);
      }
      assert.deepEqual(await fs.removeStaleTemps('', -3600_000), [], 'removed twice');
      assert.ok((await readAll(await fs.read('files/md5/ff/whole'))).equals(data), 'the object itself was touched');
    });
  });
}
