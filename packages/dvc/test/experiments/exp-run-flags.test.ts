/**
 * `dvc exp run` with dvc repro's arguments (-i, -s, -p, -P, -R, --downstream, --force-downstream,
 * --dry, -k, --ignore-errors) and -C/--copy-paths, with the built CLI, real git and real runs: in
 * the workspace, in a temporary worktree (--temp) and through the queue (the arguments travel in
 * the stash's repro.dat and the celery message as Python DVC stores them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PyTuple, pickleDumps } from '../../src/repo/experiments/pickle.js';
import { unpackReproArgs } from '../../src/repo/experiments/queue.js';
import { isOneLineError, sandbox, type RunResult, type Sandbox } from '../cli/helpers.js';

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
function fails(r: RunResult): RunResult {
  assert.notEqual(r.code, 0, `expected a failure: ${r.stdout}`);
  return r;
}
const git = (sb: Sandbox, ...args: string[]) => ok(sb.git(args)).trim();
const expRef = (head: string, name: string) => `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${name}`;
const hasRef = (sb: Sandbox, ref: string) => sb.git(['rev-parse', '-q', '--verify', ref]).code === 0;
const names = (sb: Sandbox) => ok(sb.dvc(['exp', 'list', '--name-only'])).split('\n').filter(Boolean).sort();
/** Workers that give up after 2 idle seconds, so none outlives its test for long. */
const ENV = { COPPER_QUEUE_IDLE_TIMEOUT: '2' };
const hasPython = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

function newSandbox(t: { after(fn: () => void): void }): Sandbox {
  const sb = sandbox();
  t.after(() => {
    sb.dvc(['queue', 'stop', '--kill']);
  });
  return sb;
}

function commit(sb: Sandbox): string {
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  return git(sb, 'rev-parse', 'HEAD');
}

/**
 * A stage that reads two files git does not have (secret.txt, ignored; conf/part.txt, untracked)
 * and writes metrics.json from them and params.yaml. The baseline was run with both present.
 */
