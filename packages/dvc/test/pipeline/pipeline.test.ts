/**
 * Pipelines end to end with the built CLI: real files, real git, real shell commands.
 * stage add / repro / status / dag / params diff / metrics show on 2-3 stage pipelines.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dumpYaml } from '../../src/formats/ruamel.js';
import { isOneLineError, sandbox, type Sandbox } from '../cli/helpers.js';

function write(sb: Sandbox, rel: string, text: string): void {
  writeFileSync(join(sb.repo, rel), text);
}
function read(sb: Sandbox, rel: string): string {
  return readFileSync(join(sb.repo, rel), 'utf8');
}
function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
function ran(stdout: string): string[] {
  return [...stdout.matchAll(/^Running stage '([^']+)':$/gm)].map((m) => m[1]!);
}

/** prepare -> train -> evaluate, each appending to a log so runs can be counted. */
function threeStages(): Sandbox {
  const sb = sandbox();
  ok(sb.dvc(['init', '-q']));
  write(sb, 'raw.txt', 'raw\n');
  write(sb, 'params.yaml', 'train:\n  lr: 0.1\n  epochs: 3\nseed: 1\n');
  ok(sb.dvc(['stage', 'add', '-n', 'prepare', '-d', 'raw.txt', '-o', 'prepared', 'mkdir -p prepared && cp raw.txt prepared/a.txt && echo prepare >> runs.log']));
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-d', 'prepared', '-p', 'train.lr,seed', '-o', 'model.bin', 'cat prepared/a.txt params.yaml > model.bin && echo train >> runs.log']));
  ok(sb.dvc(['stage', 'add', '-n', 'evaluate', '-d', 'model.bin', '-M', 'metrics.json', 'echo \'{"acc": 0.5, "n": 2}\' > metrics.json && echo evaluate >> runs.log']));
  return sb;
}

