// torch.distributed over c10d/Gloo: two real worker processes (test/fixtures/dist-worker.ts) on
// 127.0.0.1 rendezvous through a TCPStore and run the collectives; a rank that is killed makes the
// other fail with one line instead of hanging. Skipped only when this build has no Gloo (and then
// failed instead when COPPER_REQUIRE_SERVERS=1, as CI sets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';

const d = torch.distributed;
const here = dirname(fileURLToPath(import.meta.url));
const worker = join(here, 'fixtures', 'dist-worker.ts');
const required = process.env.COPPER_REQUIRE_SERVERS === '1';
const skip = !d.isAvailable() && !required ? `torch.distributed is not available: ${d.unavailableReason()}` : false;

test('torch.distributed is built in when COPPER_REQUIRE_SERVERS=1', { skip: required ? false : 'COPPER_REQUIRE_SERVERS is not set' }, () => {
  assert.equal(d.unavailableReason(), null);
  assert.equal(d.isAvailable(), true);
});

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

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Starts `n` ranks of the worker and waits for all (killed after 90 s so a hang fails the test). */
async function launch(mode: string, n: number, timeoutMs: number, dir: string, only?: number[]): Promise<Run[]> {
  const port = await freePort();
  const ranks = only ?? [...Array(n).keys()];
  return Promise.all(
    ranks.map(
      (rank) =>
        new Promise<Run>((resolve) => {
          const p = spawn(process.execPath, ['--import', 'tsx', worker, mode, dir], {
            env: {
              ...process.env,
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              WORLD_SIZE: String(n),
              DIST_TIMEOUT_MS: String(timeoutMs),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 90_000,
          });
          let stdout = '';
          let stderr = '';
          p.stdout.on('data', (b) => (stdout += b));
          p.stderr.on('data', (b) => (stderr += b));
          p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
        }),
    ),
  );
}

const parse = (r: Run) => {
  assert.equal(r.code, 0, `rank failed (${r.signal ?? r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
};

test('two ranks: allReduce (sum/avg/max/min, a list), broadcast, allGather and barrier agree', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-dist-'));
  try {
    const runs = await launch('collectives', 2, 20_000, dir);
    const outs = runs.map(parse);
    const mine = (r: number) => [r + 1, 10 * (r + 1)];
    const ranks = [0, 1];
    const col = (f: (xs: number[]) => number) => [0, 1].map((i) => f(ranks.map((r) => mine(r)[i]!)));
    const sum = col((xs) => xs.reduce((a, b) => a + b, 0));
    outs.forEach((o, r) => {
      assert.equal(o.rank, r);
      assert.equal(o.worldSize, 2);
      assert.equal(o.localRank, r);
      assert.deepEqual(o.sum, sum);
      assert.deepEqual(o.avg, sum.map((s) => s / 2));
      assert.deepEqual(o.max, col((xs) => Math.max(...xs)));
      assert.deepEqual(o.min, col((xs) => Math.min(...xs)));
      assert.deepEqual(o.many, [[[3, 3], [3, 3]], [1, 2]]);
      assert.deepEqual(o.broadcast, [7, 8, 9], 'rank 1 broadcast its tensor');
      assert.deepEqual(o.gather, ranks.map((q) => [q, q * 2]));
      assert.equal(o.sawAll, true, 'the barrier returned before every rank had arrived');
      assert.notDeepEqual(o.initialDiffered[0], o.initialDiffered[1], 'the ranks started from different weights');
      assert.deepEqual(o.weights[1], o.weights[0], 'broadcast of the parameters left the ranks different');
    });
    // d(sum(x W^T + b))/dW = column sums of x: each rank's own gradient, then their mean on every rank
    const own = outs.map((o) => o.ownGrad as number[][]);
    outs.forEach((o, r) => {
      assert.deepEqual(own[r], [0, 1].map(() => [0, 1, 2].map(() => 4 * (r + 1))));
      assert.deepEqual(o.avgGrad, own[0]!.map((row, i) => row.map((v, j) => (v + own[1]![i]![j]!) / 2)));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rank that dies makes the other fail with one line instead of hanging', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-dist-'));
  try {
    const [r0, r1] = await launch('die', 2, 5_000, dir);
    assert.equal(r1!.signal, 'SIGKILL');
    assert.equal(r0!.signal, null, 'rank 0 hung until the test killed it');
    assert.equal(r0!.code, 1, r0!.stderr);
    const lines = r0!.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r0!.stderr);
    assert.match(lines[0]!, /^ERROR: allReduce failed on rank 0: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DDP reducer: buckets all-reduced during backward equal one manual all-reduce of the gradients', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-dist-'));
  try {
    const outs = (await launch('reducer', 2, 20_000, dir)).map(parse);
    for (const o of outs) {
      const steps = o.steps as { rebuilt: boolean; buckets: number; overlapped: number; diff: number; changed: number }[];
      // every synchronized backward leaves exactly the mean a manual all-reduce gives...
      for (const s of steps) assert.equal(s.diff, 0, JSON.stringify(steps));
      // ...which is not this rank's own gradient (the ranks saw different data)
      for (const s of steps) assert.ok(s.changed > 1e-4, JSON.stringify(steps));
      // first backward: one bucket, reduced after backward (as DDP); then rebuilt, one bucket per
      // parameter (6), five of them launched before the last gradient was computed
      assert.deepEqual(
        steps.map((s) => [s.rebuilt, s.buckets]),
        [[false, 1], [true, 6], [false, 6]],
      );
      assert.equal(steps[0]!.overlapped, 0);
      assert.equal(steps[1]!.overlapped, 5);
      assert.equal(steps[2]!.overlapped, 5);
      // a backward without prepareForBackward keeps each rank's own gradients (accumulation)
      assert.equal(o.unprepared, null);
      assert.notEqual(o.localGrad[0], o.localGrad[1]);
      // a parameter without a gradient: DDP's (Lightning's) message with its name, not a hang...
      assert.match(o.unusedError, /^DistributedError: It looks like your LightningModule has parameters that were not used in producing the loss returned by training_step\. .*ddp_find_unused_parameters_true.* Parameters that got no gradient on rank \d: head\.weight, head\.bias$/);
      // ...and with findUnusedParameters it stays without a gradient on every rank
      assert.deepEqual(o.lenient, { buckets: 1, overlapped: 0 });
      assert.equal(o.headGrad, null);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rank that dies while the other is in a reducing backward makes backward fail with one line', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-dist-'));
  try {
    const [r0, r1] = await launch('reducer-die', 2, 5_000, dir);
    assert.equal(r1!.signal, 'SIGKILL');
    assert.equal(r0!.signal, null, 'rank 0 hung until the test killed it');
    assert.equal(r0!.code, 1, r0!.stderr);
    const lines = r0!.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r0!.stderr);
    assert.match(lines[0]!, /^ERROR: gradient all-reduce failed during backward on rank 0: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rank that never arrives fails the rendezvous after the timeout', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'copper-dist-'));
  try {
    const [r0] = await launch('collectives', 2, 2_000, dir, [0]);
    assert.equal(r0!.signal, null, 'rank 0 hung until the test killed it');
    assert.equal(r0!.code, 1, r0!.stderr);
    assert.equal(r0!.stderr.trim().split('\n').length, 1, r0!.stderr);
    assert.match(r0!.stderr, /^ERROR: connecting the 2 ranks failed \(rank 0, timeout 2000 ms; did every rank start\?\): /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one process (WORLD_SIZE=1): init from the variables, collectives, destroy, init again', { skip }, async () => {
  const port = await freePort();
  const env = { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: '0', WORLD_SIZE: '1' };
  d.initProcessGroup({ backend: 'gloo', env, timeout: 10_000 });
  try {
    assert.equal(d.isInitialized(), true);
    assert.equal(d.getRank(), 0);
    assert.equal(d.getWorldSize(), 1);
    assert.throws(() => d.initProcessGroup({ env }), /already initialized/);
    const t = torch.tensor([1.5, -2]);
    assert.equal(d.allReduce(t, 'avg'), t);
    assert.deepEqual(t.tolist(), [1.5, -2]);
    assert.deepEqual(d.allGather(t).map((x) => x.tolist()), [[1.5, -2]]);
    d.barrier();
    assert.throws(() => d.broadcast(t, 1), (e: Error) => e instanceof torch.TorchError && /src 1 is not a rank/.test(e.message));
    assert.throws(() => d.allReduce(torch.tensor([1, 2], { dtype: 'int64' }), 'avg'), /floating-point/);
    // the DDP reducer takes leaves that require grad, each once
    const w = torch.tensor([1, 2], { requiresGrad: true });
    assert.throws(() => new d.Reducer([w.mul(2)], { names: ['w2'] }), (e: Error) => e instanceof torch.ArgumentError && /parameter 'w2' is not a leaf tensor that requires grad/.test(e.message));
    assert.throws(() => new d.Reducer([w, w]), /parameter '1' is listed twice/);
    const r = new d.Reducer([w]);
    r.prepareForBackward();
    w.mul(3).sum().backward();
    assert.deepEqual(r.finishBackward(), { buckets: 1, overlapped: 0 });
    assert.deepEqual(w.grad!.tolist(), [3, 3]);
    r.dispose();
    assert.throws(() => r.prepareForBackward(), /disposed/);
  } finally {
    d.destroyProcessGroup();
  }
  assert.equal(d.isInitialized(), false);
  assert.throws(() => d.getRank(), (e: Error) => e instanceof torch.DistributedError && /not initialized/.test(e.message));
});

test('initProcessGroup without the torchrun variables says which one is missing', { skip }, () => {
  assert.throws(
    () => d.initProcessGroup({ env: { MASTER_PORT: '29500', RANK: '0', WORLD_SIZE: '1' } }),
    (e: Error) => e instanceof torch.DistributedError && /MASTER_ADDR expected, but not set/.test(e.message) && !e.message.includes('\n'),
  );
  assert.throws(() => d.initProcessGroup({ env: { MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500', WORLD_SIZE: '2' } }), /RANK expected, but not set/);
  assert.throws(() => d.initProcessGroup({ backend: 'nccl', env: {} }), /backend 'nccl' is not available in this build \(available: gloo\)/);
  assert.equal(d.isInitialized(), false);
});
