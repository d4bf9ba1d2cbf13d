/**
 * The experiment queue as Python DVC 3.x keeps it (dvc/repo/experiments/queue/celery.py, base.py,
 * tasks.py and dvc-task), so either tool sees the other's queue:
 *
 *   refs/exps/celery/stash            one reflog entry per queued experiment: a stash-shaped commit
 *                                     (parents: baseline, index) of the workspace with the -S
 *                                     overrides applied and `.dvc/tmp/repro.dat` (the run's
 *                                     arguments, pickled), message `dvc-exp:<head>:<baseline>:<name>`
 *   refs/exps/celery/failed           the stash commits of failed runs
 *   .dvc/tmp/exps/celery/broker/in    one kombu filesystem message per queued task (celery's task
 *                                     protocol 2, task `...queue.tasks.run_exp`, args [QueueEntry])
 *   .dvc/tmp/exps/celery/broker/processed   the messages of started tasks (a worker claims a task
 *                                     by moving its message here, as kombu does)
 *   .dvc/tmp/exps/celery/result/celery-task-meta-<id>   the result of a finished task
 *   .dvc/tmp/exps/run/<stash_rev>/    <rev>.run (ExecutorInfo), <rev>.json (ProcessInfo), <rev>.out (log)
 *
 * A task is queued while its message is in `in/`, running while it is processed without a result,
 * done once it has one; done tasks whose ExecutorInfo has no result are failed.
 *
 * Workers are detached `dvc exp queue-worker <node>` processes (ours register themselves under
 * .dvc/tmp/exps/celery/workers/). A worker takes the oldest message, checks the stash commit out
 * in a temporary git worktree under .dvc/tmp/exps/ (sharing the repository's objects, refs and DVC
 * cache) and runs `dvc exp exec-run` there, in its own process group, logging to <rev>.out; the
 * experiment commit and ref are written straight into the repository. A task whose worker died
 * (killed) is marked failed by the next queue command that looks, so the queue stays consistent.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../../fs/local.js';
import type { Repo } from '../repo.js';
import { collectRev, type ExpData } from './collect.js';
import { PyTuple, pickleDumps, pickleLoads, type PyValue } from './pickle.js';
import {
  CELERY_STASH,
  EXPS_STASH,
  ExpRefInfo,
  ExperimentError,
  UnresolvedExpNamesError,
  getRef,
  git,
  gitRun,
} from './refs.js';

export const CELERY_FAILED_STASH = 'refs/exps/celery/failed';
export const RUN_EXP_TASK = 'dvc.repo.experiments.queue.tasks.run_exp';
const PACKED_ARGS_FILE = 'repro.dat';

/** Seconds an idle worker waits for new tasks before it exits (DVC's TemporaryWorker timeout). */
const IDLE_TIMEOUT_MS = Number(process.env.COPPER_QUEUE_IDLE_TIMEOUT ?? 10) * 1000;

/** DVC's TaskStatus. */
export const TaskStatus = { PENDING: 0, PREPARING: 1, RUNNING: 2, SUCCESS: 3, FAILED: 4, CANCELED: 5, FINISHED: 6 } as const;

/** DVC's QueueEntry (asdict order). */
export interface QueueEntry {
  dvc_root: string;
  scm_root: string;
  stash_ref: string;
  stash_rev: string;
  baseline_rev: string;
  branch: string | null;
  name: string | null;
  head_rev: string | null;
}

/** DVC's ExecutorInfo. */
export interface ExecutorInfo {
  git_url: string;
  baseline_rev: string;
  location: string;
  root_dir: string;
  dvc_dir: string;
  name: string | null;
  wdir: string | null;
  result_hash: string | null;
  result_ref: string | null;
  result_force: boolean;
  status: number;
}

/** dvc-task's ProcessInfo. */
export interface ProcessInfo {
  pid: number;
  stdin: string | null;
  stdout: string | null;
  stderr: string | null;
  returncode: number | null;
}

/** An experiment's executor as `exp show` reports it (DVC's ExpExecutor). */
export interface ExpExecutor {
  state: 'success' | 'queued' | 'running' | 'failed';
  name: string | null;
  local: { root: string | null; log: string | null; pid: bigint | null; returncode: bigint | null; task_id: string | null } | null;
}

export interface Task {
  entry: QueueEntry;
  /** Celery task id. */
  id: string;
  /** The message file. */
  file: string;
}

export interface DoneTask extends Task {
  info: ExecutorInfo | null;
  /** The experiment ref when it succeeded. */
  ref: ExpRefInfo | null;
}

// ------------------------------------------------------------------ small helpers

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function writeJson(file: string, v: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(v));
}

