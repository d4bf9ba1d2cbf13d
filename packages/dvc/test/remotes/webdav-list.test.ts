// WebDAV folder listings (PROPFIND Depth 1 on the remote's keep-alive client, fs/webdav.ts) against
// the nginx DAV test server: the names are those on the server's disk, and the same as the `webdav`
// npm client (which listed them before) gives for the same folders: spaces, percent signs, unicode,
// XML's special characters, nested and empty folders, a missing folder (empty), a remote at the
// server's root. An error answer, or no answer, is the same error the old listing gave.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthType, createClient, type FileStat } from 'webdav';
import { RemoteError } from '../../src/errors.js';
import { HttpStatusError } from '../../src/fs/http.js';
import { retrying } from '../../src/fs/retry.js';
import { WebdavFileSystem } from '../../src/fs/webdav.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { collect } from './backend-checks.js';
import { nginxEnv } from './nginx-env.js';

const { env, skip } = nginxEnv();
const TMP_RE = /\.copper-tmp-[0-9a-f]{16}$/;

/**
 * The listing as it was made before: the `webdav` client's getDirectoryContents of each folder
 * (folders walked breadth first), and its errors worded as WebdavFileSystem worded them.
 */
async function libraryList(url: string, o: { user?: string; password?: string }, prefix: string): Promise<string[]> {
  const u = new URL(url);
  const httpUrl = `http://${u.host}${u.pathname.replace(/\/$/, '')}`;
  const client = createClient(httpUrl, o.user !== undefined ? { authType: AuthType.Password, username: o.user, password: o.password ?? '' } : {});
  const files: string[] = [];
  const pending = [prefix];
  while (pending.length) {
    const p = pending.shift()!.replace(/^\/+|\/+$/g, '');
    let entries: FileStat[];
    try {
      entries = (await client.getDirectoryContents(p ? '/' + p + '/' : '/')) as FileStat[];
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404 || status === 409) continue;
      const where = `${httpUrl.replace(/^http/, 'webdav')}/${p}`;
      if (status === 401 || status === 403) {
        throw new RemoteError(`PROPFIND ${where}: access denied (HTTP ${status}); check the remote's user and password`);
      }
      if (typeof status === 'number') throw new HttpStatusError('PROPFIND', where, status, (err as Error).message);
      throw err;
    }
    for (const e of entries) {
      const rel = (p ? p + '/' : '') + e.basename;
      if (e.type === 'directory') pending.push(rel);
      else if (!TMP_RE.test(rel)) files.push(rel);
    }
  }
  return files.sort();
}

/** The files below `dir` on the server's disk, as paths below `dir` (upload temp files left out). */
function onDisk(dir: string, rel = ''): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return [];
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const r = rel ? `${rel}/${n}` : n;
    if (statSync(join(dir, n)).isDirectory()) out.push(...onDisk(join(dir, n), r));
    else if (!TMP_RE.test(n)) out.push(r);
  }
  return out.sort();
}

/** The error a listing rejects with. */
async function listError(list: () => Promise<unknown>): Promise<Error> {
  try {
    await list();
  } catch (e) {
    return e as Error;
  }
  assert.fail('the listing succeeded');
}

const NAMES = [
  'plain.txt',
  'with space.txt',
  '100%.bin',
  'literal%20pct',
  'ünïcödé 文件.dat',
  'amp&lt;tag>.x',
  `quote'"q`,
  'plus+equals=;semi,comma',
  'hash#x',
  '?question',
  'dir with space/top.txt',
  'dir with space/sub ü/deep%file',
  'dir with space/sub ü/a&b <c>',
  'a/b/c/d/e.txt',
];

