/**
 * `npm run bench` (packages/dvc): times our `dvc` CLI on the issue's datasets and prints a table
 * with wall time and peak memory (max RSS of the process, including its worker threads).
 *
 *   BENCH_DIR       where datasets and repos go (default <repo root>/.bench, git-ignored)
 *   BENCH_SETS      comma list of: pets, tiny100k, tiny1m (default: pets,tiny100k)
 *   BENCH_PETS      number of files in the PetImages-shaped set (default 24999, ~850 MB)
 *   BENCH_TINY      override the file count of the tiny set (e.g. 10000 for a quick run)
 *   BENCH_KEEP=1    keep the generated data (re-used by the next run when present)
 *
 * Steps per set: two baselines on the same data (cp -r; md5sum on all cores), then add (empty cache and state), no-op status, no-op add, status and add after one
 * file changes, checkout after deleting the workspace copy, no-op status after checkout, and a
 * third baseline: cp -r right after an rm -rf of the same data (the condition checkout runs in).
 *
 * Deleting many files makes the next file creations on this machine kind slow for a minute or
 * more (ext4 without a journal skips recently freed inodes one by one when it allocates new
 * ones; `perf` shows `recently_deleted` on top). So the bench never deletes its own scratch
 * copies between steps: they are moved into a trash folder that is emptied once at the end.
 * The one delete that is part of a scenario (the workspace before checkout) stays a delete.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
// The launcher users run (node_modules/.bin/dvc -> bin/dvc.js -> the esbuild bundle).
const CLI = join(here, '..', '..', 'bin', 'dvc.js');
const ROOT = join(here, '..', '..', '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ?? join(ROOT, '.bench');

/** Deterministic PRNG (xorshift32) so datasets are the same from run to run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function lognormal(r: () => number, median: number, sigma: number): number {
  const u1 = Math.max(r(), 1e-12);
  const u2 = r();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.round(median * Math.exp(sigma * z));
}

const POOL = randomBytes(4 << 20);

/** A file's bytes: a unique header then a slice of a random pool (distinct content per file). */
function content(i: number, size: number, r: () => number): Buffer {
  const b = Buffer.allocUnsafe(size);
  const off = Math.floor(r() * (POOL.length - size - 1));
  POOL.copy(b, 0, off, off + size);
  b.write(`#${i}#`, 0, 'latin1');
  return b;
}

export interface Dataset {
  name: string;
  files: number;
  bytes: number;
  /** Files to touch for the "one change" steps. */
  changeFile: string;
}

function old(dir: string, paths: string[]): void {
  const t = new Date(Date.now() - 3600_000);
  for (const p of paths) utimesSync(join(dir, p), t, t);
}

