/** The git layer, against a real git repository. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Git, findGitRoot } from '../../src/scm/git.js';
import { isolatedEnv, makeGitRepo } from '../conformance/replay.js';

const tmp = mkdtempSync(join(tmpdir(), 'copper-git-'));
const root = join(tmp, 'repo');
const env = isolatedEnv(tmp);
after(() => rmSync(tmp, { recursive: true, force: true }));

function git(...args: string[]): string {
  const r = spawnSync('git', args, { cwd: root, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('Git', () => {
  let g: Git;
  const commits: string[] = [];
  before(() => {
    makeGitRepo(root, env);
    mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
    writeFileSync(join(root, 'a.dvc'), 'v1\n');
    writeFileSync(join(root, 'sub', 'deep', 'b.dvc'), 'b\n');
    git('add', '-A');
    git('commit', '-qm', 'one');
    commits.push(git('rev-parse', 'HEAD').trim());
    git('tag', '-a', 'v1', '-m', 'annotated');
    writeFileSync(join(root, 'a.dvc'), 'v2\n');
    git('commit', '-qam', 'two');
    commits.push(git('rev-parse', 'HEAD').trim());
    git('branch', 'side', commits[0]!);
    git('tag', 'light', commits[1]!);
    g = Git.find(join(root, 'sub', 'deep'))!;
  });

  test('finds the top of the working tree from below, and nothing outside', () => {
    assert.equal(g.root, root);
    assert.equal(findGitRoot(join(root, 'sub'), false), null);
    assert.equal(Git.find(tmp), null);
  });

  test('show and listFiles read any revision', async () => {
    assert.equal((await g.show('HEAD', 'a.dvc'))!.toString(), 'v2\n');
    assert.equal((await g.show('HEAD~1', 'a.dvc'))!.toString(), 'v1\n');
    assert.equal((await g.show('v1', join(root, 'a.dvc')))!.toString(), 'v1\n', 'absolute paths work too');
    assert.equal(await g.show('HEAD', 'missing.dvc'), null);
    assert.equal(await g.show('no-such-rev', 'a.dvc'), null);
    assert.deepEqual(await g.listFiles('HEAD'), ['a.dvc', 'sub/deep/b.dvc']);
    assert.deepEqual(await g.listFiles('HEAD', 'sub'), ['sub/deep/b.dvc']);
  });

  test('branches, tags (annotated ones peeled), all commits, revisions for -a/-T/-A', async () => {
    const branches = await g.branches();
    assert.deepEqual(branches.map((b) => b.name).sort(), [await g.activeBranch(), 'side'].sort());
    assert.deepEqual(
      (await g.tags()).map((t) => [t.name, t.commit]),
      [
        ['light', commits[1]],
        ['v1', commits[0]],
      ],
    );
    assert.deepEqual((await g.allCommits()).sort(), [...commits].sort());
    assert.equal(await g.resolveRev('v1'), commits[0]);
    assert.equal(await g.resolveRev('nope'), null);
    assert.deepEqual(await g.revisions({}), ['workspace']);
    assert.deepEqual((await g.revisions({ allTags: true })).sort(), ['workspace', ...commits].sort());
    assert.deepEqual((await g.revisions({ allBranches: true })).length, 3);
    assert.deepEqual((await g.revisions({ allCommits: true })).length, 3);
  });

  test('add stages new, changed and deleted files', async () => {
    writeFileSync(join(root, 'new.dvc'), 'n\n');
    rmSync(join(root, 'sub', 'deep', 'b.dvc'));
    await g.add([join(root, 'new.dvc'), 'sub/deep/b.dvc']);
    assert.equal(git('status', '--porcelain'), 'A  new.dvc\nD  sub/deep/b.dvc\n');
    assert.equal(await g.isTracked('new.dvc'), true);
    assert.equal(await g.isTracked('other'), false);
  });

  test('ignore writes /name beside the path as DVC does, once; ignoreRemove takes it back', async () => {
    const data = join(root, 'sub', 'data');
    assert.equal(g.ignore(data), join(root, 'sub', '.gitignore'));
    assert.equal(readFileSync(join(root, 'sub', '.gitignore'), 'utf8'), '/data\n');
    assert.equal(await g.isIgnored(data), true);
    assert.equal(g.ignore(data), null, 'already ignored');
    writeFileSync(join(root, 'sub', '.gitignore'), '/data\n/other');
    assert.equal(g.ignore(join(root, 'sub', 'we[ird]*name')), join(root, 'sub', '.gitignore'));
    assert.equal(readFileSync(join(root, 'sub', '.gitignore'), 'utf8'), '/data\n/other\n/we\\[ird\\]\\*name\n');
    assert.equal(g.isIgnoredSync(join(root, 'sub', 'we[ird]*name')), true);
    g.ignoreRemove(join(root, 'sub', 'we[ird]*name'));
    g.ignoreRemove(data);
    assert.equal(readFileSync(join(root, 'sub', '.gitignore'), 'utf8'), '/other\n/we\\[ird\\]\\*name\n', 'DVC removes the unescaped line only');
    writeFileSync(join(root, 'sub', '.gitignore'), '/other\n');
    g.ignoreRemove(join(root, 'sub', 'other'));
    assert.equal(existsSync(join(root, 'sub', '.gitignore')), false, 'an emptied .gitignore is deleted');
    // named but negated in the same file: git decides (not ignored), the line is not repeated
    writeFileSync(join(root, 'sub', '.gitignore'), '/neg\n!/neg\n');
    assert.equal(g.ignore(join(root, 'sub', 'neg')), join(root, 'sub', '.gitignore'));
    assert.equal(readFileSync(join(root, 'sub', '.gitignore'), 'utf8'), '/neg\n!/neg\n');
    // ignored from a parent folder's .gitignore: nothing written
    writeFileSync(join(root, '.gitignore'), 'parent-ignored\n');
    assert.equal(g.ignore(join(root, 'sub', 'parent-ignored')), null);
    assert.equal(readFileSync(join(root, 'sub', '.gitignore'), 'utf8'), '/neg\n!/neg\n');
    assert.throws(() => g.ignore(join(tmp, 'outside')), /outside of git repository/);
    // a .gitignore that is a link out of the working tree is never written through
    const victim = join(tmp, 'victim');
    writeFileSync(victim, 'untouched\n');
    mkdirSync(join(root, 'trap'));
    symlinkSync(victim, join(root, 'trap', '.gitignore'));
    assert.throws(() => g.ignore(join(root, 'trap', 'data')), /outside of git repository/);
    assert.throws(() => g.ignoreRemove(join(root, 'trap', 'data')), /outside of git repository/);
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
    // an output that is itself a link out of the tree (symlink checkout, external cache) is fine
    symlinkSync(victim, join(root, 'sub', 'linked'));
    assert.equal(g.ignore(join(root, 'sub', 'linked')), join(root, 'sub', '.gitignore'));
  });
});