describe('dvc stage add', () => {
  test('writes dvc.yaml as DVC does and ignores cached outputs only', () => {
    const sb = threeStages();
    assert.equal(
      read(sb, 'dvc.yaml'),
      'stages:\n' +
        '  prepare:\n    cmd: mkdir -p prepared && cp raw.txt prepared/a.txt && echo prepare >> runs.log\n    deps:\n    - raw.txt\n    outs:\n    - prepared\n' +
        '  train:\n    cmd: cat prepared/a.txt params.yaml > model.bin && echo train >> runs.log\n    deps:\n    - prepared\n    params:\n    - seed\n    - train.lr\n    outs:\n    - model.bin\n' +
        '  evaluate:\n    cmd: \'echo \'\'{"acc": 0.5, "n": 2}\'\' > metrics.json && echo evaluate >> runs.log\'\n    deps:\n    - model.bin\n    metrics:\n    - metrics.json:\n        cache: false\n',
    );
    assert.equal(read(sb, '.gitignore'), '/prepared\n/model.bin\n');
  });

  test('a duplicate name needs --force; a bad name, an overlapping or outside output are one ERROR line', () => {
    const sb = threeStages();
    const before = read(sb, 'dvc.yaml');
    let r = sb.dvc(['stage', 'add', '-n', 'train', '-o', 'x', 'true']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /already exists/);
    r = sb.dvc(['stage', 'add', '-n', 'other', '-o', 'prepared/sub', 'true']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /overlap/);
    r = sb.dvc(['stage', 'add', '-n', 'dup', '-o', 'model.bin', 'true']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    r = sb.dvc(['stage', 'add', '-n', 'out', '-o', '../escape', 'true']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    r = sb.dvc(['stage', 'add', '-n', 'bad.name', 'true']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.equal(read(sb, 'dvc.yaml'), before);
    ok(sb.dvc(['stage', 'add', '-f', '-n', 'train', '-d', 'prepared', '-o', 'model.bin', 'cp prepared/a.txt model.bin']));
    assert.match(read(sb, 'dvc.yaml'), /train:\n    cmd: cp prepared\/a.txt model.bin\n/);
  });
});

describe('dvc.yaml written by hand', () => {
  test('stage add keeps comments and flow lists of an existing dvc.yaml; dvc add of a stage output is refused', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    const mine = '# my pipeline\nstages:\n  a:  # first\n    cmd: echo a > a.txt\n    outs: [a.txt]\n';
    write(sb, 'dvc.yaml', mine);
    ok(sb.dvc(['stage', 'add', '-n', 'b', '-d', 'a.txt', '-o', 'b.txt', 'cp a.txt b.txt']));
    assert.equal(read(sb, 'dvc.yaml'), mine + '  b:\n    cmd: cp a.txt b.txt\n    deps:\n    - a.txt\n    outs:\n    - b.txt\n');
    ok(sb.dvc(['repro']));
    assert.equal(read(sb, 'b.txt'), 'a\n');
    const r = sb.dvc(['add', 'b.txt']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /stage: 'b'/);
    assert.ok(!existsSync(join(sb.repo, 'b.txt.dvc')));
  });
});

describe('dvc.yaml in a subfolder', () => {
  test('stage add writes the current folder\'s dvc.yaml; repro, status, push and checkout see every dvc.yaml', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    write(sb, 'root.txt', 'r\n');
    mkdirSync(join(sb.repo, 'sub'));
    const sub = join(sb.repo, 'sub');
    ok(sb.dvc(['stage', 'add', '-n', 't', '-d', '../root.txt', '-o', 'out.txt', 'cp ../root.txt out.txt'], { cwd: sub }));
    assert.equal(read(sb, 'sub/dvc.yaml'), 'stages:\n  t:\n    cmd: cp ../root.txt out.txt\n    deps:\n    - ../root.txt\n    outs:\n    - out.txt\n');
    assert.equal(read(sb, 'sub/.gitignore'), '/out.txt\n');
    ok(sb.dvc(['stage', 'add', '-n', 'r', '-d', 'sub/out.txt', '-o', 'final.txt', 'cat sub/out.txt sub/out.txt > final.txt']));
    let out = ok(sb.dvc(['repro']));
    assert.deepEqual(ran(out), ['sub/dvc.yaml:t', 'r']);
    assert.equal(read(sb, 'final.txt'), 'r\nr\n');
    assert.match(read(sb, 'sub/dvc.lock'), /^schema: '2\.0'\nstages:\n  t:\n    cmd: cp \.\.\/root.txt out.txt\n    deps:\n    - path: \.\.\/root.txt\n/);
    assert.match(read(sb, 'dvc.lock'), /^schema: '2\.0'\nstages:\n  r:\n/);
    write(sb, 'root.txt', 'r2\n');
    assert.equal(ok(sb.dvc(['status'])).trim(), 'sub/dvc.yaml:t:\n\tchanged deps:\n\t\tmodified:           ../root.txt');
    assert.equal(ok(sb.dvc(['status'], { cwd: sub })).trim(), 't:\n\tchanged deps:\n\t\tmodified:           ../root.txt');
    out = ok(sb.dvc(['repro', 'sub/dvc.yaml:t']));
    assert.deepEqual(ran(out), ['sub/dvc.yaml:t']);
    assert.deepEqual(ran(ok(sb.dvc(['repro'], { cwd: sub }))), []);
    ok(sb.dvc(['repro']));
    ok(sb.dvc(['remote', 'add', '-d', 'loc', join(sb.tmp, 'remote')]));
    assert.match(ok(sb.dvc(['push'])), /2 files pushed/);
    rmSync(join(sub, 'out.txt'));
    assert.match(ok(sb.dvc(['checkout'])), /^A       sub\/out.txt$/m);
    assert.equal(read(sb, 'sub/out.txt'), 'r2\n');
  });
});

describe('templated dvc.yaml', () => {
  test('${...} from params.yaml and vars, foreach and matrix stages; repro ignores outputs in git', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    write(sb, 'params.yaml', 'train:\n  lr: 0.1\n  flag: true\nmodels: [a, b]\n');
    write(sb, 'other.yaml', 'extra: 7\n');
    write(
      sb,
      'dvc.yaml',
      'vars:\n  - other.yaml\n  - name: world\nstages:\n' +
        '  hello:\n    cmd: echo ${name} ${train.lr} ${train.flag} ${extra} > hello.txt\n    outs:\n    - hello.txt\n' +
        '  per_model:\n    foreach: ${models}\n    do:\n      cmd: echo ${item} > model-${item}.txt\n      outs:\n      - model-${item}.txt\n' +
        '  grid:\n    matrix:\n      m: [x, y]\n      n: [1, 2]\n    cmd: echo ${item.m}${item.n} > grid-${item.m}-${item.n}.txt\n    outs:\n    - grid-${item.m}-${item.n}.txt\n' +
        '  kv:\n    foreach:\n      p: 1\n      q: 2\n    do:\n      cmd: echo ${key}=${item} > d-${key}.txt\n      outs:\n      - d-${key}.txt\n',
    );
    const yaml = read(sb, 'dvc.yaml');
    ok(sb.dvc(['repro']));
    assert.equal(read(sb, 'hello.txt'), 'world 0.1 true 7\n');
    assert.equal(read(sb, 'model-b.txt'), 'b\n');
    assert.equal(read(sb, 'grid-y-2.txt'), 'y2\n');
    assert.equal(read(sb, 'd-q.txt'), 'q=2\n');
    assert.equal(read(sb, 'dvc.yaml'), yaml, 'dvc.yaml is not rewritten');
    const lock = read(sb, 'dvc.lock');
    assert.match(lock, /  hello:\n    cmd: echo world 0.1 true 7 > hello.txt\n/);
    assert.match(lock, /  per_model@a:\n/);
    assert.match(lock, /  grid@y-2:\n/);
    assert.match(lock, /  kv@p:\n/);
    assert.equal(read(sb, '.gitignore').split('\n').filter(Boolean).length, 9);
    assert.match(ok(sb.dvc(['stage', 'list', '--name-only'])), /^hello\nper_model@a\nper_model@b\ngrid@x-1\n/);
    // a value used in a command changes the command
    write(sb, 'params.yaml', 'train:\n  lr: 0.5\n  flag: true\nmodels: [a, b]\n');
    assert.equal(ok(sb.dvc(['status'])).trim(), 'hello:\n\tchanged command');
    assert.deepEqual(ran(ok(sb.dvc(['repro', 'per_model@b', 'hello']))), ['hello']);
    // an unknown name is one ERROR line
    write(sb, 'dvc.yaml', yaml.replace('${name}', '${nope}'));
    const r = sb.dvc(['status']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /Could not find 'nope'/);
  });
});

