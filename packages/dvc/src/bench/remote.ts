/**
 * `npm run bench` (packages/dvc), remote part: times our `dvc` CLI moving the PetImages-shaped set
 * (bench/run.ts's generator) to and from a remote and prints seconds, MB/s, objects/s and the
 * client's CPU seconds, beside rclone on the same S3 server and the same objects.
 *
 * Steps per remote: push (empty remote), no-op push, `status -c` (everything pushed: one listing),
 * fetch into an empty cache, pull into an empty cache and workspace. For S3, rclone (when
 * `rclone` is on PATH; else a note and no rclone rows) does the same work: `rclone copy` of the cache's objects up, `rclone copy` of the objects our
 * push stored down into an empty folder, and `rclone check --size-only` for the no-op. Its config
 * is a temp file written here (S3 provider Ceph, the test server's credentials), never the user's.
 * First a baseline on the same data: `cp -r` of the folder (the file system's floor for writing
 * every file once; a push writes each file once, a pull twice: cache and workspace).
 * Remotes: a local folder, and S3 on Ceph RADOS Gateway when its test server runs
 * (packages/dvc/test/servers/ceph.sh start; endpoint read from $COPPER_SERVERS_DIR/ceph.json).
 * Its bucket is emptied and removed at the end: the test server keeps objects in memory, and a
 * full store takes requests without ever answering them (the bucket creation then gives up after
 * 30 s with a line saying so).
 * The other backends run against the other test servers (test/servers/, scripts/test-servers.sh),
 * configured as the remote tests configure them: azure on Azurite (its connection string), gs on
 * the firebase Cloud Storage emulator (endpointurl + projectname), ssh on the test sshd (its
 * keyfile; host key checked strictly against a known_hosts file holding the server's key, as the
 * tests do), http on nginx's plain port (GET/HEAD down, DVC's POST up) and webdav on nginx's DAV
 * port (basic auth). rclone gets the same server in its own temp config where it has a backend
 * for it: azureblob (use_emulator, Azurite's endpoint), gcs (anonymous, the emulator's JSON API),
 * sftp (same key and known_hosts), webdav (vendor other). rclone's http backend is read-only and
 * lists folders from HTML indexes (nginx's test index is JSON), so http gets rclone's download
 * through `--files-from` (one HEAD + GET per object) and no rclone upload; the GCS emulator refuses
 * rclone's multipart uploads (400), so gs gets rclone's download only. Each such case prints a
 * one-line note.
 * Each step also shows the CPU seconds the client used (in all, and in ms per object: the figure
 * that stays steady on a shared machine) and, for S3 on this machine, those the Ceph daemons
 * used: which side limits the transfer.
 *
 * The machine is shared and noisy: with BENCH_ROUNDS > 1 every step runs that many times, the
 * tools alternating (and their order flipping every round), and the table shows medians with the
 * min-max spread. BENCH_BASELINE names a second `bin/dvc.js` (e.g. main's) that runs beside ours
 * in the same rounds: before/after on the same machine load.
 *
 *   BENCH_DIR          where data and repos go (default <repo root>/.bench, git-ignored)
 *   BENCH_PETS         number of files (default 24999, ~850 MB; 3000 for a quick run)
 *   BENCH_REMOTES      comma list of: local, s3, azure, gs, ssh, http, webdav (default: local,s3);
 *                      a remote whose test server is not running is skipped with a note
 *   BENCH_ROUNDS       rounds per step (default 1)
 *   BENCH_CLI          the copper bin/dvc.js to time (default: this package's)
 *   BENCH_BASELINE     path of another copper bin/dvc.js to run beside it (shown as 'base')
 *   BENCH_JOBS         -j for every dvc transfer (default: dvc's own default)
 *   BENCH_RCLONE       rclone --transfers values, comma list (default 8,16,32); 'off' skips rclone
 *   BENCH_KEEP=1       keep the generated data for the next run
 *
 * As in bench/run.ts, scratch data is moved into a trash folder and deleted only at the end: on
 * this machine kind, file creation right after a big delete is several times slower (ext4
 * without a journal skips recently freed inodes), which would charge the bench's own cleanup to
 * the next step. "Pull into an empty cache and workspace" therefore starts with both moved away.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePets, trashFolder, type Dataset } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = process.env.BENCH_CLI ?? join(here, '..', '..', 'bin', 'dvc.js');
const ROOT = join(here, '..', '..', '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ?? join(ROOT, '.bench');
const SERVERS = process.env.COPPER_SERVERS_DIR ?? '/tmp/copper-test-servers';

interface Row {
  tool: string;
  remote: string;
  step: string;
  seconds: number;
  bytes: number;
  objects: number;
  rc: number;
  /** CPU seconds (user + system) of the client process, and of the S3 test server's daemons. */
  clientCpu?: number;
  serverCpu?: number;
}

