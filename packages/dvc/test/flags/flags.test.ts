/**
 * The flags issue 13 lists under "the rest of the flags", each doing what DVC's does:
 * commit/checkout/pull/fetch/push `-d` and `-R`, checkout/pull `--allow-missing`, `stage list`
 * targets/--all/-R/--fail/--name-only, `dag -o/--outs`, `check-ignore -a`, the `rm`/`mv`
 * aliases, and `status` refusing -a/-T/-A/-j without -c.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { isOneLineError, sandbox, type Sandbox } from '../cli/helpers.js';

function ok(r: { code: number; stdout: string; stderr: string }, what = ''): string {
  assert.equal(r.code, 0, `${what}\n${r.stderr}`);
  return r.stdout;
}

/** raw (raw.dvc) -> prep -> prepped -> train -> model, and d1/{x,y}.dvc, sub/dvc.yaml:other. */
function project(): Sandbox {
  const s = sandbox();
  ok(s.dvc(['init', '-q']));
  mkdirSync(join(s.repo, 'raw'));
  writeFileSync(join(s.repo, 'raw', 'a'), 'a\n');
  ok(s.dvc(['add', '-q', 'raw']));
  mkdirSync(join(s.repo, 'd1'));
  writeFileSync(join(s.repo, 'd1', 'x'), 'x\n');
  writeFileSync(join(s.repo, 'd1', 'y'), 'y\n');
  writeFileSync(join(s.repo, 'top'), 'top\n');
  ok(s.dvc(['add', '-q', 'd1/x', 'd1/y', 'top']));
  writeFileSync(
    join(s.repo, 'dvc.yaml'),
    'stages:\n  prep:\n    cmd: cp -r raw prepped\n    deps: [raw]\n    outs: [prepped]\n  train:\n    cmd: cp -r prepped model\n    deps: [prepped]\n    outs: [model]\n',
  );
  mkdirSync(join(s.repo, 'sub'));
  writeFileSync(join(s.repo, 'sub', 'dvc.yaml'), 'stages:\n  other:\n    cmd: echo o > o.txt\n    outs: [o.txt]\n');
  ok(s.dvc(['repro', '-q', '-P']), 'repro');
  return s;
}

const lockMd5 = (s: Sandbox, stage: string) => parse(readFileSync(join(s.repo, 'dvc.lock'), 'utf8')).stages[stage].outs[0].md5 as string;
const dvcMd5 = (s: Sandbox, f: string) => parse(readFileSync(join(s.repo, f), 'utf8')).outs[0].md5 as string;

