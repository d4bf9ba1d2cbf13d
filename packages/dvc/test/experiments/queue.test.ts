/**
 * The experiment queue end to end with the built CLI, real git and real worker processes:
 * `exp run --queue` stores the experiment as Python DVC does (refs/exps/celery/stash, a celery
 * message), `queue start` workers outlive the command and run the tasks in temporary worktrees,
 * `exp show` lists the results; a killed worker leaves the task failed and the queue consistent;
 * Hydra composition and sweeps.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox, type Sandbox } from '../cli/helpers.js';

function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const git = (sb: Sandbox, ...args: string[]) => ok(sb.git(args)).trim();
/** Workers that give up after 2 idle seconds, so none outlives its test for long. */
const ENV = { COPPER_QUEUE_IDLE_TIMEOUT: '2' };
const TRAIN = `awk '/^lr:/{lr=$2} END{printf "{\\"acc\\": %.3f}\\n", 1-lr}' params.yaml > metrics.json\n`;

/** A sandbox whose queue is stopped (running tasks killed) when the test ends, pass or fail. */
function queueSandbox(t?: { after(fn: () => void): void }): Sandbox {
  const sb = sandbox();
  t?.after(() => {
    sb.dvc(['queue', 'stop', '--kill']);
  });
  return sb;
}

function project(train = TRAIN, params = 'lr: 0.1\n', t?: { after(fn: () => void): void }): Sandbox {
  const sb = queueSandbox(t);
  ok(sb.dvc(['init', '-q']));
  writeFileSync(join(sb.repo, 'train.sh'), train);
  writeFileSync(join(sb.repo, 'params.yaml'), params);
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  return sb;
}

interface StatusRow {
  task: string;
  name: string;
  status: string;
}
function status(sb: Sandbox): { rows: StatusRow[]; workers: string } {
  const out = ok(sb.dvc(['queue', 'status']));
  const lines = out.trimEnd().split('\n');
  const rows = lines
    .slice(1, -2)
    .filter(Boolean)
    .map((l) => {
      const c = l.split(/\s{2,}/);
      return { task: c[0]!, name: c[1]!, status: c[c.length - 1]! };
    });
  return { rows, workers: lines[lines.length - 1]! };
}

/** Polls until `pred` holds (the workers run on their own); fails after two minutes. */
async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  const end = Date.now() + 120_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function workerPids(sb: Sandbox): number[] {
  const dir = join(sb.repo, '.dvc/tmp/exps/celery/workers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')).pid as number);
}

