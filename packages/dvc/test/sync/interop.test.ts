/**
 * One remote serves both tools: a remote and repository written by Python DVC 3.64 (fixture 05's
 * final tree) are pulled by our CLI into an empty cache and workspace, and what our CLI pushes
 * into an empty remote is, file for file, what Python DVC pushed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../repo/helpers.js';
import { FIXTURES_DIR } from '../conformance/replay.js';
import { allFiles, objects } from './helpers.js';

function run(cwd: string, home: string, ...args: string[]) {
  const env = { ...process.env, HOME: home, DVC_GLOBAL_CONFIG_DIR: join(home, 'g'), DVC_SYSTEM_CONFIG_DIR: join(home, 's') };
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('a remote written by Python DVC is pulled by our CLI, and our push writes the same remote', () => {
  const base = mkdtempSync(join(tmpdir(), 'copper-interop-'));
  try {
    const fixture = join(FIXTURES_DIR, '05-remote-push-pull');
    const tar = spawnSync('tar', ['xzf', join(fixture, 'tree.tar.gz'), '-C', base], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    const repo = join(base, 'repo');
    const remote = join(base, 'remote');
    const pyRemote = new Map([...objects(remote)].map(([oid, p]) => [oid, readFileSync(p)]));
    assert.equal(pyRemote.size, 13);
    // Python DVC's .dvc/config names the remote as it wrote it (`url = ../../remote`)
    spawnSync('git', ['init', '-q'], { cwd: repo });
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data'), { recursive: true, force: true });
    let s = run(repo, base, 'pull');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^13 files fetched and 12 files added$/m);
    assert.equal(run(repo, base, 'status').stdout, 'Data and pipelines are up to date.\n');
    // every workspace file as Python DVC left it (tree.txt: mode size path / md5 path)
    const tree = readFileSync(join(fixture, 'tree.txt'), 'utf8').split('\n');
    for (const line of tree) {
      const m = /^([0-9a-f]{32}) {2}repo\/(data\/.*)$/.exec(line);
      if (!m) continue;
      const got = createHash('md5').update(readFileSync(join(repo, m[2]!))).digest('hex');
      assert.equal(got, m[1], m[2]);
    }
    // our push into an empty remote writes the same objects, bytes and modes
    rmSync(remote, { recursive: true, force: true });
    s = run(repo, base, 'push');
    assert.equal(s.stdout, '13 files pushed\n', s.stderr);
    const ours = objects(remote);
    assert.deepEqual([...ours.keys()].sort(), [...pyRemote.keys()].sort());
    for (const [oid, p] of ours) {
      assert.ok(readFileSync(p).equals(pyRemote.get(oid)!), oid);
      assert.equal(statSync(p).mode & 0o777, 0o444);
    }
    assert.equal(allFiles(remote).length, 13, 'nothing else on the remote');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
