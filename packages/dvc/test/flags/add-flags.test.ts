/** `dvc add --glob` and `dvc add --to-remote [-o] -r --remote-jobs`, with DVC's argument checks. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { isOneLineError, sandbox } from '../cli/helpers.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const obj = (root: string, h: string) => join(root, 'files', 'md5', h.slice(0, 2), h.slice(2));

describe('dvc add flags', () => {
  test('--glob adds every match (not hidden names); no match is one line', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    mkdirSync(join(s.repo, 'raw', 'deep'), { recursive: true });
    for (const f of ['a.csv', 'b.csv', 'c.txt', '.hidden.csv']) writeFileSync(join(s.repo, 'raw', f), f);
    writeFileSync(join(s.repo, 'raw', 'deep', 'd.csv'), 'd');
    const r = s.dvc(['add', '--glob', 'raw/*.csv']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(s.repo, 'raw', 'a.csv.dvc')));
    assert.ok(existsSync(join(s.repo, 'raw', 'b.csv.dvc')));
    assert.ok(!existsSync(join(s.repo, 'raw', 'c.txt.dvc')));
    assert.ok(!existsSync(join(s.repo, 'raw', '.hidden.csv.dvc')));
    assert.ok(!existsSync(join(s.repo, 'raw', 'deep', 'd.csv.dvc')));
    const deep = s.dvc(['add', '--glob', 'raw/**/d.csv']);
    assert.equal(deep.code, 0, deep.stderr);
    assert.ok(existsSync(join(s.repo, 'raw', 'deep', 'd.csv.dvc')));
    // Without --glob the pattern is a plain (missing) path.
    assert.equal(s.dvc(['add', 'raw/*.txt']).code, 1);
    const none = s.dvc(['add', '--glob', 'nothing*']);
    assert.equal(none.code, 1);
    assert.ok(isOneLineError(none.stderr), none.stderr);
    assert.match(none.stderr, /Glob \['nothing\*'\] has no matches/);
  });

  test('--to-remote -r --remote-jobs: the data goes to the remote only; pull brings it', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const store = join(s.tmp, 'store');
    assert.equal(s.dvc(['remote', 'add', '-d', 'def', join(s.tmp, 'default-store')]).code, 0);
    assert.equal(s.dvc(['remote', 'add', 'dest', store]).code, 0);
    mkdirSync(join(s.tmp, 'outside', 'sub'), { recursive: true });
    writeFileSync(join(s.tmp, 'outside', 'x'), 'x');
    writeFileSync(join(s.tmp, 'outside', 'sub', 'y'), 'yy');
    const r = s.dvc(['add', '../outside', '--to-remote', '-r', 'dest', '--remote-jobs', '2', '-o', 'data']);
    assert.equal(r.code, 0, r.stderr);
    const st = parse(readFileSync(join(s.repo, 'data.dvc'), 'utf8'));
    const oid = md5(`[{"md5": "${md5('yy')}", "relpath": "sub/y"}, {"md5": "${md5('x')}", "relpath": "x"}]`) + '.dir';
    assert.deepEqual(st, { outs: [{ md5: oid, size: 3, nfiles: 2, hash: 'md5', path: 'data' }] });
    assert.ok(existsSync(obj(store, oid)));
    assert.equal(readFileSync(obj(store, md5('yy')), 'utf8'), 'yy');
    assert.ok(!existsSync(join(s.tmp, 'default-store')));
    assert.ok(!existsSync(join(s.repo, 'data')));
    assert.ok(!existsSync(obj(join(s.repo, '.dvc', 'cache'), md5('x'))));
    assert.match(readFileSync(join(s.repo, '.gitignore'), 'utf8'), /^\/data$/m);
    const p = s.dvc(['pull', '-r', 'dest']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(readFileSync(join(s.repo, 'data', 'sub', 'y'), 'utf8'), 'yy');

    // Without -o: the source's name here; the default remote without -r.
    writeFileSync(join(s.tmp, 'single.txt'), 'single');
    const d = s.dvc(['add', '--to-remote', '../single.txt']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(parse(readFileSync(join(s.repo, 'single.txt.dvc'), 'utf8')).outs, [{ md5: md5('single'), size: 6, hash: 'md5', path: 'single.txt' }]);
    assert.ok(existsSync(obj(join(s.tmp, 'default-store'), md5('single'))));
  });

  test("DVC's argument checks, one line each", () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'a'), 'a');
    writeFileSync(join(s.repo, 'b'), 'b');
    const cases: Array<[string[], string]> = [
      [['add', '-r', 'x', 'a'], "--remote can't be used without --to-remote"],
      [['add', '--remote-jobs', '2', 'a'], "--remote-jobs can't be used without --to-remote"],
      [['add', '--to-remote', 'a', 'b'], "multiple targets can't be used with --to-remote"],
      [['add', '--to-remote', '--glob', 'a'], "--glob option can't be used with --to-remote"],
      [['add', '-o', 'c', '--no-commit', 'a'], "--no-commit option can't be used with --out"],
    ];
    for (const [args, msg] of cases) {
      const r = s.dvc(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.ok(r.stderr.includes(msg), `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