function secretProject(t: { after(fn: () => void): void }): { sb: Sandbox; head: string } {
  const sb = newSandbox(t);
  ok(sb.dvc(['init', '-q']));
  writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
  writeFileSync(join(sb.repo, 'secret.txt'), '0.25\n');
  mkdirSync(join(sb.repo, 'conf'));
  writeFileSync(join(sb.repo, 'conf', 'part.txt'), '7\n');
  writeFileSync(join(sb.repo, '.gitignore'), '/secret.txt\n');
  writeFileSync(
    join(sb.repo, 'train.sh'),
    'set -e\ns=$(cat secret.txt)\np=$(cat conf/part.txt)\nawk -v s="$s" -v p="$p" \'/^lr:/{printf "{\\"acc\\": %s, \\"secret\\": %s, \\"part\\": %s}\\n", 1-$2, s, p}\' params.yaml > metrics.json\n',
  );
  ok(sb.dvc(['stage', 'add', '-q', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  // conf/ stays untracked
  ok(sb.git(['add', '.gitignore', '.dvc', 'dvc.yaml', 'dvc.lock', 'params.yaml', 'train.sh', 'metrics.json']));
  ok(sb.git(['commit', '-qm', 'base']));
  return { sb, head: git(sb, 'rev-parse', 'HEAD') };
}

/** metrics.json of an experiment. */
function metrics(sb: Sandbox, ref: string): { acc: number; secret: number; part: number } {
  return JSON.parse(git(sb, 'show', `${ref}:metrics.json`));
}

/**
 * a -> b -> c (each copies the previous output), d on its own; each stage appends its name to a
 * log outside the repository. Run once and committed.
 */
function chainProject(t: { after(fn: () => void): void }, extra = ''): { sb: Sandbox; head: string; ran: () => string[] } {
  const sb = newSandbox(t);
  ok(sb.dvc(['init', '-q']));
  const log = join(sb.tmp, 'ran.log');
  writeFileSync(join(sb.repo, 'in.txt'), 'in\n');
  const stage = (name: string, cmd: string, deps: string[], out: string) =>
    `  ${name}:\n    cmd: echo ${name} >> '${log}' && ${cmd}\n    deps: [${deps.join(', ')}]\n    outs: [${out}]\n`;
  writeFileSync(
    join(sb.repo, 'dvc.yaml'),
    'stages:\n' +
      stage('a', 'cp in.txt a.txt', ['in.txt'], 'a.txt') +
      stage('b', 'cp a.txt b.txt', ['a.txt'], 'b.txt') +
      stage('c', 'cp b.txt c.txt', ['b.txt'], 'c.txt') +
      stage('d', 'cp in.txt d.txt', ['in.txt'], 'd.txt') +
      extra,
  );
  ok(sb.dvc(['repro', '-q']));
  const head = commit(sb);
  writeFileSync(log, '');
  const ran = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { sb, head, ran };
}

function clearLog(sb: Sandbox): void {
  writeFileSync(join(sb.tmp, 'ran.log'), '');
}

/** The stash commit's repro.dat as Python reads it (kwargs, JSON). */
function packedKwargs(sb: Sandbox, rev: string): Record<string, unknown> {
  const blob = spawnSync('git', ['show', `${rev}:.dvc/tmp/repro.dat`], { cwd: sb.repo, env: sb.env });
  assert.equal(blob.status, 0, String(blob.stderr));
  const r = spawnSync('python3', ['-c', 'import pickle,sys,json; d=pickle.load(sys.stdin.buffer); assert d["args"] == (); print(json.dumps(list(d["kwargs"].items())))'], { input: blob.stdout });
  assert.equal(r.status, 0, String(r.stderr));
  return Object.fromEntries(JSON.parse(String(r.stdout)));
}

/** The kwargs of the queue's celery messages (run_exp's copy_paths and message). */
function messageKwargs(sb: Sandbox): Array<Record<string, unknown>> {
  const dir = join(sb.repo, '.dvc/tmp/exps/celery/broker/in');
  return readdirSync(dir)
    .sort()
    .map((n) => JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, n), 'utf8')).body, 'base64').toString('utf8'))[1]);
}

