/**
 * `npm run bench:million` (packages/dvc): peak memory and wall time of our `dvc` CLI on one
 * tracked folder of N tiny files (default 1,000,000): `dvc add`, `dvc push` to a local remote,
 * `dvc status -c`, and `dvc pull` into an empty cache and workspace. Each step runs under
 * `/usr/bin/time -f '%e %M'`, so the peak is the resident set of the whole process (workers
 * included). The target is under 1 GB for push, pull and `status -c` at 1,000,000 objects.
 *
 * Not part of `npm run bench`: at 1,000,000 files it takes several minutes per step on a 2-core
 * machine (ext4 creates ~5-20k files/s), and the files need ~4 GB of inodes and blocks per copy
 * (workspace, cache, remote). Develop with BENCH_MILLION_N=100000.
 *
 *   BENCH_MILLION_N   number of files (default 1000000)
 *   BENCH_DIR         where data and repos go (default <repo root>/.bench, git-ignored)
 *   BENCH_CLI         the copper bin/dvc.js to time (default: this package's)
 *   BENCH_KEEP=1      keep the files for the next run (which then starts again from `dvc add`)
 *
 * Measured on the 2-core development VM while other work ran (peak RSS; wall times swing several-
 * fold with the load): 1,000,000 files: add 671 s / 831 MB, push 495 s / 855 MB, status -c
 * 16 s / 542 MB, no-op push 13 s / 560 MB, pull into an empty cache and workspace 1029 s / 683 MB.
 *
 * The files (`data/<i / 1000>/<i>.txt`, each a distinct line, so N distinct objects) are written
 * by two child processes, one per core; as in bench/run.ts, scratch data is moved to a trash
 * folder and deleted only at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trashFolder } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = process.env.BENCH_CLI ?? join(here, '..', '..', 'bin', 'dvc.js');
const ROOT = join(here, '..', '..', '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ?? join(ROOT, '.bench');
const N = Number(process.env.BENCH_MILLION_N ?? 1_000_000);
const KEEP = process.env.BENCH_KEEP === '1';
const PER_FOLDER = 1000;

/** Writes files [from, to) of the set below `data` (run in a child process). */
function writeRange(data: string, from: number, to: number): void {
  let dir = '';
  for (let i = from; i < to; i++) {
    const d = join(data, String(Math.floor(i / PER_FOLDER)));
    if (d !== dir) {
      mkdirSync(d, { recursive: true });
      dir = d;
    }
    writeFileSync(join(d, `${i}.txt`), `million file ${i}\n`);
  }
}

if (process.argv[2] === '--write') {
  writeRange(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.exit(0);
}

/** Writes the N files with one child process per core (two here). */
async function makeFiles(data: string): Promise<void> {
  const parts = 2;
  const step = Math.ceil(N / PER_FOLDER / parts) * PER_FOLDER;
  await Promise.all(
    Array.from({ length: parts }, (_, k) => {
      const from = k * step;
      const to = Math.min(N, from + step);
      if (from >= to) return Promise.resolve();
      return new Promise<void>((ok, fail) => {
        const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--write', data, String(from), String(to)], { stdio: 'inherit' });
        c.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`file writer exited ${code}`))));
      });
    }),
  );
}

interface Step {
  step: string;
  seconds: number;
  peakMb: number;
  rc: number;
}

function timedDvc(cwd: string, step: string, args: string[]): Step {
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = (r.stderr ?? '').trim().split('\n');
  const [secs, kb] = (lines.pop() ?? '').split(' ');
  const s = { step, seconds: Number(secs), peakMb: Number(kb) / 1024, rc: r.status ?? -1 };
  if (s.rc !== 0) process.stderr.write(`  ${step} failed (rc ${s.rc}): ${lines.slice(-3).join(' | ')}\n`);
  process.stderr.write(`  ${step}: ${s.seconds.toFixed(1)} s, peak ${s.peakMb.toFixed(0)} MB\n`);
  return s;
}

function git(cwd: string, ...args: string[]): void {
  spawnSync('git', args, { cwd, stdio: 'ignore' });
}

async function main(): Promise<void> {
  const base = join(BENCH_DIR, `million-${N}`);
  const repo = join(base, 'repo');
  const remote = join(base, 'remote');
  const bin = trashFolder(join(BENCH_DIR, '.trash-million'));
  const data = join(repo, 'data');
  const ready = join(base, '.files-ready');
  if (!KEEP || !existsSync(ready) || !existsSync(data)) {
    bin.put(base);
    mkdirSync(repo, { recursive: true });
    process.stderr.write(`writing ${N} files in ${data} ...\n`);
    const t0 = Date.now();
    await makeFiles(data);
    writeFileSync(ready, '');
    process.stderr.write(`  written in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    git(repo, 'init', '-q');
    spawnSync(process.execPath, [CLI, 'init', '-q'], { cwd: repo, stdio: 'inherit' });
  } else {
    // A kept set: start again from `dvc add` (no cache, no hash state, no remote).
    for (const p of [join(repo, '.dvc', 'cache'), join(repo, '.dvc', 'tmp'), join(repo, 'data.dvc'), remote]) bin.put(p);
  }
  spawnSync(process.execPath, [CLI, 'remote', 'add', '-f', '-d', 'local', remote], { cwd: repo, stdio: 'ignore' });
  const steps: Step[] = [];
  steps.push(timedDvc(repo, 'add', ['add', '-q', 'data']));
  steps.push(timedDvc(repo, 'push (local remote)', ['push', '-q']));
  steps.push(timedDvc(repo, 'status -c', ['status', '-c', '-q']));
  bin.put(join(repo, '.dvc', 'cache'));
  bin.put(join(repo, '.dvc', 'tmp'));
  bin.put(data);
  steps.push(timedDvc(repo, 'pull (empty cache and workspace)', ['pull', '-q']));
  console.log(`copper dvc million bench (node ${process.version}): ${N} files in one tracked folder`);
  console.log(`  ${'step'.padEnd(34)} ${'seconds'.padStart(8)} ${'peak RSS MB'.padStart(12)} ${'rc'.padStart(3)}`);
  for (const s of steps) console.log(`  ${s.step.padEnd(34)} ${s.seconds.toFixed(1).padStart(8)} ${s.peakMb.toFixed(0).padStart(12)} ${String(s.rc).padStart(3)}`);
  if (!KEEP) bin.put(base);
  else writeFileSync(ready, '');
  bin.empty();
}

await main();
