// strategy=ddp on 2 real processes over c10d/Gloo on 127.0.0.1: the weights two ranks reach equal one
// process with the doubled batch (rank 0's weights broadcast, gradients averaged, the data sharded
// as DistributedSampler does); copper_train trainer.strategy=ddp trainer.devices=2 prints one line
// per rank, writes its files from rank 0 only, tests as one process would, and its checkpoint loads
// in one process; a killed rank ends the job with one line; num_nodes with NODE_RANK forms one job.
// Skipped only when this build has no Gloo (failed instead when COPPER_REQUIRE_SERVERS=1).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@copper/torch';
import { cli, makeData, scratch, smallRun, DIST_CLI, PKG_DIR } from './helpers.js';
import { loadCheckpoint, disposeCheckpoint } from '../src/trainer/checkpoint.js';
import { Trainer } from '../src/trainer/trainer.js';

const required = process.env.COPPER_REQUIRE_SERVERS === '1';
const skip = !existsSync(DIST_CLI('train'))
  ? 'build first'
  : !torch.distributed.isAvailable() && !required
    ? `torch.distributed is not available: ${torch.distributed.unavailableReason()}`
    : false;
const FIXTURE = fileURLToPath(new URL('./fixtures/ddp-fit.ts', import.meta.url));

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs a command to its end (killed after 3 minutes, so a hang fails the test instead of stalling it). */
function run(args: string[], opts: { cwd: string; env?: Record<string, string> }, onStart?: (pid: number, out: () => string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(p.pid!, () => stdout + stderr);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The rank processes the launcher `pid` started (they re-run its command with hydra.output_subdir=null). */
const rankChildren = (pid: number) =>
  (spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((c) => {
      try {
        return readFileSync(`/proc/${c}/environ`, 'utf8').split('\0').includes('COPPER_DDP_CHILD=1');
      } catch {
        return false;
      }
    });

/** test/acc of a run, from its `Test: ...` line. */
function testAcc(stdout: string): number {
  const m = /Test: .*test\/acc=([\d.]+)/.exec(stdout);
  assert.ok(m, `a Test: line in\n${stdout}`);
  return Number(m[1]);
}

describe('strategy=ddp', { skip }, () => {
  let dir: string;
  let cleanup: () => void;
  let data: string;
  before(() => {
    ({ dir, cleanup } = scratch('copper-ddp-'));
    data = makeData(dir, 40); // 80 images: 64 train, 8 val, 8 test
  });
  after(() => cleanup());

  test('two ranks of batch 8 end with the weights of one process of batch 16; each trains on its own half', async () => {
    const one = await run(['--import', 'tsx', FIXTURE, data, join(dir, 'fit1'), '1', '16'], { cwd: PKG_DIR });
    assert.equal(one.code, 0, one.stderr);
    const two = await run(['--import', 'tsx', FIXTURE, data, join(dir, 'fit2'), '2', '8'], { cwd: PKG_DIR });
    assert.equal(two.code, 0, two.stderr);
    const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const s = read('fit1/rank-0.json');
    const [r0, r1] = [read('fit2/rank-0.json'), read('fit2/rank-1.json')];
    assert.deepEqual([s.worldSize, r0.worldSize, r1.worldSize], [1, 2, 2]);
    // each rank started from its own random weights: only the broadcast and the averaging make them agree
    assert.deepEqual(r1.weights, r0.weights, 'both ranks hold the same weights');
    const diff = Math.max(...s.weights.map((w: number, i: number) => Math.abs(w - r0.weights[i])));
    assert.ok(diff < 1e-5, `weights differ from one process by ${diff}`);
    // syncDist metrics: the same on every rank, and the validation loss as one process computes it
    assert.equal(r0.metrics['train/loss'], r1.metrics['train/loss']);
    assert.ok(Math.abs(r0.metrics['val/loss'] - s.metrics['val/loss']) < 1e-6, `val/loss ${r0.metrics['val/loss']} vs ${s.metrics['val/loss']}`);
    // DistributedSampler: 2 epochs x 4 batches; batch k of the two ranks together is batch k of one process
    assert.equal(s.seen.length, 8);
    assert.equal(r0.seen.length, 8);
    for (let k = 0; k < 8; k++) {
      const a = new Set<string>(r0.seen[k]);
      assert.ok(r1.seen[k].every((p: string) => !a.has(p)), `batch ${k}: the ranks' images overlap`);
      assert.deepEqual([...r0.seen[k], ...r1.seen[k]].sort(), [...s.seen[k]].sort());
    }
    // a new order each epoch (set_epoch), the same for one and two processes
    assert.notDeepEqual(s.seen.slice(0, 4).flat().sort(), s.seen.slice(0, 4).flat());
    assert.notDeepEqual(s.seen.slice(0, 4).flat(), s.seen.slice(4).flat());
    assert.match(two.stdout + two.stderr, /Initializing distributed: GLOBAL_RANK: 1, MEMBER: 2\/2/);
    // every optimizer step's gradients were all-reduced by DDP's reducer during backward
    assert.equal(s.reducer, null);
    assert.equal(r0.reducer.backwards, 8);
    assert.deepEqual(r1.reducer, r0.reducer);
  });

  test('gradient accumulation synchronizes only the last backward of each step; find_unused_parameters_true leaves an unused layer alone', async () => {
    // accumulate_grad_batches=2: one process of batch 16 and two ranks of batch 8 still agree
    const one = await run(['--import', 'tsx', FIXTURE, data, join(dir, 'acc1'), '1', '16', '2', 'ddp', 'unused'], { cwd: PKG_DIR });
    assert.equal(one.code, 0, one.stderr);
    const two = await run(['--import', 'tsx', FIXTURE, data, join(dir, 'acc2'), '2', '8', '2', 'ddp_find_unused_parameters_true', 'unused'], { cwd: PKG_DIR });
    assert.equal(two.code, 0, two.stderr);
    const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const s = read('acc1/rank-0.json');
    const [r0, r1] = [read('acc2/rank-0.json'), read('acc2/rank-1.json')];
    assert.deepEqual(r1.weights, r0.weights);
    const diff = Math.max(...s.weights.map((w: number, i: number) => Math.abs(w - r0.weights[i])));
    assert.ok(diff < 1e-5, `weights differ from one process by ${diff}`);
    // 2 epochs x 4 batches, 2 per optimizer step: 4 synchronized backward passes out of 8
    assert.equal(r0.reducer.backwards, 4);
    // the weights compared include the unused layer's 6, which got no gradient on either side
    assert.equal(s.weights.length, 3 * 8 * 8 * 2 + 2 + 6);
  });

  test('a parameter without a gradient under strategy=ddp ends the job with Lightning\'s message', async () => {
    const r = await run(['--import', 'tsx', FIXTURE, data, join(dir, 'unused'), '2', '8', '1', 'ddp', 'unused'], { cwd: PKG_DIR });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Initializing distributed'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      /^Error: It looks like your LightningModule has parameters that were not used in producing the loss returned by training_step\. If this is intentional, you must enable the detection of unused parameters in DDP, either by setting the string value `strategy='ddp_find_unused_parameters_true'` .* Parameters that got no gradient on rank 0: unused\.weight, unused\.bias$/,
    );
    assert.ok(!existsSync(join(dir, 'unused')), 'no rank finished training');
  });

  test('copper_train trainer.strategy=ddp trainer.devices=2: a line per rank, rank 0 writes, the test accuracy of one process', async () => {
    const common = [...smallRun(dir), 'data.batch_size=8', 'trainer.max_epochs=4', 'logger=csv'];
    const single = cli('train', [...common, `hydra.run.dir=${dir}/single`], dir);
    assert.equal(single.code, 0, single.stderr);
    const ddp = await run([DIST_CLI('train'), ...common, `hydra.run.dir=${dir}/ddp`, 'trainer.strategy=ddp', 'trainer.devices=2'], { cwd: dir });
    assert.equal(ddp.code, 0, ddp.stderr);
    assert.match(ddp.stdout, /Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1\/2/);
    assert.match(ddp.stdout, /Initializing distributed: GLOBAL_RANK: 1, MEMBER: 2\/2/);
    assert.doesNotMatch(ddp.stdout + ddp.stderr, /ERROR|Error/);
    // the same small data, within noise (8 test images: one image is 0.125)
    const [a1, a2] = [testAcc(single.stdout), testAcc(ddp.stdout)];
    assert.ok(a2 >= 0.75 && Math.abs(a1 - a2) <= 0.25, `test/acc: one process ${a1}, two ${a2}`);
    // only rank 0's files: one log (rank 0's lines), one logger version, one .hydra
    const log = readFileSync(join(dir, 'ddp', 'train.log'), 'utf8');
    assert.match(log, /GLOBAL_RANK: 0/);
    assert.doesNotMatch(log, /GLOBAL_RANK: 1/);
    assert.equal(log.match(/Starting training!/g)?.length, 1);
    assert.deepEqual(readdirSync(join(dir, 'ddp')).sort(), readdirSync(join(dir, 'single')).sort());
    assert.deepEqual(readdirSync(join(dir, 'ddp', 'csv')), ['version_0']);
    const ckpts = readdirSync(join(dir, 'ddp', 'checkpoints')).sort();
    assert.equal(ckpts.length, readdirSync(join(dir, 'single', 'checkpoints')).length, ckpts.join(' '));
    const best = /Best ckpt path: (\S+)/.exec(ddp.stdout)![1]!;
    // the DDP checkpoint has the plain keys (no `module.`) of a one-process checkpoint...
    const keys = (p: string) => {
      const ck = loadCheckpoint(p);
      const k = Object.keys(ck.state_dict).sort();
      disposeCheckpoint(ck);
      return k;
    };
    assert.deepEqual(keys(best), keys(join(dir, 'single', 'checkpoints', 'last.ckpt')));
    assert.ok(keys(best).every((k) => !k.startsWith('module.')));
    // ...and one process testing it finds the accuracy the two ranks reported together
    const ev = cli('eval', [`ckpt_path=${best}`, 'split=test', 'data.num_workers=0', `paths.root_dir=${dir}`, `hydra.run.dir=${dir}/eval`], dir);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /Tested 8 images/);
    assert.equal(testAcc(ev.stdout), a2);
    assert.equal(/test\/loss=([\d.]+)/.exec(ev.stdout)![1], /Test: test\/loss=([\d.]+)/.exec(ddp.stdout)![1]);
    // copper_eval over two ranks: every image counted once, the same numbers
    const ev2 = await run([DIST_CLI('eval'), `ckpt_path=${best}`, 'split=all', 'data.num_workers=0', `paths.root_dir=${dir}`, `hydra.run.dir=${dir}/eval2`, 'trainer.strategy=ddp', 'trainer.devices=2'], { cwd: dir });
    const ev1 = cli('eval', [`ckpt_path=${best}`, 'split=all', 'data.num_workers=0', `paths.root_dir=${dir}`, `hydra.run.dir=${dir}/eval1`], dir);
    assert.equal(ev2.code, 0, ev2.stderr);
    assert.match(ev2.stdout, /Tested 80 images/);
    assert.match(ev1.stdout, /Tested 80 images/);
    assert.equal(/Test: (.*)/.exec(ev2.stdout)![1], /Test: (.*)/.exec(ev1.stdout)![1]);
  });

  test('a rank that is killed ends the job with one line and exit code 1', async () => {
    const metrics = join(dir, 'kill', 'csv', 'version_0', 'metrics.csv');
    let killed = 0;
    const r = await run(
      [DIST_CLI('train'), '-q', ...smallRun(dir), 'trainer.max_epochs=1000', 'logger=csv', `hydra.run.dir=${dir}/kill`, 'trainer.strategy=ddp', 'trainer.devices=2'],
      { cwd: dir },
      (pid) => {
        void (async () => {
          // wait until an epoch has been trained (the csv logger writes after each), then kill rank 1
          while (!existsSync(metrics) && alive(pid)) await sleep(100);
          const [child] = rankChildren(pid);
          if (child) {
            killed = child;
            process.kill(child, 'SIGKILL');
          }
        })();
      },
    );
    assert.ok(killed > 0, `rank 1 was found and killed: ${r.stderr}`);
    assert.equal(r.signal, null, 'rank 0 ended by itself, not by the test timeout');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^Error: trainer\\.strategy=ddp: rank 1 \\(pid ${killed}\\) was killed \\(SIGKILL\\); the job is stopped\\n$`));
  });

  test('rank 0 dying takes its ranks with it', async () => {
    const metrics = join(dir, 'kill0', 'csv', 'version_0', 'metrics.csv');
    let child = 0;
    let childGone = false;
    const r = await run(
      [DIST_CLI('train'), '-q', ...smallRun(dir), 'trainer.max_epochs=1000', 'logger=csv', `hydra.run.dir=${dir}/kill0`, 'trainer.strategy=ddp', 'trainer.devices=2'],
      { cwd: dir },
      (pid) => {
        void (async () => {
          while (!existsSync(metrics) && alive(pid)) await sleep(100);
          [child] = rankChildren(pid);
          process.kill(pid, 'SIGKILL');
        })();
      },
    );
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(child > 0);
    for (let i = 0; i < 300 && !childGone; i++) {
      childGone = !alive(child);
      if (!childGone) await sleep(100);
    }
    assert.ok(childGone, `rank 1 (pid ${child}) still runs 30 s after rank 0 died`);
  });

  test('num_nodes=2 with NODE_RANK, MASTER_ADDR and MASTER_PORT: two launches form one job, node 0 writes', async () => {
    const port = await freePort();
    const args = (node: number) => [DIST_CLI('train'), ...smallRun(dir), 'trainer.max_epochs=1', 'logger=csv', `hydra.run.dir=${dir}/node${node}`, 'trainer.strategy=ddp', 'trainer.devices=1', 'trainer.num_nodes=2'];
    const env = (node: number) => ({ MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), NODE_RANK: String(node) });
    const [n0, n1] = await Promise.all([run(args(0), { cwd: dir, env: env(0) }), run(args(1), { cwd: dir, env: env(1) })]);
    assert.equal(n0.code, 0, n0.stderr);
    assert.equal(n1.code, 0, n1.stderr);
    assert.match(n0.stdout, /Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1\/2/);
    assert.match(n1.stdout, /Initializing distributed: GLOBAL_RANK: 1, MEMBER: 2\/2/);
    assert.ok(existsSync(join(dir, 'node0', 'csv', 'version_0', 'metrics.csv')));
    assert.ok(!existsSync(join(dir, 'node1', 'csv')), 'node 1 has no logger');
    assert.ok(!existsSync(join(dir, 'node1', 'checkpoints')), 'node 1 writes no checkpoint');
    assert.equal(testAcc(n1.stdout), testAcc(n0.stdout));
    // num_nodes > 1 without the rendezvous address: one line
    const bad = cli('train', ['-q', ...smallRun(dir), 'trainer.strategy=ddp', 'trainer.num_nodes=2', `hydra.run.dir=${dir}/bad`], dir, { MASTER_ADDR: '', MASTER_PORT: '' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: .*trainer\.num_nodes=2: set MASTER_ADDR and MASTER_PORT .* NODE_RANK/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  test('on rank 1 the Trainer has no loggers, prints nothing and writes no checkpoint', () => {
    const saved = { ...process.env };
    Object.assign(process.env, { LOCAL_RANK: '1', RANK: '1', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' });
    try {
      const lines: string[] = [];
      const logger = { name: 'x', logDir: join(dir, 'r1'), logHyperparams() {}, logMetrics() {}, save() {}, finalize() {} };
      const t = new Trainer({ strategy: 'ddp', devices: 2, logger, info: (m) => lines.push(m) });
      assert.equal(t.globalRank, 1);
      assert.equal(t.isGlobalZero, false);
      assert.deepEqual(t.loggers, []);
      t.log('hello');
      assert.deepEqual(lines, []);
      t.saveCheckpoint(join(dir, 'r1.ckpt'));
      assert.ok(!existsSync(join(dir, 'r1.ckpt')));
      // a WORLD_SIZE that devices x num_nodes do not make is refused
      assert.throws(() => new Trainer({ strategy: 'ddp', devices: 3 }), /WORLD_SIZE is 2 but trainer\.devices=3 x trainer\.num_nodes=1 make 3/);
    } finally {
      for (const k of ['LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT']) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
