/**
 * Per-object cost of each remote backend, below the CLI: `node dist/bench/fs-ops.js` opens each
 * backend on its test server as `dvc` opens it (registry.ts: retry wrapper, timeouts) and times N
 * small objects through put (write), head (size) and get (read to the end), 16 at a time,
 * printing the client's CPU milliseconds per object (process.cpuUsage: the figure that stays
 * steady on a shared machine) and objects per second. What bench/remote.ts's CLI rows add on top
 * is hashing, the cache's files and the process start.
 *
 *   FSOPS_REMOTES   comma list of: s3, azure, gs, ssh, http, webdav (default: all but s3)
 *   FSOPS_N         objects per step (default 400)
 *   FSOPS_SIZE      bytes per object (default 32768, the PetImages set's mean is ~34 KB)
 *   FSOPS_JOBS      operations in flight (default 16)
 *   FSOPS_BASE      another build's dist/ folder (e.g. main's): its backends run beside these,
 *                   alternating, on the same server and load (rows 'base' and 'this')
 *   FSOPS_ROUNDS    rounds per backend (default 1; with FSOPS_BASE each round runs both)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { openRemoteFs, type RemoteOptions } from '../fs/registry.js';
import { pathToFileURL } from 'node:url';
import type { FileSystem } from '../fs/types.js';

const SERVERS = process.env.COPPER_SERVERS_DIR ?? '/tmp/copper-test-servers';

function info(name: string): Record<string, string> | undefined {
  const f = join(SERVERS, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, string>) : undefined;
}

/** The remote URL and options of `kind` on its test server (as the remote tests set them). */
async function target(kind: string, tag: string): Promise<{ url: string; options: RemoteOptions } | undefined> {
  switch (kind) {
    case 's3': {
      const c = info('ceph');
      if (!c) return undefined;
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ endpoint: c.endpoint, region: c.region, forcePathStyle: true, credentials: { accessKeyId: c.access_key_id!, secretAccessKey: c.secret_access_key! } });
      await client.send(new CreateBucketCommand({ Bucket: `fsops-${tag}` })).catch(() => undefined);
      client.destroy();
      return { url: `s3://fsops-${tag}/x`, options: { endpointurl: c.endpoint, region: c.region, access_key_id: c.access_key_id, secret_access_key: c.secret_access_key } };
    }
    case 'azure': {
      const a = info('azurite');
      if (!a) return undefined;
      const { AzureFileSystem } = await import('../fs/azure.js');
      await new AzureFileSystem(`azure://fsops-${tag}`, { connection_string: a.connection_string }).createContainer();
      return { url: `azure://fsops-${tag}/x`, options: { connection_string: a.connection_string } };
    }
    case 'gs': {
      const g = info('gcs');
      if (!g) return undefined;
      return { url: `gs://fsops-${tag}/x`, options: { endpointurl: g.endpoint, projectname: g.project } };
    }
    case 'ssh': {
      const h = info('sshd');
      if (!h) return undefined;
      const pub = readFileSync(join(dirname(h.keyfile!), 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
      const dir = mkdtempSync(join(tmpdir(), 'copper-fsops-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'known_hosts'), `[${h.host}]:${h.port} ${pub[0]} ${pub[1]}\n`);
      process.env.COPPER_SSH_KNOWN_HOSTS = join(dir, 'known_hosts');
      process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = 'yes';
      return { url: `ssh://${h.user}@${h.host}:${h.port}${h.root}/fsops-${tag}`, options: { keyfile: h.keyfile } };
    }
    case 'http': {
      const n = info('nginx');
      return n ? { url: `${n.http}/fsops-${tag}`, options: {} } : undefined;
    }
    case 'webdav': {
      const n = info('nginx');
      return n ? { url: `${n.webdav.replace(/^http/, 'webdav')}/fsops-${tag}`, options: { user: n.user, password: n.password } } : undefined;
    }
  }
  throw new Error(`unknown remote ${kind}`);
}

async function pool(n: number, jobs: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function step(name: string, n: number, jobs: number, fn: (i: number) => Promise<void>): Promise<string> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await pool(n, jobs, fn);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return `${name} ${(cpuMs / n).toFixed(2).padStart(6)} ms/obj ${(n / secs).toFixed(0).padStart(5)} obj/s`;
}

async function main(): Promise<void> {
  const kinds = (process.env.FSOPS_REMOTES ?? 'azure,gs,ssh,http,webdav').split(',').map((s) => s.trim());
  const n = Number(process.env.FSOPS_N ?? 400);
  const size = Number(process.env.FSOPS_SIZE ?? 32768);
  const jobs = Number(process.env.FSOPS_JOBS ?? 16);
  const tag = Date.now().toString(36);
  const bodies = Array.from({ length: n }, () => randomBytes(size));
  const names = bodies.map((_, i) => `${(i % 256).toString(16).padStart(2, '0')}/${randomBytes(15).toString('hex')}`);
  process.stdout.write(`fs-ops: ${n} objects of ${size} bytes, ${jobs} at a time; client CPU ms per object\n`);
  type Open = typeof openRemoteFs;
  const builds: Array<[string, Open]> = [['this', openRemoteFs]];
  if (process.env.FSOPS_BASE) {
    const reg = (await import(pathToFileURL(join(process.env.FSOPS_BASE, 'fs', 'registry.js')).href)) as { openRemoteFs: Open };
    builds.unshift(['base', reg.openRemoteFs]);
  }
  const rounds = Math.max(1, Number(process.env.FSOPS_ROUNDS ?? 1));
  for (const kind of kinds) {
    const t = await target(kind, tag);
    if (!t) {
      process.stdout.write(`${kind.padEnd(7)} skipped (test server not running)\n`);
      continue;
    }
    for (let r = 0; r < rounds; r++) {
      for (const [label, open] of r % 2 ? [...builds].reverse() : builds) {
        const fs: FileSystem = await open(`${t.url}/${label}-${r}`, t.options);
        // Warm up: one object each way (connections, imports, folders).
        await fs.write('warm/w', Readable.from([bodies[0]!]), size);
        await fs.size('warm/w');
        for await (const _ of await fs.read('warm/w')) void _;
        const put = await step('put', n, jobs, (i) => fs.write(names[i]!, Readable.from([bodies[i]!]), size));
        const head = await step('head', n, jobs, async (i) => {
          if ((await fs.size(names[i]!)) !== size) throw new Error(`${kind}: wrong size for ${names[i]}`);
        });
        const get = await step('get', n, jobs, async (i) => {
          let got = 0;
          for await (const c of await fs.read(names[i]!)) got += (c as Buffer).length;
          if (got !== size) throw new Error(`${kind}: read ${got} of ${size} bytes of ${names[i]}`);
        });
        process.stdout.write(`${kind.padEnd(7)} ${builds.length > 1 ? `${label} ` : ''}${put} | ${head} | ${get}\n`);
        await fs.close();
      }
    }
  }
}

await main();