interface Timed {
  rc: number;
  out: string;
  err: string;
  seconds: number;
  cpu: number;
}

/** Runs a command under /usr/bin/time: wall seconds and CPU seconds (user + system, children included). */
function timed(cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const err = (r.stderr ?? '').trim().split('\n');
  const [u, sy] = (err.pop() ?? '').split(' ').map(Number);
  return { rc: r.status ?? -1, out: (r.stdout ?? '').trim(), err: err.join('\n'), seconds, cpu: (u ?? 0) + (sy ?? 0) };
}

function dvc(cli: string, cwd: string, args: string[]): Timed {
  return timed(cwd, process.execPath, [cli, ...args]);
}

/** How the test servers' processes are found (pgrep arguments), per remote kind. */
const SERVER_PROCS: Record<string, string[][]> = {
  s3: [['-x', 'radosgw'], ['-x', 'ceph-osd'], ['-x', 'ceph-mon']],
  azure: [['-f', 'azurite-blob']],
  gs: [['-f', 'gcs/emulator.cjs']],
  // sshd forks a process per connection: the listener's cutime/cstime collect them once they have
  // ended (counting the live ones too would lose what ended between the two samples).
  ssh: [['-f', 'copper-test-servers/sshd/sshd_config']],
  http: [['-x', 'nginx']],
  webdav: [['-x', 'nginx']],
};

/**
 * CPU seconds used so far by the local test server of `kind` (its processes, and the children
 * they have reaped), read from /proc; undefined when it does not run here. Shows whether a
 * transfer is limited by the server or by the client.
 */
function serverCpu(kind: string): number | undefined {
  const procs = SERVER_PROCS[kind];
  if (!procs) return undefined;
  let total = 0;
  let found = false;
  const seen = new Set<string>();
  for (const args of procs) {
    const r = spawnSync('pgrep', args, { encoding: 'utf8' });
    for (const pid of r.stdout.split('\n').filter(Boolean)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        // utime, stime, cutime, cstime in clock ticks
        total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
        found = true;
      } catch {
        /* gone */
      }
    }
  }
  return found ? total : undefined;
}

const bin = trashFolder(join(BENCH_DIR, '.trash-remote'));
const trash = bin.put;

function must(cwd: string, args: string[]): void {
  const r = dvc(CLI, cwd, args);
  if (r.rc !== 0) throw new Error(`dvc ${args.join(' ')} failed (rc ${r.rc}): ${r.err}`);
}

function git(cwd: string, ...args: string[]): void {
  spawnSync('git', args, { cwd, stdio: 'ignore' });
}

interface Ceph {
  endpoint: string;
  region: string;
  access_key_id: string;
  secret_access_key: string;
}

async function s3Bucket(bucket: string): Promise<Ceph | undefined> {
  const info = join(SERVERS, 'ceph.json');
  if (!existsSync(info)) return undefined;
  const c = JSON.parse(readFileSync(info, 'utf8')) as Ceph;
  // The SDK's multi-line NodeVersionSupportWarning on Node 20 is not bench output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: c.endpoint,
    region: c.region,
    forcePathStyle: true,
    credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key },
  });
  try {
    // A test server whose in-memory store is full (earlier benches) takes the request and never
    // answers: give up with a line that says so instead of waiting for ever.
    await client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const name = (e as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      const why = name === 'AbortError' || name === 'TimeoutError' ? 'no answer in 30 s (is its store full? packages/dvc/test/servers/ceph.sh stop, then start)' : (e as Error).message;
      process.stderr.write(`s3: cannot create bucket on ${c.endpoint}: ${why}\n`);
      return undefined;
    }
  } finally {
    client.destroy();
  }
  return c;
}