describe('webdav listings against nginx DAV', { skip }, () => {
  const tag = randomBytes(4).toString('hex');
  // The remote's own folder has a space, a percent sign and unicode in its name too.
  const folder = `list ü%-${tag}`;
  const root = () => join(env!.davRoot, folder);
  const creds = () => ({ user: env!.user, password: env!.password });
  const remote = () => `${env!.webdav.replace(/^http/, 'webdav')}/${encodeURIComponent(folder)}`;
  const opened: WebdavFileSystem[] = [];
  const open = (url: string, o: Record<string, string>) => {
    const f = new WebdavFileSystem(url, o);
    opened.push(f);
    return f;
  };

  before(() => {
    for (const n of NAMES) {
      mkdirSync(join(root(), n, '..'), { recursive: true });
      writeFileSync(join(root(), n), n);
    }
    mkdirSync(join(root(), 'empty dir'), { recursive: true });
    mkdirSync(join(root(), 'only folders', 'inner', 'innermost'), { recursive: true });
    // A killed upload's temp file: never listed.
    writeFileSync(join(root(), 'dir with space', `top.txt.copper-tmp-${'0123456789abcdef'}`), 'half');
  });
  after(async () => {
    for (const f of opened) await f.close();
    rmSync(root(), { recursive: true, force: true });
  });

  const prefixes = ['', 'dir with space', 'dir with space/sub ü', 'a', 'a/b/c/d', 'empty dir', 'only folders', 'missing', 'missing/deeper', 'plain.txt'];

  test('every file below each prefix, named as on the server and as the webdav client named it', async () => {
    const fs = open(remote(), creds());
    const wrapped = retrying(open(remote(), creds()), {});
    for (const p of prefixes) {
      const got = await collect(fs.list(p));
      const old = await libraryList(remote(), creds(), p);
      assert.deepEqual(got, old, `list('${p}') differs from the webdav client's`);
      assert.deepEqual(await collect(wrapped.list(p)), got, `list('${p}') through the retry wrapper`);
      if (p === 'plain.txt') continue; // a file listed as a folder: whatever the server says of it, as before
      const disk = onDisk(join(root(), p)).map((n) => (p ? `${p}/${n}` : n));
      assert.deepEqual(got, disk, `list('${p}') is not what the server's disk holds`);
    }
    // The whole tree, all of it.
    assert.deepEqual(await collect(fs.list('')), [...NAMES].sort());
    assert.deepEqual(await collect(fs.list('empty dir')), []);
    assert.deepEqual(await collect(fs.list('missing')), []);
  });

  test('one step: the folder\'s files, and its subfolders as the next steps (the folder itself left out)', async () => {
    const fs = open(remote(), creds());
    const page = await fs.listStep({ prefix: 'dir with space' });
    assert.deepEqual(page.files, ['dir with space/top.txt']);
    assert.deepEqual(page.next, [{ prefix: 'dir with space/sub ü' }]);
    const empty = await fs.listStep({ prefix: 'empty dir' });
    assert.deepEqual(empty, { files: [], next: [] });
    assert.deepEqual(await fs.listStep({ prefix: 'missing' }), { files: [], next: [] });
  });

  test('a remote at the server\'s root lists the same names', async () => {
    const top = open(env!.webdav.replace(/^http/, 'webdav'), creds());
    for (const p of [folder, `${folder}/dir with space`, `${folder}/empty dir`, `${folder}/missing`]) {
      const got = await collect(top.list(p));
      assert.deepEqual(got, await libraryList(env!.webdav.replace(/^http/, 'webdav'), creds(), p), `list('${p}')`);
    }
    assert.deepEqual(await collect(top.list(folder)), NAMES.map((n) => `${folder}/${n}`).sort());
  });

  test('an error answer is the same one line as before: wrong password (401), a server without PROPFIND (405)', async () => {
    const bad = { user: env!.user, password: 'wrong' };
    const e401 = await listError(() => collect(open(remote(), bad).list('dir with space')));
    const old401 = await listError(() => libraryList(remote(), bad, 'dir with space'));
    assert.equal(e401.message, old401.message);
    assert.match(e401.message, /^PROPFIND .*: access denied \(HTTP 401\)/);
    assert.ok(!e401.message.includes('\n'));
    // nginx's plain HTTP port answers PROPFIND 405 Not Allowed.
    const plain = `${env!.http.replace(/^http/, 'webdav')}/${encodeURIComponent(folder)}`;
    const e405 = await listError(() => collect(open(plain, {}).list('dir with space')));
    const old405 = await listError(() => libraryList(plain, {}, 'dir with space'));
    assert.equal(e405.message, old405.message);
    assert.match(e405.message, /^PROPFIND webdav:\/\/.* failed: HTTP 405 /);
    assert.equal((e405 as HttpStatusError).status, 405);
  });
});

describe('webdav listings through the CLI', { skip }, () => {
  test('status -c and push of more objects than are asked one by one: the listing finds what is there and what is not', () => {
    const folder = `cli list ü-${randomBytes(4).toString('hex')}`;
    const r = makeRepo();
    try {
      // 40 files: more than the 32 objects push and status -c ask about one by one (odb/db.ts).
      const files: Record<string, string> = {};
      for (let i = 0; i < 40; i++) files[`d/f ${i}%.txt`] = `file ${i}\n`;
      writeFiles(r.dir, files);
      assert.equal(r.dvc('add', 'd').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'dav', `${env!.webdav.replace(/^http/, 'webdav')}/${encodeURIComponent(folder)}`).code, 0);
      assert.equal(r.dvc('remote', 'modify', '--local', 'dav', 'user', env!.user).code, 0);
      assert.equal(r.dvc('remote', 'modify', '--local', 'dav', 'password', env!.password).code, 0);
      const push = r.dvc('push');
      assert.equal(push.code, 0, push.stderr);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'dav' are in sync.\n");
      // Two objects gone from the server: exactly those two are new to it, and pushed again.
      for (const i of [4, 17]) {
        const md5 = createHash('md5').update(`file ${i}\n`).digest('hex');
        rmSync(join(env!.davRoot, folder, 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
      }
      const st = r.dvc('status', '-c');
      assert.equal(st.code, 0, st.stderr);
      assert.deepEqual(st.stdout.trim().split('\n').map((l) => l.trim()).sort(), ['new:                d/f 17%.txt', 'new:                d/f 4%.txt']);
      const again = r.dvc('push');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^2 files pushed/);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'dav' are in sync.\n");
    } finally {
      r.cleanup();
      rmSync(join(env!.davRoot, folder), { recursive: true, force: true });
    }
  });
});

describe('webdav listings with no server', () => {
  test('a refused connection is the error the old listing gave (same words, same code)', async () => {
    const url = 'webdav://127.0.0.1:1/some folder';
    const fs = new WebdavFileSystem(url, {});
    try {
      const e = await listError(() => collect(fs.list('files/md5')));
      const old = await listError(() => libraryList(url, {}, 'files/md5'));
      assert.equal(e.message, old.message);
      assert.equal((e as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      assert.equal((e as NodeJS.ErrnoException).code, (old as NodeJS.ErrnoException).code);
    } finally {
      await fs.close();
    }
  });
});
