import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  statSync,
  chmodSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isCleanError, makeRepo, spawnDvc, writeFiles } from './helpers.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** Every object in the cache has the content its name says. */
function assertCacheSound(dir: string): number {
  const filesDir = join(dir, '.dvc/cache/files/md5');
  if (!existsSync(filesDir)) return 0;
  let n = 0;
  for (const p of readdirSync(filesDir)) {
    if (!/^[0-9a-f]{2}$/.test(p)) continue;
    for (const name of readdirSync(join(filesDir, p))) {
      if (!/^[0-9a-f]{30}(\.dir)?$/.test(name)) continue; // temp files are not objects
      const content = readFileSync(join(filesDir, p, name));
      assert.equal(md5(content), p + name.slice(0, 30), `object ${p}${name} is corrupt`);
      n++;
    }
  }
  return n;
}

describe('bad input: one ERROR line, non-zero exit, nothing lost', () => {
  test('missing target, target outside the repo, no repo', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      let r = dvc('add', 'nothing-here');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `ERROR: output 'nothing-here' does not exist: [Errno 2] No such file or directory: '${join(dir, 'nothing-here')}'\n`);
      writeFileSync(join(dir, '..', 'outside.txt'), 'x');
      r = dvc('add', '../outside.txt');
      assert.ok(isCleanError(r), r.stderr);
      assert.equal(existsSync(join(dir, '..', 'outside.txt.dvc')), false);
      r = dvc('add', '.dvc/config');
      assert.ok(isCleanError(r), r.stderr);
      writeFileSync(join(dir, 'in-git.txt'), 'x');
      spawnSync('git', ['add', 'in-git.txt'], { cwd: dir });
      r = dvc('add', 'in-git.txt');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ERROR: output 'in-git.txt' is already tracked by SCM/);
      assert.equal(existsSync(join(dir, 'in-git.txt.dvc')), false);
      r = dvc('checkout', 'no.dvc');
      assert.equal(r.code, 255);
      assert.equal(r.stderr, `ERROR: Did you mean \`git checkout no.dvc\`?: '${join(dir, 'no.dvc')}' does not exist\n`);
    } finally {
      cleanup();
    }
  });

  test('malformed .dvc files', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      for (const [text, what] of [
        ['outs: [\n', /bad\.dvc/],
        ['outs:\n- path: ../../etc\n', /outside of the repository/],
        ['outs:\n- path: /etc/passwd\n', /absolute/],
        ['outs:\n- path: data\n  md5: not-a-hash\n', /bad md5/],
        ['{"outs": 7}', /must be a list/],
      ] as const) {
        writeFileSync(join(dir, 'bad.dvc'), text);
        for (const cmd of [['status'], ['checkout'], ['commit']]) {
          const r = dvc(...cmd);
          assert.ok(isCleanError(r), `${cmd} on ${JSON.stringify(text)}: ${r.stderr}`);
          assert.match(r.stderr, what);
          assert.equal(r.stderr.trim().split('\n').length, 1);
        }
      }
      assert.equal(existsSync('/etc/passwd') ? statSync('/etc/passwd').isFile() : true, true);
    } finally {
      cleanup();
    }
  });

  test('a .dir manifest naming ../ or an absolute path is refused at checkout', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'data/a.txt': 'hello\n' });
      assert.equal(dvc('add', 'data').code, 0);
      const a = md5('hello\n');
      for (const rel of ['../escaped.txt', '/tmp/escaped.txt', 'x/../../escaped.txt']) {
        const manifest = `[{"md5": "${a}", "relpath": "${rel}"}]`;
        const oid = md5(manifest);
        mkdirSync(join(dir, '.dvc/cache/files/md5', oid.slice(0, 2)), { recursive: true });
        writeFileSync(join(dir, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2) + '.dir'), manifest);
        writeFileSync(join(dir, 'data.dvc'), `outs:\n- md5: ${oid}.dir\n  size: 6\n  nfiles: 1\n  hash: md5\n  path: data\n`);
        rmSync(join(dir, 'data'), { recursive: true, force: true });
        const r = dvc('checkout');
        assert.ok(isCleanError(r), r.stderr);
        assert.match(r.stderr, /unsafe path/);
        assert.equal(existsSync(join(dir, '..', 'escaped.txt')), false);
        assert.equal(existsSync('/tmp/escaped.txt') && readFileSync('/tmp/escaped.txt', 'utf8') === 'hello\n', false);
      }
    } finally {
      cleanup();
    }
  });

  test('symlinks leading out of the repository are refused', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      const outside = join(dir, '..', 'secret.txt');
      writeFileSync(outside, 'secret');
      writeFiles(dir, { 'data/a.txt': 'a' });
      symlinkSync(outside, join(dir, 'data/link'));
      let r = dvc('add', 'data');
      assert.ok(isCleanError(r), r.stderr);
      assert.match(r.stderr, /symlink leading outside of the repository/);
      assert.equal(existsSync(join(dir, 'data.dvc')), false);
      symlinkSync(outside, join(dir, 'top-link'));
      r = dvc('add', 'top-link');
      assert.ok(isCleanError(r), r.stderr);
      // a symlink inside the repo is followed
      rmSync(join(dir, 'data/link'));
      symlinkSync(join(dir, 'data/a.txt'), join(dir, 'data/inner'));
      r = dvc('add', 'data');
      assert.equal(r.code, 0, r.stderr);
    } finally {
      cleanup();
    }
  });
});

