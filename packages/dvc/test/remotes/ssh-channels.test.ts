// SSH remotes open one SSH connection and up to max_sessions - 2 SFTP channels on it (DVC's
// sshfs: max_sessions, default 10, sessions on one connection, 2 of them kept for shell
// commands), as seen from the server: an sshd of our own (the shared test server's host key and
// user, LogLevel VERBOSE) logs each connection ("Connection from") and each SFTP session
// ("Starting session: subsystem 'sftp'"). Its MaxSessions is set per case; the shared server is
// never touched.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireServer, sshKnownHosts, testServer, uniqueName, type ServerInfo } from './servers.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';

const server = testServer('sshd');
const info = server.info;
const SSHD = '/usr/sbin/sshd';
const skip = server.skip || (process.getuid?.() !== 0 ? requireServer('an sshd of its own needs root (to log in as the test user)') : false);

/** A free TCP port on 127.0.0.1 (bound, then released for sshd). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

interface OwnSshd {
  info: ServerInfo;
  /** The log so far: connections and SFTP sessions since `mark()`. */
  since(mark: number): { connections: number; sftpSessions: number };
  mark(): number;
  stop(): Promise<void>;
}

/** An sshd of our own on a free port with `MaxSessions maxSessions`, logging VERBOSE. */
async function ownSshd(maxSessions: number): Promise<OwnSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'copper-sshd-'));
  const log = join(dir, 'sshd.log');
  const hostKey = join(dirname(info!.keyfile!), 'host_ed25519');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'AuthorizedKeysFile .ssh/authorized_keys',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        `AllowUsers ${info!.user}`,
        'UsePAM no',
        'Subsystem sftp internal-sftp',
        'StrictModes yes',
        `MaxSessions ${maxSessions}`,
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    writeFileSync(log, '');
    const child: ChildProcess = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', log], { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    for (let i = 0; i < 50 && !exited && !(await listening(port)); i++) await sleep(100);
    if (exited || !(await listening(port))) {
      child.kill();
      if (attempt < 3) continue; // the port was taken meanwhile: another one
      throw new Error(`our sshd did not start: ${readFileSync(log, 'utf8')}`);
    }
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []);
    return {
      info: { ...info!, port: String(port) },
      mark: () => lines().length - 1,
      since: (mark) => {
        const l = lines().slice(Math.max(0, mark));
        return {
          connections: l.filter((x) => x.startsWith('Connection from ')).length,
          sftpSessions: l.filter((x) => /^Starting session: subsystem 'sftp'/.test(x)).length,
        };
      },
      stop: async () => {
        if (!exited) {
          child.kill();
          await new Promise((r) => child.once('exit', r));
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** A repo with `n` small files under data/, `dvc add`ed, with remote `r` on `sshd`. */
function repoWith(sshd: OwnSshd, n: number, options: Record<string, string> = {}) {
  const repo = makeRepo();
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`data/f${i}.txt`] = `file ${i} ${uniqueName('x')}\n`;
  writeFiles(repo.dir, files);
  const si = sshd.info;
  const url = `ssh://${si.user}@${si.host}:${si.port}${si.root}/${uniqueName('chan')}`;
  for (const args of [
    ['add', 'data'],
    ['remote', 'add', '-d', 'r', url],
    ['remote', 'modify', '--local', 'r', 'keyfile', si.keyfile!],
    ...Object.entries(options).map(([k, v]) => ['remote', 'modify', '--local', 'r', k, v]),
  ]) {
    const r = repo.dvc(...args);
    assert.equal(r.code, 0, `dvc ${args.join(' ')}: ${r.stderr}`);
  }
  return { repo, files };
}

describe('ssh: one connection, SFTP channels on it (DVC max_sessions)', { skip, timeout: 300_000 }, () => {
  const saved = { ...process.env };
  before(() => {
    process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = 'yes';
  });
  after(() => {
    process.env.COPPER_SSH_KNOWN_HOSTS = saved.COPPER_SSH_KNOWN_HOSTS;
    process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = saved.COPPER_SSH_STRICT_HOST_KEY_CHECKING;
    if (saved.COPPER_SSH_KNOWN_HOSTS === undefined) delete process.env.COPPER_SSH_KNOWN_HOSTS;
    if (saved.COPPER_SSH_STRICT_HOST_KEY_CHECKING === undefined) delete process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING;
  });

  test('push and fetch of 80 files: one connection each, several SFTP channels on it, at most max_sessions - 2', async () => {
    const sshd = await ownSshd(10); // OpenSSH's default MaxSessions
    process.env.COPPER_SSH_KNOWN_HOSTS = sshKnownHosts(sshd.info);
    const { repo, files } = repoWith(sshd, 80);
    try {
      let m = sshd.mark();
      const push = repo.dvc('push');
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /81 files pushed/);
      const up = sshd.since(m);
      assert.equal(up.connections, 1, 'push: one SSH connection');
      assert.ok(up.sftpSessions > 1, `push: ${up.sftpSessions} SFTP channel(s), more than one expected`);
      assert.ok(up.sftpSessions <= 8, `push: ${up.sftpSessions} SFTP channels, DVC's default max_sessions 10 allows 8`);

      rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(repo.dir, 'data'), { recursive: true, force: true });
      m = sshd.mark();
      const pull = repo.dvc('pull');
      assert.equal(pull.code, 0, pull.stderr);
      const down = sshd.since(m);
      assert.equal(down.connections, 1, 'pull: one SSH connection');
      assert.ok(down.sftpSessions > 1, `pull: ${down.sftpSessions} SFTP channel(s), more than one expected`);
      for (const [p, c] of Object.entries(files)) assert.equal(readFileSync(join(repo.dir, p), 'utf8'), c, p);
    } finally {
      repo.cleanup();
      await sshd.stop();
    }
  });

  test('max_sessions 4: at most 2 SFTP channels on the one connection', async () => {
    const sshd = await ownSshd(10);
    process.env.COPPER_SSH_KNOWN_HOSTS = sshKnownHosts(sshd.info);
    const { repo } = repoWith(sshd, 40, { max_sessions: '4' });
    try {
      const m = sshd.mark();
      const push = repo.dvc('push');
      assert.equal(push.code, 0, push.stderr);
      assert.deepEqual(sshd.since(m), { connections: 1, sftpSessions: 2 });
    } finally {
      repo.cleanup();
      await sshd.stop();
    }
  });

  test('a server allowing fewer sessions than max_sessions (MaxSessions 2): the transfer completes on the channels it gives, no error', async () => {
    const sshd = await ownSshd(2);
    process.env.COPPER_SSH_KNOWN_HOSTS = sshKnownHosts(sshd.info);
    const { repo, files } = repoWith(sshd, 60, { max_sessions: '16' });
    try {
      let m = sshd.mark();
      const push = repo.dvc('push');
      assert.equal(push.code, 0, push.stderr);
      assert.equal(push.stderr, '');
      assert.match(push.stdout, /61 files pushed/);
      assert.deepEqual(sshd.since(m), { connections: 1, sftpSessions: 2 });

      rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(repo.dir, 'data'), { recursive: true, force: true });
      m = sshd.mark();
      const pull = repo.dvc('pull');
      assert.equal(pull.code, 0, pull.stderr);
      assert.equal(pull.stderr, '');
      assert.deepEqual(sshd.since(m), { connections: 1, sftpSessions: 2 });
      for (const [p, c] of Object.entries(files)) assert.equal(readFileSync(join(repo.dir, p), 'utf8'), c, p);
      assert.equal(repo.dvc('status', '-c').stdout, "Cache and remote 'r' are in sync.\n");
    } finally {
      repo.cleanup();
      await sshd.stop();
    }
  });
});
