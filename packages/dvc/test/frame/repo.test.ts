/** The Repo class: finding the repository, its folders, config, git and the autostage hint. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NotDvcRepoError } from '../../src/errors.js';
import { init } from '../../src/repo/init.js';
import { Repo } from '../../src/repo/repo.js';
import { isolatedEnv, makeGitRepo } from '../conformance/replay.js';

const tmp = mkdtempSync(join(tmpdir(), 'copper-repo-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const env = isolatedEnv(tmp);
// keep the user's own DVC config out of these in-process tests
process.env.DVC_GLOBAL_CONFIG_DIR = env.DVC_GLOBAL_CONFIG_DIR;
process.env.DVC_SYSTEM_CONFIG_DIR = env.DVC_SYSTEM_CONFIG_DIR;
let n = 0;

async function newRepo(opts: { git?: boolean } = {}) {
  const root = join(tmp, `r${n++}`);
  if (opts.git ?? true) makeGitRepo(root, env);
  else mkdirSync(root, { recursive: true });
  const repo = await init(root, { noScm: !(opts.git ?? true) });
  return { root, repo };
}

const gitStatus = (root: string) => spawnSync('git', ['status', '--porcelain'], { cwd: root, env, encoding: 'utf8' }).stdout;

describe('Repo', () => {
  test('open from any folder below the root; folders; defaults', async () => {
    const { root } = await newRepo();
    mkdirSync(join(root, 'x', 'y'), { recursive: true });
    const repo = Repo.open(join(root, 'x', 'y'));
    assert.equal(repo.root, root);
    assert.equal(repo.dvcDir, join(root, '.dvc'));
    assert.equal(repo.tmpDir, join(root, '.dvc', 'tmp'));
    assert.equal(repo.cacheDir, join(root, '.dvc', 'cache'));
    assert.equal(repo.lockPath, join(root, '.dvc', 'tmp', 'lock'));
    assert.equal(repo.scm?.root, root);
    assert.equal(repo.config.autostage, false);
    assert.equal(repo.relPath(join(root, 'x', 'y', 'f')), 'x/y/f');
  });

  test('outside any repository: NotDvcRepoError, exit 253, DVC\'s message', () => {
    const dir = join(tmp, 'plain');
    mkdirSync(dir, { recursive: true });
    assert.throws(
      () => Repo.open(dir),
      (e: unknown) =>
        e instanceof NotDvcRepoError &&
        e.exitCode === 253 &&
        /^you are not inside of a DVC repository \(checked up to mount point '\/[^']*'\)$/.test(e.message),
    );
    assert.throws(() => Repo.open(join(tmp, 'does-not-exist')), /directory '.*does-not-exist' does not exist/);
  });

  test('cache.dir from config, relative to the config file', async () => {
    const { root } = await newRepo();
    writeFileSync(join(root, '.dvc', 'config'), '[cache]\n    dir = ../../shared/cache\n    type = hardlink,symlink\n');
    const repo = Repo.open(root);
    assert.equal(repo.cacheDir, join(tmp, 'shared', 'cache'));
    assert.deepEqual(repo.config.cacheTypes, ['hardlink', 'symlink']);
  });

  test('no git: with --no-scm, or core.no_scm in a git repository', async () => {
    const plain = await newRepo({ git: false });
    assert.equal(plain.repo.scm, null);
    assert.equal(Repo.open(plain.root).config.noScm, true);
    const { root } = await newRepo();
    writeFileSync(join(root, '.dvc', 'config'), '[core]\n    no_scm = true\n');
    assert.equal(Repo.open(root).scm, null);
  });

  test('the scm context: the hint by default, staging with core.autostage, nothing with -q', async () => {
    const { root } = await newRepo();
    const repo = Repo.open(root);
    writeFileSync(join(root, 'data.dvc'), 'x');
    writeFileSync(join(root, 'a b.dvc'), 'y');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      repo.scmContext.track(join(root, 'data.dvc'), join(root, 'a b.dvc'));
      assert.equal(
        await repo.scmContext.finish(),
        "\nTo track the changes with git, run:\n\n\tgit add data.dvc 'a b.dvc'\n\nTo enable auto staging, run:\n\n\tdvc config core.autostage true",
      );
      repo.scmContext.track(join(root, 'data.dvc'));
      assert.equal(await repo.scmContext.finish({ quiet: true }), null);
      assert.equal(await repo.scmContext.finish(), null, 'nothing tracked any more');
    } finally {
      process.chdir(cwd);
    }
    writeFileSync(join(root, '.dvc', 'config'), '[core]\n    autostage = true\n');
    const staged = Repo.open(root);
    staged.scmContext.track(join(root, 'data.dvc'));
    assert.equal(await staged.scmContext.finish(), null);
    assert.match(gitStatus(root), /^A  data\.dvc$/m);
  });

  test('opening puts back a missing .dvc/.gitignore line, as DVC does', async () => {
    const { root } = await newRepo();
    writeFileSync(join(root, '.dvc', '.gitignore'), '/config.local\n');
    const repo = Repo.open(root);
    assert.equal(readFileSync(join(root, '.dvc', '.gitignore'), 'utf8'), '/config.local\n/tmp\n/cache\n');
    assert.deepEqual(repo.scmContext.tracked, [join(root, '.dvc', '.gitignore')]);
  });

  test('withLock runs under .dvc/tmp/lock', async () => {
    const { root } = await newRepo();
    const repo = Repo.open(root);
    assert.equal(await repo.withLock(async () => readFileSync(repo.lockPath, 'utf8')), `${process.pid}\n`);
  });
});
