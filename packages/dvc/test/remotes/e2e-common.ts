/**
 * End-to-end checks of a cloud remote through the `dvc` CLI (built dist/cli/main.js): push, no-op
 * push, status -c, pull into an empty cache and workspace, gc -c, and one clean `ERROR:` line for
 * wrong credentials and a missing bucket. The objects on the server are checked through the
 * backend itself (DVC's layout `files/md5/xx/...`, content hashing to its name).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, spawnDvc, writeFiles, type Run } from '../repo/helpers.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataset } from '../sync/helpers.js';
import { collect, readAll } from './contract.js';
import type { FileSystem } from '../../src/fs/types.js';
import { retrying } from '../../src/fs/retry.js';

export interface E2eRemote {
  /** Remote URL for a fresh, empty root below `name`. */
  url: (name: string) => string;
  /** `remote modify --local` options (secrets). */
  options: Record<string, string>;
  /** Opens the backend on the same root, to look at what the CLI stored. */
  open: (name: string) => Promise<FileSystem>;
  /** Options (replacing `options`) that the server refuses (e.g. a wrong secret), or a reason there are none. */
  badOptions: Record<string, string> | string;
  /** A URL whose bucket/container does not exist ('' when there is none: see missingSkip). */
  missingUrl: string;
  /** Why the missing-bucket case cannot be tried on this server. */
  missingSkip?: string;
  /** The text the missing-bucket error must contain (default /does not exist/). */
  missingMessage?: RegExp;
  /** The text the wrong-credentials error must contain. */
  badMessage: RegExp;
}

export function e2eTests(kind: string, remote: E2eRemote): void {
  // The test looks at the server through the backend wrapped as the CLI wraps it: emulators drop
  // idle keep-alive sockets, and a request that races that is retried.
  const r: E2eRemote = { ...remote, open: async (name) => retrying(await remote.open(name)) };
  test(`${kind}: push, no-op push, status -c, pull into an empty cache and workspace, gc -c`, async () => {
    const repo = makeRepo();
    const name = `e2e-${randomBytes(4).toString('hex')}`;
    try {
      const files = dataset(30, 5000, kind);
      files['data/big.bin'] = randomBytes(3 * 1024 * 1024 + 7);
      writeFiles(repo.dir, files);
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'cloud', r.url(name)).code, 0);
      for (const [k, v] of Object.entries(r.options)) assert.equal(repo.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
      let s = repo.dvc('push');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, '32 files pushed\n', s.stderr);
      assert.equal(s.stderr, '', 'a successful push prints nothing on stderr (no SDK warnings)');

      // What the server holds: DVC's layout, every object hashing to its name.
      const fs = await r.open(name);
      try {
        const keys = await collect(fs.list('files/md5'));
        assert.equal(keys.length, 32);
        for (const k of keys) {
          const m = /^files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30})(\.dir)?$/.exec(k);
          assert.ok(m, `unexpected key ${k}`);
          if (m[3]) continue;
          const body = await readAll(await fs.read(k));
          assert.equal(createHash('md5').update(body).digest('hex'), m[1]! + m[2]!, `${k} is corrupt`);
        }
      } finally {
        await fs.close();
      }

      assert.equal(repo.dvc('push').stdout, 'Everything is up to date.\n');
      assert.equal(repo.dvc('status', '-c').stdout, "Cache and remote 'cloud' are in sync.\n");

      rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(repo.dir, 'data'), { recursive: true, force: true });
      s = repo.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /32 files fetched and 31 files added/);
      assert.equal(s.stderr, '');
      for (const [p, content] of Object.entries(files)) assert.ok(readFileSync(join(repo.dir, p)).equals(Buffer.from(content)), `${p} differs after pull`);
      assert.equal(repo.dvc('status').stdout, 'Data and pipelines are up to date.\n');

      // A new version of one file, pushed; gc -w -c removes the old object (and old .dir) remotely.
      writeFiles(repo.dir, { 'data/0/f0.bin': 'replaced\n' });
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('push').stdout, '2 files pushed\n');
      s = repo.dvc('gc', '-w', '-c', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /Removed 2 objects from remote\./);
      const fs2 = await r.open(name);
      try {
        assert.equal((await collect(fs2.list('files/md5'))).length, 32);
        for (const k of await collect(fs2.list(''))) await fs2.delete(k);
      } finally {
        await fs2.close();
      }
    } finally {
      repo.cleanup();
    }
  });

  test(`${kind}: kill -9 during push, push again: the remote is complete and nothing is corrupt`, async () => {
    const repo = makeRepo();
    const name = `e2e-kill-${randomBytes(4).toString('hex')}`;
    try {
      writeFiles(repo.dir, dataset(150, 64 * 1024, `${kind}-kill`));
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'cloud', r.url(name)).code, 0);
      for (const [k, v] of Object.entries(r.options)) assert.equal(repo.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
      const fs = await r.open(name);
      try {
        const child = spawnDvc(repo.dir, ['push', '-j', '4']);
        const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
        for (let i = 0; i < 3000 && child.exitCode === null; i++) {
          if ((await collect(fs.list('files/md5'))).length >= 10) {
            child.kill('SIGKILL');
            break;
          }
          await sleep(5);
        }
        await exited;
        // Whatever is under an object's final name is whole.
        const checkAll = async () => {
          let n = 0;
          for (const k of await collect(fs.list('files/md5'))) {
            const m = /^files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30})(\.dir)?$/.exec(k);
            if (!m) continue; // a temporary upload name left by the kill
            n++;
            if (m[3]) continue;
            const body = await readAll(await fs.read(k));
            assert.equal(createHash('md5').update(body).digest('hex'), m[1]! + m[2]!, `${k} is corrupt`);
          }
          return n;
        };
        const partial = await checkAll();
        const s = repo.dvc('push');
        assert.equal(s.code, 0, s.stderr);
        // Uploads whose bytes all left before the kill may still complete on the server after the
        // count above: the rerun pushes what is missing then, at most what the count saw missing.
        const pushed = s.stdout === 'Everything is up to date.\n' ? 0 : Number(/^(\d+) files? pushed$/m.exec(s.stdout)?.[1] ?? NaN);
        assert.ok(pushed >= 0 && pushed <= 151 - partial, `pushed ${s.stdout.trim()} after ${partial} objects were found whole`);
        assert.equal(await checkAll(), 151);
        assert.equal(repo.dvc('status', '-c').stdout, "Cache and remote 'cloud' are in sync.\n");
        for (const k of await collect(fs.list(''))) await fs.delete(k);
      } finally {
        await fs.close();
      }
    } finally {
      repo.cleanup();
    }
  });

  errorTests(kind, r);
}