export function pidAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie (exited, not yet reaped by its parent) is not running
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** git, retried while another process holds the ref's lock. */
function gitLocked(root: string, args: string[]): string {
  for (let i = 0; ; i++) {
    const r = gitRun(root, args);
    if (r.code === 0) return r.stdout;
    if (i < 100 && /\.lock|lock file|Unable to create/i.test(r.stderr)) {
      sleepSync(50 + Math.random() * 50);
      continue;
    }
    throw new ExperimentError(`git ${args[0]} failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`}`);
  }
}

// ------------------------------------------------------------------ stash refs (scmrepo's Stash)

export interface StashEntry {
  index: number;
  rev: string;
  headRev: string;
  baselineRev: string;
  name: string | null;
  branch: string | null;
}

const STASH_MSG_RE = /^commit: dvc-exp:([0-9a-f]+):([0-9a-f]+):([^~^:\\?[\]*]*)(?::(.+))?$/;

/** The entries of a stash ref, newest first (index 0), as DVC's ExpStash.stash_revs. */
export function stashEntries(root: string, ref: string): StashEntry[] {
  if (!getRef(root, ref)) return [];
  const r = gitRun(root, ['log', '-g', '--format=%H %gs', ref, '--']);
  if (r.code !== 0) return [];
  const out: StashEntry[] = [];
  r.stdout
    .split('\n')
    .filter(Boolean)
    .forEach((line, index) => {
      const sp = line.indexOf(' ');
      const m = STASH_MSG_RE.exec(line.slice(sp + 1).trim());
      if (m) out.push({ index, rev: line.slice(0, sp), headRev: m[1]!, baselineRev: m[2]!, name: m[3] || null, branch: m[4] ?? null });
    });
  return out;
}

function stashPush(root: string, ref: string, rev: string, message: string): void {
  withStashLock(root, () => gitLocked(root, ['update-ref', '--create-reflog', '-m', `commit: ${message}`, ref, rev]));
}

/** Drops stash entries (by commit), newest index first, as git stash drop. */
function stashDrop(root: string, ref: string, revs: string[]): void {
  if (!revs.length) return;
  withStashLock(root, () => stashDropLocked(root, ref, revs));
}

function stashDropLocked(root: string, ref: string, revs: string[]): void {
  for (let attempt = 0; attempt < 100; attempt++) {
    const entries = stashEntries(root, ref).filter((e) => revs.includes(e.rev));
    if (!entries.length) return;
    const idx = entries.map((e) => e.index).sort((a, b) => b - a);
    let ok = true;
    for (const i of idx) {
      const r = gitRun(root, ['reflog', 'delete', '--updateref', '--rewrite', `${ref}@{${i}}`]);
      if (r.code !== 0) {
        ok = false;
        break;
      }
    }
    if (ok) {
      // an empty reflog: the stash is gone (git stash drop's last entry)
      if (!gitRun(root, ['log', '-g', '--format=%H', ref, '--']).stdout.trim()) gitRun(root, ['update-ref', '-d', ref]);
      return;
    }
    sleepSync(50 + Math.random() * 50);
  }
  throw new ExperimentError(`could not update '${ref}': it stays locked by another git process`);
}

/**
 * Serializes the stash reflog edits of this repository's processes (a drop by index must not race
 * another process's drop): an exclusive folder, taken over when its holder is gone.
 */
function withStashLock<T>(root: string, fn: () => T): T {
  const lock = resolve(root, git(root, ['rev-parse', '--git-common-dir']).trim(), 'copper-exps-stash.lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if ((holder && !pidAlive(holder)) || age > 60_000) rmSync(lock, { recursive: true, force: true });
      else if (i > 2000) throw new ExperimentError(`the experiments queue stays locked ('${lock}')`);
      else sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function stashMessage(head: string, baseline: string, name: string | null, branch?: string | null): string {
  return `dvc-exp:${head}:${baseline}:${name ?? ''}${branch ? `:${branch}` : ''}`;
}

// ------------------------------------------------------------------ the queue's folders

/** The `dvc repro` arguments of an experiment, as repro.dat holds them (DVC's _common_kwargs). */
export interface ReproArgs {
  targets: string[];
  single: boolean;
  force: boolean;
  dry: boolean;
  interactive: boolean;
  pipeline: boolean;
  allPipelines: boolean;
  downstream: boolean;
  recursive: boolean;
  forceDownstream: boolean;
  pull: boolean;
  allowMissing: boolean;
  onError: 'fail' | 'keep-going' | 'ignore';
}

export interface PutOptions extends Partial<ReproArgs> {
  baseline: string;
  name: string;
  message?: string;
  /**
   * -C/--copy-paths: untracked or ignored files and folders copied into the experiment's worktree
   * before it runs, relative to the DVC root (see copyPathsOf).
   */
  copyPaths?: string[];
  writeParams: (dir: string) => Promise<string[]>;
}

/**
 * The repro.dat kwargs of DVC's _pack_args, in its order: `run_env`, then what `exp run` hands to
 * queue_one (targets and dvc repro's arguments; name, params, copy_paths and message are taken
 * out on the way).
 */
function packedKwargs(opts: PutOptions, run_env: Record<string, PyValue>): Record<string, PyValue> {
  return {
    run_env,
    targets: opts.targets ?? [],
    single_item: !!opts.single,
    force: !!opts.force,
    dry: !!opts.dry,
    interactive: !!opts.interactive,
    pipeline: !!opts.pipeline,
    all_pipelines: !!opts.allPipelines,
    downstream: !!opts.downstream,
    recursive: !!opts.recursive,
    force_downstream: !!opts.forceDownstream,
    pull: !!opts.pull,
    allow_missing: !!opts.allowMissing,
    on_error: opts.onError ?? 'fail',
  };
}

/** Why a -C path cannot be copied (null when it can): outside the repository, the repository itself, or git's own folder. */
function copyPathRefusal(root: string, abs: string, given: string): string | null {
  const rel = relative(root, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `Unable to copy '${given}': it is outside the repository '${root}'.`;
  if (!rel || rel.split(sep)[0] === '.git') return `Unable to copy '${given}': the repository itself and its .git cannot be copied.`;
  return null;
}

/**
 * -C/--copy-paths as given (relative to `cwd`), checked and made relative to the DVC root: a path
 * outside the repository is refused.
 */
export function copyPathsOf(repo: Repo, paths: string[], cwd = process.cwd()): string[] {
  return paths.map((p) => {
    const abs = resolve(cwd, p);
    const why = copyPathRefusal(repo.root, abs, p);
    if (why) throw new ExperimentError(why);
    return relative(repo.root, abs).split(sep).join('/');
  });
}

/** DVC's _copy_path refusal of what is neither a file nor a folder (or not there). */
function checkCopySource(src: string): void {
  let st;
  try {
    st = statSync(src);
  } catch {
    st = null;
  }
  if (!st || !(st.isFile() || st.isDirectory())) throw new ExperimentError(`Unable to copy '${src}'. It is not a file or directory.`);
}

/**
 * DVC's BaseExecutor._copy_path for each -C path: the file or folder of the repository copied to
 * the same place in the worktree (folders merged into what is there).
 */
export function copyInto(repoRoot: string, destRoot: string, paths: string[]): void {
  for (const p of paths) {
    // a task's paths (Python DVC's: as given) are taken from the repository's root
    const src = resolve(repoRoot, p);
    const why = copyPathRefusal(repoRoot, src, p);
    if (why) throw new ExperimentError(why);
    const dst = join(destRoot, relative(repoRoot, src));
    checkCopySource(src);
    try {
      mkdirSync(dirname(dst), { recursive: true });
      cpSync(src, dst, { recursive: true, dereference: true, force: true });
    } catch (e) {
      throw new ExperimentError(`Unable to copy '${src}' to '${dst}'.`, { cause: e });
    }
  }
}

/** Where `exp run --temp` runs (DVC's TempDirQueue: .dvc/tmp/exps/standalone). */
const STANDALONE = 'standalone';

export class ExpQueue {
  readonly root: string;
  readonly expsDir: string;
  readonly celeryDir: string;
  readonly inDir: string;
  readonly processedDir: string;
  readonly controlDir: string;
  readonly resultDir: string;
  readonly pidDir: string;
  readonly workersDir: string;

  constructor(readonly repo: Repo) {
    if (!repo.scm) throw new ExperimentError('Only available for Git repositories.');
    this.root = repo.scm.root;
    this.expsDir = join(repo.tmpDir, 'exps');
    this.celeryDir = join(this.expsDir, 'celery');
    this.inDir = join(this.celeryDir, 'broker', 'in');
    this.processedDir = join(this.celeryDir, 'broker', 'processed');
    this.controlDir = join(this.celeryDir, 'broker', 'control');
    this.resultDir = join(this.celeryDir, 'result');
    this.pidDir = join(this.expsDir, 'run');
    this.workersDir = join(this.celeryDir, 'workers');
  }

  mkdirs(): void {
    for (const d of [this.inDir, this.processedDir, this.controlDir, this.resultDir, this.pidDir, this.workersDir]) mkdirSync(d, { recursive: true });
  }

  infofile(rev: string): string {
    return join(this.pidDir, rev, `${rev}.run`);
  }
  procfile(rev: string): string {
    return join(this.pidDir, rev, `${rev}.json`);
  }
  logfile(rev: string): string {
    return join(this.pidDir, rev, `${rev}.out`);
  }
  resultFile(id: string): string {
    return join(this.resultDir, `celery-task-meta-${id}`);
  }

  loadInfo(rev: string): ExecutorInfo | null {
    return readJson<ExecutorInfo>(this.infofile(rev));
  }
  loadProc(rev: string): ProcessInfo | null {
    return readJson<ProcessInfo>(this.procfile(rev));
  }

  // ---------------------------------------------------------------- messages

  private readTasks(dir: string): Task[] {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.msg')).sort();
    } catch {
      return [];
    }
    const out: Task[] = [];
    for (const n of names) {
      const file = join(dir, n);
      const m = readJson<{ body?: string; headers?: { task?: string; id?: string } }>(file);
      if (!m || m.headers?.task !== RUN_EXP_TASK || !m.headers.id || typeof m.body !== 'string') continue;
      try {
        const [args, kwargs] = JSON.parse(Buffer.from(m.body, 'base64').toString('utf8')) as [unknown[], Record<string, unknown>];
        const entry = (kwargs?.entry_dict ?? args[0]) as QueueEntry;
        if (entry && typeof entry.stash_rev === 'string') out.push({ entry, id: m.headers.id, file });
      } catch {
        /* not a message we can read */
      }
    }
    return out;
  }

  /** Queued tasks, oldest first. */
  queued(): Task[] {
    return this.readTasks(this.inDir);
  }

  private processed(): Task[] {
    return this.readTasks(this.processedDir);
  }

  private ready(id: string): boolean {
    return existsSync(this.resultFile(id));
  }

  /** Started tasks without a result (after marking the ones whose worker died as failed). */
  active(): Task[] {
    this.reap();
    return this.processed().filter((t) => !this.ready(t.id));
  }

  /** Finished tasks with their ExecutorInfo. */
  done(): DoneTask[] {
    return this.processed()
      .filter((t) => this.ready(t.id))
      .map((t) => {
        const info = this.loadInfo(t.entry.stash_rev);
        const ref = info?.result_hash && info.result_ref ? ExpRefInfo.fromRef(info.result_ref) : null;
        return { ...t, info, ref };
      });
  }

  success(): DoneTask[] {
    return this.done().filter((t) => t.ref);
  }

  failed(): DoneTask[] {
    return this.done().filter((t) => !t.ref);
  }

  private writeResult(id: string, status: 'SUCCESS' | 'FAILURE'): void {
    writeJson(this.resultFile(id), {
      status,
      result: null,
      traceback: null,
      children: [],
      date_done: new Date().toISOString().replace('Z', '+00:00'),
      task_id: id,
    });
  }

  /**
   * A started task whose worker and experiment process are both gone without a result (a killed
   * worker): marked failed (result FAILURE, its stash commit on refs/exps/celery/failed).
   */
  reap(): void {
    const alive = new Set(this.workers().map((w) => w.task));
    for (const t of this.processed()) {
      if (this.ready(t.id)) continue;
      const claim = readJson<{ pid: number }>(join(this.pidDir, t.entry.stash_rev, 'worker.json'));
      if (alive.has(t.entry.stash_rev)) continue;
      if (claim && pidAlive(claim.pid)) continue;
      const proc = this.loadProc(t.entry.stash_rev);
      if (proc && proc.returncode === null && pidAlive(proc.pid)) continue;
      // a task claimed a moment ago may not have written its claim yet
      if (!claim) {
        try {
          if (Date.now() - statSync(t.file).mtimeMs < 5000) continue;
        } catch {
          continue;
        }
      }
      this.finishFailed(t);
    }
  }

  private finishFailed(t: Task): void {
    const rev = t.entry.stash_rev;
    const info = this.loadInfo(rev);
    if (info) writeJson(this.infofile(rev), { ...info, result_hash: null, result_ref: null, status: TaskStatus.FAILED });
    const proc = this.loadProc(rev);
    if (proc && proc.returncode === null) writeJson(this.procfile(rev), { ...proc, returncode: -9 });
    this.stashFailed(t.entry);
    this.writeResult(t.id, 'FAILURE');
  }

  stashFailed(entry: QueueEntry): void {
    if (gitRun(this.root, ['cat-file', '-e', `${entry.stash_rev}^{commit}`]).code !== 0) return;
    stashPush(this.root, CELERY_FAILED_STASH, entry.stash_rev, stashMessage(entry.head_rev ?? entry.baseline_rev, entry.baseline_rev, entry.name, entry.branch));
  }

  /** The kombu filesystem message celery's `run_exp.s(entry).delay()` writes. */
  private enqueue(entry: QueueEntry, opts: { message?: string | null; copyPaths?: string[] | null }): string {
    this.mkdirs();
    const id = randomUUID();
    const args = [entry];
    const kwargs = { copy_paths: opts.copyPaths ?? null, message: opts.message ?? null };
    const body = [args, kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }];
    const msg = {
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: {
        lang: 'py',
        task: RUN_EXP_TASK,
        id,
        shadow: null,
        eta: null,
        expires: null,
        group: null,
        group_index: null,
        retries: 0,
        timelimit: [null, null],
        root_id: id,
        parent_id: null,
        argsrepr: `(${JSON.stringify(entry)},)`,
        kwargsrepr: JSON.stringify(kwargs),
        origin: `gen${process.pid}@${hostname()}`,
        ignore_result: false,
        replaced_task_nesting: 0,
        stamped_headers: null,
        stamps: {},
      },
      properties: {
        correlation_id: id,
        reply_to: randomUUID(),
        delivery_mode: 2,
        delivery_info: { exchange: '', routing_key: 'celery' },
        priority: 0,
        body_encoding: 'base64',
        delivery_tag: randomUUID(),
      },
    };
    const ms = Number(process.hrtime.bigint() / 1000000n);
    writeFileAtomic(join(this.inDir, `${ms}_${randomUUID()}.celery.msg`), JSON.stringify(msg));
    return id;
  }

  // ---------------------------------------------------------------- queueing

  /**
   * `exp run --queue`: the workspace with the overrides applied (`writeParams` writes each changed
   * params file into the folder given, paths relative to the DVC root) stashed as a commit on
   * refs/exps/celery/stash, and a task for it. The workspace is left as it is.
   */
  async put(opts: PutOptions): Promise<QueueEntry> {
    const entry = await this.stashEntry(opts, CELERY_STASH);
    this.enqueue(entry, { message: opts.message, copyPaths: opts.copyPaths ?? [] });
    return entry;
  }

  /** The stash commit of the workspace with the overrides applied, pushed on `stashRef`. */
  private async stashEntry(opts: PutOptions, stashRef: string): Promise<QueueEntry> {
    const root = this.root;
    const dir = mkdtempSync(join(tmpdir(), 'copper-queue-'));
    try {
      const index = join(dir, 'index');
      const env = { GIT_INDEX_FILE: index };
      const real = resolve(root, git(root, ['rev-parse', '--git-path', 'index']).trim());
      if (existsSync(real)) {
        copyFileSync(real, index);
        const st = statSync(real);
        utimesSync(index, st.atime, st.mtime);
      } else git(root, ['read-tree', opts.baseline], { env });
      git(root, ['add', '-u'], { env });
      const work = join(dir, 'work');
      mkdirSync(work);
      const dvcPrefix = relative(root, this.repo.root).split('\\').join('/');
      const add = (path: string, data: Buffer) => {
        const oid = git(root, ['hash-object', '-w', '--stdin'], { input: data as unknown as string }).trim();
        git(root, ['update-index', '--add', '--cacheinfo', `100644,${oid},${path}`], { env });
      };
      for (const rel of await opts.writeParams(work)) {
        add([dvcPrefix, rel].filter(Boolean).join('/'), readFileSync(join(work, rel)));
      }
      const run_env: Record<string, PyValue> = { DVC_EXP_BASELINE_REV: opts.baseline, DVC_EXP_NAME: opts.name, DVC_ROOT: this.repo.root };
      const kwargs = packedKwargs(opts, run_env);
      add([dvcPrefix, '.dvc', 'tmp', PACKED_ARGS_FILE].filter(Boolean).join('/'), pickleDumps({ args: new PyTuple([]), kwargs }));
      const tree = git(root, ['write-tree'], { env }).trim();
      const short = opts.baseline.slice(0, 7);
      const indexCommit = git(root, ['commit-tree', tree, '-p', opts.baseline, '-F', '-'], { input: `index on ${short}\n` }).trim();
      const msg = stashMessage(opts.baseline, opts.baseline, opts.name);
      const rev = git(root, ['commit-tree', tree, '-p', opts.baseline, '-p', indexCommit, '-F', '-'], { input: msg + '\n' }).trim();
      stashPush(root, stashRef, rev, msg);
      return {
        dvc_root: this.repo.root,
        scm_root: root,
        stash_ref: stashRef,
        stash_rev: rev,
        baseline_rev: opts.baseline,
        branch: null,
        name: opts.name,
        head_rev: opts.baseline,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // ---------------------------------------------------------------- status

  /** DVC's queue status: Running, Queued, Failed, Success; timestamps are the stash commits'. */
  status(): Array<{ rev: string; name: string | null; timestamp: number | null; status: 'Running' | 'Queued' | 'Failed' | 'Success' }> {
    const time = (rev: string) => {
      const r = gitRun(this.root, ['show', '-s', '--format=%ct', rev]);
      return r.code === 0 ? Number(r.stdout.trim()) : null;
    };
    const res: ReturnType<ExpQueue['status']> = [];
    for (const t of this.active()) res.push({ rev: t.entry.stash_rev, name: t.entry.name, timestamp: time(t.entry.stash_rev), status: 'Running' });
    for (const t of this.queued()) res.push({ rev: t.entry.stash_rev, name: t.entry.name, timestamp: time(t.entry.stash_rev), status: 'Queued' });
    const done = this.done();
    for (const t of done.filter((d) => !d.ref)) res.push({ rev: t.entry.stash_rev, name: t.entry.name, timestamp: time(t.entry.stash_rev), status: 'Failed' });
    for (const t of done.filter((d) => d.ref)) res.push({ rev: t.entry.stash_rev, name: t.entry.name || t.ref!.name, timestamp: time(t.entry.stash_rev), status: 'Success' });
    return res;
  }

  // ---------------------------------------------------------------- names

  /** DVC's match_queue_entry_by_name: a name, or a prefix of the stash commit. */
  match<T extends Task>(names: string[], tasks: T[]): Map<string, T | null> {
    const byName = new Map<string, T>();
    for (const t of tasks) {
      const name = 'ref' in t && (t as unknown as DoneTask).ref ? (t as unknown as DoneTask).ref!.name : t.entry.name;
      if (name) byName.set(name, t);
    }
    const res = new Map<string, T | null>();
    for (const n of names) {
      let hit = byName.get(n) ?? null;
      if (!hit && /^[0-9a-f]{4,40}$/i.test(n)) hit = tasks.find((t) => t.entry.stash_rev.startsWith(n.toLowerCase())) ?? null;
      res.set(n, hit);
    }
    return res;
  }

  // ---------------------------------------------------------------- remove

  private removeTasks(tasks: Task[]): void {
    const queuedRevs: string[] = [];
    const failedRevs: string[] = [];
    for (const t of tasks) {
      if (t.file.startsWith(this.inDir)) {
        rmSync(t.file, { force: true });
        queuedRevs.push(t.entry.stash_rev);
      } else {
        rmSync(t.file, { force: true });
        rmSync(this.resultFile(t.id), { force: true });
        failedRevs.push(t.entry.stash_rev);
      }
    }
    stashDrop(this.root, CELERY_STASH, queuedRevs);
    stashDrop(this.root, CELERY_FAILED_STASH, failedRevs);
  }

  private names(tasks: Array<Task | DoneTask>): string[] {
    return tasks.map((t) => ('ref' in t && t.ref ? t.ref.name : t.entry.name || t.entry.stash_rev.slice(0, 7)));
  }

  /** `queue remove --queued/--failed/--success`. Returns the removed names. */
  clear(opts: { queued?: boolean; failed?: boolean; success?: boolean }): string[] {
    const removed: string[] = [];
    const list: Task[] = [];
    if (opts.queued) {
      const q = this.queued();
      list.push(...q);
      removed.push(...this.names(q));
    }
    if (opts.failed || opts.success) this.reap();
    if (opts.failed) {
      const f = this.failed();
      list.push(...f);
      removed.push(...this.names(f));
    }
    if (opts.success) {
      const s = this.success();
      list.push(...s);
      removed.push(...this.names(s));
    }
    this.removeTasks(list);
    return removed;
  }

  /** `queue remove <task>...`: queued or finished tasks by name or stash commit. */
  remove(names: string[]): string[] {
    const m = this.match(names, [...this.queued(), ...this.done()]);
    const missing = [...m].filter(([, t]) => !t).map(([n]) => n);
    if (missing.length) throw new UnresolvedExpNamesError(missing);
    this.removeTasks([...m.values()] as Task[]);
    return [...m.keys()];
  }

  // ---------------------------------------------------------------- workers

  /** Our live workers. */
  workers(): Array<{ node: string; pid: number; task: string | null }> {
    let names: string[] = [];
    try {
      names = readdirSync(this.workersDir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const out: Array<{ node: string; pid: number; task: string | null }> = [];
    for (const n of names) {
      const w = readJson<{ node: string; pid: number; task: string | null }>(join(this.workersDir, n));
      if (w && pidAlive(w.pid)) out.push(w);
      else if (w) rmSync(join(this.workersDir, n), { force: true });
    }
    return out;
  }

  nodeName(num: number): string {
    const hash = createHash('sha256').update(this.celeryDir).digest('hex').slice(0, 6);
    return `dvc-exp-${hash}-${num}@localhost`;
  }

  /** DVC's start_workers: workers 1..count that are not running yet. Returns how many started. */
  startWorkers(count: number, cli: { node: string; script: string }): number {
    this.mkdirs();
    const running = new Set(this.workers().map((w) => w.node));
    let started = 0;
    for (let num = 1; num <= count; num++) {
      const node = this.nodeName(num);
      if (running.has(node)) continue;
      rmSync(join(this.workersDir, `${node}.stop`), { force: true });
      const log = openSync(join(this.celeryDir, `dvc-exp-worker-${num}.out`), 'a');
      const child = spawn(cli.node, [cli.script, 'exp', 'queue-worker', node], {
        cwd: this.repo.root,
        detached: true,
        stdio: ['ignore', log, log],
        env: process.env,
      });
      closeSync(log);
      child.unref();
      // registered here too, so a status right after start counts it
      writeJson(join(this.workersDir, `${node}.json`), { node, pid: child.pid, task: null });
      started++;
    }
    return started;
  }

  /** `queue stop`: every worker stops after its running task (with `kill`, the tasks are killed). */
  shutdown(kill = false): void {
    for (const w of this.workers()) writeFileSync(join(this.workersDir, `${w.node}.stop`), '');
    if (kill) {
      const active = this.active();
      this.killTasks(active, true);
    }
  }

  private killTasks(tasks: Task[], force: boolean): string[] {
    const killed: string[] = [];
    for (const t of tasks) {
      const proc = this.loadProc(t.entry.stash_rev);
      if (proc && proc.returncode === null && pidAlive(proc.pid)) {
        try {
          process.kill(-proc.pid, force ? 'SIGKILL' : 'SIGINT');
        } catch {
          try {
            process.kill(proc.pid, force ? 'SIGKILL' : 'SIGINT');
          } catch {
            /* gone already */
          }
        }
        killed.push(t.entry.stash_rev);
      } else {
        // not started yet (or gone): the task is marked failed
        this.finishFailed(t);
        killed.push(t.entry.stash_rev);
      }
    }
    return killed;
  }

  /** `queue kill <task>...`: running tasks by name or stash commit; the names killed and those not running. */
  kill(names: string[], force = false): { killed: string[]; missing: string[] } {
    const m = this.match(names, this.active());
    const missing = [...m].filter(([, t]) => !t).map(([n]) => n);
    const found = [...m].filter(([, t]) => t) as Array<[string, Task]>;
    this.killTasks(
      found.map(([, t]) => t),
      force,
    );
    return { killed: found.map(([n]) => n), missing };
  }

  /** Waits for a task to finish (its result written). */
  async waitDone(t: Task, onLog?: (chunk: Buffer) => void): Promise<DoneTask | null> {
    const rev = t.entry.stash_rev;
    let offset = 0;
    const flush = () => {
      if (!onLog) return;
      try {
        const buf = readFileSync(this.logfile(rev));
        if (buf.length > offset) {
          onLog(buf.subarray(offset));
          offset = buf.length;
        }
      } catch {
        /* no log yet */
      }
    };
    for (;;) {
      flush();
      if (this.ready(t.id)) {
        flush();
        return this.done().find((d) => d.id === t.id) ?? null;
      }
      // removed from the queue meanwhile
      if (!existsSync(t.file) && !existsSync(join(this.processedDir, t.file.slice(t.file.lastIndexOf('/') + 1)))) return null;
      this.reap();
      await sleep(200);
    }
  }

  /** The processed task of a queued one once a worker has claimed it. */
  started(t: Task): Task {
    const p = join(this.processedDir, t.file.slice(t.file.lastIndexOf('/') + 1));
    return existsSync(p) ? { ...t, file: p } : t;
  }

  // ---------------------------------------------------------------- exp show

  private exp(rev: string, name: string | null): { rev: string; name: string | null; data: ExpData | null; error: { msg: string; type: string } | null; experiments: null } {
    try {
      return { rev, name, data: collectRev(this.repo, rev), error: null, experiments: null };
    } catch (e) {
      return { rev, name, data: null, error: { msg: (e as Error).message, type: (e as Error).name }, experiments: null };
    }
  }

  /** Queued, running and failed experiments per baseline, and the executors of successful ones (by ref). */
  collect(baselines: string[]): {
    active: Map<string, ShowRange[]>;
    queued: Map<string, ShowRange[]>;
    failed: Map<string, ShowRange[]>;
    success: Map<string, ExpExecutor>;
  } {
    const want = new Set(baselines);
    const push = (m: Map<string, ShowRange[]>, k: string, r: ShowRange) => m.set(k, [...(m.get(k) ?? []), r]);
    const active = new Map<string, ShowRange[]>();
    const queued = new Map<string, ShowRange[]>();
    const failed = new Map<string, ShowRange[]>();
    const success = new Map<string, ExpExecutor>();
    if (!existsSync(this.celeryDir)) return { active, queued, failed, success };
    const local = (rev: string, extra: Partial<NonNullable<ExpExecutor['local']>> = {}) => {
      const p = this.loadProc(rev);
      return p ? { root: null, log: p.stdout, pid: BigInt(p.pid), returncode: p.returncode === null ? null : BigInt(p.returncode), task_id: rev, ...extra } : null;
    };
    for (const t of this.active()) {
      if (!want.has(t.entry.baseline_rev)) continue;
      const rev = t.entry.stash_rev;
      const info = this.loadInfo(rev);
      const e = this.exp(rev, t.entry.name);
      if (e.data) e.data.metrics = {};
      push(active, t.entry.baseline_rev, {
        revs: [e],
        executor: { state: 'running', name: info?.location ?? 'dvc-task', local: local(rev, { root: info?.root_dir ?? null, returncode: null }) },
        name: t.entry.name,
      });
    }
    for (const t of this.queued()) {
      if (!want.has(t.entry.baseline_rev)) continue;
      const e = this.exp(t.entry.stash_rev, t.entry.name);
      if (e.data) e.data.metrics = {};
      push(queued, t.entry.baseline_rev, {
        revs: [e],
        executor: { state: 'queued', name: 'dvc-task', local: { root: null, log: null, pid: null, returncode: null, task_id: t.entry.stash_rev } },
        name: t.entry.name,
      });
    }
    for (const t of this.done()) {
      const rev = t.entry.stash_rev;
      if (t.ref) {
        success.set(String(t.ref), { state: 'success', name: 'dvc-task', local: local(rev) });
        continue;
      }
      if (!want.has(t.entry.baseline_rev)) continue;
      const e = this.exp(rev, t.entry.name);
      e.error = { msg: 'Experiment run failed', type: '' };
      push(failed, t.entry.baseline_rev, { revs: [e], executor: { state: 'failed', name: null, local: local(rev) }, name: t.entry.name });
    }
    return { active, queued, failed, success };
  }

  // ---------------------------------------------------------------- clean

  /** `exp clean`: worktrees and files left by dead workers and finished tasks. */
  clean(): void {
    this.reap();
    const activeRoots = new Set(
      this.active()
        .map((t) => this.loadInfo(t.entry.stash_rev)?.root_dir)
        .filter(Boolean),
    );
    let names: string[] = [];
    try {
      names = readdirSync(this.expsDir);
    } catch {
      /* nothing */
    }
    for (const n of names) {
      if (!n.startsWith('tmp')) continue;
      const dir = join(this.expsDir, n);
      if (activeRoots.has(dir)) continue;
      gitRun(this.root, ['worktree', 'remove', '--force', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
    // `exp run --temp` worktrees whose run is over (its process gone)
    const standalone = join(this.expsDir, STANDALONE);
    const running = new Set<string>();
    const ls = (dir: string) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    for (const rev of ls(join(standalone, 'run'))) {
      const proc = readJson<ProcessInfo>(join(standalone, 'run', rev, `${rev}.json`));
      const info = readJson<ExecutorInfo>(join(standalone, 'run', rev, `${rev}.run`));
      if (proc && proc.returncode === null && pidAlive(proc.pid) && info?.root_dir) running.add(info.root_dir);
      else rmSync(join(standalone, 'run', rev), { recursive: true, force: true });
    }
    for (const n of ls(standalone)) {
      const dir = join(standalone, n);
      if (!n.startsWith('tmp') || running.has(dir)) continue;
      gitRun(this.root, ['worktree', 'remove', '--force', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
    gitRun(this.root, ['worktree', 'prune']);
    const live = new Set(this.workers().map((w) => w.node));
    try {
      for (const n of readdirSync(this.workersDir)) if (n.endsWith('.stop') && !live.has(n.slice(0, -5))) rmSync(join(this.workersDir, n), { force: true });
    } catch {
      /* no workers folder */
    }
  }

  // ---------------------------------------------------------------- the worker

  /**
   * One worker (`dvc exp queue-worker <node>`): takes queued tasks one at a time until told to stop
   * or idle for IDLE_TIMEOUT.
   */
  async work(node: string, cli: { node: string; script: string }): Promise<void> {
    this.mkdirs();
    const me = join(this.workersDir, `${node}.json`);
    const stop = join(this.workersDir, `${node}.stop`);
    writeJson(me, { node, pid: process.pid, task: null });
    let idleSince = Date.now();
    try {
      for (;;) {
        if (existsSync(stop)) break;
        this.reap();
        const t = this.claim();
        if (!t) {
          if (Date.now() - idleSince > IDLE_TIMEOUT_MS) break;
          await sleep(300);
          continue;
        }
        writeJson(me, { node, pid: process.pid, task: t.entry.stash_rev });
        try {
          await this.runTask(t, cli);
        } finally {
          writeJson(me, { node, pid: process.pid, task: null });
          idleSince = Date.now();
        }
      }
    } finally {
      rmSync(me, { force: true });
      rmSync(stop, { force: true });
    }
  }

  /**
   * Moves the oldest queued message to processed (kombu's get); null when none is left. The claim
   * (our pid, in the task's run folder, never among kombu's messages) is written first, so no
   * other process takes a just-claimed task for an abandoned one.
   */
  private claim(): Task | null {
    for (const t of this.queued()) {
      const dest = join(this.processedDir, t.file.slice(t.file.lastIndexOf('/') + 1));
      writeJson(join(this.pidDir, t.entry.stash_rev, 'worker.json'), { pid: process.pid });
      try {
        renameSync(t.file, dest);
      } catch {
        continue; // another worker took it
      }
      return { ...t, file: dest };
    }
    return null;
  }

  private async runTask(t: Task, cli: { node: string; script: string }): Promise<void> {
    const entry = t.entry;
    const rev = entry.stash_rev;
    const runDir = join(this.pidDir, rev);
    mkdirSync(runDir, { recursive: true });
    writeJson(join(runDir, 'worker.json'), { pid: process.pid });
    // run_exp's kwargs: the commit message and the -C paths (DVC keeps them in the task, not in repro.dat)
    const kwargs = (() => {
      const m = readJson<{ body: string }>(t.file);
      try {
        return (JSON.parse(Buffer.from(m!.body, 'base64').toString('utf8'))[1] ?? {}) as { message?: unknown; copy_paths?: unknown };
      } catch {
        return {};
      }
    })();
    const message = typeof kwargs.message === 'string' ? kwargs.message : null;
    const copyPaths = Array.isArray(kwargs.copy_paths) ? kwargs.copy_paths.filter((x): x is string => typeof x === 'string') : [];
    let ok = false;
    try {
      ok = await this.execute(entry, message, cli, { wdir: this.expsDir, pidDir: this.pidDir, foreground: false, copyPaths });
    } catch (e) {
      try {
        writeFileSync(this.logfile(rev), `ERROR: ${(e as Error).message}\n`, { flag: 'a' });
      } catch {
        /* no log */
      }
    } finally {
      if (!ok) this.stashFailed(entry);
      this.writeResult(t.id, 'SUCCESS');
    }
  }

  /**
   * `exp run --temp` (DVC's TempDirQueue): the workspace with the overrides stashed on
   * refs/exps/stash, run at once in a temporary worktree under .dvc/tmp/exps/standalone, its
   * output on our stdout/stderr; the workspace is left as it is. Returns the experiment's name, or
   * the stash commit that failed (it is not kept on a failed queue). A dry run (--dry) saves no
   * experiment: `{ dry: true }` when it went through.
   */
  async runTemp(opts: PutOptions, cli: { node: string; script: string }): Promise<{ name: string; rev: string } | { failed: string } | { dry: true }> {
    // a -C path that is not there fails the run before anything is stashed
    for (const p of opts.copyPaths ?? []) checkCopySource(resolve(this.repo.root, p));
    const entry = await this.repo.withLock(() => this.stashEntry(opts, EXPS_STASH));
    const wdir = join(this.expsDir, STANDALONE);
    const pidDir = join(wdir, 'run');
    try {
      const ok = await this.execute(entry, opts.message ?? null, cli, {
        wdir,
        pidDir,
        foreground: true,
        copyPaths: opts.copyPaths ?? [],
        dry: !!opts.dry,
        // -i asks on the terminal the run was started from
        stdin: opts.interactive && process.stdin.isTTY ? 'inherit' : 'pipe',
      });
      if (ok && opts.dry) return { dry: true };
      const ref = ok ? readJson<ExecutorInfo>(join(pidDir, entry.stash_rev, `${entry.stash_rev}.run`))?.result_ref : null;
      const info = ref ? ExpRefInfo.fromRef(ref) : null;
      return info && ref ? { name: info.name, rev: getRef(this.root, ref)! } : { failed: entry.stash_rev };
    } finally {
      stashDrop(this.root, EXPS_STASH, [entry.stash_rev]);
      rmSync(join(pidDir, entry.stash_rev), { recursive: true, force: true });
    }
  }

  /**
   * Runs a stashed experiment in a temporary worktree of `wdir` (`exp exec-run` in a process of
   * its own group, killed when we die), after copying the -C paths into it; true when its
   * experiment ref was written (a dry run: when it went through). The worktree is removed
   * afterwards.
   */
  private async execute(
    entry: QueueEntry,
    message: string | null,
    cli: { node: string; script: string },
    where: { wdir: string; pidDir: string; foreground: boolean; copyPaths: string[]; dry?: boolean; stdin?: 'pipe' | 'inherit' },
  ): Promise<boolean> {
    const rev = entry.stash_rev;
    const runDir = join(where.pidDir, rev);
    const infofile = join(runDir, `${rev}.run`);
    const procfile = join(runDir, `${rev}.json`);
    const logfile = join(runDir, `${rev}.out`);
    mkdirSync(runDir, { recursive: true });
    let wt: string | null = null;
    try {
      stashDrop(this.root, entry.stash_ref || CELERY_STASH, [rev]);
      mkdirSync(where.wdir, { recursive: true });
      wt = mkdtempSync(join(where.wdir, 'tmp'));
      rmSync(wt, { recursive: true, force: true });
      gitLocked(this.root, ['worktree', 'add', '--detach', '-f', wt, rev]);
      const dvcDir = relative(this.root, this.repo.root) || '.';
      const wtDvc = join(wt, dvcDir);
      // the experiment uses the repository's cache (DVC's init_cache), and its own config.local
      const local = join(this.repo.dvcDir, 'config.local');
      mkdirSync(join(wtDvc, '.dvc'), { recursive: true });
      if (existsSync(local)) copyFileSync(local, join(wtDvc, '.dvc', 'config.local'));
      const { Repo } = await import('../repo.js');
      const wrepo = Repo.open(wtDvc);
      const cacheDir = this.repo.cacheDir;
      wrepo.config.edit('local', (c) => {
        const cache = ((c as Record<string, Record<string, unknown>>).cache ??= {});
        cache.dir = cacheDir;
      });
      const info: ExecutorInfo = {
        git_url: `file://${wt}`,
        baseline_rev: entry.baseline_rev,
        location: 'dvc-task',
        root_dir: wt,
        dvc_dir: dvcDir,
        name: entry.name,
        wdir: null,
        result_hash: null,
        result_ref: null,
        result_force: false,
        status: TaskStatus.PREPARING,
      };
      writeJson(infofile, info);
      const log = where.foreground ? null : openSync(logfile, 'w');
      const args = [cli.script, 'exp', 'exec-run', '--infofile', infofile];
      // as DVC's run_exp: the -C paths are copied by the run itself (into its log when they fail)
      for (const p of where.copyPaths) args.push('--copy-paths', p);
      if (message) args.push('--message', message);
      const child = spawn(cli.node, args, {
        cwd: wtDvc,
        detached: true,
        stdio: [where.stdin ?? 'pipe', log ?? 'inherit', log ?? 'inherit'],
        env: { ...process.env, COPPER_QUEUE_WORKER_PID: String(process.pid), DVC_EXP_BASELINE_REV: entry.baseline_rev, DVC_EXP_NAME: entry.name ?? '', DVC_ROOT: this.repo.root },
      });
      if (log !== null) closeSync(log);
      const stdout = log === null ? null : logfile;
      writeJson(procfile, { pid: child.pid ?? 0, stdin: null, stdout, stderr: null, returncode: null } satisfies ProcessInfo);
      // the experiment's stages run synchronously, so it cannot watch us itself: a watchdog
      // (its own session) kills its process group if this worker dies before it ends
      if (child.pid) {
        const W = process.pid;
        const P = child.pid;
        spawn('/bin/sh', ['-c', `while kill -0 ${W} 2>/dev/null && kill -0 ${P} 2>/dev/null; do sleep 0.3; done; kill -0 ${W} 2>/dev/null || kill -9 -${P} 2>/dev/null; exit 0`], {
          detached: true,
          stdio: 'ignore',
        }).unref();
      }
      const code = await new Promise<number>((res) => {
        child.on('error', () => res(1));
        child.on('exit', (c, sig) => res(c ?? -(sig ? (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }) as Record<string, number>)[sig] ?? 1 : 1)));
      });
      writeJson(procfile, { pid: child.pid ?? 0, stdin: null, stdout, stderr: null, returncode: code } satisfies ProcessInfo);
      const after = readJson<ExecutorInfo>(infofile);
      const ok = where.dry ? code === 0 : code === 0 && !!after?.result_hash && !!after.result_ref && !!getRef(this.root, after.result_ref);
      if (!ok && after) writeJson(infofile, { ...after, result_hash: null, result_ref: null, status: TaskStatus.FAILED });
      else if (after) writeJson(infofile, { ...after, status: TaskStatus.FINISHED });
      return ok;
    } finally {
      if (wt) {
        gitRun(this.root, ['worktree', 'remove', '--force', wt]);
        rmSync(wt, { recursive: true, force: true });
        gitRun(this.root, ['worktree', 'prune']);
      }
    }
  }
}

