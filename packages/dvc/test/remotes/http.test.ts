import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { HttpFileSystem } from '../../src/fs/http.js';
import { checkBackend, readAll } from './backend-checks.js';
import { nginxEnv } from './nginx-env.js';

const { env, skip } = nginxEnv();

describe('http remote against nginx', { skip }, () => {
  const fss: HttpFileSystem[] = [];
  after(async () => {
    for (const f of fss) await f.close();
  });
  const open = (url: string, o: Record<string, string> = {}) => {
    const f = new HttpFileSystem(url, o);
    fss.push(f);
    return f;
  };

  test('POST upload (DVC default): write, read, exists, size, delete, failed upload leaves nothing', async () => {
    const prefix = `t-${randomBytes(4).toString('hex')}`;
    const fs = open(`${env!.http}/remote`);
    await checkBackend(fs, prefix, { canList: false });
    // what the server stores is the bytes we sent
    const onDisk = `${env!.httpRoot}/remote/${prefix}/files/md5/ab/0000.dir`;
    assert.equal(readFileSync(onDisk, 'utf8'), '[1]');
  });

  test('PUT upload (method = PUT)', async () => {
    const prefix = `t-${randomBytes(4).toString('hex')}`;
    const fs = open(`${env!.http}/remote`, { method: 'PUT' });
    await fs.write(`${prefix}/x/y`, Readable.from([Buffer.from('put body')]));
    assert.equal((await readAll(fs, `${prefix}/x/y`)).toString(), 'put body');
    assert.ok(existsSync(`${env!.httpRoot}/remote/${prefix}/x/y`));
  });

  test('listing is refused with ENOTSUP (callers query object by object)', async () => {
    const fs = open(`${env!.http}/remote`);
    await assert.rejects(async () => {
      for await (const _ of fs.list('files')) void _;
    }, (e: NodeJS.ErrnoException) => e.code === 'ENOTSUP');
  });

  test('basic auth: right password works, wrong password is one clear error', async () => {
    // nginx's WebDAV port requires basic auth and takes PUT
    const good = open(`${env!.webdav}/httpauth`, { auth: 'basic', user: env!.user, password: env!.password, method: 'PUT' });
    await good.write('a/b', Readable.from([Buffer.from('auth ok')]));
    assert.equal((await readAll(good, 'a/b')).toString(), 'auth ok');
    const bad = open(`${env!.webdav}/httpauth`, { auth: 'basic', user: env!.user, password: 'wrong' });
    await assert.rejects(() => bad.exists('a/b'), /access denied \(HTTP 401\).*credentials/);
    const none = open(`${env!.webdav}/httpauth`);
    await assert.rejects(() => none.read('a/b'), /access denied/);
  });

  test('unreachable server rejects with a connection error', async () => {
    const fs = open('http://127.0.0.1:1/remote');
    await assert.rejects(() => fs.exists('x'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });

  test('bad options are refused up front', () => {
    assert.throws(() => new HttpFileSystem('http://127.0.0.1/x', { method: 'PATCH' }), /unsupported http upload method/);
    assert.throws(() => new HttpFileSystem('http://127.0.0.1/x', { auth: 'ntlm' }), /unsupported http auth/);
  });
});