async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  const end = Date.now() + 120_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('dvc exp run -C/--copy-paths', () => {
  test('--temp: the named untracked/ignored file and folder are in the run; without them it fails as DVC', (t) => {
    const { sb, head } = secretProject(t);
    const out = ok(sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.3', '-n', 'withc', '-C', 'secret.txt', '--copy-paths', 'conf']));
    assert.match(out, /Ran experiment\(s\): withc\n/);
    assert.deepEqual(metrics(sb, expRef(head, 'withc')), { acc: 0.7, secret: 0.25, part: 7 });
    // the copied files are not part of the experiment commit
    const files = git(sb, 'ls-tree', '-r', '--name-only', expRef(head, 'withc')).split('\n');
    assert.ok(!files.includes('secret.txt') && !files.includes('conf/part.txt'), files.join(' '));
    // the workspace is untouched
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'lr: 0.1\n');
    // without -C the temporary worktree has neither: the stage fails, no experiment
    const r = fails(sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.4', '-n', 'noc']));
    assert.match(r.stderr, /secret\.txt: No such file or directory/);
    assert.match(r.stderr, /ERROR: Failed to reproduce experiment '[0-9a-f]{7}'/);
    assert.equal(hasRef(sb, expRef(head, 'noc')), false);
    // one path only: still fails (conf/part.txt is missing)
    fails(sb.dvc(['exp', 'run', '--temp', '-S', 'lr=0.45', '-n', 'half', '-C', 'secret.txt']));
    assert.deepEqual(names(sb), ['withc']);
    // a path that is not there: DVC's message, one line
    const missing = fails(sb.dvc(['exp', 'run', '--temp', '-n', 'gone', '-C', 'nothere.txt']));
    assert.equal(missing.stderr, `ERROR: Unable to copy '${join(sb.repo, 'nothere.txt')}'. It is not a file or directory.\n`);
    // nothing is left behind: no stash entry, no worktree
    assert.equal(hasRef(sb, 'refs/exps/stash'), false);
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
  });

  test('paths out of the repository are refused with one line, nothing run or queued', (t) => {
    const { sb } = secretProject(t);
    writeFileSync(join(sb.tmp, 'outside.txt'), 'x\n');
    for (const args of [
      ['--temp', '-C', '../outside.txt'],
      ['--queue', '-C', 'secret.txt', '-C', '../outside.txt'],
      ['--temp', '-C', join(sb.tmp, 'outside.txt')],
      ['--dry', '-C', 'conf/../../outside.txt'],
    ]) {
      const r = fails(sb.dvc(['exp', 'run', ...args]));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /^ERROR: Unable to copy '.*outside\.txt': it is outside the repository/);
    }
    // nor the repository itself or its .git
    for (const p of ['.', '.git', join(sb.repo, '.git', 'config')]) {
      const r = fails(sb.dvc(['exp', 'run', '--temp', '-C', p]));
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
    assert.equal(hasRef(sb, 'refs/exps/celery/stash'), false);
    assert.equal(hasRef(sb, 'refs/exps/stash'), false);
    assert.deepEqual(names(sb), []);
    // a path of the repository given from a subfolder is fine
    const out = ok(sb.dvc(['exp', 'run', '--temp', '-n', 'fromsub', '-C', '../secret.txt', '-C', '.'], { cwd: join(sb.repo, 'conf') }));
    assert.match(out, /Ran experiment\(s\): fromsub/);
  });

  test('a workspace run ignores -C, as DVC', (t) => {
    const { sb, head } = secretProject(t);
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.2', '-n', 'ws', '-C', '../nowhere']));
    assert.deepEqual(metrics(sb, expRef(head, 'ws')), { acc: 0.8, secret: 0.25, part: 7 });
  });

  test('--queue: the paths are kept in the task (as Python DVC\'s run_exp kwargs) and copied when `exp run --run-all` runs it', (t) => {
    const { sb, head } = secretProject(t);
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.5', '-n', 'q1', '-C', 'secret.txt', '-C', 'conf']));
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.6', '-n', 'q2']));
    assert.deepEqual(
      messageKwargs(sb).map((k) => k.copy_paths),
      [['secret.txt', 'conf'], []],
    );
    // the files may change before the run: the run copies them as they are then
    writeFileSync(join(sb.repo, 'secret.txt'), '0.5\n');
    const r = sb.dvc(['exp', 'run', '--run-all'], { env: ENV });
    assert.match(r.stderr, /ERROR: Failed to reproduce experiment\(s\) 'q2'/);
    assert.match(r.stdout, /Ran experiment\(s\): q1\n/);
    assert.deepEqual(metrics(sb, expRef(head, 'q1')), { acc: 0.5, secret: 0.5, part: 7 });
    assert.equal(hasRef(sb, expRef(head, 'q2')), false);
    assert.match(ok(sb.dvc(['queue', 'logs', 'q2'])), /secret\.txt: No such file or directory/);
  });

  test('--queue then `queue start`: the worker copies them too; a path gone by then fails the task with its reason in the log', async (t) => {
    const { sb, head } = secretProject(t);
    ok(sb.dvc(['exp', 'run', '--queue', '-S', 'lr=0.7', '-n', 'w1', '-C', 'secret.txt', '-C', 'conf/part.txt']));
    writeFileSync(join(sb.repo, 'gone.txt'), '1\n');
    ok(sb.dvc(['exp', 'run', '--queue', '-n', 'w2', '-C', 'secret.txt', '-C', 'conf', '-C', 'gone.txt']));
    spawnSync('rm', [join(sb.repo, 'gone.txt')]);
    ok(sb.dvc(['queue', 'start'], { env: ENV }));
    await until('both tasks to finish', () => {
      const s = ok(sb.dvc(['queue', 'status']));
      return /w1\s.*Success/.test(s) && /w2\s.*Failed/.test(s);
    });
    assert.deepEqual(metrics(sb, expRef(head, 'w1')), { acc: 0.3, secret: 0.25, part: 7 });
    assert.equal(hasRef(sb, expRef(head, 'w2')), false);
    assert.match(ok(sb.dvc(['queue', 'logs', 'w2'])), /ERROR: Unable to copy '.*gone\.txt'\. It is not a file or directory\./);
  });
});

describe('dvc exp run with dvc repro\'s arguments', () => {
  test('-s / --downstream / -p / -P / -R / --force-downstream run just the stages they name, in the workspace', (t) => {
    const { sb, head, ran } = chainProject(t);
    // the sub-folder pipeline of -R and -P
    mkdirSync(join(sb.repo, 'sub'));
    writeFileSync(join(sb.repo, 'sub', 'dvc.yaml'), `stages:\n  e:\n    cmd: echo e >> '${join(sb.tmp, 'ran.log')}' && echo e > e.txt\n    outs: [e.txt]\n`);
    ok(sb.dvc(['repro', '-q', 'sub/dvc.yaml']));
    const base = commit(sb);
    assert.notEqual(base, head);
    clearLog(sb);
    const run = (args: string[]) => {
      clearLog(sb);
      ok(sb.dvc(['exp', 'run', '-f', ...args]));
      return ran();
    };
    assert.deepEqual(run(['-n', 'single', '-s', 'b']), ['b']);
    assert.deepEqual(run(['-n', 'upstream', 'b']), ['a', 'b']);
    assert.deepEqual(run(['-n', 'down', '--downstream', 'b']), ['b', 'c']);
    assert.deepEqual(run(['-n', 'pipe', '-p', 'c']).sort(), ['a', 'b', 'c']);
    assert.deepEqual(run(['-n', 'all', '-P']).sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(run(['-n', 'rec', '-R', 'sub']), ['e']);
    for (const n of ['single', 'upstream', 'down', 'pipe', 'all', 'rec']) assert.ok(hasRef(sb, expRef(base, n)), n);
    // --force-downstream: a change to in.txt reruns a and d; b, c follow a although a.txt is the same
    writeFileSync(join(sb.repo, 'in.txt'), 'in\n\n');
    clearLog(sb);
    ok(sb.dvc(['exp', 'run', '-n', 'fd', '--force-downstream', 'dvc.yaml']));
    assert.deepEqual(ran().sort(), ['a', 'b', 'c', 'd']);
  });

  test('--temp and --queue: the arguments reach the run (repro.dat as Python DVC packs it)', { skip: !hasPython && 'python3 is not installed' }, (t) => {
    const { sb, head, ran } = chainProject(t);
    ok(sb.dvc(['exp', 'run', '--temp', '-f', '-s', '-n', 'tsingle', 'b']));
    assert.deepEqual(ran(), ['b']);
    clearLog(sb);
    ok(sb.dvc(['exp', 'run', '--queue', '-f', '--downstream', '-n', 'qdown', 'b']));
    ok(sb.dvc(['exp', 'run', '--queue', '-f', '-k', '-n', 'qkeep', 'c']));
    const stash = git(sb, 'log', '-g', '--format=%H', 'refs/exps/celery/stash').split('\n');
    const kw = packedKwargs(sb, stash[1]!);
    const { run_env: env, ...rest } = kw as { run_env: Record<string, string> };
    assert.deepEqual(Object.keys(kw), ['run_env', 'targets', 'single_item', 'force', 'dry', 'interactive', 'pipeline', 'all_pipelines', 'downstream', 'recursive', 'force_downstream', 'pull', 'allow_missing', 'on_error']);
    assert.equal(env.DVC_EXP_NAME, 'qdown');
    assert.deepEqual(rest, {
      targets: ['b'],
      single_item: false,
      force: true,
      dry: false,
      interactive: false,
      pipeline: false,
      all_pipelines: false,
      downstream: true,
      recursive: false,
      force_downstream: false,
      pull: false,
      allow_missing: false,
      on_error: 'fail',
    });
    assert.equal(packedKwargs(sb, stash[0]!).on_error, 'keep-going');
    ok(sb.dvc(['exp', 'run', '--run-all'], { env: ENV }));
    assert.deepEqual(ran(), ['b', 'c', 'a', 'b', 'c']);
    for (const n of ['tsingle', 'qdown', 'qkeep']) assert.ok(hasRef(sb, expRef(head, n)), n);
  });

  test('repro.dat written by Python DVC is read with all its arguments', { skip: !hasPython && 'python3 is not installed' }, () => {
    const sb = sandbox({ git: false });
    const dir = join(sb.repo, 'tmp');
    mkdirSync(dir);
    const py = spawnSync('python3', [
      '-c',
      'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({"args": (), "kwargs": {"run_env": {"DVC_EXP_NAME": "x"}, "targets": ["t1", "t2"], "single_item": True, "force": False, "dry": False, "interactive": False, "pipeline": True, "all_pipelines": False, "downstream": True, "recursive": True, "force_downstream": True, "pull": False, "allow_missing": True, "on_error": "ignore"}}))',
    ]);
    assert.equal(py.status, 0, String(py.stderr));
    writeFileSync(join(dir, 'repro.dat'), py.stdout);
    assert.deepEqual(unpackReproArgs(dir), {
      targets: ['t1', 't2'],
      single: true,
      force: false,
      dry: false,
      interactive: false,
      pipeline: true,
      allPipelines: false,
      downstream: true,
      recursive: true,
      forceDownstream: true,
      pull: false,
      allowMissing: true,
      onError: 'ignore',
    });
    // read once: the file is gone, as DVC's executor removes it
    assert.equal(existsSync(join(dir, 'repro.dat')), false);
    // DVC's older repro.dat (targets as the positional argument, fewer kwargs): defaults for the rest
    writeFileSync(join(dir, 'repro.dat'), pickleDumps({ args: new PyTuple([['only']]), kwargs: { force: true } }));
    const old = unpackReproArgs(dir);
    assert.deepEqual([old.targets, old.force, old.single, old.onError], [['only'], true, false, 'fail']);
  });

  test('-k goes on past a failing stage and skips its dependents; the experiment is not saved. --ignore-errors saves it', (t) => {
    const fail = `  bad:\n    cmd: echo bad >> '${'LOG'}' && exit 3\n    deps: [in.txt]\n    outs: [bad.txt]\n  after:\n    cmd: cp bad.txt after.txt\n    deps: [bad.txt]\n    outs: [after.txt]\n`;
    const { sb, head, ran } = chainProject(t);
    writeFileSync(
      join(sb.repo, 'dvc.yaml'),
      readFileSync(join(sb.repo, 'dvc.yaml'), 'utf8') + fail.replace('LOG', join(sb.tmp, 'ran.log')),
    );
    ok(sb.git(['add', '-A']));
    ok(sb.git(['commit', '-qm', 'with a failing stage']));
    const base = git(sb, 'rev-parse', 'HEAD');
    assert.notEqual(base, head);
    // without -k the run stops at the failure
    const stop = fails(sb.dvc(['exp', 'run', '-f', '-n', 'stop']));
    assert.match(stop.stderr, /ERROR: failed to reproduce 'bad'/);
    assert.equal(ran()[ran().length - 1], 'bad');
    assert.deepEqual(names(sb), []);
    clearLog(sb);
    const r = fails(sb.dvc(['exp', 'run', '-f', '-k', '-n', 'keep']));
    assert.deepEqual(ran().sort(), ['a', 'b', 'bad', 'c', 'd']);
    assert.match(r.stderr, /Stage 'after' will be skipped due to this failure/);
    assert.match(r.stderr, /ERROR: failed to reproduce 'bad'/);
    assert.equal(existsSync(join(sb.repo, 'after.txt')), false);
    assert.deepEqual(names(sb), []);
    // --ignore-errors: the run goes on and the experiment is saved with what ran
    clearLog(sb);
    const ig = ok(sb.dvc(['exp', 'run', '-f', '--ignore-errors', '-n', 'ignored']));
    assert.match(ig, /Ran experiment\(s\): ignored/);
    assert.deepEqual(names(sb), ['ignored']);
    // the same with --temp: -k fails the experiment, --ignore-errors saves it
    clearLog(sb);
    fails(sb.dvc(['exp', 'run', '--temp', '-f', '-k', '-n', 'tkeep']));
    assert.deepEqual(ran().sort(), ['a', 'b', 'bad', 'c', 'd']);
    ok(sb.dvc(['exp', 'run', '--temp', '-f', '--ignore-errors', '-n', 'tignored']));
    assert.deepEqual(names(sb), ['ignored', 'tignored']);
    assert.ok(hasRef(sb, expRef(base, 'tignored')));
  });

  test('--dry prints what would run, runs nothing and saves no experiment', (t) => {
    const { sb, ran } = chainProject(t);
    writeFileSync(join(sb.repo, 'in.txt'), 'changed\n');
    const lock = readFileSync(join(sb.repo, 'dvc.lock'), 'utf8');
    const out = ok(sb.dvc(['exp', 'run', '--dry', '-n', 'dry', '-s', 'a']));
    assert.equal(out, `Reproducing experiment 'dry'\nRunning stage 'a':\n> echo a >> '${join(sb.tmp, 'ran.log')}' && cp in.txt a.txt\n`);
    assert.deepEqual(ran(), []);
    assert.deepEqual(names(sb), []);
    assert.equal(readFileSync(join(sb.repo, 'dvc.lock'), 'utf8'), lock);
    assert.equal(readFileSync(join(sb.repo, 'a.txt'), 'utf8'), 'in\n');
    assert.equal(hasRef(sb, 'refs/exps/stash'), false);
    assert.equal(git(sb, 'worktree', 'list').split('\n').length, 1);
    // -S with --dry leaves params alone too
    writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
    ok(sb.dvc(['exp', 'run', '--dry', '-S', 'lr=0.9']));
    assert.equal(readFileSync(join(sb.repo, 'params.yaml'), 'utf8'), 'lr: 0.1\n');
    assert.deepEqual(ran(), []);
    assert.deepEqual(names(sb), []);
  });

  test('-i without a terminal to answer on: the answer is no, nothing runs or is saved', (t) => {
    const { sb, ran } = chainProject(t);
    for (const args of [['-i'], ['-i', '--temp'], ['--interactive']]) {
      const r = fails(sb.dvc(['exp', 'run', '-f', ...args, 'a']));
      assert.match(r.stderr, /failed to reproduce 'a': reproduction aborted by the user/);
    }
    assert.deepEqual(ran(), []);
    assert.deepEqual(names(sb), []);
  });

  test('--help shows exactly DVC\'s exp run flags', () => {
    const sb = sandbox({ git: false });
    const help = ok(sb.dvc(['exp', 'run', '--help']));
    const flags = [...help.matchAll(/^ {2}(-\w, )?(--[\w-]+)/gm)].map((m) => m[2]);
    assert.deepEqual(flags, [
      '--force',
      '--interactive',
      '--single-item',
      '--pipeline',
      '--all-pipelines',
      '--recursive',
      '--downstream',
      '--force-downstream',
      '--pull',
      '--allow-missing',
      '--dry',
      '--keep-going',
      '--ignore-errors',
      '--name',
      '--set-param',
      '--queue',
      '--run-all',
      '--jobs',
      '--temp',
      '--copy-paths',
      '--message',
      '--quiet',
      '--verbose',
      '--cd',
      '--help',
    ]);
    assert.match(help, /-C, --copy-paths <COPY_PATHS>\s+List of ignored or untracked paths to copy into the temp directory\. Only used if `--temp` or `--queue` is specified\./);
    // repro-only flags are not exp run's (as DVC)
    for (const f of ['--glob', '--no-commit', '--no-run-cache']) assert.equal(sb.dvc(['exp', 'run', f]).code === 0, false, f);
  });
});
