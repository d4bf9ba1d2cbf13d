// The SSH backend against OpenSSH's sshd on 127.0.0.1 (test/servers/sshd.sh), over SFTP.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backendContract, collect, readAll } from './contract.js';
import { sshKnownHosts, testServer, uniqueName } from './servers.js';
import { SshFileSystem } from '../../src/fs/ssh.js';
import { retrying } from '../../src/fs/retry.js';
import { RemoteError } from '../../src/errors.js';

const server = testServer('sshd');
const info = server.info;
// The server's real host key, never the user's ~/.ssh (the CLI runs inherit it too); strict, so
// every connection proves the key was checked and matched.
if (info) {
  process.env.COPPER_SSH_KNOWN_HOSTS = sshKnownHosts(info);
  process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = 'yes';
}
const base = () => `ssh://${info!.user}@${info!.host}:${info!.port}${info!.root}`;

backendContract({
  name: 'ssh on OpenSSH sshd',
  skip: server.skip,
  open: async () => new SshFileSystem(`${base()}/${uniqueName('contract')}`, { keyfile: info!.keyfile! }),
  badCredentials: async () => new SshFileSystem(`${base()}/bad`, { password: 'not-the-password' }),
  missingBucket: 'an SSH remote folder is created on the first write (as DVC does)',
});

describe('ssh specifics', { skip: server.skip }, () => {
  test('password login', async () => {
    const fs = new SshFileSystem(`${base()}/${uniqueName('pw')}`, { password: info!.password! });
    await fs.write('a/b.txt', Readable.from([Buffer.from('via password')]), 12);
    assert.equal((await readAll(await fs.read('a/b.txt'))).toString(), 'via password');
    await fs.delete('a/b.txt');
    await fs.close();
  });

  test('40 writes, sizes and reads at once on one SFTP session: all land, no listener warning', async () => {
    const fs = new SshFileSystem(`${base()}/${uniqueName('many')}`, { keyfile: info!.keyfile!, max_sessions: '1' });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const names = Array.from({ length: 40 }, (_, i) => `d${i % 3}/o${i}`);
      await Promise.all(names.map((n) => fs.write(n, Readable.from([Buffer.from(n)]), Buffer.byteLength(n))));
      assert.deepEqual(await Promise.all(names.map((n) => fs.size(n))), names.map((n) => Buffer.byteLength(n)));
      const bodies = await Promise.all(names.map(async (n) => (await readAll(await fs.read(n))).toString()));
      assert.deepEqual(bodies, names);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
      await fs.close();
    }
  });

  test('pipelined reads and writes: files of 0 bytes to more than a window of requests come back whole', async () => {
    const fs = new SshFileSystem(`${base()}/${uniqueName('sizes')}`, { keyfile: info!.keyfile!, max_sessions: '1' });
    try {
      const K = 128 * 1024;
      for (const size of [0, 1, K - 1, K, K + 1, 8 * K, 8 * K + 5, 20 * K + 7]) {
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = (i * 31 + size) & 255;
        // Uneven source chunks, as streams give them.
        const chunks: Buffer[] = [];
        for (let o = 0, n = 1; o < size; o += n, n = (n * 7 + 13) % 70000 + 1) chunks.push(body.subarray(o, o + n));
        await fs.write(`s/${size}`, Readable.from(chunks), size);
        assert.equal(await fs.size(`s/${size}`), size);
        assert.deepEqual(await readAll(await fs.read(`s/${size}`)), body, `${size} bytes`);
      }
      // A reader that leaves early closes its handle: the session keeps working.
      const early = await fs.read(`s/${20 * K + 7}`);
      for await (const c of early) {
        void c;
        break;
      }
      assert.equal((await readAll(await fs.read('s/1'))).length, 1);
    } finally {
      await fs.close();
    }
  });

  test('a lost connection is opened again on the next operation', async () => {
    const fs = new SshFileSystem(`${base()}/${uniqueName('re')}`, { keyfile: info!.keyfile!, max_sessions: '1' });
    await fs.write('a', Readable.from([Buffer.from('one')]), 3);
    // Cut the SSH connection under the backend, as a server restart or a network drop would.
    (await (fs as unknown as { conn: Promise<{ client: { end(): void } }> }).conn).client.end();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await readAll(await fs.read('a'))).toString(), 'one');
    await fs.delete('a');
    await fs.close();
  });

  test('a source shorter or longer than its declared size is refused, nothing stored', async () => {
    const fs = new SshFileSystem(`${base()}/${uniqueName('sz')}`, { keyfile: info!.keyfile! });
    await assert.rejects(fs.write('s/short', Readable.from([Buffer.alloc(500)]), 1000), /ended after 500 of its 1000 bytes/);
    await assert.rejects(fs.write('s/long', Readable.from([Buffer.alloc(1500)]), 1000), /more than its 1000 bytes/);
    assert.equal(await fs.exists('s/short'), false);
    assert.equal(await fs.exists('s/long'), false);
    assert.deepEqual(await collect(fs.list('s')), []);
    await fs.close();
  });

  test('operations cut by a dropped connection are retried on a new one (through retry.ts)', async () => {
    const bare = new SshFileSystem(`${base()}/${uniqueName('drop')}`, { keyfile: info!.keyfile!, max_sessions: '1' });
    const fs = retrying(bare, { baseDelayMs: 5 });
    await fs.write('a', Readable.from([Buffer.from('still here')]), 10);
    const conn = await (bare as unknown as { conn: Promise<{ client: { end(): void } }> }).conn;
    const pending = Array.from({ length: 8 }, () => fs.size('a'));
    conn.client.end();
    assert.deepEqual(await Promise.all(pending), Array(8).fill(10));
    assert.equal((await readAll(await fs.read('a'))).toString(), 'still here');
    await fs.delete('a');
    await fs.close();
  });

  test('user and port as options instead of in the URL', async () => {
    const fs = new SshFileSystem(`ssh://${info!.host}${info!.root}/${uniqueName('opt')}`, {
      user: info!.user!,
      port: info!.port!,
      keyfile: info!.keyfile!,
    });
    await fs.write('x', Readable.from([Buffer.from('1')]), 1);
    assert.deepEqual(await collect(fs.list('')), ['x']);
    await fs.delete('x');
    await fs.close();
  });

  test('a folder the user may not write is a one-line RemoteError', async () => {
    const fs = new SshFileSystem(`ssh://${info!.user}@${info!.host}:${info!.port}/root/forbidden`, { keyfile: info!.keyfile! });
    await assert.rejects(fs.write('a', Readable.from([Buffer.from('1')]), 1), (e: unknown) => e instanceof RemoteError && !e.message.includes('\n'));
    await fs.close();
  });

  test('max_sessions below 1 is a one-line RemoteError', () => {
    assert.throws(() => new SshFileSystem(`${base()}/x`, { max_sessions: '0' }), (e: unknown) => e instanceof RemoteError && /max_sessions must be a whole number of at least 1/.test(e.message) && !e.message.includes('\n'));
  });

  test('ask_password without a password is a clear RemoteError (no prompts)', () => {
    assert.throws(() => new SshFileSystem(`${base()}/x`, { ask_password: 'true' }), (e: unknown) => e instanceof RemoteError && /remote modify --local/.test(e.message));
  });

  test('nothing listens on the port: a one-line RemoteError', async () => {
    const fs = new SshFileSystem(`ssh://${info!.user}@127.0.0.1:1/tmp/x`, { keyfile: info!.keyfile! });
    await assert.rejects(fs.exists('a'), (e: unknown) => e instanceof RemoteError && /cannot connect/.test(e.message));
    await fs.close();
  });
});
