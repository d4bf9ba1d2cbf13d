/**
 * `npm run bench` (packages/dvc), remote part: times our `dvc` CLI moving the PetImages-shaped set
 * (bench/run.ts's generator) to and from a remote and prints seconds, MB/s and objects/s.
 *
 * Steps per remote: push (empty remote), no-op push, pull into an empty cache and workspace.
 * First a baseline on the same data: `cp -r` of the folder (the file system's floor for writing
 * every file once; a push writes each file once, a pull twice: cache and workspace), timed right
 * before the remote steps so that figures taken on a loaded machine can be read against it.
 * Remotes: a local folder, and S3 on Ceph RADOS Gateway when its test server runs
 * (packages/dvc/test/servers/ceph.sh start; endpoint read from $COPPER_SERVERS_DIR/ceph.json).
 * Each step also shows the CPU seconds our `dvc` used and, for S3 on this machine, those the
 * Ceph daemons used: which side limits the transfer.
 *
 *   BENCH_DIR          where data and repos go (default <repo root>/.bench, git-ignored)
 *   BENCH_PETS         number of files (default 24999, ~850 MB)
 *   BENCH_REMOTES      comma list of: local, s3 (default: local,s3; s3 skipped when Ceph is not running)
 *   BENCH_KEEP=1       keep the generated data for the next run
 *
 * As in bench/run.ts, scratch data is moved into a trash folder and deleted only at the end: on
 * this machine kind, file creation right after a big delete is several times slower (ext4
 * without a journal skips recently freed inodes), which would charge the bench's own cleanup to
 * the next step. "Pull into an empty cache and workspace" therefore starts with both moved away.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePets, trashFolder, type Dataset } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', 'bin', 'dvc.js');
const ROOT = join(here, '..', '..', '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ?? join(ROOT, '.bench');
const SERVERS = process.env.COPPER_SERVERS_DIR ?? '/tmp/copper-test-servers';

interface Row {
  remote: string;
  step: string;
  seconds: number;
  bytes: number;
  objects: number;
  rc: number;
  out: string;
  /** CPU seconds (user + system) of our dvc process, and of the S3 test server's daemons. */
  clientCpu?: number;
  serverCpu?: number;
}

function dvc(cwd: string, args: string[]): { rc: number; out: string; err: string; seconds: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const err = r.stderr.trim().split('\n');
  const [u, sy] = (err.pop() ?? '').split(' ').map(Number);
  return { rc: r.status ?? -1, out: r.stdout.trim(), err: err.join('\n'), seconds, cpu: (u ?? 0) + (sy ?? 0) };
}

/**
 * CPU seconds used so far by the local Ceph test server (radosgw + OSD + monitor), read from
 * /proc; undefined when it does not run here. Shows whether a transfer is limited by the server
 * or by the client.
 */