describe('dvc repro', () => {
  test('runs stages in order, then only what changed; -f reruns all; --dry runs nothing', () => {
    const sb = threeStages();
    let out = ok(sb.dvc(['repro']));
    assert.deepEqual(ran(out), ['prepare', 'train', 'evaluate']);
    assert.equal(read(sb, 'runs.log'), 'prepare\ntrain\nevaluate\n');
    const lock = read(sb, 'dvc.lock');
    assert.match(lock, /^schema: '2\.0'\nstages:\n  prepare:\n/);
    assert.match(lock, /    params:\n      params.yaml:\n        seed: 1\n        train.lr: 0.1\n/);
    assert.match(lock, /    - path: prepared\n      hash: md5\n      md5: [0-9a-f]{32}\.dir\n      size: 4\n      nfiles: 1\n/);
    // cached like dvc add: the model's bytes are in the cache
    const md5 = /path: model.bin\n      hash: md5\n      md5: ([0-9a-f]{32})/.exec(lock)![1]!;
    assert.ok(existsSync(join(sb.repo, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2))));
    assert.ok(readdirSync(join(sb.repo, '.dvc/cache/runs')).length >= 2, 'run cache entries written');

    out = ok(sb.dvc(['repro']));
    assert.deepEqual(ran(out), []);
    assert.match(out, /Data and pipelines are up to date\./);
    // a deleted output is checked out again from the cache, not rebuilt (DVC's restore from the lock)
    rmSync(join(sb.repo, 'model.bin'));
    const logNow = read(sb, 'runs.log');
    out = ok(sb.dvc(['repro']));
    assert.match(out, /Stage 'train' is cached - skipping run, checking out outputs/);
    assert.deepEqual(ran(out), []);
    assert.equal(read(sb, 'runs.log'), logNow);
    assert.ok(existsSync(join(sb.repo, 'model.bin')));
    // the uncached metrics file went into the cache with the run cache entry, as DVC does
    const metricsMd5 = /path: metrics.json\n      hash: md5\n      md5: ([0-9a-f]{32})/.exec(read(sb, 'dvc.lock'))![1]!;
    assert.ok(existsSync(join(sb.repo, '.dvc/cache/files/md5', metricsMd5.slice(0, 2), metricsMd5.slice(2))));
    assert.equal(ok(sb.dvc(['status'])).trim(), 'Data and pipelines are up to date.');

    // a change in the middle reruns it and what follows, not what precedes
    write(sb, 'params.yaml', 'train:\n  lr: 0.2\n  epochs: 3\nseed: 1\n');
    const st = ok(sb.dvc(['status']));
    assert.equal(st.trim(), 'train:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tmodified:           train.lr');
    assert.equal(ok(sb.dvc(['status', '--json'])).trim(), '{"train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}]}');
    // an unused param does not count
    write(sb, 'params.yaml', 'train:\n  lr: 0.2\n  epochs: 30\nseed: 1\n');
    out = ok(sb.dvc(['repro']));
    assert.deepEqual(ran(out), ['train', 'evaluate']);
    assert.match(read(sb, 'dvc.lock'), /train.lr: 0.2\n/);

    // --dry prints but runs nothing and writes nothing
    write(sb, 'raw.txt', 'raw v2\n');
    const lockBefore = read(sb, 'dvc.lock');
    const logBefore = read(sb, 'runs.log');
    out = ok(sb.dvc(['repro', '--dry']));
    // as DVC: downstream stages are judged on the workspace, which --dry does not change
    assert.deepEqual(ran(out), ['prepare']);
    assert.equal(read(sb, 'dvc.lock'), lockBefore);
    assert.equal(read(sb, 'runs.log'), logBefore);

    // -s: only the target
    out = ok(sb.dvc(['repro', '-s', 'prepare']));
    assert.deepEqual(ran(out), ['prepare']);
    // -f: everything, even unchanged
    ok(sb.dvc(['repro']));
    out = ok(sb.dvc(['repro', '-f']));
    assert.deepEqual(ran(out), ['prepare', 'train', 'evaluate']);
    // a target: it and its upstream
    write(sb, 'raw.txt', 'raw v3\n');
    out = ok(sb.dvc(['repro', 'train']));
    assert.deepEqual(ran(out), ['prepare', 'train']);
    // --downstream: the target and what depends on it
    write(sb, 'params.yaml', 'train:\n  lr: 0.3\n  epochs: 3\nseed: 1\n');
    write(sb, 'raw.txt', 'raw v3b\n');
    out = ok(sb.dvc(['repro', '--downstream', 'train']));
    assert.deepEqual(ran(out), ['train', 'evaluate']);
    assert.match(ok(sb.dvc(['status'])), /^prepare:\n\tchanged deps:\n\t\tmodified:           raw.txt\n$/);
    ok(sb.dvc(['repro']));
    // --no-commit: the output is hashed into dvc.lock but not cached
    write(sb, 'raw.txt', 'raw v4 not cached\n');
    ok(sb.dvc(['repro', '--no-commit', '-s', 'prepare']));
    const m = /path: prepared\n      hash: md5\n      md5: ([0-9a-f]{32})\.dir/.exec(read(sb, 'dvc.lock'))!;
    assert.ok(!existsSync(join(sb.repo, '.dvc/cache/files/md5', m[1]!.slice(0, 2), m[1]!.slice(2) + '.dir')));
    assert.match(ok(sb.dvc(['status', 'prepare'])), /not in cache:\s+prepared/);
  });

  test('a failing command exits non-zero with one ERROR line and leaves dvc.lock unchanged', () => {
    const sb = threeStages();
    ok(sb.dvc(['repro']));
    const lock = read(sb, 'dvc.lock');
    ok(sb.dvc(['stage', 'add', '-f', '-n', 'train', '-d', 'prepared', '-p', 'seed', '-o', 'model.bin', 'echo boom && exit 3']));
    const r = sb.dvc(['repro']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /failed to reproduce 'train': failed to run: echo boom && exit 3, exited with 3/);
    assert.match(r.stdout, /^boom$/m, 'the command\'s own output goes through');
    assert.equal(read(sb, 'dvc.lock'), lock);
  });

  test('a missing output is an error; a missing dvc.yaml, unknown stage or bad dvc.yaml is one ERROR line', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    let r = sb.dvc(['repro']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    ok(sb.dvc(['stage', 'add', '-n', 's', '-o', 'never.txt', 'true']));
    r = sb.dvc(['repro']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /output 'never.txt' does not exist/);
    assert.ok(!existsSync(join(sb.repo, 'dvc.lock')));
    r = sb.dvc(['repro', 'nope']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    write(sb, 'dvc.yaml', 'stages:\n  s:\n    cmd: [unclosed\n');
    // DVC: status catches the error (exit 1), repro / dag / stage add do not (exit 255)
    for (const [args, code] of [[['repro'], 255], [['status'], 1], [['dag'], 255], [['stage', 'add', '-n', 'x', 'true'], 255]] as const) {
      r = sb.dvc([...args]);
      assert.equal(r.code, code, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
    write(sb, 'dvc.yaml', 'stages:\n  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n');
    r = sb.dvc(['repro']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /cycle/);
  });

  test('a stage restored from the run cache does not run again; wdir runs the command there', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    write(sb, 'params.yaml', 'lr: 1\n');
    write(sb, 'in.txt', 'x\n');
    ok(sb.dvc(['stage', 'add', '-n', 's', '-d', 'in.txt', '-p', 'lr', '-o', 'out.txt', 'cat in.txt params.yaml > out.txt && echo run >> log.txt']));
    ok(sb.dvc(['repro']));
    write(sb, 'params.yaml', 'lr: 2\n');
    ok(sb.dvc(['repro']));
    write(sb, 'params.yaml', 'lr: 1\n');
    const out = ok(sb.dvc(['repro']));
    assert.match(out, /Stage 's' is cached - skipping run, checking out outputs/);
    assert.equal(read(sb, 'log.txt'), 'run\nrun\n');
    assert.equal(read(sb, 'out.txt'), 'x\nlr: 1\n');
    assert.match(read(sb, 'dvc.lock'), /lr: 1\n/);

    const sub = join(sb.repo, 'sub');
    ok(sb.dvc(['stage', 'add', '-n', 'w', '-w', 'sub', '-o', 'here.txt', 'pwd > here.txt']));
    assert.match(read(sb, 'dvc.yaml'), /  w:\n    cmd: pwd > here.txt\n    wdir: sub\n    outs:\n    - here.txt\n/);
    ok(sb.dvc(['repro', 'w']));
    assert.ok(statSync(sub).isDirectory());
    assert.equal(read(sb, 'sub/here.txt').trim().endsWith('/sub'), true);
    assert.equal(read(sb, 'sub/.gitignore'), '/here.txt\n');
  });
});

describe('stage outputs and the cache', () => {
  test('checkout restores them from dvc.lock; push and pull carry them to a clone', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    write(sb, 'raw.txt', 'raw\n');
    ok(sb.dvc(['stage', 'add', '-n', 's', '-d', 'raw.txt', '-o', 'out', 'mkdir -p out && cp raw.txt out/a.txt && echo b > out/b.txt']));
    ok(sb.dvc(['repro']));
    ok(sb.dvc(['remote', 'add', '-d', 'loc', join(sb.tmp, 'remote')]));
    assert.match(ok(sb.dvc(['push'])), /3 files pushed/);
    ok(sb.git(['add', '-A']));
    ok(sb.git(['commit', '-qm', 'v1']));
    rmSync(join(sb.repo, 'out'), { recursive: true });
    assert.match(ok(sb.dvc(['status'])), /changed outs:\n\t\tdeleted:            out/);
    assert.match(ok(sb.dvc(['checkout'])), /^A       out\/$/m);
    assert.equal(read(sb, 'out/b.txt'), 'b\n');
    const clone = join(sb.tmp, 'clone');
    ok(sb.git(['clone', '-q', sb.repo, clone], { cwd: sb.tmp }));
    assert.match(ok(sb.dvc(['pull'], { cwd: clone })), /3 files fetched and 2 files added/);
    assert.equal(readFileSync(join(clone, 'out/a.txt'), 'utf8'), 'raw\n');
    assert.equal(ok(sb.dvc(['status'], { cwd: clone })).trim(), 'Data and pipelines are up to date.');
  });
});

