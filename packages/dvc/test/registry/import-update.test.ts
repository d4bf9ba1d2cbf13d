/** `dvc import` / `dvc update`, and how status, checkout and pull treat imports. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { isOneLineError } from '../cli/helpers.js';
import { registry } from './helpers.js';

function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split('\\').join('/')).sort();
}

describe('dvc import', () => {
  test('writes DVC\'s import stage, checks the data out, and git ignores it', () => {
    const r = registry();
    const v2 = r.gitSrc(['rev-parse', 'v2']);
    const v1 = r.gitSrc(['rev-parse', 'v1']);
    const a = r.dvc(['import', '../src', 'data', '-o', 'imported']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^Importing 'data \(\.\.\/src\)' -> 'imported'\n\nTo track the changes with git, run:\n\n\tgit add \.gitignore imported\.dvc\n/);
    const text = readFileSync(join(r.repo, 'imported.dvc'), 'utf8');
    assert.match(text, new RegExp(`^md5: [0-9a-f]{32}\nfrozen: true\ndeps:\n- path: data\n  repo:\n    url: \\.\\./src\n    rev_lock: ${v2}\nouts:\n- md5: d560f30fce203f5ebb8e7858069a59e2\\.dir\n  size: 11\n  nfiles: 3\n  hash: md5\n  path: imported\n$`));
    assert.deepEqual(tree(join(r.repo, 'imported')), ['file', 'new.txt', 'sub', 'sub/s.txt']);
    const b = r.dvc(['import', '--rev', 'v1', '../src', 'data/file', '-o', 'one.txt']);
    assert.equal(b.code, 0, b.stderr);
    const one = parse(readFileSync(join(r.repo, 'one.txt.dvc'), 'utf8'));
    assert.deepEqual(one.deps, [{ path: 'data/file', repo: { url: '../src', rev: 'v1', rev_lock: v1 } }]);
    assert.equal(one.outs[0].md5, '4f98f59e877ecb84ff75ef0fab45bac5');
    assert.equal(readFileSync(join(r.repo, 'one.txt'), 'utf8'), 'v1\n');
    assert.equal(readFileSync(join(r.repo, '.gitignore'), 'utf8'), '/imported\n/one.txt\n');
    const st = r.dvc(['status']);
    assert.equal(st.stdout, 'Data and pipelines are up to date.\n');
  });

  test('a folder inside an output and a git-tracked file become outputs of their own', () => {
    const r = registry();
    assert.equal(r.dvc(['import', '../src', 'data/sub']).code, 0);
    assert.deepEqual(tree(join(r.repo, 'sub')), ['s.txt']);
    const sub = parse(readFileSync(join(r.repo, 'sub.dvc'), 'utf8'));
    assert.equal(sub.outs[0].nfiles, 1);
    assert.equal(r.dvc(['import', '../src', 'README.txt']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'README.txt'), 'utf8'), 'readme\n');
    // both come back from the cache alone
    rmSync(join(r.repo, 'sub'), { recursive: true });
    rmSync(join(r.repo, 'README.txt'));
    assert.equal(r.dvc(['checkout']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'sub', 's.txt'), 'utf8'), 'sub\n');
    assert.equal(readFileSync(join(r.repo, 'README.txt'), 'utf8'), 'readme\n');
  });

  test('--no-exec writes the stage only; update brings the data', () => {
    const r = registry();
    assert.equal(r.dvc(['import', '--no-exec', '../src', 'data', '-o', 'd']).code, 0);
    assert.ok(!existsSync(join(r.repo, 'd')));
    const st = parse(readFileSync(join(r.repo, 'd.dvc'), 'utf8'));
    assert.deepEqual(st.deps, [{ path: 'data', repo: { url: '../src' } }]);
    assert.deepEqual(st.outs, [{ path: 'd' }]);
    const u = r.dvc(['update', 'd.dvc']);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(tree(join(r.repo, 'd')), ['file', 'new.txt', 'sub', 'sub/s.txt']);
  });

  test('--no-download records the hash; pull fetches from the source, not from our remote', () => {
    const r = registry();
    assert.equal(r.dvc(['import', '--no-download', '../src', 'data', '-o', 'd']).code, 0);
    assert.ok(!existsSync(join(r.repo, 'd')));
    assert.equal(parse(readFileSync(join(r.repo, 'd.dvc'), 'utf8')).outs[0].md5, 'd560f30fce203f5ebb8e7858069a59e2.dir');
    assert.equal(parse(readFileSync(join(r.repo, 'd.dvc'), 'utf8')).outs[0].nfiles, 3);
    // nothing downloaded
    assert.ok(!existsSync(join(r.repo, '.dvc', 'cache', 'files')));
    rmSync(join(r.repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(r.src, '.dvc', 'cache'), { recursive: true, force: true });
    const p = r.dvc(['pull']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(tree(join(r.repo, 'd')), ['file', 'new.txt', 'sub', 'sub/s.txt']);
  });

  test('refuses to overwrite an existing output or .dvc file without -f', () => {
    const r = registry();
    writeFileSync(join(r.repo, 'data'), 'mine\n');
    const a = r.dvc(['import', '../src', 'data']);
    assert.equal(a.code, 1);
    assert.ok(/already exists locally/.test(a.stderr), a.stderr);
    assert.equal(readFileSync(join(r.repo, 'data'), 'utf8'), 'mine\n');
    const b = r.dvc(['import', '-f', '../src', 'data']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(tree(join(r.repo, 'data')), ['file', 'new.txt', 'sub', 'sub/s.txt']);
  });

  test('errors are one line: a missing path, an unknown revision, no repository here', () => {
    const r = registry();
    // a missing path exits 255 as DVC's does (fixture 26), the rest 1
    for (const [args, code] of [[['import', '../src', 'nothing'], 255], [['import', '--rev', 'nope', '../src', 'data'], 1]] as const) {
      const res = r.dvc([...args]);
      assert.equal(res.code, code, args.join(' '));
      assert.ok(isOneLineError(res.stderr), res.stderr);
      assert.match(res.stderr, /^ERROR: failed to import '(nothing|data)' from '\.\.\/src'\. - /);
    }
    assert.deepEqual(readdirSync(r.repo).sort(), ['.dvc', '.dvcignore', '.git']);
  });
});

describe('dvc update', () => {
  test('status says an update is available; update moves the import, --rev pins it', () => {
    const r = registry();
    const v1 = r.gitSrc(['rev-parse', 'v1']);
    assert.equal(r.dvc(['import', '--rev', 'v1', '../src', 'data', '-o', 'imp']).code, 0);
    assert.equal(r.dvc(['update', 'imp.dvc']).stdout, "'imp.dvc' didn't change, skipping\n");
    const u = r.dvc(['update', '--rev', 'v2', 'imp.dvc']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, "Importing 'data (../src)' -> 'imp'\n");
    assert.equal(readFileSync(join(r.repo, 'imp', 'file'), 'utf8'), 'v2\n');
    assert.equal(parse(readFileSync(join(r.repo, 'imp.dvc'), 'utf8')).deps[0].repo.rev, 'v2');
    // a new commit in the registry on its branch: an unpinned import sees it
    assert.equal(r.dvc(['import', '../src', 'data/file', '-o', 'f']).code, 0);
    writeFileSync(join(r.src, 'data', 'file'), 'v3\n');
    r.inSrc(['add', '-q', 'data']);
    r.gitSrc(['commit', '-qam', 'v3']);
    const st = r.dvc(['status']);
    assert.equal(st.stdout, 'f.dvc:\n\tchanged deps:\n\t\tupdate available:   data/file (../src)\n');
    assert.equal(r.dvc(['update', 'f.dvc']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'f'), 'utf8'), 'v3\n');
    assert.equal(r.dvc(['status']).stdout, 'Data and pipelines are up to date.\n');
    // back to v1
    assert.equal(r.dvc(['update', '--rev', 'v1', 'imp.dvc']).code, 0);
    const imp = parse(readFileSync(join(r.repo, 'imp.dvc'), 'utf8'));
    assert.equal(imp.deps[0].repo.rev_lock, v1);
    assert.deepEqual(tree(join(r.repo, 'imp')), ['file', 'sub', 'sub/s.txt']);
  });

  test('-R updates every import under a folder; --no-download leaves the data', () => {
    const r = registry();
    assert.equal(r.dvc(['import', '--rev', 'v1', '../src', 'data/file', '-o', 'dir/a']).code, 0);
    assert.equal(r.dvc(['import', '--rev', 'v1', '../src', 'data', '-o', 'dir/b']).code, 0);
    const u = r.dvc(['update', '-R', '--rev', 'v2', '--no-download', 'dir']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(readFileSync(join(r.repo, 'dir', 'a'), 'utf8'), 'v1\n');
    assert.equal(parse(readFileSync(join(r.repo, 'dir', 'a.dvc'), 'utf8')).outs[0].md5, 'e30260020baeb0398ff07b37dd33ed16');
    assert.equal(parse(readFileSync(join(r.repo, 'dir', 'b.dvc'), 'utf8')).outs[0].md5, 'd560f30fce203f5ebb8e7858069a59e2.dir');
  });

  test('not an import: DVC\'s warning, exit 0, nothing changed; --rev refused', () => {
    const r = registry();
    writeFileSync(join(r.repo, 'x'), 'x\n');
    assert.equal(r.dvc(['add', '-q', 'x']).code, 0);
    const before = readFileSync(join(r.repo, 'x.dvc'), 'utf8');
    const u = r.dvc(['update', 'x.dvc']);
    assert.equal(u.code, 0);
    assert.equal(u.stderr, "WARNING: Could not update 'x', it was never pushed to a remote\n");
    assert.equal(readFileSync(join(r.repo, 'x.dvc'), 'utf8'), before);
    const v = r.dvc(['update', '--rev', 'v1', 'x.dvc']);
    assert.equal(v.code, 1);
    assert.ok(isOneLineError(v.stderr), v.stderr);
  });

  test('an import from a cloned URL (file://) updates and pulls through the registry\'s remote', () => {
    const r = registry();
    const url = pathToFileURL(r.src).href;
    assert.equal(r.dvc(['import', '--rev', 'v1', url, 'data', '-o', 'd']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'd', 'file'), 'utf8'), 'v1\n');
    assert.equal(parse(readFileSync(join(r.repo, 'd.dvc'), 'utf8')).deps[0].repo.url, url);
    rmSync(join(r.repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(r.repo, 'd'), { recursive: true, force: true });
    const p = r.dvc(['pull']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(readFileSync(join(r.repo, 'd', 'file'), 'utf8'), 'v1\n');
  });
});