describe('dvc exp run --queue / dvc queue', () => {
  test('queued as Python DVC queues; workers started by `queue start -j 2` outlive it and the results show in exp show', async (t) => {
    const sb = project(undefined, undefined, t);
    const head = git(sb, 'rev-parse', 'HEAD');
    assert.equal(ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.5', '-n', 'q1'])), "Queueing with overrides '{'params.yaml': ['lr=0.5']}'.\nQueued experiment 'q1' for future execution.\n");
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.6', '-n', 'q2']));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.7', '-n', 'q3']));
    // the workspace is as it was
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'lr: 0.1\n');
    assert.equal(ok(sb.git(['status', '--short'])), '');
    // refs/exps/celery/stash: one reflog entry per experiment, DVC's message, parents baseline + index
    const stash = git(sb, 'log', '-g', '--format=%H', 'refs/exps/celery/stash').split('\n');
    assert.deepEqual(
      git(sb, 'log', '-g', '--format=%gs', 'refs/exps/celery/stash').split('\n'),
      ['q3', 'q2', 'q1'].map((n) => `commit: dvc-exp:${head}:${head}:${n}`),
    );
    assert.equal(stash[0]!.split(' ')[0], git(sb, 'rev-parse', 'refs/exps/celery/stash'));
    const q1 = stash[2]!.split(' ')[0]!;
    assert.equal(git(sb, 'rev-parse', `${q1}^1`), head);
    assert.equal(git(sb, 'show', `${q1}:params.yaml`), 'lr: 0.5');
    assert.ok(git(sb, 'ls-tree', '--name-only', '-r', q1).split('\n').includes('.dvc/tmp/repro.dat'));
    // a celery message per task, the QueueEntry as its argument (what Python DVC's queue status reads)
    const inDir = join(sb.repo, '.dvc/tmp/exps/celery/broker/in');
    const msgs = readdirSync(inDir).sort();
    assert.equal(msgs.length, 3);
    const msg = JSON.parse(readFileSync(join(inDir, msgs[0]!), 'utf8'));
    assert.equal(msg.headers.task, 'dvc.repo.experiments.queue.tasks.run_exp');
    const [args] = JSON.parse(Buffer.from(msg.body, 'base64').toString('utf8'));
    assert.deepEqual(args[0], { dvc_root: sb.repo, scm_root: sb.repo, stash_ref: 'refs/exps/celery/stash', stash_rev: q1, baseline_rev: head, branch: null, name: 'q1', head_rev: head });
    let s = status(sb);
    assert.deepEqual(
      s.rows.map((r) => [r.task, r.name, r.status]),
      [
        [q1.slice(0, 7), 'q1', 'Queued'],
        [stash[1]!.slice(0, 7), 'q2', 'Queued'],
        [stash[0]!.slice(0, 7), 'q3', 'Queued'],
      ],
    );
    assert.equal(s.workers, 'Worker status: 0 active, 0 idle');
    // queued experiments in exp show
    const shown = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])));
    // (newest first; the stash commits share one time here, so compare as a set)
    assert.deepEqual(
      shown[1].experiments.map((e: { name: string; executor: { state: string } }) => `${e.name}:${e.executor.state}`).sort(),
      ['q1:queued', 'q2:queued', 'q3:queued'],
    );
    // the workers
    assert.equal(ok(sb.dvc(['queue', 'start', '-j', '2'], { env: ENV })), "Started '2' new experiments task queue workers.\n");
    s = await until('every task to succeed', () => {
      const st = status(sb);
      return st.rows.length === 3 && st.rows.every((r) => r.status === 'Success') && st;
    });
    const rows = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])))[1].experiments;
    const got = new Map<string, [number, number, string]>(
      rows.map((e: { name: string; executor: { state: string }; revs: Array<{ data: { params: Record<string, { data: { lr: number } }>; metrics: Record<string, { data: { acc: number } }> } }> }) => [
        e.name,
        [e.revs[0]!.data.params['params.yaml']!.data.lr, e.revs[0]!.data.metrics['metrics.json']!.data.acc, e.executor.state],
      ]),
    );
    assert.deepEqual(got.get('q1'), [0.5, 0.5, 'success']);
    assert.deepEqual(got.get('q2'), [0.6, 0.4, 'success']);
    assert.deepEqual(got.get('q3'), [0.7, 0.3, 'success']);
    // ordinary experiment refs; the stash is empty; no worktree is left; the workspace untouched
    assert.deepEqual(ok(sb.dvc(['exp', 'list', '--name-only'])).trim().split('\n').sort(), ['q1', 'q2', 'q3']);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', 'refs/exps/celery/stash']).code, 1);
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'lr: 0.1\n');
    // the experiment commit does not carry the queue's arguments file
    const ref = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/q2`;
    assert.ok(!git(sb, 'ls-tree', '--name-only', '-r', ref).includes('repro.dat'));
    assert.equal(git(sb, 'rev-parse', `${ref}^`), head);
    // logs; the table's State and Executor columns
    assert.equal(ok(sb.dvc(['queue', 'logs', 'q2'])), "Reproducing experiment 'q2'\nRunning stage 'train':\n> sh train.sh\nUpdating lock file 'dvc.lock'\n\n");
    const table = ok(sb.dvc(['exp', 'show', '--no-pager', '--drop', 'Created|train.sh']));
    assert.match(table, /\[q1\]\s+Success\s+Dvc-task\s+0\.5\s+0\.5/);
    // remove --success takes the finished tasks out of the queue (the experiments stay)
    assert.equal(ok(sb.dvc(['queue', 'remove', '--success'])).trim().replace(/q\d/g, 'q'), 'Removed tasks in queue: q, q, q');
    assert.match(ok(sb.dvc(['queue', 'status'])), /^No experiment tasks in the queue\.\n/);
    assert.equal(ok(sb.dvc(['exp', 'list', '--name-only'])).trim().split('\n').length, 3);
    ok(sb.dvc(['queue', 'stop']));
    await until('the workers to exit', () => workerPids(sb).every((p) => !alive(p)));
  });

  test('a worker killed mid-run leaves the task failed, its stage stopped and the queue consistent', async (t) => {
    // the stage waits for a file that never comes
    const sb = project(`while [ -n "$GO" ] && [ ! -f "$GO" ]; do sleep 0.1; done\n${TRAIN}`, undefined, t);
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.3', '-n', 'slow']));
    ok(sb.dvc(['queue', 'start'], { env: { ...ENV, GO: join(sb.repo, 'never') } }));
    const running = await until('the task to run', () => status(sb).rows.find((r) => r.status === 'Running'));
    assert.equal(running.name, 'slow');
    assert.equal(status(sb).workers, 'Worker status: 1 active, 0 idle');
    const [worker] = workerPids(sb);
    process.kill(worker!, 'SIGKILL');
    await until('the task to be marked failed', () => status(sb).rows.find((r) => r.name === 'slow' && r.status === 'Failed'));
    assert.equal(status(sb).workers, 'Worker status: 0 active, 0 idle');
    // the experiment's process group is gone with its worker
    const runDir = join(sb.repo, '.dvc/tmp/exps/run');
    const [rev] = readdirSync(runDir);
    const info = JSON.parse(readFileSync(join(runDir, rev!, `${rev}.json`), 'utf8'));
    await until('the experiment process to end', () => !alive(info.pid));
    // no experiment ref; the stash commit is on refs/exps/celery/failed, off the queue's stash
    assert.equal(ok(sb.dvc(['exp', 'list'])), '');
    assert.equal(git(sb, 'rev-parse', 'refs/exps/celery/failed'), rev);
    assert.match(git(sb, 'log', '-g', '--format=%gs', 'refs/exps/celery/failed'), /^commit: dvc-exp:[0-9a-f]{40}:[0-9a-f]{40}:slow$/);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', 'refs/exps/celery/stash']).code, 1);
    const shown = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])))[1].experiments;
    assert.equal(shown.length, 1);
    assert.equal(shown[0].executor.state, 'failed');
    assert.deepEqual(shown[0].revs[0].error, { msg: 'Experiment run failed', type: '' });
    // exp clean removes the dead worker's worktree
    assert.equal(ok(sb.dvc(['exp', 'clean'])), 'Cleaning up dvc-task messages...\nDone!\n');
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
    assert.deepEqual(readdirSync(join(sb.repo, '.dvc/tmp/exps')).filter((n) => n.startsWith('tmp')), []);
    // the failed task is removed by --failed, which also drops it from refs/exps/celery/failed
    assert.equal(ok(sb.dvc(['queue', 'remove', '--failed'])), 'Removed tasks in queue: slow\n');
    assert.equal(sb.git(['rev-parse', '-q', '--verify', 'refs/exps/celery/failed']).code, 1);
    assert.match(ok(sb.dvc(['queue', 'status'])), /^No experiment tasks in the queue\./);
  });

  test('queue kill interrupts a running task (failed); exp run --run-all -j runs the rest and follows their logs', async (t) => {
    const sb = project(`while [ -n "$GO" ] && [ ! -f "$GO" ]; do sleep 0.1; done\n${TRAIN}`, undefined, t);
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.3', '-n', 'stuck']));
    ok(sb.dvc(['queue', 'start'], { env: { ...ENV, GO: join(sb.repo, 'never') } }));
    await until('the task to run', () => status(sb).rows.find((r) => r.status === 'Running'));
    let r = sb.dvc(['queue', 'kill', 'nope']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: 'nope' is not a valid running experiment name\n");
    assert.equal(ok(sb.dvc(['queue', 'kill', 'stuck'])), 'stuck has been killed.\n');
    await until('the task to fail', () => status(sb).rows.find((r) => r.name === 'stuck' && r.status === 'Failed'));
    // that worker goes (it would take the next tasks without their GO file)
    ok(sb.dvc(['queue', 'stop']));
    await until('the worker to exit', () => workerPids(sb).every((p) => !alive(p)));
    r = sb.dvc(['queue', 'logs', 'nope']);
    assert.equal(r.stderr, "ERROR: 'nope' is not a valid queued experiment name\n");
    // two more, run by two workers that --run-all starts; it prints their logs in queue order
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.2', '-n', 'a']));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.4', '-n', 'b']));
    r = sb.dvc(['queue', 'logs', 'a']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: Experiment 'a' is in queue but has not been started\n");
    mkdirSync(join(sb.repo, 'x'));
    writeFileSync(join(sb.repo, 'x', 'go'), '');
    const out = ok(sb.dvc(['exp', 'run', '--run-all', '-j', '2'], { env: { ...ENV, GO: join(sb.repo, 'x', 'go') } }));
    assert.equal(
      out,
      'Following logs for all queued experiments. Use Ctrl+C to stop following logs (experiment execution will continue).\n\n' +
        "Reproducing experiment 'a'\nRunning stage 'train':\n> sh train.sh\nUpdating lock file 'dvc.lock'\n" +
        "Reproducing experiment 'b'\nRunning stage 'train':\n> sh train.sh\nUpdating lock file 'dvc.lock'\n" +
        '\nRan experiment(s): a, b\nTo apply the results of an experiment to your workspace run:\n\n\tdvc exp apply <exp>\n',
    );
    assert.deepEqual(ok(sb.dvc(['exp', 'list', '--name-only'])).trim().split('\n').sort(), ['a', 'b']);
    // exp remove --queue / by name of a queued task (with no worker left to take them)
    ok(sb.dvc(['queue', 'stop']));
    await until('the workers to exit', () => workerPids(sb).every((p) => !alive(p)));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.5', '-n', 'c']));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.6', '-n', 'd']));
    assert.equal(ok(sb.dvc(['exp', 'remove', 'c'])), "Removed experiments: 'c'\n");
    assert.equal(ok(sb.dvc(['exp', 'remove', '--queue'])), "Removed experiments: 'd'\n");
    assert.equal(sb.git(['rev-parse', '-q', '--verify', 'refs/exps/celery/stash']).code, 1);
    r = sb.dvc(['queue', 'remove']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    ok(sb.dvc(['queue', 'stop']));
  });
});

describe('a queued experiment with DVC-tracked data', () => {
  test('runs in its worktree with the data checked out from the shared cache; its cached outputs come back with exp apply', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    mkdirSync(join(sb.repo, 'data'));
    writeFileSync(join(sb.repo, 'data', 'a.txt'), 'hello\n');
    ok(sb.dvc(['add', '-q', 'data']));
    writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
    writeFileSync(join(sb.repo, 'train.sh'), `mkdir -p out && cat data/a.txt > out/r.txt && grep lr params.yaml >> out/r.txt\n`);
    ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-d', 'data', '-o', 'out', 'sh train.sh']));
    ok(sb.dvc(['repro', '-q']));
    ok(sb.git(['add', '-A']));
    ok(sb.git(['commit', '-qm', 'base']));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.3', '-n', 'd1']));
    assert.match(ok(sb.dvc(['exp', 'run', '--run-all'], { env: ENV })), /Ran experiment\(s\): d1/);
    assert.equal(readFileSync(join(sb.repo, 'out', 'r.txt'), 'utf8'), 'hello\nlr: 0.1\n');
    ok(sb.dvc(['exp', 'apply', 'd1']));
    assert.equal(readFileSync(join(sb.repo, 'out', 'r.txt'), 'utf8'), 'hello\nlr: 0.3\n');
    ok(sb.dvc(['queue', 'stop']));
  });
});

describe('Hydra composition (hydra.enabled)', () => {
  function hydraProject(): Sandbox {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    mkdirSync(join(sb.repo, 'conf', 'model'), { recursive: true });
    writeFileSync(join(sb.repo, 'conf', 'config.yaml'), 'defaults:\n  - model: small\n  - _self_\nseed: 1\nname: run-${seed}\n');
    writeFileSync(join(sb.repo, 'conf', 'model', 'small.yaml'), 'layers: 2\noptimizer:\n  lr: 0.001\n  name: adam\n');
    writeFileSync(join(sb.repo, 'conf', 'model', 'big.yaml'), 'layers: 8\noptimizer:\n  lr: 0.001\n  name: adam\n');
    writeFileSync(join(sb.repo, 'train.sh'), `awk '/^ +lr:/{lr=$2} END{printf "{\\"lr\\": %s}\\n", lr}' params.yaml > metrics.json\n`);
    ok(sb.dvc(['config', 'hydra.enabled', 'true']));
    ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'model.optimizer.lr,model.layers', '-d', 'train.sh', '-M', 'metrics.json', 'sh train.sh']));
    ok(sb.git(['add', '-A']));
    ok(sb.git(['commit', '-qm', 'base']));
    return sb;
  }

  test('exp run composes params.yaml from conf/ with the -S overrides (Hydra grammar, config groups)', () => {
    const sb = hydraProject();
    ok(sb.dvc(['exp', 'run', '-n', 'e1', '-S', 'model=big', '-S', 'model.optimizer.lr=0.02', '-S', 'seed=7']));
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'model:\n  layers: 8\n  optimizer:\n    lr: 0.02\n    name: adam\nseed: 7\nname: run-7\n');
    assert.equal(readFileSync(join(sb.repo, 'metrics.json'), 'utf8'), '{"lr": 0.02}\n');
    const r = sb.dvc(['exp', 'run', '-S', 'model.optimizer.lr=range(0.001,0.01,0.003)']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: Sweep overrides can't be used without `--queue`\n");
  });

  test('a sweep with --queue makes one experiment per combination; each runs with its composed params.yaml', async () => {
    const sb = hydraProject();
    const head = git(sb, 'rev-parse', 'HEAD');
    const out = ok(sb.dvc(['exp', 'run', '--queue', '-n', 'sw', '-S', 'model.optimizer.lr=range(0.001,0.01,0.003)']));
    assert.equal(
      out,
      [0.001, 0.004, 0.007].map((lr, i) => `Queueing with overrides '{'params.yaml': ['model.optimizer.lr=${lr}']}'.\nQueued experiment 'sw-${i + 1}' for future execution.\n`).join(''),
    );
    // choice() and comma lists: the product
    const out2 = ok(sb.dvc(['exp', 'run', '--queue', '-S', 'model=choice(small,big)', '-S', 'seed=1,2']));
    assert.equal(out2.match(/^Queued experiment/gm)?.length, 4);
    assert.match(out2, /'\{'params\.yaml': \['model=big', 'seed=2'\]\}'/);
    ok(sb.dvc(['exp', 'run', '--run-all', '-j', '2'], { env: ENV }));
    const st = status(sb);
    assert.equal(st.rows.length, 7);
    assert.ok(st.rows.every((r) => r.status === 'Success'), JSON.stringify(st.rows));
    for (const [i, lr] of ['0.001', '0.004', '0.007'].entries()) {
      const ref = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/sw-${i + 1}`;
      assert.equal(git(sb, 'show', `${ref}:params.yaml`), `model:\n  layers: 2\n  optimizer:\n    lr: ${lr}\n    name: adam\nseed: 1\nname: run-1`);
      assert.equal(git(sb, 'show', `${ref}:metrics.json`), `{"lr": ${lr}}`);
    }
    const shown = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])))[1].experiments;
    const combos = shown
      .map((e: { revs: Array<{ data: { params: { 'params.yaml': { data: { model: { layers: number; optimizer: { lr: number } }; seed: number } } } } }> }) => e.revs[0]!.data.params['params.yaml'].data)
      .map((d: { model: { layers: number; optimizer: { lr: number } }; seed: number }) => `${d.model.layers}/${d.model.optimizer.lr}/${d.seed}`)
      .sort();
    assert.deepEqual(combos, ['2/0.001/1', '2/0.001/1', '2/0.001/2', '2/0.004/1', '2/0.007/1', '8/0.001/1', '8/0.001/2']);
    // the workspace's params.yaml was never written
    assert.equal(existsSync(join(sb.repo, 'params.yaml')), false);
    ok(sb.dvc(['queue', 'stop']));
  });
});