describe('dvc commit of stages', () => {
  test('records a stage run by hand in dvc.lock and the cache; a changed stage needs -f', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    write(sb, 'in.txt', 'a\n');
    ok(sb.dvc(['stage', 'add', '-n', 's', '-d', 'in.txt', '-o', 'out.txt', 'cp in.txt out.txt']));
    write(sb, 'out.txt', 'a\n'); // run by hand
    let r = sb.dvc(['commit']);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /unable to commit changed stage: 's'\. Use `-f\|--force` to force\./);
    assert.ok(!existsSync(join(sb.repo, 'dvc.lock')));
    ok(sb.dvc(['commit', '-f', 's']));
    assert.match(read(sb, 'dvc.lock'), /  s:\n    cmd: cp in.txt out.txt\n    deps:\n    - path: in.txt\n/);
    assert.ok(existsSync(join(sb.repo, '.dvc/cache/files/md5/60/b725f10c9c85c70d97880dfe8191b3')));
    assert.equal(ok(sb.dvc(['status'])).trim(), 'Data and pipelines are up to date.');
    assert.deepEqual(ran(ok(sb.dvc(['repro']))), []);
    ok(sb.dvc(['commit']), 'an unchanged stage commits without -f');
  });
});

describe('dvc remove of stages', () => {
  test('drops the stage from dvc.yaml and dvc.lock and its .gitignore lines; --outs deletes the outputs', () => {
    const sb = threeStages();
    ok(sb.dvc(['repro']));
    write(sb, 'data.txt', 'd\n');
    ok(sb.dvc(['add', 'data.txt']));
    ok(sb.dvc(['remove', 'train', 'data.txt.dvc']));
    assert.ok(!existsSync(join(sb.repo, 'data.txt.dvc')));
    assert.doesNotMatch(read(sb, 'dvc.yaml'), /train/);
    assert.match(read(sb, 'dvc.yaml'), /^stages:\n  prepare:\n[\s\S]*  evaluate:\n/);
    assert.doesNotMatch(read(sb, 'dvc.lock'), /  train:/);
    assert.equal(read(sb, '.gitignore'), '/prepared\n');
    assert.ok(existsSync(join(sb.repo, 'model.bin')), 'outputs stay without --outs');
    ok(sb.dvc(['remove', '--outs', 'prepare', 'evaluate']));
    assert.ok(!existsSync(join(sb.repo, 'dvc.yaml')));
    assert.ok(!existsSync(join(sb.repo, 'dvc.lock')));
    assert.ok(!existsSync(join(sb.repo, 'prepared')));
    assert.ok(!existsSync(join(sb.repo, 'metrics.json')));
    const r = sb.dvc(['remove', 'nothing']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
  });
});

describe('link cache types', () => {
  test('with cache.type symlink, a persist output is made a writable copy before its stage runs again', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    ok(sb.dvc(['config', 'cache.type', 'symlink']));
    write(sb, 'in.txt', '1\n');
    ok(sb.dvc(['stage', 'add', '-n', 'acc', '-d', 'in.txt', '--outs-persist', 'log.txt', '-o', 'copy.txt', 'cat in.txt >> log.txt && cp in.txt copy.txt']));
    assert.match(read(sb, 'dvc.yaml'), /    outs:\n    - copy.txt\n    - log.txt:\n        persist: true\n/);
    ok(sb.dvc(['repro']));
    assert.ok(lstatSync(join(sb.repo, 'log.txt')).isSymbolicLink(), 'saved outputs link to the cache');
    write(sb, 'in.txt', '2\n');
    ok(sb.dvc(['repro']));
    assert.equal(read(sb, 'log.txt'), '1\n2\n');
    assert.equal(read(sb, 'copy.txt'), '2\n');
  });
});

