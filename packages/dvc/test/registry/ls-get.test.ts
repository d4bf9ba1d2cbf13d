/** `dvc list` and `dvc get` from a registry on a local path, a file:// URL, and with its cache gone. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isOneLineError } from '../cli/helpers.js';
import { registry } from './helpers.js';

function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split('\\').join('/')).sort();
}

describe('dvc list', () => {
  const r = registry({ repoIsDvc: false });
  const ls = (...args: string[]) => {
    const res = r.dvc(['ls', ...args]);
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  };

  test('lists git files and DVC outputs, hiding .dvc/ and .git/', () => {
    assert.equal(ls('../src'), '.dvcignore\n.gitignore\nREADME.txt\ndata\ndata.dvc\n');
  });
  test('-R lists every file, outputs expanded; --dvc-only only outputs', () => {
    assert.equal(ls('-R', '../src'), '.dvcignore\n.gitignore\nREADME.txt\ndata.dvc\ndata/file\ndata/new.txt\ndata/sub/s.txt\n');
    assert.equal(ls('--dvc-only', '-R', '../src'), 'data/file\ndata/new.txt\ndata/sub/s.txt\n');
  });
  test('a folder inside an output, a file, -L, --rev', () => {
    assert.equal(ls('../src', 'data'), 'file\nnew.txt\nsub\n');
    assert.equal(ls('../src', 'data/file'), 'file\n');
    assert.equal(ls('-R', '-L', '1', '../src'), '.dvcignore\n.gitignore\nREADME.txt\ndata\ndata.dvc\n');
    assert.equal(ls('--rev', 'v1', '../src', 'data'), 'file\nsub\n');
  });
  test('--json has DVC keys and hashes; --size --show-hash columns', () => {
    const entries = JSON.parse(ls('-R', '--json', '../src', 'data')) as Array<Record<string, unknown>>;
    assert.deepEqual(entries[0], { isout: true, isdir: false, isexec: false, size: 3, md5: 'e30260020baeb0398ff07b37dd33ed16', path: 'file' });
    assert.deepEqual(Object.keys(entries[0]!), ['isout', 'isdir', 'isexec', 'size', 'md5', 'path']);
    assert.equal(
      ls('--size', '--show-hash', '-R', '../src', 'data'),
      '3  e30260020baeb0398ff07b37dd33ed16  file\n4  9cd599a3523898e6a12e13ec787da50a  new.txt\n4  9c134b68bda2a13fdd45e305317a72f7  sub/s.txt\n',
    );
  });
  test('--tree draws the tree', () => {
    assert.equal(ls('--tree', '../src', 'data'), '.\n├── file\n├── new.txt\n└── sub\n    └── s.txt\n');
  });
  test('a path that is not there: exit 1, one line naming it', () => {
    const res = r.dvc(['ls', '../src', 'nothing']);
    assert.equal(res.code, 1);
    assert.ok(isOneLineError(res.stderr), res.stderr);
    assert.equal(res.stderr, `ERROR: [Errno 2] No such file or directory: '${join(r.src, 'nothing')}'\n`);
  });
  test('an unknown revision and a repository that cannot be cloned: exit 1, one line', () => {
    const a = r.dvc(['ls', '--rev', 'nope', '../src']);
    assert.equal(a.code, 1);
    assert.ok(isOneLineError(a.stderr), a.stderr);
    assert.match(a.stderr, /unknown Git revision 'nope'/);
    const b = r.dvc(['ls', join(r.tmp, 'no-such-repo')]);
    assert.equal(b.code, 1);
    assert.ok(isOneLineError(b.stderr), b.stderr);
    assert.match(b.stderr, /Failed to clone repo/);
  });
  test('a plain folder (no git, no DVC) is listed and read as it is', () => {
    mkdirSync(join(r.tmp, 'plain', 'd'), { recursive: true });
    writeFileSync(join(r.tmp, 'plain', 'd', 'f'), 'x');
    assert.equal(ls('-R', '../plain'), 'd/f\n');
    assert.equal(r.dvc(['get', '../plain', 'd/f', '-o', 'plain-f']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'plain-f'), 'utf8'), 'x');
  });
  test('a file:// URL is cloned and read at HEAD', () => {
    assert.equal(ls('-R', pathToFileURL(r.src).href, 'data'), 'file\nnew.txt\nsub/s.txt\n');
  });
});

describe('dvc get', () => {
  test('files and folders, git-tracked or DVC outputs, at any revision', () => {
    const r = registry({ repoIsDvc: false });
    const get = (...args: string[]) => {
      const res = r.dvc(['get', ...args]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '');
    };
    get('../src', 'data/file', '-o', 'out.txt');
    assert.equal(readFileSync(join(r.repo, 'out.txt'), 'utf8'), 'v2\n');
    get('../src', 'data', '-o', 'folder');
    assert.deepEqual(tree(join(r.repo, 'folder')), ['file', 'new.txt', 'sub', 'sub/s.txt']);
    get('../src', 'data/sub');
    assert.deepEqual(tree(join(r.repo, 'sub')), ['s.txt']);
    get('--rev', 'v1', '../src', 'data/file', '-o', 'old.txt');
    assert.equal(readFileSync(join(r.repo, 'old.txt'), 'utf8'), 'v1\n');
    get('--rev', 'HEAD~1', '../src', 'data', '-o', 'oldfolder');
    assert.deepEqual(tree(join(r.repo, 'oldfolder')), ['file', 'sub', 'sub/s.txt']);
    get('../src', 'README.txt');
    assert.equal(readFileSync(join(r.repo, 'README.txt'), 'utf8'), 'readme\n');
    // -o naming a folder: the file goes inside it
    mkdirSync(join(r.repo, 'into'));
    get('../src', 'data/new.txt', '-o', 'into');
    assert.equal(readFileSync(join(r.repo, 'into', 'new.txt'), 'utf8'), 'new\n');
    // nothing is tracked here
    assert.ok(!existsSync(join(r.repo, 'out.txt.dvc')));
  });

  test('never overwrites without --force; with it, replaces', () => {
    const r = registry({ repoIsDvc: false });
    writeFileSync(join(r.repo, 'out.txt'), 'mine\n');
    const a = r.dvc(['get', '../src', 'data/file', '-o', 'out.txt']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^ERROR: failed to get 'data\/file' from '\.\.\/src' - The file 'out\.txt' already exists locally\. \nTo override it, re-run with '--force'\.\n$/);
    assert.equal(readFileSync(join(r.repo, 'out.txt'), 'utf8'), 'mine\n');
    mkdirSync(join(r.repo, 'folder'));
    writeFileSync(join(r.repo, 'folder', 'old'), 'x');
    assert.equal(r.dvc(['get', '-f', '../src', 'data/file', '-o', 'out.txt']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'out.txt'), 'utf8'), 'v2\n');
    // -o naming an existing folder: the data goes inside it (DVC's resolve_output), the rest stays
    assert.equal(r.dvc(['get', '-f', '../src', 'data', '-o', 'folder']).code, 0);
    assert.deepEqual(tree(join(r.repo, 'folder')), ['data', 'data/file', 'data/new.txt', 'data/sub', 'data/sub/s.txt', 'old']);
    assert.equal(r.dvc(['get', '../src', 'data', '-o', 'folder']).code, 1);
  });

  test('a path the repository lacks: one line, exit 255 as DVC, nothing written', () => {
    const r = registry({ repoIsDvc: false });
    const res = r.dvc(['get', '../src', 'data/nothing']);
    assert.equal(res.code, 255);
    assert.ok(isOneLineError(res.stderr), res.stderr);
    assert.deepEqual(readdirSync(r.repo).filter((n) => n !== '.git'), []);
  });

  test('with the registry cache gone the data comes from its remote; --show-url names it', () => {
    const r = registry({ repoIsDvc: false });
    rmSync(join(r.src, '.dvc', 'cache'), { recursive: true, force: true });
    assert.equal(r.dvc(['get', '../src', 'data', '-o', 'd']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'd', 'sub', 's.txt'), 'utf8'), 'sub\n');
    const u = r.dvc(['get', '--show-url', '../src', 'data/file']);
    assert.equal(u.stdout, `${join(r.srcRemote, 'files', 'md5', 'e3', '0260020baeb0398ff07b37dd33ed16')}\n`);
  });

  test('from a clone (file://): its default remote, or --remote / --remote-config', () => {
    const r = registry({ repoIsDvc: false });
    const url = pathToFileURL(r.src).href;
    assert.equal(r.dvc(['get', url, 'data/file', '-o', 'a']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'a'), 'utf8'), 'v2\n');
    // the remote moved: --remote-config points the default remote elsewhere
    const moved = join(r.tmp, 'moved-remote');
    rmSync(moved, { recursive: true, force: true });
    renameSync(r.srcRemote, moved);
    const bad = r.dvc(['get', url, 'data/file', '-o', 'b']);
    assert.equal(bad.code, 1);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    assert.ok(!existsSync(join(r.repo, 'b')));
    const ok = r.dvc(['get', url, 'data/file', '-o', 'b', '--remote-config', `url=${moved}`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(join(r.repo, 'b'), 'utf8'), 'v2\n');
    const unknown = r.dvc(['get', url, 'data/file', '-o', 'c', '--remote', 'nope']);
    assert.equal(unknown.code, 1);
    assert.ok(isOneLineError(unknown.stderr), unknown.stderr);
  });
});