/** True when `rclone` runs here. */
function haveRclone(): boolean {
  return spawnSync('rclone', ['version'], { stdio: 'ignore' }).status === 0;
}

/** An rclone config in a temp file (never the user's), one remote `bench` made of `section`. */
function rcloneConfig(section: string[]): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'copper-bench-rclone-'));
  const path = join(dir, 'rclone.conf');
  writeFileSync(path, ['[bench]', ...section, ''].join('\n'), { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** rclone's obscured form of a password (its config never holds one in clear). */
function rcloneObscure(pass: string): string {
  const r = spawnSync('rclone', ['obscure', pass], { encoding: 'utf8' });
  return r.stdout.trim();
}

/**
 * A remote kind the bench runs: how `dvc` reaches its test server, and rclone's view of the
 * same place (or why rclone has none).
 */
interface Backend {
  kind: string;
  /** Adds the dvc remote `name` at sub-folder `sub` of the bench's place on the server. */
  add(repo: string, name: string, sub: string): void;
  /** Removes what the bench stored there (the S3 test server keeps objects in memory). */
  cleanup?(): Promise<void>;
  rclone:
    | {
        section: string[];
        /** rclone's path of sub-folder `sub`. */
        path(sub: string): string;
        /** false: rclone cannot upload there (the download reads copper's objects by name). */
        up: boolean;
        /** The objects must be named (--files-from): the backend cannot list them. */
        named?: boolean;
      }
    | string;
}

function readInfo(name: string): Record<string, string> | undefined {
  const info = join(SERVERS, `${name}.json`);
  if (!existsSync(info)) return undefined;
  return JSON.parse(readFileSync(info, 'utf8')) as Record<string, string>;
}

/** Sets remote `name`'s options (secrets in the local config, as a user would). */
function modify(repo: string, name: string, opts: Record<string, string>, local: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(opts)) must(repo, ['remote', 'modify', name, k, v]);
  for (const [k, v] of Object.entries(local)) must(repo, ['remote', 'modify', '--local', name, k, v]);
}

/** Deletes every object of the bench's bucket, then the bucket. */
async function emptyBucket(c: Ceph, bucket: string): Promise<void> {
  const { S3Client, ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: c.endpoint,
    region: c.region,
    forcePathStyle: true,
    credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key },
  });
  const abortSignal = () => AbortSignal.timeout(60_000);
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }), { abortSignal: abortSignal() });
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (!keys.length) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }), { abortSignal: abortSignal() });
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: abortSignal() });
  } finally {
    client.destroy();
  }
}