describe('dvc dag, params diff, metrics', () => {
  test('dag draws a chain and prints --dot', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    ok(sb.dvc(['stage', 'add', '-n', 'a', '-o', 'a.txt', 'echo a > a.txt']));
    ok(sb.dvc(['stage', 'add', '-n', 'bb', '-d', 'a.txt', '-o', 'b.txt', 'cp a.txt b.txt']));
    assert.equal(ok(sb.dvc(['dag'])), '+---+  \n| a |  \n+---+  \n   *   \n   *   \n   *   \n+----+ \n| bb | \n+----+ \n');
    assert.equal(ok(sb.dvc(['dag', '--dot'])), 'strict digraph  {\n"a";\n"bb";\n"a" -> "bb";\n}\n');
  });

  // Column widths: the widest cell, and at least the header + 2 (tabulate's MIN_PADDING), as
  // Python DVC 3.64 prints them (fixture 19: `Metric    HEAD~1    HEAD    Change`).
  test('params diff and metrics show/diff against HEAD', () => {
    const sb = threeStages();
    assert.equal(ok(sb.dvc(['params', 'diff'])), '', 'no commits: nothing to compare');
    ok(sb.dvc(['repro']));
    assert.equal(ok(sb.dvc(['metrics', 'show'])), 'Path          acc    n\nmetrics.json  0.5    2\n');
    assert.equal(ok(sb.dvc(['metrics', 'show', '--json'])), '{"": {"data": {"metrics.json": {"data": {"acc": 0.5, "n": 2}}}}}\n');
    ok(sb.git(['add', '-A']));
    ok(sb.git(['commit', '-qm', 'v1']));
    write(sb, 'params.yaml', 'train:\n  lr: 0.2\n  epochs: 3\nseed: 1\n');
    assert.equal(ok(sb.dvc(['params', 'diff'])), 'Path         Param     HEAD    workspace\nparams.yaml  train.lr  0.1     0.2\n');
    write(sb, 'metrics.json', '{"acc": 0.75, "n": 2}');
    assert.equal(ok(sb.dvc(['metrics', 'diff'])), 'Path          Metric    HEAD    workspace    Change\nmetrics.json  acc       0.5     0.75         0.25\n');
  });
});