describe('the rest of the flags', () => {
  test('commit -d takes the upstream stages along; commit -R the .dvc files below a folder', () => {
    const s = project();
    writeFileSync(join(s.repo, 'prepped', 'a'), 'changed prep\n');
    writeFileSync(join(s.repo, 'model', 'a'), 'changed model\n');
    const [prep0, train0] = [lockMd5(s, 'prep'), lockMd5(s, 'train')];
    ok(s.dvc(['commit', '-f', 'train']));
    assert.equal(lockMd5(s, 'prep'), prep0);
    assert.notEqual(lockMd5(s, 'train'), train0);
    ok(s.dvc(['commit', '-f', '-d', 'train']));
    assert.notEqual(lockMd5(s, 'prep'), prep0);

    writeFileSync(join(s.repo, 'd1', 'x'), 'x2\n');
    writeFileSync(join(s.repo, 'top'), 'top2\n');
    const [x0, top0] = [dvcMd5(s, 'd1/x.dvc'), dvcMd5(s, 'top.dvc')];
    // Without -R a folder that is no output names nothing.
    assert.notEqual(s.dvc(['commit', '-f', 'd1']).code, 0);
    ok(s.dvc(['commit', '-f', '-R', 'd1']));
    assert.notEqual(dvcMd5(s, 'd1/x.dvc'), x0);
    assert.equal(dvcMd5(s, 'top.dvc'), top0);
  });

  test('checkout -d / -R / --allow-missing', () => {
    const s = project();
    for (const p of ['raw', 'prepped', 'model', 'd1/x', 'd1/y', 'top', 'sub/o.txt']) rmSync(join(s.repo, p), { recursive: true, force: true });
    ok(s.dvc(['checkout', 'model']));
    assert.ok(existsSync(join(s.repo, 'model', 'a')));
    assert.ok(!existsSync(join(s.repo, 'prepped')));
    ok(s.dvc(['checkout', '-d', 'model']));
    assert.ok(existsSync(join(s.repo, 'prepped', 'a')));
    assert.ok(existsSync(join(s.repo, 'raw', 'a')));
    assert.ok(!existsSync(join(s.repo, 'top')));
    ok(s.dvc(['checkout', '-R', 'd1']));
    assert.equal(readFileSync(join(s.repo, 'd1', 'y'), 'utf8'), 'y\n');
    assert.ok(!existsSync(join(s.repo, 'top')));
    ok(s.dvc(['checkout', '-R', 'sub']));
    assert.equal(readFileSync(join(s.repo, 'sub', 'o.txt'), 'utf8'), 'o\n');

    // A cache without top's object: an error, unless --allow-missing.
    const h = dvcMd5(s, 'top.dvc');
    rmSync(join(s.repo, '.dvc', 'cache', 'files', 'md5', h.slice(0, 2), h.slice(2)));
    assert.equal(s.dvc(['checkout', 'top']).code, 1);
    const m = s.dvc(['checkout', '--allow-missing']);
    assert.equal(m.code, 0, m.stderr);
    assert.ok(!existsSync(join(s.repo, 'top')));
  });

  test('push / fetch / pull -d and -R; pull --allow-missing', () => {
    const s = project();
    const store = join(s.tmp, 'store');
    ok(s.dvc(['remote', 'add', '-q', '-d', 'r', store]));
    ok(s.dvc(['push', '-d', 'model']));
    const pushed = (f: string) => {
      const h = f.endsWith('.dvc') ? dvcMd5(s, f) : lockMd5(s, f);
      return existsSync(join(store, 'files', 'md5', h.slice(0, 2), h.slice(2)));
    };
    assert.ok(pushed('train') && pushed('prep') && pushed('raw.dvc'));
    assert.ok(!pushed('top.dvc') && !pushed('d1/x.dvc'));
    ok(s.dvc(['push', '-R', 'd1']));
    assert.ok(pushed('d1/x.dvc') && pushed('d1/y.dvc') && !pushed('top.dvc'));

    rmSync(join(s.repo, '.dvc', 'cache'), { recursive: true });
    for (const p of ['raw', 'prepped', 'model', 'd1/x', 'd1/y']) rmSync(join(s.repo, p), { recursive: true, force: true });
    assert.match(ok(s.dvc(['fetch', '-R', 'd1'])), /^2 files fetched/);
    assert.match(ok(s.dvc(['pull', '-d', 'prepped'])), /fetched/);
    assert.ok(existsSync(join(s.repo, 'prepped', 'a')) && existsSync(join(s.repo, 'raw', 'a')));
    assert.ok(!existsSync(join(s.repo, 'model')));

    // top was never pushed and its cache is gone: pull fails, --allow-missing goes on.
    const h = dvcMd5(s, 'top.dvc');
    rmSync(join(s.repo, '.dvc', 'cache', 'files', 'md5', h.slice(0, 2), h.slice(2)), { force: true });
    rmSync(join(s.repo, 'top'));
    assert.equal(s.dvc(['pull']).code, 1);
    const m = s.dvc(['pull', '--allow-missing']);
    assert.equal(m.code, 0, m.stderr);
    assert.ok(existsSync(join(s.repo, 'model', 'a')));
    assert.match(m.stderr, /Missing cache files/);
  });

  test('stage list: the current dvc.yaml, targets, -R, --all, --name-only/--names-only, --fail', () => {
    const s = project();
    assert.equal(ok(s.dvc(['stage', 'list'])), 'prep   Outputs prepped\ntrain  Outputs model\n');
    assert.equal(ok(s.dvc(['stage', 'list', '--names-only'])), 'prep\ntrain\n');
    assert.equal(ok(s.dvc(['stage', 'list', '--name-only', 'sub/dvc.yaml'])), 'sub/dvc.yaml:other\n');
    assert.equal(ok(s.dvc(['stage', 'list', '--name-only', '-R', 'd1'])), 'd1/x.dvc\nd1/y.dvc\n');
    assert.equal(
      ok(s.dvc(['stage', 'list', '--name-only', '--all'])),
      'd1/x.dvc\nd1/y.dvc\nraw.dvc\ntop.dvc\nprep\ntrain\nsub/dvc.yaml:other\n'.split('\n').filter(Boolean).sort((a, b) => order(a) - order(b)).join('\n') + '\n',
    );
    // A dvc.yaml that does not load: skipped, unless --fail.
    mkdirSync(join(s.repo, 'bad'));
    writeFileSync(join(s.repo, 'bad', 'dvc.yaml'), 'stages: [oops\n');
    assert.match(ok(s.dvc(['stage', 'list', '--all', '--name-only'])), /^prep$/m);
    const f = s.dvc(['stage', 'list', '--all', '--fail']);
    assert.notEqual(f.code, 0);
    assert.ok(isOneLineError(f.stderr), f.stderr);
    function order(n: string): number {
      return n.endsWith('.dvc') ? 0 : 1;
    }
  });

  test('dag -o/--outs: the graph of outputs, for a target and --full', () => {
    const s = project();
    const dot = ok(s.dvc(['dag', '--outs', '--dot']));
    assert.match(dot, /"raw" -> "prepped";\n"prepped" -> "model";/);
    assert.match(dot, /"top";/);
    const md = ok(s.dvc(['dag', '-o', '--mermaid', 'prepped']));
    assert.equal(md, 'flowchart TD\n\tnode1["prepped"]\n\tnode2["raw"]\n\tnode2-->node1\n');
    assert.match(ok(s.dvc(['dag', '-o', '--full', '--mermaid', 'prepped'])), /node\d\["model"\]/);
    assert.match(ok(s.dvc(['dag', '-o', '--mermaid', 'train'])), /\["model"\]/);
  });

  test('check-ignore -a (with -d) shows every matching pattern; rm and mv aliases; status refuses -a/-T/-A/-j without -c', () => {
    const s = project();
    writeFileSync(join(s.repo, '.dvcignore'), 'foo*\n!foo2\nfoo2\n');
    writeFileSync(join(s.repo, 'foo2'), '');
    assert.equal(ok(s.dvc(['check-ignore', '-d', '-a', 'foo2'])), '.dvcignore:1:foo*\tfoo2\n.dvcignore:2:!foo2\tfoo2\n.dvcignore:3:foo2\tfoo2\n');
    assert.equal(ok(s.dvc(['check-ignore', '-d', 'foo2'])), '.dvcignore:3:foo2\tfoo2\n');
    const a = s.dvc(['check-ignore', '-a', 'foo2']);
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /--all is only valid with --details/);

    ok(s.dvc(['mv', 'top', 'top2']));
    assert.ok(existsSync(join(s.repo, 'top2.dvc')) && !existsSync(join(s.repo, 'top.dvc')));
    ok(s.dvc(['rm', 'top2.dvc']));
    assert.ok(!existsSync(join(s.repo, 'top2.dvc')));

    for (const [flag, name] of [['-a', '--all-branches'], ['-T', '--all-tags'], ['-A', '--all-commits'], ['-j', '--jobs']]) {
      const r = s.dvc(flag === '-j' ? ['status', '-j', '2'] : ['status', flag!]);
      assert.equal(r.code, 1, flag);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.equal(r.stderr, `ERROR: The following options are meaningless for local status: ${name}\n`);
    }
  });

  test('fetch --max-size and --type choose outputs by size and kind; push/pull/fetch --run-cache', () => {
    const s = sandbox();
    ok(s.dvc(['init', '-q']));
    writeFileSync(join(s.repo, 'small'), 'tiny');
    writeFileSync(join(s.repo, 'big'), 'x'.repeat(5000));
    ok(s.dvc(['add', '-q', 'small', 'big']));
    writeFileSync(
      join(s.repo, 'dvc.yaml'),
      'stages:\n  m:\n    cmd: echo 1 > m.json\n    deps: [small]\n    metrics: [m.json]\n  p:\n    cmd: echo 2 > p.csv\n    deps: [small]\n    plots: [p.csv]\n',
    );
    ok(s.dvc(['repro', '-q']), 'repro');
    const store = join(s.tmp, 'store');
    ok(s.dvc(['remote', 'add', '-q', '-d', 'r', store]));
    assert.match(ok(s.dvc(['push', '--run-cache'])), /^6 files pushed/);
    const runs = (root: string) => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const n of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) n.isDirectory() ? walk(join(d, n.name)) : out.push(join(d, n.name).slice(root.length));
      };
      walk(join(root, 'runs'));
      return out.sort();
    };
    const local = join(s.repo, '.dvc', 'cache');
    assert.equal(runs(local).length, 2);
    assert.deepEqual(runs(store), runs(local));

    const cacheFiles = () => {
      const out: string[] = [];
      const d = join(local, 'files', 'md5');
      for (const a of existsSync(d) ? readdirSync(d) : []) for (const b of readdirSync(join(d, a))) out.push(a + b);
      return out.sort();
    };
    const md5Of = (f: string) => parse(readFileSync(join(s.repo, f), 'utf8')).outs[0].md5 as string;
    const lock = parse(readFileSync(join(s.repo, 'dvc.lock'), 'utf8'));
    rmSync(local, { recursive: true });
    assert.match(ok(s.dvc(['fetch', '--type', 'metrics'])), /^1 file fetched/);
    assert.deepEqual(cacheFiles(), [lock.stages.m.outs[0].md5]);
    assert.match(ok(s.dvc(['fetch', '--type', 'metrics', '--type', 'plots'])), /^1 file fetched/);
    assert.match(ok(s.dvc(['fetch', '--max-size', '100'])), /^1 file fetched/);
    assert.ok(cacheFiles().includes(md5Of('small.dvc')));
    assert.ok(!cacheFiles().includes(md5Of('big.dvc')));
    const bad = s.dvc(['fetch', '--type', 'images']);
    assert.notEqual(bad.code, 0);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);

    assert.equal(runs(local).length, 0);
    ok(s.dvc(['fetch', '--run-cache', 'small.dvc']));
    assert.deepEqual(runs(local), runs(store));
    rmSync(join(local, 'runs'), { recursive: true });
    ok(s.dvc(['pull', '--run-cache']));
    assert.deepEqual(runs(local), runs(store));
    assert.ok(cacheFiles().includes(md5Of('big.dvc')));
  });
});