export interface ShowRange {
  revs: Array<{ rev: string; name: string | null; data: ExpData | null; error: { msg: string; type: string } | null; experiments: null }>;
  executor: ExpExecutor;
  name: string | null;
}

/** DVC's UnresolvedRunningExpNamesError. */
export class UnresolvedRunningExpNamesError extends ExperimentError {
  constructor(names: string[]) {
    super(names.length > 1 ? `'${names.join('; ')}' are not valid running experiment names` : `'${names[0]}' is not a valid running experiment name`);
  }
}

/** DVC's UnresolvedQueueExpNamesError. */
export class UnresolvedQueueExpNamesError extends ExperimentError {
  constructor(names: string[]) {
    super(names.length > 1 ? `'${names.join('; ')}' are not valid queued experiment names` : `'${names[0]}' is not a valid queued experiment name`);
  }
}

/**
 * The run's arguments from `.dvc/tmp/repro.dat` (deleted, as DVC's executor does): what ours and
 * Python DVC's `exp run --queue/--temp` pack; an argument that is not there has repro's default.
 */
export function unpackReproArgs(dvcTmpDir: string): ReproArgs {
  const file = join(dvcTmpDir, PACKED_ARGS_FILE);
  const none: ReproArgs = {
    targets: [],
    single: false,
    force: false,
    dry: false,
    interactive: false,
    pipeline: false,
    allPipelines: false,
    downstream: false,
    recursive: false,
    forceDownstream: false,
    pull: false,
    allowMissing: false,
    onError: 'fail',
  };
  if (!existsSync(file)) return none;
  try {
    const d = pickleLoads(readFileSync(file)) as Record<string, PyValue>;
    const kw = (d?.kwargs ?? {}) as Record<string, PyValue>;
    const args = d?.args instanceof PyTuple ? d.args.items : [];
    // DVC's _repro_args: targets are the first positional argument when there is one
    const t = args.length ? args[0] : kw.targets;
    const targets = typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : t instanceof PyTuple ? t.items.filter((x): x is string => typeof x === 'string') : [];
    // Python truthiness, as DVC reads them
    const flag = (k: string) => kw[k] === true || (typeof kw[k] === 'number' && kw[k] !== 0) || (typeof kw[k] === 'bigint' && kw[k] !== 0n);
    const onError = kw.on_error === 'keep-going' || kw.on_error === 'ignore' ? kw.on_error : 'fail';
    return {
      targets,
      single: flag('single_item'),
      force: flag('force'),
      dry: flag('dry'),
      interactive: flag('interactive'),
      pipeline: flag('pipeline'),
      allPipelines: flag('all_pipelines'),
      downstream: flag('downstream'),
      recursive: flag('recursive'),
      forceDownstream: flag('force_downstream'),
      pull: flag('pull'),
      allowMissing: flag('allow_missing'),
      onError,
    };
  } finally {
    unlinkSync(file);
  }
}

