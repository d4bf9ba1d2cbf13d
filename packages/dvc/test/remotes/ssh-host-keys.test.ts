// SSH host key checking (fs/known-hosts.ts, fs/ssh.ts): known_hosts parsing and matching, then for
// real against OpenSSH's sshd (test/servers/sshd.sh, a new host key at each start): the known key
// connects, another key is one ERROR line, a revoked key too; an unknown host connects as in DVC
// (its asyncssh runs with known_hosts=None) unless COPPER_SSH_STRICT_HOST_KEY_CHECKING=yes.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkHostKey, fingerprint, hostKeyPolicy, hostMatches, knownHostName, parseKnownHosts, preferredHostKeyAlgorithms } from '../../src/fs/known-hosts.js';
import { SshFileSystem } from '../../src/fs/ssh.js';
import { RemoteError } from '../../src/errors.js';
import { testServer, withEnv } from './servers.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { assertOneErrorLine } from './e2e-common.js';

const hasKeygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
const work = mkdtempSync(join(tmpdir(), 'copper-hostkeys-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));

/** A fresh public key line ('TYPE BASE64') made by ssh-keygen. */
function newKey(type: 'ed25519' | 'ecdsa' | 'rsa'): string {
  const f = join(work, `k-${type}-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', f], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}
const blob = (line: string) => Buffer.from(line.split(' ')[1]!, 'base64');

describe('known_hosts: parsing and matching', { skip: hasKeygen ? false : 'ssh-keygen is not installed' }, () => {
  test('host names: plain, [host]:port off port 22, lists, wildcards, negation, case', () => {
    assert.equal(knownHostName('Example.COM', 22), 'example.com');
    assert.equal(knownHostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    assert.ok(hostMatches('a.example,example.com', 'example.com'));
    assert.ok(hostMatches('*.example.com', 'git.example.com'));
    assert.ok(!hostMatches('*.example.com', 'example.com'));
    assert.ok(hostMatches('host?', 'host1'));
    assert.ok(!hostMatches('*.example.com,!bad.example.com', 'bad.example.com'));
    assert.ok(hostMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostMatches('127.0.0.1', '[127.0.0.1]:2222'), 'an entry without a port is for port 22 only');
    assert.ok(hostMatches('[127.0.0.1]:*', '[127.0.0.1]:2222'));
    assert.ok(hostMatches('EXAMPLE.com', 'example.com'));
  });

  test('hashed entries (ssh-keygen -H) match their host and no other', () => {
    const key = newKey('ed25519');
    const file = join(work, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2222 ${key}\nexample.com ${key}\n`);
    const r = spawnSync('ssh-keygen', ['-H', '-f', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.hosts.startsWith('|1|')));
    assert.ok(hostMatches(entries[0]!.hosts, '[127.0.0.1]:2222'));
    assert.ok(!hostMatches(entries[0]!.hosts, '127.0.0.1'));
    assert.ok(hostMatches(entries[1]!.hosts, 'example.com'));
  });

  test('markers, comments, junk lines; check: match, unknown, mismatch, revoked', () => {
    const good = newKey('ed25519');
    const other = newKey('ed25519');
    const ca = newKey('ed25519');
    const text = [
      '# comment',
      '',
      `host.example ${good} comment here`,
      `@cert-authority *.example ${ca}`,
      `@revoked * ${other}`,
      'not a valid line',
      `broken.example ssh-ed25519 !!!notbase64`,
      `@unknown-marker host.example ${good}`,
    ].join('\n');
    const entries = parseKnownHosts(text, '/kh');
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker, e.hosts]),
      [
        [3, '', 'host.example'],
        [4, 'cert-authority', '*.example'],
        [5, 'revoked', '*'],
      ],
    );
    assert.equal(checkHostKey(entries, 'host.example', blob(good)).status, 'match');
    assert.equal(checkHostKey(entries, 'new.example', blob(good)).status, 'unknown');
    // A CA line is no host key: a host it covers is still unknown (host certificates are not used).
    assert.equal(checkHostKey(entries, 'x.example', blob(ca)).status, 'unknown');
    const third = newKey('ed25519');
    const m = checkHostKey(entries, 'host.example', blob(third));
    assert.equal(m.status, 'mismatch');
    assert.equal(checkHostKey(entries, 'anything', blob(other)).status, 'revoked');
    assert.match(fingerprint(blob(good)), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test('the server is asked for the key types known for the host first', () => {
    const rsa = newKey('rsa');
    const ecdsa = newKey('ecdsa');
    const entries = parseKnownHosts(`h ${ecdsa}\nh,other ${rsa}\nelse ${newKey('ed25519')}\n`, '/kh');
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'h'), ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'nobody'), []);
  });

  test('policy from the environment', () => {
    const home = join(tmpdir(), 'h');
    assert.deepEqual(hostKeyPolicy({}).files?.slice(1), ['/etc/ssh/ssh_known_hosts']);
    assert.equal(hostKeyPolicy({}).strict, false);
    assert.deepEqual(hostKeyPolicy({ COPPER_SSH_KNOWN_HOSTS: `${home}/a:${home}/b`, COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }), { files: [`${home}/a`, `${home}/b`], strict: true });
    assert.deepEqual(hostKeyPolicy({ COPPER_SSH_KNOWN_HOSTS: 'none' }), { files: undefined, strict: false });
    assert.deepEqual(hostKeyPolicy({ COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'no' }), { files: undefined, strict: false });
  });
});

const server = testServer('sshd');
const info = server.info;

