import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { WebdavFileSystem } from '../../src/fs/webdav.js';
import { checkBackend, collect, readAll } from './backend-checks.js';
import { nginxEnv } from './nginx-env.js';
import { backendContract } from './contract.js';

const { env, skip } = nginxEnv();

describe('webdav remote against nginx DAV', { skip }, () => {
  const fss: WebdavFileSystem[] = [];
  after(async () => {
    for (const f of fss) await f.close();
  });
  const open = (url: string, o: Record<string, string> = {}) => {
    const f = new WebdavFileSystem(url, o);
    fss.push(f);
    return f;
  };
  const davUrl = () => env!.webdav.replace(/^http/, 'webdav');

  test('write (temp name + MOVE), read, list by PROPFIND Depth 1, delete, failed upload leaves nothing', async () => {
    const prefix = `t-${randomBytes(4).toString('hex')}`;
    const fs = open(`${davUrl()}/remote`, { user: env!.user, password: env!.password });
    await checkBackend(fs, prefix, { canList: true });
    // no temporary files remain on the server
    const dir = `${env!.davRoot}/remote/${prefix}/files/md5/ab`;
    assert.deepEqual(readdirSync(dir).sort(), ['0000.dir']);
    assert.equal(readFileSync(`${dir}/0000.dir`, 'utf8'), '[1]');
  });

  test('many concurrent writes into fresh folders create each folder once and all land', async () => {
    const prefix = `t-${randomBytes(4).toString('hex')}`;
    const fs = open(`${davUrl()}/deep/root`, { user: env!.user, password: env!.password });
    const paths = Array.from({ length: 40 }, (_, i) => `${prefix}/files/md5/${(i % 5).toString(16).padStart(2, '0')}/obj${i}`);
    await Promise.all(paths.map((p, i) => fs.write(p, Readable.from([Buffer.from(`n${i}`)]))));
    assert.deepEqual(await collect(fs.list(prefix)), [...paths].sort());
    assert.equal((await readAll(fs, paths[7]!)).toString(), 'n7');
  });

  test('user and password in the URL work; a wrong password is one clear error', async () => {
    const u = new URL(davUrl());
    u.username = env!.user;
    u.password = env!.password;
    const fs = open(`${u.toString().replace(/\/$/, '')}/urlauth`);
    await fs.write('f', Readable.from([Buffer.from('ok')]));
    assert.equal((await readAll(fs, 'f')).toString(), 'ok');
    const bad = open(`${davUrl()}/urlauth`, { user: env!.user, password: 'nope' });
    await assert.rejects(() => bad.exists('f'), /access denied \(HTTP 401\)/);
    await assert.rejects(() => bad.write('g', Readable.from([Buffer.from('x')])), /access denied/);
  });
});

backendContract({
  name: 'webdav (nginx DAV)',
  skip: skip ?? false,
  open: async () =>
    new WebdavFileSystem(`${env!.webdav.replace(/^http/, 'webdav')}/contract-${randomBytes(4).toString('hex')}`, {
      user: env!.user,
      password: env!.password,
    }),
  badCredentials: async () =>
    new WebdavFileSystem(`${env!.webdav.replace(/^http/, 'webdav')}/contract-bad`, { user: env!.user, password: 'wrong' }),
  missingBucket: 'webdav creates missing folders',
});
