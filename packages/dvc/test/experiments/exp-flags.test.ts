/**
 * `dvc exp run --pull / --allow-missing / --temp` and `dvc exp remove -g` with the built CLI: real
 * git repositories (a bare one as the git remote), a local folder as the DVC remote.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox, type RunResult, type Sandbox } from '../cli/helpers.js';

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const git = (sb: Sandbox, ...args: string[]) => ok(sb.git(args)).trim();
const ref = (head: string, name: string) => `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${name}`;
/** Workers that give up after 2 idle seconds, so none outlives its test for long. */
const ENV = { COPPER_QUEUE_IDLE_TIMEOUT: '2' };

/** Each run of the stage appends a line to `log` (outside the repository). */
const TRAIN = (log: string) =>
  `echo run >> '${log}' && ` +
  'mkdir -p model && awk \'/^lr:/{print "weights for lr " $2}\' params.yaml > model/weights.txt && awk \'/^lr:/{printf "{\\"acc\\": %s}\\n", 1-$2}\' params.yaml > metrics.json\n';

/**
 * One stage (params lr, dep train.sh, cached output model/, metrics.json), run, pushed to the DVC
 * remote `store` and committed; its git remote `origin` (bare) has the commit.
 */
function project(t?: { after(fn: () => void): void }): { sb: Sandbox; head: string; origin: string; runs: () => number } {
  const sb = sandbox();
  t?.after(() => {
    sb.dvc(['queue', 'stop', '--kill']);
  });
  const origin = join(sb.tmp, 'origin.git');
  ok(sb.git(['init', '-q', '--bare', origin], { cwd: sb.tmp }));
  ok(sb.dvc(['init', '-q']));
  ok(sb.dvc(['remote', 'add', '-d', 'store', join(sb.tmp, 'store')]));
  const log = join(sb.tmp, 'runs.log');
  writeFileSync(join(sb.repo, 'train.sh'), TRAIN(log));
  writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-o', 'model', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  ok(sb.dvc(['push', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  ok(sb.git(['remote', 'add', 'origin', origin]));
  ok(sb.git(['push', '-q', 'origin', 'HEAD:refs/heads/master']));
  const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
  return { sb, head: git(sb, 'rev-parse', 'HEAD'), origin, runs };
}

/** The workspace's output and the cache both gone: only the DVC remote has the data. */
function loseData(sb: Sandbox): void {
  rmSync(join(sb.repo, 'model'), { recursive: true, force: true });
  rmSync(join(sb.repo, '.dvc', 'cache'), { recursive: true, force: true });
}