export function makePets(dir: string, n: number): Dataset {
  const data = join(dir, 'data', 'PetImages');
  const r = rng(42);
  let bytes = 0;
  const paths: string[] = [];
  mkdirSync(join(data, 'Cat'), { recursive: true });
  mkdirSync(join(data, 'Dog'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const cls = i % 2 === 0 ? 'Cat' : 'Dog';
    // ~34 KB median, long tail (sizes of the real PetImages JPEGs), at most 2 MB
    const size = Math.min(2 << 20, Math.max(200, lognormal(r, 26_000, 0.75)));
    const rel = `data/PetImages/${cls}/${Math.floor(i / 2)}.jpg`;
    writeFileSync(join(dir, rel), content(i, size, r));
    paths.push(rel);
    bytes += size;
  }
  old(dir, paths);
  return { name: `pets (${n} files)`, files: n, bytes, changeFile: 'data/PetImages/Cat/0.jpg' };
}

function makeTiny(dir: string, n: number): Dataset {
  const r = rng(7);
  let bytes = 0;
  const folders = 100;
  const paths: string[] = [];
  for (let f = 0; f < folders; f++) mkdirSync(join(dir, 'data', `d${f}`), { recursive: true });
  for (let i = 0; i < n; i++) {
    const size = 100 + Math.floor(r() * 1900);
    const rel = `data/d${i % folders}/f${i}.bin`;
    writeFileSync(join(dir, rel), content(i, size, r));
    paths.push(rel);
    bytes += size;
  }
  old(dir, paths);
  return { name: `tiny (${n} files)`, files: n, bytes, changeFile: 'data/d0/f0.bin' };
}

interface Timing {
  step: string;
  seconds: number;
  maxRssMb: number;
  rc: number;
}

function timeCmd(cwd: string, step: string, args: string[]): Timing {
  spawnSync('sync'); // start every step with written data flushed (no write-back debt from the last)
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [secs, kb] = last.split(' ');
  if (r.status !== 0 && !(args[0] === 'status' && r.status === 1)) {
    process.stderr.write(`step '${step}' failed (rc ${r.status}):\n${r.stderr}\n`);
  }
  const t = { step, seconds: Number(secs), maxRssMb: Number(kb) / 1024, rc: r.status ?? -1 };
  process.stderr.write(`  ${step}: ${t.seconds.toFixed(2)} s, ${t.maxRssMb.toFixed(0)} MB\n`);
  return t;
}

/** Scratch copies go here and are deleted at the very end (see the note at the top). */
/** A trash folder: `put(path)` moves a path into it, `empty()` deletes it all (at the end). */
export function trashFolder(dir: string): { put(path: string): void; empty(): void } {
  let n = 0;
  return {
    put(path) {
      if (!existsSync(path)) return;
      mkdirSync(dir, { recursive: true });
      renameSync(path, join(dir, `${Date.now()}-${n++}`));
    },
    empty: () => rmSync(dir, { recursive: true, force: true }),
  };
}
const bin = trashFolder(join(BENCH_DIR, '.trash'));
const trash = bin.put;

/** Times a shell command (the first part only when `split`: `A && cleanup`). */
function timeShell(cwd: string, step: string, cmd: string, split = false): Timing {
  spawnSync('sync');
  const [main, cleanup] = split ? cmd.split(' && ') : [cmd, undefined];
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', main!], { cwd, encoding: 'utf8' });
  if (cleanup) trash(join(cwd, cleanup.replace(/^rm -rf /, '')));
  const [secs, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ');
  const t = { step, seconds: Number(secs), maxRssMb: Number(kb) / 1024, rc: r.status ?? -1 };
  process.stderr.write(`  ${step}: ${t.seconds.toFixed(2)} s\n`);
  return t;
}

function git(cwd: string, ...args: string[]): void {
  spawnSync('git', args, { cwd, stdio: 'ignore' });
}

/** Median wall time of `argv` run `n` times (milliseconds), as a user's shell runs it. */
function medianMs(cwd: string, argv: string[], n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(argv[0]!, argv.slice(1), { cwd, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Start-up, the part of every command a user waits for: `node -e 0` (the floor), then
 * `dvc --version` and `dvc version` outside a repository. Target: `dvc version` within 60 ms of
 * `node -e 0`.
 */
function startup(): string[] {
  const cwd = BENCH_DIR;
  const n = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
  medianMs(cwd, [process.execPath, CLI, '--version'], 3); // warm the page cache
  const node = medianMs(cwd, [process.execPath, '-e', '0'], n);
  const rows = [`\nstart-up, median of ${n} runs`, `  ${'command'.padEnd(32)} ${'ms'.padStart(8)} ${'- node'.padStart(8)}`];
  rows.push(`  ${'node -e 0'.padEnd(32)} ${node.toFixed(0).padStart(8)}`);
  for (const args of [['--version'], ['version']]) {
    const ms = medianMs(cwd, [process.execPath, CLI, ...args], n);
    rows.push(`  ${`dvc ${args.join(' ')}`.padEnd(32)} ${ms.toFixed(0).padStart(8)} ${`+${(ms - node).toFixed(0)}`.padStart(8)}`);
  }
  return rows;
}

function runSet(kind: string, count: number): { ds: Dataset; timings: Timing[] } {
  const dir = join(BENCH_DIR, `${kind}-${count}`);
  const keep = process.env.BENCH_KEEP === '1';
  let ds: Dataset;
  const marker = join(dir, '.dataset.json');
  if (keep && existsSync(marker)) {
    ds = JSON.parse(String(spawnSync('cat', [marker]).stdout)) as Dataset;
  } else {
    trash(dir);
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ${kind} (${count} files) in ${dir} ...\n`);
    ds = kind === 'pets' ? makePets(dir, count) : makeTiny(dir, count);
    writeFileSync(marker, JSON.stringify(ds));
  }
  // fresh repository around the data each run
  for (const p of ['.dvc', '.git', '.gitignore', '.dvcignore', 'data/PetImages.dvc', 'data/.gitignore', 'data.dvc']) trash(join(dir, p));
  git(dir, 'init', '-q');
  spawnSync(process.execPath, [CLI, 'init', '-q'], { cwd: dir });
  const target = kind === 'pets' ? 'data/PetImages' : 'data';
  const timings: Timing[] = [];
  // Baselines on the same data, same moment: what copying and hashing cost on this machine.
  timings.push(timeShell(dir, 'baseline: cp -r', `cp -r ${target} .bench-copy && rm -rf .bench-copy`, true));
  timings.push(
    timeShell(dir, 'baseline: md5sum, all cores', `find ${target} -type f -print0 | xargs -0 -P${availableParallelism()} -n 2000 md5sum > /dev/null`),
  );
  timings.push(timeCmd(dir, 'add', ['add', '-q', target]));
  timings.push(timeCmd(dir, 'no-op status', ['status']));
  {
    // The figure a user feels most: a no-op status, as a median (target for pets: <= 0.25 s).
    const n = Number(process.env.BENCH_STATUS_RUNS ?? 9);
    // Let the add's 862 MB of cache writes reach the disk first: the kernel's write-back right
    // after a large add otherwise competes with the status being timed.
    spawnSync('sync', { stdio: 'ignore' });
    const ms = medianMs(dir, [process.execPath, CLI, 'status'], n);
    process.stderr.write(`  no-op status, median of ${n}: ${(ms / 1000).toFixed(3)} s\n`);
    timings.push({ step: `no-op status, median of ${n}`, seconds: ms / 1000, maxRssMb: 0, rc: 0 });
  }
  timings.push(timeCmd(dir, 'no-op add', ['add', '-q', target]));
  const original = readFileSync(join(dir, ds.changeFile));
  appendFileSync(join(dir, ds.changeFile), 'changed');
  timings.push(timeCmd(dir, 'status after one change', ['status']));
  timings.push(timeCmd(dir, 'add after one change', ['add', '-q', target]));
  rmSync(join(dir, target), { recursive: true, force: true });
  timings.push(timeCmd(dir, 'checkout (workspace deleted)', ['checkout', '-q']));
  timings.push(timeCmd(dir, 'no-op status after checkout', ['status']));
  // The checkout above runs right after a big `rm -rf`; on ext4 mounted with `discard` (this
  // machine kind) file creation right after a large delete costs several times more kernel time.
  // Same condition for a plain copy, so the checkout figure has a fair yardstick.
  // (Not for a million files: there the copy right after a delete ran for over 13 minutes and
  // had copied half the files.)
  if (ds.files <= 200_000) {
    spawnSync('sh', ['-c', `cp -r ${target} .bench-copy && sync && rm -rf .bench-copy`], { cwd: dir });
    timings.push(timeShell(dir, 'baseline: cp -r right after rm -rf', `cp -r ${target} .bench-copy2 && rm -rf .bench-copy2`, true));
  }
  // leave the dataset as generated for the next run (undo the change)
  if (!keep) trash(dir);
  else {
    trash(join(dir, '.dvc'));
    writeFileSync(join(dir, ds.changeFile), original);
  }
  return { ds, timings };
}

function main(): void {
  if (!existsSync(CLI)) {
    process.stderr.write('build first: npm run build\n');
    process.exit(1);
  }
  const sets = (process.env.BENCH_SETS ?? 'pets,tiny100k').split(',').map((s) => s.trim());
  const pets = Number(process.env.BENCH_PETS ?? 24999);
  const tiny = process.env.BENCH_TINY ? Number(process.env.BENCH_TINY) : undefined;
  mkdirSync(BENCH_DIR, { recursive: true });
  const rows: string[] = startup();
  for (const s of sets) {
    const { ds, timings } =
      s === 'pets' ? runSet('pets', pets) : s === 'tiny100k' ? runSet('tiny', tiny ?? 100_000) : s === 'tiny1m' ? runSet('tiny', tiny ?? 1_000_000) : (() => { throw new Error(`unknown set ${s}`); })();
    rows.push(`\n${ds.name}, ${(ds.bytes / 1e6).toFixed(0)} MB`);
    rows.push(`  ${'step'.padEnd(32)} ${'seconds'.padStart(8)} ${'peak MB'.padStart(8)}`);
    for (const t of timings) {
      rows.push(`  ${t.step.padEnd(32)} ${t.seconds.toFixed(t.step.includes('median') ? 3 : 2).padStart(8)} ${(t.maxRssMb ? t.maxRssMb.toFixed(0) : '').padStart(8)}${t.rc !== 0 && !t.step.includes('status') ? '  (failed)' : ''}`);
    }
  }
  process.stdout.write(`copper dvc bench (node ${process.version}, ${process.env.BENCH_SETS ?? 'pets,tiny100k'})` + rows.join('\n') + '\n');
  bin.empty();
}

// Run only as a script (bench/remote.ts imports the dataset generator).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