async function runAndKill(dir: string, args: string[], delay: number): Promise<void> {
  const child = spawnDvc(dir, args);
  const exited = new Promise((r) => child.on('exit', r));
  await new Promise((r) => setTimeout(r, delay));
  child.kill('SIGKILL');
  await exited;
}

describe('interrupted with kill -9', () => {
  function dataset(dir: string, n: number, size: number): void {
    for (let i = 0; i < n; i++) {
      mkdirSync(join(dir, 'data', `d${i % 8}`), { recursive: true });
      writeFileSync(join(dir, 'data', `d${i % 8}`, `f${i}.bin`), randomBytes(size));
    }
  }
  function snapshot(dir: string): Map<string, string> {
    const m = new Map<string, string>();
    const walk = (p: string, rel: string) => {
      for (const d of readdirSync(p, { withFileTypes: true })) {
        if (d.isDirectory()) walk(join(p, d.name), `${rel}${d.name}/`);
        else m.set(rel + d.name, md5(readFileSync(join(p, d.name))));
      }
    };
    walk(join(dir, 'data'), '');
    return m;
  }

  test('add: no corrupt object, no user file lost, a rerun completes', async () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      dataset(dir, 160, 256 * 1024);
      const before = snapshot(dir);
      for (const delay of [200, 280, 350]) {
        await runAndKill(dir, ['add', 'data'], delay);
        assertCacheSound(dir);
        assert.deepEqual(snapshot(dir), before, 'workspace unchanged');
        if (existsSync(join(dir, 'data.dvc'))) rmSync(join(dir, 'data.dvc'));
      }
      const r = dvc('add', 'data');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(assertCacheSound(dir) >= 161);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });

  test('checkout: files present are whole, a rerun restores everything', async () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      dataset(dir, 160, 256 * 1024);
      const before = snapshot(dir);
      assert.equal(dvc('add', 'data').code, 0);
      for (const delay of [200, 300]) {
        rmSync(join(dir, 'data'), { recursive: true, force: true });
        await runAndKill(dir, ['checkout'], delay);
        if (existsSync(join(dir, 'data'))) {
          for (const [rel, sum] of snapshot(dir)) {
            if (/\.tmp$/.test(rel)) continue; // temp names are never the final file
            assert.equal(sum, before.get(rel), `${rel} is whole`);
          }
        }
        assertCacheSound(dir);
      }
      const r = dvc('checkout');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(snapshot(dir), before);
      assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      cleanup();
    }
  });
});

describe('cache objects are read-only', () => {
  test('mode 0444, folders 0755', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'data/a.txt': 'hello\n' });
      assert.equal(dvc('add', 'data').code, 0);
      const p = join(dir, '.dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184');
      assert.equal(statSync(p).mode & 0o777, 0o444);
      assert.equal(statSync(join(dir, '.dvc/cache/files/md5/b1')).mode & 0o777, 0o755);
      chmodSync(p, 0o444);
    } finally {
      cleanup();
    }
  });
});