function serverCpu(): number | undefined {
  let total = 0;
  let found = false;
  for (const name of ['radosgw', 'ceph-osd', 'ceph-mon']) {
    const r = spawnSync('pgrep', ['-x', name], { encoding: 'utf8' });
    for (const pid of r.stdout.split('\n').filter(Boolean)) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        total += (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks
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
  const r = dvc(cwd, args);
  if (r.rc !== 0) throw new Error(`dvc ${args.join(' ')} failed (rc ${r.rc}): ${r.err}`);
}

function git(cwd: string, ...args: string[]): void {
  spawnSync('git', args, { cwd, stdio: 'ignore' });
}

async function s3Setup(repo: string, bucket: string): Promise<string | undefined> {
  const info = join(SERVERS, 'ceph.json');
  if (!existsSync(info)) return undefined;
  const c = JSON.parse(readFileSync(info, 'utf8')) as { endpoint: string; region: string; access_key_id: string; secret_access_key: string };
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
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const name = (e as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      process.stderr.write(`s3: cannot create bucket on ${c.endpoint}: ${(e as Error).message}\n`);
      return undefined;
    }
  } finally {
    client.destroy();
  }
  must(repo, ['remote', 'add', 's3', `s3://${bucket}/pets`]);
  must(repo, ['remote', 'modify', 's3', 'endpointurl', c.endpoint]);
  must(repo, ['remote', 'modify', 's3', 'region', c.region]);
  must(repo, ['remote', 'modify', '--local', 's3', 'access_key_id', c.access_key_id]);
  must(repo, ['remote', 'modify', '--local', 's3', 'secret_access_key', c.secret_access_key]);
  return 's3';
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
  return { remote: '-', step: 'baseline: cp -r of the data', seconds, bytes: ds.bytes, objects: ds.files, rc: r.status ?? -1, out: '' };
}

function cycle(repo: string, remote: string, ds: Dataset, target: string): Row[] {
  const rows: Row[] = [];
  const objects = ds.files + 1;
  const step = (name: string, args: string[], bytes: number, n: number) => {
    const s0 = remote === 's3' ? serverCpu() : undefined;
    const r = dvc(repo, args);
    const s1 = s0 === undefined ? undefined : serverCpu();
    if (r.rc !== 0) process.stderr.write(`${remote} ${name} failed (rc ${r.rc}): ${r.err}\n`);
    rows.push({
      remote,
      step: name,
      seconds: r.seconds,
      bytes,
      objects: n,
      rc: r.rc,
      out: r.out.split('\n').pop() ?? '',
      clientCpu: r.cpu,
      ...(s0 !== undefined && s1 !== undefined ? { serverCpu: s1 - s0 } : {}),
    });
  };
  step('push', ['push', '-r', remote], ds.bytes, objects);
  step('no-op push', ['push', '-r', remote], 0, 0);
  trash(join(repo, '.dvc', 'cache'));
  trash(join(repo, target));
  trash(join(repo, '.dvc', 'tmp'));
  spawnSync('sync');
  step('pull (empty cache and workspace)', ['pull', '-r', remote], ds.bytes, objects);
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) {
    process.stderr.write('build first: npm run build\n');
    process.exit(1);
  }
  const n = Number(process.env.BENCH_PETS ?? 24999);
  const remotes = (process.env.BENCH_REMOTES ?? 'local,s3').split(',').map((s) => s.trim());
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
  trash(join(base, 'remote'));
  git(repo, 'init', '-q');
  must(repo, ['init', '-q']);
  const target = 'data/PetImages';
  must(repo, ['add', '-q', target]);
  const rows: Row[] = [copyBaseline(repo, target, ds)];
  for (const r of remotes) {
    if (r === 'local') {
      must(repo, ['remote', 'add', 'local', '../remote']);
      rows.push(...cycle(repo, 'local', ds, target));
    } else if (r === 's3') {
      const name = await s3Setup(repo, `copper-bench-${Date.now().toString(36)}`);
      if (!name) {
        process.stderr.write('s3: skipped (Ceph is not running: packages/dvc/test/servers/ceph.sh start)\n');
        continue;
      }
      rows.push(...cycle(repo, name, ds, target));
    } else throw new Error(`unknown remote ${r}`);
  }
  const lines = [
    `copper dvc remote bench (node ${process.version}): pets, ${ds.files} files, ${(ds.bytes / 1e6).toFixed(0)} MB`,
    `  ${'remote'.padEnd(7)} ${'step'.padEnd(34)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(8)} ${'objects/s'.padStart(10)} ${'cpu:dvc'.padStart(8)} ${'server'.padStart(7)}  output`,
  ];
  for (const r of rows) {
    const mbs = r.bytes ? (r.bytes / 1e6 / r.seconds).toFixed(1) : '-';
    const ops = r.objects ? (r.objects / r.seconds).toFixed(0) : '-';
    lines.push(
      `  ${r.remote.padEnd(7)} ${r.step.padEnd(34)} ${r.seconds.toFixed(2).padStart(8)} ${mbs.padStart(8)} ${ops.padStart(10)} ${(r.clientCpu?.toFixed(2) ?? '-').padStart(8)} ${(r.serverCpu?.toFixed(2) ?? '-').padStart(7)}  ${r.rc ? `(failed rc ${r.rc}) ` : ''}${r.out}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (process.env.BENCH_KEEP !== '1') trash(base);
  else trash(join(base, 'remote'));
  bin.empty();
}

await main();