/** What the error tests need of a remote (http/webdav have no e2e round trip here, only these). */
export type ErrorTestRemote = Pick<E2eRemote, 'url' | 'options' | 'badOptions' | 'missingUrl' | 'missingSkip' | 'missingMessage' | 'badMessage'> & {
  /** Commands that cannot reach the remote's error at all (e.g. gc -c on a remote that cannot list). */
  skipCommands?: string[];
};

/** Every command that talks to a remote, in an order where each one must ask it. */
const REMOTE_COMMANDS = [['push'], ['status', '-c'], ['gc', '-w', '-c', '-f'], ['fetch'], ['pull']];

/** Exactly one `ERROR:` line (last on stderr), a non-zero exit, no stack trace. */
export function assertOneErrorLine(s: Run, what: string, message: RegExp): void {
  assert.equal(s.code, 1, `${what}: exit ${s.code}\n${s.stdout}${s.stderr}`);
  const lines = s.stderr.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('ERROR:'));
  assert.equal(errors.length, 1, `${what}: one ERROR line expected:\n${s.stderr}`);
  assert.ok(lines[lines.length - 1]!.startsWith('ERROR:'), `${what}: the ERROR line comes last:\n${s.stderr}`);
  assert.ok(!/\n\s+at /.test(s.stderr), `${what}: stack trace:\n${s.stderr}`);
  assert.match(errors[0]!, message, what);
}

/**
 * Wrong credentials, then a missing bucket/container: push, status -c, gc -c, fetch and pull each
 * end with one clear `ERROR:` line and exit 1 (never a listing of "new" objects, never a stack).
 */
export function errorTests(kind: string, r: ErrorTestRemote): void {
  const runAll = (repo: ReturnType<typeof makeRepo>, message: RegExp, label: string) => {
    for (const cmd of REMOTE_COMMANDS) {
      if (r.skipCommands?.includes(cmd.join(' '))) continue;
      // fetch and pull must ask the remote: nothing may be in the cache then.
      if (cmd[0] === 'fetch') rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
      assertOneErrorLine(repo.dvc(...cmd), `${kind} ${label}: dvc ${cmd.join(' ')}`, message);
    }
  };
  const setUp = (url: string, options: Record<string, string>) => {
    const repo = makeRepo();
    writeFiles(repo.dir, { 'd/a.txt': 'a\n', 'd/b.txt': 'b\n' });
    assert.equal(repo.dvc('add', 'd').code, 0);
    assert.equal(repo.dvc('remote', 'add', '-d', 'cloud', url).code, 0);
    for (const [k, v] of Object.entries(options)) assert.equal(repo.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
    return repo;
  };

  test(`${kind}: wrong credentials are one clean ERROR line for push, status -c, gc -c, fetch, pull`, { skip: typeof r.badOptions === 'string' ? r.badOptions : false }, () => {
    const repo = setUp(r.url(`e2e-bad-${randomBytes(3).toString('hex')}`), r.badOptions as Record<string, string>);
    try {
      runAll(repo, r.badMessage, 'wrong credentials');
    } finally {
      repo.cleanup();
    }
  });

  test(`${kind}: a missing bucket is one clean ERROR line for push, status -c, gc -c, fetch, pull`, { skip: r.missingSkip ?? false }, () => {
    const repo = setUp(r.missingUrl, r.options);
    try {
      runAll(repo, r.missingMessage ?? /does not exist/, 'missing bucket');
    } finally {
      repo.cleanup();
    }
  });
}