/**
 * `dvc exp exec-run --infofile F` (run by a worker in the experiment's worktree): reproduces the
 * pipeline with the arguments of repro.dat, commits the experiment under its ref in the
 * repository and records the result in the ExecutorInfo (a dry run commits nothing and records no
 * result, as DVC's executor). Exits (and kills its stages) when its worker dies. `confirm`: -i's
 * question before each stage (no answer is a no).
 */
export async function execRun(
  repo: Repo,
  infofile: string,
  opts: { message?: string; copyPaths?: string[]; info: (line: string) => void; warn?: (line: string) => void; confirm?: (stage: string) => Promise<boolean> },
): Promise<void> {
  // when our worker dies (killed), so does the experiment: its stdin pipe closes, and our parent
  // changes (we are reparented)
  const worker = Number(process.env.COPPER_QUEUE_WORKER_PID) || 0;
  if (worker) {
    const watch = setInterval(() => {
      if (process.ppid !== worker || !pidAlive(worker)) killOwnGroup();
    }, 250);
    watch.unref();
  }
  if (!process.stdin.isTTY) {
    process.stdin.on('end', () => killOwnGroup());
    process.stdin.on('error', () => killOwnGroup());
    process.stdin.resume();
  }
  const info = readJson<ExecutorInfo>(infofile);
  if (!info) throw new ExperimentError(`cannot read '${infofile}'`);
  writeJson(infofile, { ...info, status: TaskStatus.RUNNING });
  if (opts.copyPaths?.length) {
    // DVC's _repro_dvc: the -C paths of the repository the experiment was started from (DVC_ROOT)
    const from = process.env.DVC_ROOT;
    if (!from) throw new ExperimentError('--copy-paths: DVC_ROOT (the repository to copy from) is not set');
    try {
      copyInto(from, repo.root, opts.copyPaths);
    } catch (e) {
      writeJson(infofile, { ...info, status: TaskStatus.FAILED });
      throw e;
    }
  }
  const args = unpackReproArgs(repo.tmpDir);
  // data the stash does not hold (DVC-tracked files) comes from the cache, as DVC's executor (not for a dry run)
  if (!args.dry) {
    try {
      const { checkout } = await import('../checkout.js');
      await checkout(repo, [], { force: true });
    } catch {
      /* missing data: the stages that need it fail and say so */
    }
  }
  const { expRun, expDryRun } = await import('./run.js');
  const runOpts = {
    name: info.name ?? undefined,
    baseline: info.baseline_rev,
    targets: args.targets,
    force: args.force,
    single: args.single,
    pipeline: args.pipeline,
    allPipelines: args.allPipelines,
    recursive: args.recursive,
    downstream: args.downstream,
    forceDownstream: args.forceDownstream,
    pull: args.pull,
    allowMissing: args.allowMissing,
    onError: args.onError,
    confirm: args.interactive ? (opts.confirm ?? (async () => false)) : undefined,
    message: opts.message,
    info: opts.info,
    warn: opts.warn,
  };
  try {
    if (args.dry) {
      await expDryRun(repo, { ...runOpts, name: info.name ?? '' });
      writeJson(infofile, { ...info, status: TaskStatus.SUCCESS });
      return;
    }
    const r = await expRun(repo, runOpts);
    writeJson(infofile, { ...info, result_hash: r.expHash, result_ref: r.ref, result_force: args.force, status: TaskStatus.SUCCESS });
  } catch (e) {
    writeJson(infofile, { ...info, status: TaskStatus.FAILED });
    throw e;
  } finally {
    process.stdin.pause();
    process.stdin.removeAllListeners();
    process.stdin.destroy();
  }
}

function killOwnGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(137);
  }
}
