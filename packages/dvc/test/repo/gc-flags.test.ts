/**
 * `dvc gc --rev/-n/--date/--not-in-remote/--skip-failed/--all-experiments`, and the prompt, as
 * Python DVC 3.64 has them (dvc/commands/gc.py, dvc/repo/gc.py; fixture 21-gc-flags): exit
 * codes, messages, and which objects stay in the cache and on the remote. Real git, real files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, git, isCleanError, makeRepo } from './helpers.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The oids in a cache or remote folder (DVC 3 layout). */
function objects(root: string): Set<string> {
  const base = join(root, 'files', 'md5');
  if (!existsSync(base)) return new Set();
  return new Set(readdirSync(base).flatMap((p) => readdirSync(join(base, p)).map((n) => p + n)));
}

/** Commits everything with a fixed committer date (for --date). */
function commit(dir: string, msg: string, date?: string): void {
  git(dir, 'add', '-A');
  const env = { ...process.env, ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) };
  const r = spawnSync('git', ['commit', '-qm', msg], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * Three commits of f.txt (v1, v2, v3) beside k.txt, as fixture 21: v1 and v2 pushed to a local
 * remote, v3 not.
 */
function threeVersions(dates: string[] = []) {
  const r = makeRepo();
  const remote = join(r.dir, '..', 'remote');
  assert.equal(r.dvc('remote', 'add', '-d', 'store', remote).code, 0);
  writeFileSync(join(r.dir, 'k.txt'), 'keep\n');
  for (const [i, v] of ['v1', 'v2', 'v3'].entries()) {
    writeFileSync(join(r.dir, 'f.txt'), `${v}\n`);
    assert.equal(r.dvc('add', '-q', 'f.txt', 'k.txt').code, 0);
    commit(r.dir, v, dates[i]);
    if (v !== 'v3') assert.equal(r.dvc('push', '-q').code, 0);
  }
  const cache = join(r.dir, '.dvc', 'cache');
  return { ...r, remote, cache, v1: md5('v1\n'), v2: md5('v2\n'), v3: md5('v3\n'), k: md5('keep\n') };
}

describe('dvc gc flags', () => {
  test('--rev R -n N keeps the workspace and N commits back from R; --rev alone keeps one', () => {
    const r = threeVersions();
    try {
      let s = r.dvc('gc', '--rev', 'HEAD', '-n', '2', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stderr, 'WARNING: This will remove all cache except items used in the workspace and last 2 commits from HEAD of the current repo.\n');
      assert.equal(s.stdout, "Removed 1 objects from repo cache.\nNo unused 'local' cache to remove.\nNo unused 'legacy' cache to remove.\n");
      assert.deepEqual(objects(r.cache), new Set([r.v2, r.v3, r.k]));
      // --rev HEAD~2 (v1's commit, whose object is gone): keeps workspace + that commit, v2 goes
      s = r.dvc('gc', '--rev', 'HEAD~2', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /and last 1 commits from HEAD~2 of the current repo\./);
      assert.deepEqual(objects(r.cache), new Set([r.v3, r.k]));
    } finally {
      r.cleanup();
    }
  });

  test('bad combinations: exit 255 with DVC\'s message, nothing removed', () => {
    const r = threeVersions();
    try {
      const before = objects(r.cache);
      const cases: Array<[string[], string]> = [
        [['-a', '-n', '2'], '`--num` can only be used alongside `--rev`'],
        [['-w', '--not-in-remote', '-c'], '`--not-in-remote` and `--cloud` are mutually exclusive'],
        [['-w', '-r', 'store'], '`--remote` requires `--cloud` or `--not-in-remote`'],
        [[], 'Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.'],
        [['--date', '2024-13-01'], "unexpected error - time data '2024-13-01' does not match format '%Y-%m-%d'"],
        [['--date', 'yesterday'], "unexpected error - time data 'yesterday' does not match format '%Y-%m-%d'"],
      ];
      for (const [args, msg] of cases) {
        const s = r.dvc('gc', ...args, '-f');
        assert.equal(s.code, 255, `gc ${args.join(' ')}: ${s.stderr}`);
        assert.equal(s.stderr, `ERROR: ${msg}\n`);
      }
      const bad = r.dvc('gc', '--rev', 'HEAD', '-n', 'two', '-f');
      assert.equal(bad.code, 254);
      assert.ok(isCleanError(bad), bad.stderr);
      assert.match(bad.stderr, /argument -n\/--num: invalid int value: 'two'/);
      const unknown = r.dvc('gc', '--rev', 'nosuch', '-f');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^WARNING: .*\nERROR: unknown Git revision 'nosuch'\n$/);
      assert.deepEqual(objects(r.cache), before);
    } finally {
      r.cleanup();
    }
  });

  test('--date keeps what the commits since that day use', () => {
    const r = threeVersions(['2020-01-01T12:00:00', '2022-06-15T12:00:00', '2023-03-01T12:00:00']);
    try {
      const s = r.dvc('gc', '--date', '2022-06-15', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stderr, 'WARNING: This will remove all cache except items used in the workspace and all git commits before date 2022-06-15 of the current repo.\n');
      assert.deepEqual(objects(r.cache), new Set([r.v2, r.v3, r.k]), 'v1 (2020) removed, v2 (the day itself) kept');
      assert.equal(r.dvc('gc', '--date', '2030-1-1', '-f').code, 0);
      assert.deepEqual(objects(r.cache), new Set([r.v3, r.k]));
    } finally {
      r.cleanup();
    }
  });

  test('--not-in-remote keeps only what the remote lacks, and leaves the remote alone', () => {
    const r = threeVersions();
    try {
      const remoteBefore = objects(r.remote);
      const s = r.dvc('gc', '-w', '--not-in-remote', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stderr, 'WARNING: This will remove all cache except items used in the workspace that are not present in the DVC remote of the current repo.\n');
      assert.equal(s.stdout, "Removed 3 objects from repo cache.\nNo unused 'local' cache to remove.\nNo unused 'legacy' cache to remove.\n");
      assert.deepEqual(objects(r.cache), new Set([r.v3]), 'only v3 (never pushed) stays');
      assert.deepEqual(objects(r.remote), remoteBefore);
      // the workspace still pulls what gc dropped
      assert.equal(r.dvc('pull').code, 0);
      assert.ok(objects(r.cache).has(r.k));
    } finally {
      r.cleanup();
    }
  });

  test('a revision whose .dvc file cannot be read fails gc unless --skip-failed (then a warning)', () => {
    const r = threeVersions();
    try {
      // a commit with a broken k.txt.dvc, then fixed again
      writeFileSync(join(r.dir, 'k.txt.dvc'), 'outs: [\n');
      commit(r.dir, 'broken');
      const broken = git(r.dir, 'rev-parse', 'HEAD').stdout.trim();
      git(r.dir, 'checkout', '-q', 'HEAD~1', '--', 'k.txt.dvc');
      commit(r.dir, 'fixed');
      // an object no commit uses: what a gc that runs removes
      writeFileSync(join(r.dir, 'junk.txt'), 'junk\n');
      assert.equal(r.dvc('add', '-q', 'junk.txt').code, 0);
      assert.equal(r.dvc('remove', '-q', 'junk.txt.dvc').code, 0);
      const before = objects(r.cache);
      assert.ok(before.has(md5('junk\n')));
      let s = r.dvc('gc', '-A', '-f');
      assert.equal(s.code, 1);
      assert.ok(isCleanError({ ...s, stderr: s.stderr.replace(/^WARNING: .*\n/, '') }), s.stderr);
      assert.match(s.stderr, new RegExp(`ERROR: Failed to collect '${broken}'`));
      assert.deepEqual(objects(r.cache), before, 'nothing removed');
      s = r.dvc('gc', '-A', '--skip-failed', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, new RegExp(`WARNING: Failed to collect '${broken}', skipping\n`));
      const after = new Set(before);
      after.delete(md5('junk\n'));
      assert.deepEqual(objects(r.cache), after, 'only the unused object went');
    } finally {
      r.cleanup();
    }
  });

  test('--all-experiments keeps what experiment commits use', () => {
    const r = threeVersions();
    try {
      const baseline = git(r.dir, 'rev-parse', 'HEAD').stdout.trim();
      // an experiment: a commit on top of the baseline, kept only under refs/exps/
      git(r.dir, 'checkout', '-q', '-b', 'tmp-exp');
      writeFileSync(join(r.dir, 'f.txt'), 'exp\n');
      assert.equal(r.dvc('add', '-q', 'f.txt').code, 0);
      commit(r.dir, 'exp');
      const exp = git(r.dir, 'rev-parse', 'HEAD').stdout.trim();
      git(r.dir, 'checkout', '-q', '-f', '-');
      git(r.dir, 'branch', '-q', '-D', 'tmp-exp');
      git(r.dir, 'update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/exp-1`, exp);
      assert.equal(r.dvc('checkout', '-f').code, 0);
      let s = r.dvc('gc', '-w', '--all-experiments', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /in the workspace and all experiments of the current repo\.\n$/);
      assert.ok(objects(r.cache).has(md5('exp\n')), "the experiment's data stays");
      s = r.dvc('gc', '-w', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.ok(!objects(r.cache).has(md5('exp\n')));
    } finally {
      r.cleanup();
    }
  });

  test('without -f: DVC\'s prompt on stdout, the answer read from stdin (a pipe too); no answer is no', () => {
    const r = threeVersions();
    try {
      const run = (input: string) => spawnSync(process.execPath, [CLI, 'gc', '-w'], { cwd: r.dir, input, encoding: 'utf8' });
      const before = objects(r.cache);
      for (const input of ['n\n', '']) {
        const s = run(input);
        assert.equal(s.status, 1);
        assert.equal(s.stdout, 'Are you sure you want to proceed? [y/n]: ');
        assert.deepEqual(objects(r.cache), before);
      }
      const yes = run('y\n');
      assert.equal(yes.status, 0, yes.stderr);
      assert.deepEqual(objects(r.cache), new Set([r.v3, r.k]));
    } finally {
      r.cleanup();
    }
  });
});
