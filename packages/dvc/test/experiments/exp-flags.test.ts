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

/** Each run of the stage appends a line to ../runs.log (outside the repository). */
const TRAIN =
  'echo run >> ../runs.log && mkdir -p model && awk \'/^lr:/{print "weights for lr " $2}\' params.yaml > model/weights.txt && awk \'/^lr:/{printf "{\\"acc\\": %s}\\n", 1-$2}\' params.yaml > metrics.json\n';

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
  writeFileSync(join(sb.repo, 'train.sh'), TRAIN);
  writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-o', 'model', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  ok(sb.dvc(['push', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  ok(sb.git(['remote', 'add', 'origin', origin]));
  ok(sb.git(['push', '-q', 'origin', 'HEAD:refs/heads/master']));
  const log = join(sb.tmp, 'runs.log');
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