describe('ssh host keys against OpenSSH sshd', { skip: server.skip || (!hasKeygen && 'ssh-keygen is not installed'), timeout: 120_000 }, () => {
  let hostKey = '';
  let name = '';
  const url = (sub: string) => `ssh://${info!.user}@${info!.host}:${info!.port}${info!.root}/${sub}`;
  const kh = (text: string) => {
    const f = join(work, `known_hosts-${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, text);
    return f;
  };
  /** exists() through a backend opened under `env` (the policy is read when it is opened). */
  const probe = async (env: Record<string, string | undefined>) => {
    const fs = await withEnv(env, () => new SshFileSystem(url('hostkeys'), { keyfile: info!.keyfile! }));
    try {
      return await fs.exists('nothing-here');
    } finally {
      await fs.close();
    }
  };
  const refused = (re: RegExp) => (e: unknown) => {
    assert.ok(e instanceof RemoteError, String(e));
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  };

  before(() => {
    hostKey = readFileSync(join(dirname(info!.keyfile!), 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    name = knownHostName(info!.host!, Number(info!.port));
  });

  test('the known key connects (plain and hashed entries, strict or not)', async () => {
    const plain = kh(`${name} ${hostKey}\n`);
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: plain, COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }), false);
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: plain, COPPER_SSH_STRICT_HOST_KEY_CHECKING: undefined }), false);
    const hashed = kh(`${name} ${hostKey}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', hashed]).status, 0);
    assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: hashed, COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }), false);
    // The host's line may be in the second file of the list, beside other hosts' lines.
    const others = kh(`other.example ${newKey('ed25519')}\n`);
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: `${others}:${join(work, 'absent')}:${plain}`, COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }), false);
  });

  test('another key for the host is refused: one line, both fingerprints, the file and line', async () => {
    const wrong = newKey('ed25519');
    const f = kh(`# first line\n${name} ${wrong}\n`);
    await assert.rejects(
      probe({ COPPER_SSH_KNOWN_HOSTS: f, COPPER_SSH_STRICT_HOST_KEY_CHECKING: undefined }),
      refused(new RegExp(`host key verification failed: the ssh-ed25519 key ${fingerprint(blob(hostKey)).replace(/[+/]/g, '\\$&')} that .* is not the one in ${f}:2 - REMOTE HOST IDENTIFICATION HAS CHANGED.*ssh-keygen -R`)),
    );
    // Known only with a key type the server does not have: also not the known key.
    await assert.rejects(probe({ COPPER_SSH_KNOWN_HOSTS: kh(`${name} ${newKey('ecdsa')}\n`) }), refused(/REMOTE HOST IDENTIFICATION HAS CHANGED/));
  });

  test('a revoked key is refused even when also listed as known', async () => {
    const f = kh(`${name} ${hostKey}\n@revoked * ${hostKey}\n`);
    await assert.rejects(probe({ COPPER_SSH_KNOWN_HOSTS: f }), refused(/is marked @revoked in .*:2/));
  });

  test('an unknown host connects (DVC accepts every host); strict checking refuses it with the fingerprint', async () => {
    const empty = kh('');
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: empty, COPPER_SSH_STRICT_HOST_KEY_CHECKING: undefined }), false);
    await assert.rejects(
      probe({ COPPER_SSH_KNOWN_HOSTS: empty, COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }),
      refused(new RegExp(`is not in ${empty} \\(it offered the ssh-ed25519 key SHA256:.*ssh-keyscan -p ${info!.port} ${info!.host}`)),
    );
    // The file is not written to: it stays empty.
    assert.equal(readFileSync(empty, 'utf8'), '');
  });

  test('COPPER_SSH_KNOWN_HOSTS=none checks nothing (exactly DVC)', async () => {
    assert.equal(await probe({ COPPER_SSH_KNOWN_HOSTS: 'none', COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' }), false);
  });

  test('dvc reads ~/.ssh/known_hosts: the right key pushes, another key is one ERROR line for push, status -c, fetch', async () => {
    const repo = await withEnv({ COPPER_SSH_KNOWN_HOSTS: undefined, COPPER_SSH_STRICT_HOST_KEY_CHECKING: undefined }, () => makeRepo());
    try {
      // makeRepo's HOME is the folder above the repository.
      const ssh = join(repo.dir, '..', '.ssh');
      mkdirSync(ssh);
      writeFiles(repo.dir, { 'd/a.txt': 'a\n' });
      assert.equal(repo.dvc('add', 'd').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 's', url(`hostkeys-cli-${process.pid}`)).code, 0);
      assert.equal(repo.dvc('remote', 'modify', '--local', 's', 'keyfile', info!.keyfile!).code, 0);
      writeFileSync(join(ssh, 'known_hosts'), `${name} ${newKey('ed25519')}\n`);
      for (const cmd of [['push'], ['status', '-c'], ['fetch']]) {
        if (cmd[0] === 'fetch') rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
        assertOneErrorLine(repo.dvc(...cmd), `dvc ${cmd.join(' ')} with a changed host key`, /host key verification failed: .*REMOTE HOST IDENTIFICATION HAS CHANGED/);
      }
      writeFileSync(join(ssh, 'known_hosts'), `${name} ${hostKey}\n`);
      rmSync(join(repo.dir, 'd'), { recursive: true, force: true });
      writeFiles(repo.dir, { 'd/a.txt': 'a\n' });
      assert.equal(repo.dvc('add', 'd').code, 0);
      const push = repo.dvc('push');
      assert.equal(push.code, 0, push.stderr);
      assert.equal(push.stdout, '2 files pushed\n');
      assert.equal(repo.dvc('gc', '-w', '-c', '-f').code, 0);
    } finally {
      repo.cleanup();
      const fs = await withEnv({ COPPER_SSH_KNOWN_HOSTS: 'none' }, () => new SshFileSystem(url(`hostkeys-cli-${process.pid}`), { keyfile: info!.keyfile! }));
      for await (const k of fs.list('')) await fs.delete(k);
      await fs.close();
    }
  });
});
