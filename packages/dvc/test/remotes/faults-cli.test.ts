// The remote fault handling as a user meets it through the `dvc` CLI: timeouts set with
// `dvc remote modify`, a dead link that fails with one ERROR line, and `gc -c` sweeping the temp
// files of killed uploads (which `status -c` never counts).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { STALE_TEMP_AGE_MS } from '../../src/fs/types.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { nginxEnv } from './nginx-env.js';
import { testServer } from './servers.js';

const dayOld = () => new Date(Date.now() - STALE_TEMP_AGE_MS - 3600_000);

describe('remote timeouts through the CLI', () => {
  let dead: Server;
  const sockets = new Set<Socket>();
  let address = '';
  before(async () => {
    // Takes connections and never answers (nor closes them).
    dead = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    address = `127.0.0.1:${(dead.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => dead.close(() => r()));
  });

  test('remote modify takes the timeout options DVC has for each kind, and refuses them where DVC does', () => {
    const r = makeRepo();
    try {
      const cases: [string, string[]][] = [
        ['s3://b/p', ['connect_timeout', 'read_timeout']],
        ['azure://c/p', ['connection_timeout', 'read_timeout', 'timeout']],
        ['http://h/p', ['connect_timeout', 'read_timeout']],
        ['webdav://h/p', ['timeout']],
        ['ssh://h/p', ['timeout']],
      ];
      for (const [i, [url, keys]] of cases.entries()) {
        assert.equal(r.dvc('remote', 'add', `r${i}`, url).code, 0);
        for (const k of keys) {
          const s = r.dvc('remote', 'modify', `r${i}`, k, '7');
          assert.equal(s.code, 0, `${url} ${k}: ${s.stderr}`);
          assert.match(r.dvc('config', `remote.r${i}.${k}`).stdout, /^7\n$/);
        }
      }
      // gs has no such option in DVC's schema: refused, as DVC refuses it.
      assert.equal(r.dvc('remote', 'add', 'g', 'gs://b/p').code, 0);
      const s = r.dvc('remote', 'modify', 'g', 'read_timeout', '7');
      assert.notEqual(s.code, 0);
      assert.match(s.stderr, /^ERROR: /);
    } finally {
      r.cleanup();
    }
  });

  test('push, status -c and fetch over a dead link: one ERROR line each, in bounded time', { timeout: 90_000 }, () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'dead', 's3://bucket/p').code, 0);
      for (const [k, v] of Object.entries({ endpointurl: `http://${address}`, connect_timeout: '1', read_timeout: '1' })) {
        assert.equal(r.dvc('remote', 'modify', 'dead', k, v).code, 0);
      }
      assert.equal(r.dvc('remote', 'modify', '--local', 'dead', 'access_key_id', 'k').code, 0);
      assert.equal(r.dvc('remote', 'modify', '--local', 'dead', 'secret_access_key', 's').code, 0);
      for (const cmd of [['push'], ['status', '-c'], ['fetch']]) {
        // Nothing to fetch while the cache holds everything.
        if (cmd[0] === 'fetch') rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
        const s = r.dvc(...cmd);
        assert.notEqual(s.code, 0, `${cmd.join(' ')} succeeded over a dead link`);
        const lines = s.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `${cmd.join(' ')}: ${s.stderr}`);
        assert.match(lines[0]!, /^ERROR: .*timed out/, cmd.join(' '));
      }
    } finally {
      r.cleanup();
    }
  });
});

/** Pushes two files to a remote that is a folder on this machine's server; returns its objects' folder. */
function pushed(r: ReturnType<typeof makeRepo>, url: string, options: Record<string, string>, root: string): string {
  writeFiles(r.dir, { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
  assert.equal(r.dvc('add', 'data').code, 0);
  assert.equal(r.dvc('remote', 'add', '-d', 'store', url).code, 0);
  for (const [k, v] of Object.entries(options)) assert.equal(r.dvc('remote', 'modify', '--local', 'store', k, v).code, 0);
  const s = r.dvc('push');
  assert.equal(s.code, 0, s.stderr);
  return join(root, 'files', 'md5');
}

/**
 * Leaves a killed upload's temp file beside the `n`th pushed object (in a folder the server's
 * user made); `old`: a day and an hour old.
 */
function leaveTemp(filesDir: string, n: number, name: (final: string) => string, old: boolean): string {
  const objects = readdirSync(filesDir).flatMap((p) => readdirSync(join(filesDir, p)).map((f) => join(filesDir, p, f)));
  const beside = objects.sort()[n]!;
  const file = join(beside, '..', name(beside.slice(beside.lastIndexOf('/') + 1)));
  writeFileSync(file, 'half an upload');
  if (old) utimesSync(file, dayOld(), dayOld());
  return file;
}

function gcSweepsTemps(kind: string, remote: () => { url: string; options: Record<string, string>; root: string }, name: (final: string) => string): void {
  // (`root` is the remote's folder on this machine: the test leaves files there as a killed push would.)
  test(`${kind}: status -c never counts upload temp files; gc -c removes those a day old and keeps fresh ones`, () => {
    const r = makeRepo();
    try {
      const { url, options, root } = remote();
      const filesDir = pushed(r, url, options, root);
      const stale = leaveTemp(filesDir, 0, name, true);
      const fresh = leaveTemp(filesDir, 1, name, false);
      // Another program's file in the same remote folder, named like a temp file: not gc's.
      const foreign = join(root, name('notes.txt'));
      writeFileSync(foreign, 'not a DVC upload');
      utimesSync(foreign, dayOld(), dayOld());
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'store' are in sync.\n");
      const s = r.dvc('gc', '-w', '-c', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(existsSync(stale), false, 'the day-old temp file is still there');
      assert.equal(existsSync(fresh), true, 'a fresh temp file (an upload still running) was removed');
      assert.equal(existsSync(foreign), true, 'gc removed a file that is no upload of an object');
      // The pushed objects are all still there.
      const objects = readdirSync(filesDir).flatMap((p) => readdirSync(join(filesDir, p)).filter((n) => /^[0-9a-f]{30}(\.dir)?$/.test(n)));
      assert.equal(objects.length, 3);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'store' are in sync.\n");
    } finally {
      r.cleanup();
    }
  });
}

describe('gc -c and upload temp files', () => {
  const nginx = nginxEnv();
  describe('webdav (nginx)', { skip: nginx.skip ?? false }, () => {
    const folder = `gc-temps-${randomBytes(4).toString('hex')}`;
    gcSweepsTemps(
      'webdav',
      () => ({
        url: `${nginx.env!.webdav.replace(/^http/, 'webdav')}/${folder}`,
        options: { user: nginx.env!.user, password: nginx.env!.password },
        root: join(nginx.env!.davRoot, folder),
      }),
      (final) => `${final}.copper-tmp-${randomBytes(8).toString('hex')}`,
    );
  });
  const sshd = testServer('sshd');
  describe('ssh (OpenSSH)', { skip: sshd.skip }, () => {
    const folder = `gc-temps-${randomBytes(4).toString('hex')}`;
    before(() => {
      process.env.COPPER_SSH_KNOWN_HOSTS = 'none';
    });
    gcSweepsTemps(
      'ssh',
      () => ({
        url: `ssh://${sshd.info!.user}@${sshd.info!.host}:${sshd.info!.port}${sshd.info!.root}/${folder}`,
        options: { keyfile: sshd.info!.keyfile! },
        root: join(sshd.info!.root!, folder),
      }),
      (final) => `${final}.${randomBytes(8).toString('hex')}.tmp`,
    );
  });
});
