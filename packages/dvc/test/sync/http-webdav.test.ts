/**
 * push / pull / status -c / gc -c through the CLI against the nginx test server: the plain HTTP
 * remote (POST uploads, HEAD queries: it cannot list) and the WebDAV remote (basic auth, secrets
 * in config.local). Skips with the reason when nginx is not installed.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isCleanError, makeRepo, writeFiles } from '../repo/helpers.js';
import { nginxEnv } from '../remotes/nginx-env.js';
import { corrupt, dataset, objects } from './helpers.js';

const { env, skip } = nginxEnv();

describe('sync with http and webdav remotes on nginx', { skip, concurrency: 2 }, () => {
  test('http remote: push, no-op push, status -c (HEAD per object), pull', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, dataset(40, 3000, 'http'));
      const big = Buffer.alloc(3 << 20, 7);
      big.write('a large object streams to a temp file', 0);
      writeFiles(r.dir, { 'big.bin': big });
      assert.equal(r.dvc('add', 'data', 'big.bin').code, 0);
      const name = `sync-${randomBytes(4).toString('hex')}`;
      assert.equal(r.dvc('remote', 'add', '-d', 'h', `${env!.http}/${name}`).code, 0);
      let s = r.dvc('push');
      assert.equal(s.stdout, '42 files pushed\n', s.stderr);
      const onServer = join(env!.httpRoot, name);
      assert.equal(objects(onServer).size, 42);
      assert.deepEqual(corrupt(onServer), []);
      assert.equal(r.dvc('push').stdout, 'Everything is up to date.\n');
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'h' are in sync.\n");
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      rmSync(join(r.dir, 'big.bin'));
      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^42 files fetched and 41 files added$/m);
      assert.ok(readFileSync(join(r.dir, 'big.bin')).equals(big));
      assert.equal(readFileSync(join(r.dir, 'data/3/f10.bin')).subarray(0, 8).toString(), 'http-10-');
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      r.cleanup();
    }
  });

  test('webdav remote with basic auth from config.local: push, gc -c, pull; a wrong password is one clear error', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'dav a\n', 'data/b.txt': 'dav b\n' });
      assert.equal(r.dvc('add', 'data').code, 0);
      const name = `sync-${randomBytes(4).toString('hex')}`;
      const url = `${env!.webdav.replace(/^http/, 'webdav')}/${name}`;
      assert.equal(r.dvc('remote', 'add', '-d', 'd', url).code, 0);
      assert.equal(r.dvc('remote', 'modify', '--local', 'd', 'user', env!.user).code, 0);
      assert.equal(r.dvc('remote', 'modify', '--local', 'd', 'password', 'wrong').code, 0);
      let s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.ok(isCleanError(s), s.stderr);
      assert.match(s.stderr, /access denied \(HTTP 401\)/);
      assert.equal(r.dvc('remote', 'modify', '--local', 'd', 'password', env!.password).code, 0);
      s = r.dvc('push');
      assert.equal(s.stdout, '3 files pushed\n', s.stderr);
      const onServer = join(env!.davRoot, name);
      assert.equal(objects(onServer).size, 3);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'd' are in sync.\n");
      // a new version; gc -w -c drops the old objects on the server too
      writeFiles(r.dir, { 'data/a.txt': 'dav a v2\n' });
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal(r.dvc('push').stdout, '2 files pushed\n');
      s = r.dvc('gc', '-w', '-c', '-f');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /Removed 2 objects from remote\./);
      assert.equal(objects(onServer).size, 3);
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/a.txt'), 'utf8'), 'dav a v2\n');
    } finally {
      r.cleanup();
    }
  });

  test('an unreachable server is one clear error naming the remote (after retries)', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'f.txt': 'x' });
      r.dvc('add', 'f.txt');
      r.dvc('remote', 'add', '-d', 'gone', 'http://127.0.0.1:1/nothing');
      const s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.ok(isCleanError(s), s.stderr);
      assert.match(s.stderr, /^ERROR: failed to push data to the cloud - remote 'gone' \(http:\/\/127.0.0.1:1\/nothing\): connect ECONNREFUSED/);
    } finally {
      r.cleanup();
    }
  });
});