test('metrics show formats values as DVC (round(v, 5), Python str, sorted columns) and --json as json.dumps', () => {
  const sb = sandbox();
  ok(sb.dvc(['init', '-q']));
  write(sb, 'm.json', '{"loss": 1.0, "acc": 0.123456789, "n": 3, "tiny": 1e-7, "nested": {"b": true}}');
  ok(sb.dvc(['stage', 'add', '-n', 's', '-M', 'm.json', 'true']));
  assert.equal(ok(sb.dvc(['metrics', 'show'])), 'Path    acc      loss    n    nested.b    tiny\nm.json  0.12346  1.0     3    True        0.0\n');
  assert.equal(
    ok(sb.dvc(['metrics', 'show', '--json'])),
    '{"": {"data": {"m.json": {"data": {"loss": 1.0, "acc": 0.123456789, "n": 3, "tiny": 1e-07, "nested": {"b": true}}}}}}\n',
  );
});

test('the YAML writer folds long commands as ruamel does and quotes what YAML would misread', () => {
  const cmd = 'python train.py --input data/prepared --output models/model.pkl --epochs 10 --learning-rate 0.001';
  assert.equal(
    dumpYaml({ stages: { s: { cmd } } }),
    'stages:\n  s:\n    cmd: python train.py --input data/prepared --output models/model.pkl --epochs\n      10 --learning-rate 0.001\n',
  );
  assert.equal(dumpYaml({ a: 'true', b: '1.5', c: 'x: y', d: '#c', e: '', f: 'it\'s a: b' }), "a: 'true'\nb: '1.5'\nc: 'x: y'\nd: '#c'\ne: ''\nf: 'it''s a: b'\n");
  assert.equal(dumpYaml({ n: 3n, f: 0.1, g: 1, h: 1e-7 }), 'n: 3\nf: 0.1\ng: 1.0\nh: 1.0e-07\n');
});