describe('dvc exp run --pull / --allow-missing', () => {
  test('--pull fetches the missing outputs instead of running the stage, and the experiment is saved', () => {
    const { sb, head, runs } = project();
    assert.equal(runs(), 1);
    loseData(sb);
    const out = ok(sb.dvc(['exp', 'run', '--pull', '-n', 'pulled']));
    assert.match(out, /Pulling data for stage: 'train'/);
    assert.doesNotMatch(out, /Running stage/);
    assert.equal(runs(), 1);
    assert.equal(readFileSync(join(sb.repo, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.1\n');
    assert.match(out, /Ran experiment\(s\): pulled\n/);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', ref(head, 'pulled')]).code, 0);
    // without --pull the stage runs again
    loseData(sb);
    assert.match(ok(sb.dvc(['exp', 'run', '-n', 'ran'])), /Running stage 'train'/);
    assert.equal(runs(), 2);
  });

  test('--allow-missing skips a stage whose only change is its missing outputs', () => {
    const { sb, head, runs } = project();
    loseData(sb);
    const out = ok(sb.dvc(['exp', 'run', '--allow-missing', '-n', 'skipped']));
    assert.match(out, /Stage 'train' didn't change, skipping/);
    assert.equal(runs(), 1);
    assert.equal(existsSync(join(sb.repo, 'model')), false);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', ref(head, 'skipped')]).code, 0);
    // a param change still runs the stage
    assert.match(ok(sb.dvc(['exp', 'run', '--allow-missing', '-S', 'lr=0.2'])), /Running stage 'train'/);
    assert.equal(runs(), 2);
  });

  test('--pull is kept for a queued experiment', (t) => {
    const { sb, head, runs } = project(t);
    loseData(sb);
    ok(sb.dvc(['exp', 'run', '--queue', '--pull', '-n', 'q1'], { env: ENV }));
    const out = ok(sb.dvc(['exp', 'run', '--run-all'], { env: ENV }));
    assert.match(out, /Pulling data for stage: 'train'/);
    assert.match(out, /Ran experiment\(s\): q1/);
    assert.equal(runs(), 1);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', ref(head, 'q1')]).code, 0);
  });

  test('--help lists both', () => {
    const sb = sandbox();
    const help = ok(sb.dvc(['exp', 'run', '--help']));
    assert.match(help, /--pull/);
    assert.match(help, /--allow-missing/);
  });
});

describe('dvc exp remove -g', () => {
  test('removes the named experiments on the git remote, leaves the local ones; unknown names are one ERROR line', () => {
    const { sb, head, origin } = project();
    for (const [n, lr] of [['e1', '0.2'], ['e2', '0.3'], ['e3', '0.4']]) ok(sb.dvc(['exp', 'run', '-q', '-S', `lr=${lr}`, '-n', n!]));
    ok(sb.dvc(['exp', 'push', '--no-cache', 'origin', 'e1', 'e2', 'e3']));
    const onOrigin = () => ok(sb.dvc(['exp', 'list', 'origin', '--name-only'])).split('\n').filter(Boolean);
    assert.deepEqual(onOrigin(), ['e1', 'e2', 'e3']);
    assert.equal(ok(sb.dvc(['exp', 'remove', '-g', 'origin', 'e1', 'e2'])), "Removed experiments: 'e1' and 'e2'\n");
    assert.deepEqual(onOrigin(), ['e3']);
    assert.equal(sb.git(['rev-parse', '-q', '--verify', ref(head, 'e1')], { cwd: origin }).code, 1);
    // the local experiments are all still there
    assert.equal(ok(sb.dvc(['exp', 'list', '--name-only'])), 'e1\ne2\ne3\n');
    // a name the remote does not have (though it is local): DVC's message, nothing removed
    const r = sb.dvc(['exp', 'remove', '--git-remote', 'origin', 'e1', 'e3']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr, "ERROR: Experiment 'e1' does not exist in 'origin'\n");
    assert.deepEqual(onOrigin(), ['e3']);
    // a bad remote, and --queue with -g
    const bad = sb.dvc(['exp', 'remove', '-g', 'nosuch', 'e3']);
    assert.notEqual(bad.code, 0);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    const both = sb.dvc(['exp', 'remove', '-g', 'origin', '--queue']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /not allowed with argument --queue/);
    assert.deepEqual(onOrigin(), ['e3']);
  });

  test('-A, --rev and --keep choose among the remote\'s experiments; a URL works as a remote', () => {
    const { sb, head, origin } = project();
    for (const [n, lr] of [['e1', '0.2'], ['e2', '0.3'], ['e3', '0.4']]) ok(sb.dvc(['exp', 'run', '-q', '-S', `lr=${lr}`, '-n', n!]));
    ok(sb.dvc(['exp', 'push', '--no-cache', 'origin']));
    const onOrigin = () => ok(sb.dvc(['exp', 'list', 'origin', '--name-only'])).split('\n').filter(Boolean);
    assert.equal(ok(sb.dvc(['exp', 'remove', '-g', origin, '--keep', 'e2'])), "Removed experiments: 'e1' and 'e3'\n");
    assert.deepEqual(onOrigin(), ['e2']);
    ok(sb.dvc(['exp', 'push', '--no-cache', 'origin']));
    assert.equal(ok(sb.dvc(['exp', 'remove', '-g', 'origin', '--rev', head])), "Removed experiments: 'e1', 'e2' and 'e3'\n");
    assert.deepEqual(onOrigin(), []);
    assert.equal(ok(sb.dvc(['exp', 'remove', '-g', 'origin', '-A'])), 'No experiments to remove.\n');
    ok(sb.dvc(['exp', 'push', '--no-cache', 'origin']));
    assert.equal(ok(sb.dvc(['exp', 'remove', '-g', 'origin', '-A'])), "Removed experiments: 'e1', 'e2' and 'e3'\n");
    assert.deepEqual(onOrigin(), []);
    assert.equal(ok(sb.dvc(['exp', 'list', '--name-only'])), 'e1\ne2\ne3\n');
  });
});

describe('dvc exp run --temp', () => {
  test('runs in a temporary workspace and saves the experiment; the workspace, HEAD and index are untouched', () => {
    const { sb, head, runs } = project();
    const before = { params: readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), metrics: readFileSync(join(sb.repo, 'metrics.json'), 'utf8'), lock: readFileSync(join(sb.repo, 'dvc.lock'), 'utf8') };
    const out = ok(sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.25', '-n', 't1']));
    assert.match(out, /Running stage 'train':/);
    assert.match(out, /\nRan experiment\(s\): t1\nTo apply the results of an experiment to your workspace run:\n\n\tdvc exp apply <exp>\n$/);
    assert.equal(runs(), 2);
    // the workspace is as it was
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), before.params);
    assert.equal(readFileSync(join(sb.repo, 'metrics.json'), 'utf8'), before.metrics);
    assert.equal(readFileSync(join(sb.repo, 'dvc.lock'), 'utf8'), before.lock);
    assert.equal(readFileSync(join(sb.repo, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.1\n');
    assert.equal(git(sb, 'status', '--porcelain'), '');
    assert.equal(git(sb, 'rev-parse', 'HEAD'), head);
    // the experiment, with its params and metrics, as exp show lists it
    const shown = JSON.parse(ok(sb.dvc(['exp', 'show', '--json']))) as Array<{ experiments: Array<{ name: string; revs: Array<{ data: { params: Record<string, { data: unknown }>; metrics: Record<string, { data: unknown }> } }> }> | null }>;
    const exps = shown[1]!.experiments!;
    assert.deepEqual(exps.map((e) => e.name), ['t1']);
    assert.deepEqual(exps[0]!.revs[0]!.data.params['params.yaml']!.data, { lr: 0.25 });
    assert.deepEqual(exps[0]!.revs[0]!.data.metrics['metrics.json']!.data, { acc: 0.75 });
    // its output went to the cache: apply brings it into the workspace
    ok(sb.dvc(['exp', 'apply', 't1']));
    assert.equal(readFileSync(join(sb.repo, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.25\n');
    // nothing is left behind: no worktree, no stash entry, no queued or failed experiment
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
    assert.equal(git(sb, 'for-each-ref', '--format=%(refname)', 'refs/exps/stash', 'refs/exps/celery'), '');
    assert.equal(ok(sb.dvc(['queue', 'status'])).includes('t1'), false);
  });

  test('a failing run: a non-zero exit, no experiment, the workspace untouched', () => {
    const { sb, head } = project();
    writeFileSync(join(sb.repo, 'train.sh'), 'echo broken >&2; exit 3\n');
    ok(sb.git(['commit', '-qam', 'broken']));
    const base = git(sb, 'rev-parse', 'HEAD');
    const r = sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.5', '-n', 'bad']);
    assert.notEqual(r.code, 0);
    // DVC's message names the run's stash commit
    assert.match(r.stderr, /ERROR: Failed to reproduce experiment '[0-9a-f]{7}'\n$/);
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'lr: 0.1\n');
    assert.equal(git(sb, 'status', '--porcelain'), '');
    assert.equal(git(sb, 'for-each-ref', '--format=%(refname)', 'refs/exps'), '');
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
    assert.notEqual(base, head);
  });

  test('an existing name is refused before anything runs', () => {
    const { sb, runs } = project();
    ok(sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.2', '-n', 'same']));
    const r = sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.3', '-n', 'same']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /^ERROR: Experiment conflicts with existing experiment 'same'/);
    assert.equal(runs(), 2);
    assert.match(ok(sb.dvc(['exp', 'run', '--help'])), /--temp/);
  });

  test('exp clean removes the worktree of a --temp run that was interrupted', () => {
    const { sb } = project();
    const left = join(sb.repo, '.dvc', 'tmp', 'exps', 'standalone', 'tmpleft');
    ok(sb.git(['worktree', 'add', '-q', '--detach', left, 'HEAD']));
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 2);
    ok(sb.dvc(['exp', 'clean']));
    assert.equal(existsSync(left), false);
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
  });
});