/** The backend of `kind` on its test server, or a one-line reason it is skipped. */
async function backend(kind: string, tag: string): Promise<Backend | string> {
  switch (kind) {
    case 's3': {
      const bucket = `copper-bench-${tag}`;
      const c = await s3Bucket(bucket);
      if (!c) return 'Ceph is not running: packages/dvc/test/servers/ceph.sh start';
      return {
        kind,
        cleanup: () => emptyBucket(c, bucket),
        add: (repo, name, sub) => {
          must(repo, ['remote', 'add', name, `s3://${bucket}/${sub}`]);
          modify(repo, name, { endpointurl: c.endpoint, region: c.region }, { access_key_id: c.access_key_id, secret_access_key: c.secret_access_key });
        },
        rclone: {
          section: [
            'type = s3',
            'provider = Ceph',
            'env_auth = false',
            `access_key_id = ${c.access_key_id}`,
            `secret_access_key = ${c.secret_access_key}`,
            `endpoint = ${c.endpoint}`,
            `region = ${c.region}`,
          ],
          path: (sub) => `bench:${bucket}/${sub}`,
          up: true,
        },
      };
    }
    case 'azure': {
      const a = readInfo('azurite');
      if (!a) return 'Azurite is not running: packages/dvc/test/servers/azurite.sh start';
      const container = `copper-bench-${tag}`;
      const { AzureFileSystem } = await import('../fs/azure.js');
      await new AzureFileSystem(`azure://${container}`, { connection_string: a.connection_string! }).createContainer();
      return {
        kind,
        add: (repo, name, sub) => {
          must(repo, ['remote', 'add', name, `azure://${container}/${sub}`]);
          modify(repo, name, {}, { connection_string: a.connection_string! });
        },
        rclone: {
          section: ['type = azureblob', 'use_emulator = true', `account = ${a.account_name}`, `key = ${a.account_key}`, `endpoint = ${a.endpoint}`],
          path: (sub) => `bench:${container}/${sub}`,
          up: true,
        },
      };
    }
    case 'gs': {
      const g = readInfo('gcs');
      if (!g) return 'the GCS emulator is not running: packages/dvc/test/servers/gcs.sh start';
      const bucket = `copper-bench-${tag}`;
      const opts = { endpointurl: g.endpoint!, projectname: g.project! };
      const { GsFileSystem } = await import('../fs/gs.js');
      await new GsFileSystem(`gs://${bucket}`, opts).createBucket();
      return {
        kind,
        add: (repo, name, sub) => {
          must(repo, ['remote', 'add', name, `gs://${bucket}/${sub}`]);
          modify(repo, name, opts);
        },
        rclone: {
          section: ['type = gcs', 'anonymous = true', `project_number = ${g.project}`, `endpoint = ${g.endpoint}/storage/v1/`],
          path: (sub) => `bench:${bucket}/${sub}`,
          // The emulator answers rclone's multipart uploads "Failed to parse multipart request
          // body part. Missing content type" (400): rclone's rows are its download only.
          up: false,
        },
      };
    }
    case 'ssh': {
      const h = readInfo('sshd');
      if (!h) return 'the test sshd is not running: packages/dvc/test/servers/sshd.sh start';
      // As the ssh tests do: the server's real host key, checked strictly, never the user's ~/.ssh.
      const pub = readFileSync(join(dirname(h.keyfile!), 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
      const dir = mkdtempSync(join(tmpdir(), 'copper-bench-known-hosts-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      const knownHosts = join(dir, 'known_hosts');
      writeFileSync(knownHosts, `[${h.host}]:${h.port} ${pub[0]} ${pub[1]}\n`);
      process.env.COPPER_SSH_KNOWN_HOSTS = knownHosts;
      process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = 'yes';
      const base = `${h.root}/copper-bench-${tag}`;
      return {
        kind,
        add: (repo, name, sub) => {
          must(repo, ['remote', 'add', name, `ssh://${h.user}@${h.host}:${h.port}${base}/${sub}`]);
          modify(repo, name, {}, { keyfile: h.keyfile! });
        },
        rclone: {
          section: ['type = sftp', `host = ${h.host}`, `port = ${h.port}`, `user = ${h.user}`, `key_file = ${h.keyfile}`, `known_hosts_file = ${knownHosts}`],
          path: (sub) => `bench:${base}/${sub}`,
          up: true,
        },
      };
    }
    case 'http':
    case 'webdav': {
      const n = readInfo('nginx');
      if (!n) return 'nginx is not running: packages/dvc/test/servers/nginx.sh start';
      const folder = `copper-bench-${tag}`;
      if (kind === 'http') {
        return {
          kind,
          add: (repo, name, sub) => must(repo, ['remote', 'add', name, `${n.http}/${folder}/${sub}`]),
          rclone: { section: ['type = http', `url = ${n.http}/`], path: (sub) => `bench:${folder}/${sub}`, up: false, named: true },
        };
      }
      return {
        kind,
        add: (repo, name, sub) => {
          must(repo, ['remote', 'add', name, `${n.webdav.replace(/^http/, 'webdav')}/${folder}/${sub}`]);
          modify(repo, name, {}, { user: n.user!, password: n.password! });
        },
        rclone: haveRclone()
          ? {
              section: ['type = webdav', `url = ${n.webdav}/`, 'vendor = other', `user = ${n.user}`, `pass = ${rcloneObscure(n.password!)}`],
              path: (sub) => `bench:${folder}/${sub}`,
              up: true,
            }
          : 'rclone is not on PATH',
      };
    }
    default:
      throw new Error(`unknown remote ${kind}`);
  }
}

/** `cp -r` of the data folder to a sibling and back out (the copy alone is timed). */
function copyBaseline(repo: string, target: string, ds: Dataset): Row {
  const copy = join(repo, '.bench-copy');
  trash(copy);
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('cp', ['-r', target, copy], { cwd: repo, stdio: 'ignore' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  trash(copy);
  spawnSync('sync');
  return { tool: 'cp', remote: '-', step: 'baseline: cp -r of the data', seconds, bytes: ds.bytes, objects: ds.files, rc: r.status ?? -1 };
}

interface Ctx {
  repo: string;
  ds: Dataset;
  target: string;
  rows: Row[];
  jobs: string[];
}

function record(ctx: Ctx, tool: string, remote: string, step: string, bytes: number, n: number, run: () => Timed): void {
  const s0 = serverCpu(remote);
  const r = run();
  // The server's per-connection processes end (and are counted) just after the client leaves.
  if (s0 !== undefined && remote === 'ssh') spawnSync('sleep', ['0.5']);
  const s1 = s0 === undefined ? undefined : serverCpu(remote);
  if (r.rc !== 0) process.stderr.write(`${tool} ${remote} ${step} failed (rc ${r.rc}): ${r.err.split('\n').slice(-3).join(' | ')}\n`);
  ctx.rows.push({
    tool,
    remote,
    step,
    seconds: r.seconds,
    bytes,
    objects: n,
    rc: r.rc,
    clientCpu: r.cpu,
    ...(s0 !== undefined && s1 !== undefined ? { serverCpu: s1 - s0 } : {}),
  });
}

function emptyCache(ctx: Ctx): void {
  trash(join(ctx.repo, '.dvc', 'cache'));
  trash(join(ctx.repo, '.dvc', 'tmp'));
}

/** One tool's push, no-op push, fetch and pull against a fresh remote `remoteName`. */
function cycle(ctx: Ctx, tool: string, cli: string, kind: string, remoteName: string): void {
  const { repo, ds, target } = ctx;
  const objects = ds.files + 1;
  const j = ctx.jobs;
  record(ctx, tool, kind, 'push', ds.bytes, objects, () => dvc(cli, repo, ['push', '-r', remoteName, ...j]));
  record(ctx, tool, kind, 'no-op push', 0, 0, () => dvc(cli, repo, ['push', '-r', remoteName, ...j]));
  record(ctx, tool, kind, 'status -c (all pushed)', 0, 0, () => dvc(cli, repo, ['status', '-c', '-r', remoteName, ...j]));
  emptyCache(ctx);
  spawnSync('sync');
  record(ctx, tool, kind, 'fetch (empty cache)', ds.bytes, objects, () => dvc(cli, repo, ['fetch', '-r', remoteName, ...j]));
  emptyCache(ctx);
  trash(join(repo, target));
  spawnSync('sync');
  record(ctx, tool, kind, 'pull (empty cache and workspace)', ds.bytes, objects, () => dvc(cli, repo, ['pull', '-r', remoteName, ...j]));
}

/** rclone's push / download / check on the same objects (`copperPrefix`: where our push put them). */
/**
 * rclone's environment: its AWS SDK fails on an AWS_CA_BUNDLE set for other tools (rclone 1.60:
 * "unable to load custom CA bundle"), and the test server is plain http.
 */
function rcloneEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AWS_CA_BUNDLE;
  return env;
}

function rclone(cwd: string, args: string[]): Timed {
  return timed(cwd, 'rclone', args, rcloneEnv());
}

function rcloneCycle(ctx: Ctx, conf: string, b: Exclude<Backend['rclone'], string>, kind: string, prefix: string, copperPrefix: string, transfers: number): void {
  const { repo, ds } = ctx;
  const objects = ds.files + 1;
  const tool = `rclone-${transfers}`;
  const cache = join(repo, '.dvc', 'cache', 'files', 'md5');
  const common = ['--config', conf, '--transfers', String(transfers), '--checkers', String(Math.max(8, transfers))];
  if (b.up) {
    const dest = `${b.path(prefix)}/files/md5`;
    record(ctx, tool, kind, 'push', ds.bytes, objects, () => rclone(repo, ['copy', ...common, cache, dest]));
    record(ctx, tool, kind, 'no-op push', 0, 0, () => rclone(repo, ['check', ...common, '--size-only', '--one-way', cache, dest]));
  }
  const down = join(repo, '.bench-rclone-down');
  trash(down);
  let named: string[] = [];
  if (b.named) {
    // The objects by name (what the cache holds is what copper pushed).
    const list = join(repo, '.bench-rclone-list');
    const r = spawnSync('find', ['.', '-type', 'f'], { cwd: cache, encoding: 'utf8', maxBuffer: 256 << 20 });
    writeFileSync(list, r.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^\.\//, '')).join('\n') + '\n');
    named = ['--files-from', list, '--no-traverse'];
  }
  spawnSync('sync');
  record(ctx, tool, kind, 'fetch (empty cache)', ds.bytes, objects, () => rclone(repo, ['copy', ...common, ...named, `${b.path(copperPrefix)}/files/md5`, down]));
  trash(down);
  trash(join(repo, '.bench-rclone-list'));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function table(rows: Row[], ds: Dataset, rounds: number): string {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.remote}\u0000${r.step}\u0000${r.tool}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const lines = [
    `copper dvc remote bench (node ${process.version}): pets, ${ds.files} files, ${(ds.bytes / 1e6).toFixed(0)} MB; ` +
      `${rounds} round${rounds === 1 ? '' : 's'}, medians (min-max of wall seconds when more than one)`,
    `  ${'remote'.padEnd(6)} ${'step'.padEnd(33)} ${'tool'.padEnd(9)} ${'seconds'.padStart(8)} ${'spread'.padStart(13)} ${'MB/s'.padStart(7)} ${'obj/s'.padStart(7)} ${'cpu:cli'.padStart(8)} ${'ms/obj'.padStart(7)} ${'server'.padStart(7)}`,
  ];
  for (const [, g] of groups) {
    const r0 = g[0]!;
    const secs = median(g.map((r) => r.seconds));
    const cpu = median(g.map((r) => r.clientCpu ?? 0));
    const server = g.every((r) => r.serverCpu !== undefined) ? median(g.map((r) => r.serverCpu!)).toFixed(2) : '-';
    const lo = Math.min(...g.map((r) => r.seconds));
    const hi = Math.max(...g.map((r) => r.seconds));
    const spread = g.length > 1 ? `${lo.toFixed(2)}-${hi.toFixed(2)}` : '';
    const mbs = r0.bytes ? (r0.bytes / 1e6 / secs).toFixed(1) : '-';
    const ops = r0.objects ? (r0.objects / secs).toFixed(0) : '-';
    const failed = g.filter((r) => r.rc !== 0).length;
    // Client CPU per object: steadier than wall time on a shared machine.
    const perObj = r0.objects ? ((cpu / r0.objects) * 1000).toFixed(2) : '-';
    lines.push(
      `  ${r0.remote.padEnd(6)} ${r0.step.padEnd(33)} ${r0.tool.padEnd(9)} ${secs.toFixed(2).padStart(8)} ${spread.padStart(13)} ${mbs.padStart(7)} ${ops.padStart(7)} ${cpu.toFixed(2).padStart(8)} ${perObj.padStart(7)} ${server.padStart(7)}${failed ? `  (${failed} failed)` : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) {
    process.stderr.write('build first: npm run build\n');
    process.exit(1);
  }
  const n = Number(process.env.BENCH_PETS ?? 24999);
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
  const remotes = (process.env.BENCH_REMOTES ?? 'local,s3').split(',').map((s) => s.trim());
  const baseline = process.env.BENCH_BASELINE;
  if (baseline && !existsSync(baseline)) throw new Error(`BENCH_BASELINE: no such file ${baseline}`);
  const tools: Array<[string, string]> = [['copper', CLI], ...(baseline ? [['base', baseline] as [string, string]] : [])];
  const rcloneSpec = process.env.BENCH_RCLONE ?? '8,16,32';
  const transfers = rcloneSpec === 'off' ? [] : rcloneSpec.split(',').map(Number).filter((x) => x > 0);
  const base = join(BENCH_DIR, `remote-pets-${n}`);
  const repo = join(base, 'repo');
  const marker = join(repo, '.dataset.json');
  let ds: Dataset;
  if (process.env.BENCH_KEEP === '1' && existsSync(marker)) ds = JSON.parse(readFileSync(marker, 'utf8')) as Dataset;
  else {
    trash(base);
    mkdirSync(repo, { recursive: true });
    process.stderr.write(`generating pets (${n} files) in ${repo} ...\n`);
    ds = makePets(repo, n);
    writeFileSync(marker, JSON.stringify(ds));
  }
  for (const p of ['.dvc', '.git', 'data/PetImages.dvc', 'data/.gitignore', '.dvcignore']) trash(join(repo, p));
  for (let i = 0; i < rounds; i++) for (const [t] of tools) trash(join(base, `remote-${t}-${i}`));
  git(repo, 'init', '-q');
  must(repo, ['init', '-q']);
  const target = 'data/PetImages';
  must(repo, ['add', '-q', target]);
  const ctx: Ctx = { repo, ds, target, rows: [copyBaseline(repo, target, ds)], jobs: process.env.BENCH_JOBS ? ['-j', process.env.BENCH_JOBS] : [] };
  const order = (i: number) => (i % 2 ? [...tools].reverse() : tools);
  const rcloneHere = transfers.length > 0 && haveRclone();
  if (transfers.length && !rcloneHere) process.stderr.write('rclone is not on PATH; its rows are skipped (install rclone to compare)\n');
  const tag = Date.now().toString(36);
  for (const kind of remotes) {
    if (kind === 'local') {
      for (let i = 0; i < rounds; i++) {
        for (const [t, cli] of order(i)) {
          must(repo, ['remote', 'add', `local-${t}-${i}`, `../remote-${t}-${i}`]);
          cycle(ctx, t, cli, 'local', `local-${t}-${i}`);
        }
      }
      continue;
    }
    const b = await backend(kind, tag);
    if (typeof b === 'string') {
      process.stderr.write(`${kind}: skipped (${b})\n`);
      continue;
    }
    let conf: { path: string; remove(): void } | undefined;
    if (rcloneHere) {
      if (typeof b.rclone === 'string') process.stderr.write(`${kind}: no rclone rows (${b.rclone})\n`);
      else {
        conf = rcloneConfig(b.rclone.section);
        if (!b.rclone.up) {
          const why = kind === 'http' ? "rclone's http backend is read-only" : "the GCS emulator cannot parse rclone's multipart uploads";
          process.stderr.write(`${kind}: ${why}: rclone's rows are the download only\n`);
        }
      }
    }
    try {
      for (let i = 0; i < rounds; i++) {
        for (const [t, cli] of order(i)) {
          b.add(repo, `${kind}-${t}-${i}`, `${t}-${i}`);
          cycle(ctx, t, cli, kind, `${kind}-${t}-${i}`);
        }
        if (conf && typeof b.rclone !== 'string') for (const tr of transfers) rcloneCycle(ctx, conf.path, b.rclone, kind, `rclone-${tr}-${i}`, `copper-${i}`, tr);
      }
    } finally {
      conf?.remove();
      await b.cleanup?.().catch((e: Error) => process.stderr.write(`${kind}: could not remove the bench's objects: ${e.message}\n`));
    }
  }
  process.stdout.write(table(ctx.rows, ds, rounds));
  if (process.env.BENCH_KEEP !== '1') trash(base);
  else for (let i = 0; i < rounds; i++) for (const [t] of tools) trash(join(base, `remote-${t}-${i}`));
  bin.empty();
}

await main();
