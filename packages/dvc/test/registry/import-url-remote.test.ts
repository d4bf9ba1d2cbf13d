/**
 * `dvc import-url` of URLs on the real test servers (Ceph S3, nginx HTTP, OpenSSH), and `dvc update`
 * of them: the dependency records each backend's marker as DVC does (S3: the ETag without quotes,
 * HTTP: the ETag header as sent, SSH: the md5), the data lands in the workspace and the cache,
 * and changed data is downloaded again by `update`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { isOneLineError, sandbox } from '../cli/helpers.js';
import { nginxEnv } from '../remotes/nginx-env.js';
import { sshKnownHosts, testServer, uniqueName } from '../remotes/servers.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { SshFileSystem } from '../../src/fs/ssh.js';
import { retrying } from '../../src/fs/retry.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const dvcFile = (dir: string, name: string) => parse(readFileSync(join(dir, name), 'utf8'));
/** DVC's manifest of a folder source: Python's json.dumps(sort_keys=True) of `{<key>: value, relpath}`. */
const manifestOid = (key: string, entries: Array<[string, string]>) =>
  md5('[' + entries.map(([rel, v]) => `{"${key}": "${v}", "relpath": "${rel}"}`).join(', ') + ']') + '.dir';

const ceph = testServer('ceph');
describe('import-url from S3 (Ceph RGW)', { skip: ceph.skip, timeout: 300_000 }, () => {
  const info = ceph.info!;
  const bucket = uniqueName('iu').toLowerCase();
  const creds = () => ({ endpointurl: info.endpoint!, access_key_id: info.access_key_id!, secret_access_key: info.secret_access_key! });
  let fs: S3FileSystem;
  const put = (key: string, body: string) => fs.write(key, Readable.from([Buffer.from(body)]), Buffer.byteLength(body));
  const env = { AWS_ACCESS_KEY_ID: info?.access_key_id, AWS_SECRET_ACCESS_KEY: info?.secret_access_key };
  const endpoint = () => `endpointurl=${info.endpoint}`;

  before(async () => {
    fs = new S3FileSystem(`s3://${bucket}`, creds());
    await fs.createBucket();
  });
  after(() => fs.close());

  test('a file: etag and size recorded, data checked out; update downloads it again only when it changed', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    await put('f/data.txt', 'hello s3\n');
    const a = s.dvc(['import-url', `s3://${bucket}/f/data.txt`, '--fs-config', endpoint()], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`^Importing 's3://${bucket}/f/data.txt' -> 'data.txt'\n`));
    const st = dvcFile(s.repo, 'data.txt.dvc');
    assert.deepEqual(Object.keys(st), ['md5', 'frozen', 'deps', 'outs']);
    assert.deepEqual(st.deps, [{ etag: md5('hello s3\n'), size: 9, hash: 'md5', path: `s3://${bucket}/f/data.txt`, fs_config: { endpointurl: info.endpoint } }]);
    assert.deepEqual(st.outs, [{ md5: md5('hello s3\n'), size: 9, hash: 'md5', path: 'data.txt' }]);
    assert.equal(readFileSync(join(s.repo, 'data.txt'), 'utf8'), 'hello s3\n');
    assert.ok(existsSync(join(s.repo, '.dvc', 'cache', 'files', 'md5', md5('hello s3\n').slice(0, 2), md5('hello s3\n').slice(2))));

    const same = s.dvc(['update', 'data.txt.dvc'], { env });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, "'data.txt.dvc' didn't change, skipping\n");

    await put('f/data.txt', 'changed on s3\n');
    const u = s.dvc(['update', 'data.txt.dvc'], { env });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(readFileSync(join(s.repo, 'data.txt'), 'utf8'), 'changed on s3\n');
    const st2 = dvcFile(s.repo, 'data.txt.dvc');
    assert.equal(st2.deps[0].etag, md5('changed on s3\n'));
    assert.equal(st2.outs[0].md5, md5('changed on s3\n'));
    assert.notEqual(st2.md5, st.md5);
  });

  test('a folder through remote://NAME (the remote\'s credentials): the manifest of etags, -j, -f', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    assert.equal(s.dvc(['remote', 'add', 'store', `s3://${bucket}`]).code, 0);
    for (const [k, v] of Object.entries(creds())) assert.equal(s.dvc(['remote', 'modify', '--local', 'store', k, v]).code, 0);
    await put('d/a', 'a');
    await put('d/sub/b', 'bb');
    const a = s.dvc(['import-url', '-j', '2', 'remote://store/d']);
    assert.equal(a.code, 0, a.stderr);
    const st = dvcFile(s.repo, 'd.dvc');
    const depOid = manifestOid('etag', [['a', md5('a')], ['sub/b', md5('bb')]]);
    assert.deepEqual(st.deps, [{ md5: depOid, size: 3, nfiles: 2, hash: 'md5', path: 'remote://store/d' }]);
    const outOid = manifestOid('md5', [['a', md5('a')], ['sub/b', md5('bb')]]);
    assert.deepEqual(st.outs, [{ md5: outOid, size: 3, nfiles: 2, hash: 'md5', path: 'd' }]);
    assert.equal(readFileSync(join(s.repo, 'd', 'sub', 'b'), 'utf8'), 'bb');
    // As DVC: the source's manifest is kept in the cache too.
    assert.ok(existsSync(join(s.repo, '.dvc', 'cache', 'files', 'md5', depOid.slice(0, 2), depOid.slice(2))));

    const again = s.dvc(['import-url', 'remote://store/d']);
    assert.equal(again.code, 1);
    assert.ok(isOneLineError(again.stderr.replace(/ \nTo override/, ' To override')), again.stderr);
    await put('d/a', 'A2');
    const forced = s.dvc(['import-url', '-f', 'remote://store/d']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(join(s.repo, 'd', 'a'), 'utf8'), 'A2');
  });

  test('--no-download records the source only; update --no-download; -R updates every import below a folder', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    await put('n/x.txt', 'x1');
    const a = s.dvc(['import-url', '--no-download', `s3://${bucket}/n/x.txt`, 'sub/x.txt', '--fs-config', endpoint()], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.ok(!existsSync(join(s.repo, 'sub', 'x.txt')));
    const st = dvcFile(s.repo, 'sub/x.txt.dvc');
    assert.deepEqual(st.deps[0].etag, md5('x1'));
    assert.deepEqual(st.outs, [{ hash: 'md5', path: 'x.txt' }]);
    assert.ok(typeof st.md5 === 'string');

    await put('n/x.txt', 'x2');
    const u = s.dvc(['update', '--no-download', 'sub/x.txt.dvc'], { env });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(dvcFile(s.repo, 'sub/x.txt.dvc').deps[0].etag, md5('x2'));
    assert.ok(!existsSync(join(s.repo, 'sub', 'x.txt')));

    const r = s.dvc(['update', '-R', 'sub'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.repo, 'sub', 'x.txt'), 'utf8'), 'x2');
    assert.deepEqual(dvcFile(s.repo, 'sub/x.txt.dvc').outs, [{ md5: md5('x2'), size: 2, hash: 'md5', path: 'x.txt' }]);
  });

  test('--to-remote -r: the data goes to the remote, not to the cache or the workspace; update --to-remote', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const store = join(s.tmp, 'store');
    assert.equal(s.dvc(['remote', 'add', 'other', join(s.tmp, 'unused')]).code, 0);
    assert.equal(s.dvc(['remote', 'add', 'dest', store]).code, 0);
    await put('t/y.txt', 'to remote');
    const bad = s.dvc(['import-url', '--to-remote', '--no-download', `s3://${bucket}/t/y.txt`, '--fs-config', endpoint()], { env });
    assert.equal(bad.code, 1);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    const noTo = s.dvc(['import-url', '-r', 'dest', `s3://${bucket}/t/y.txt`, '--fs-config', endpoint()], { env });
    assert.equal(noTo.code, 1);
    assert.match(noTo.stderr, /--remote can't be used without --to-remote/);

    const a = s.dvc(['import-url', '--to-remote', '-r', 'dest', `s3://${bucket}/t/y.txt`, '--fs-config', endpoint()], { env });
    assert.equal(a.code, 0, a.stderr);
    const h = md5('to remote');
    assert.equal(readFileSync(join(store, 'files', 'md5', h.slice(0, 2), h.slice(2)), 'utf8'), 'to remote');
    assert.ok(!existsSync(join(s.repo, 'y.txt')));
    assert.ok(!existsSync(join(s.repo, '.dvc', 'cache', 'files', 'md5', h.slice(0, 2), h.slice(2))));
    const st = dvcFile(s.repo, 'y.txt.dvc');
    assert.equal(st.deps[0].etag, h);
    assert.deepEqual(st.outs, [{ md5: h, size: 9, hash: 'md5', path: 'y.txt' }]);
    // The data comes back from that remote.
    const p = s.dvc(['pull', '-r', 'dest', 'y.txt.dvc']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(readFileSync(join(s.repo, 'y.txt'), 'utf8'), 'to remote');

    await put('t/y.txt', 'to remote, v2');
    const u = s.dvc(['update', '--to-remote', '-r', 'dest', 'y.txt.dvc'], { env });
    assert.equal(u.code, 0, u.stderr);
    const h2 = md5('to remote, v2');
    assert.ok(existsSync(join(store, 'files', 'md5', h2.slice(0, 2), h2.slice(2))));
    assert.equal(dvcFile(s.repo, 'y.txt.dvc').outs[0].md5, h2);
    assert.equal(dvcFile(s.repo, 'y.txt.dvc').deps[0].etag, h2);
  });

  test('--version-aware is refused with one line; a missing key is one line', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const v = s.dvc(['import-url', '--version-aware', `s3://${bucket}/f/data.txt`], { env });
    assert.equal(v.code, 1);
    assert.ok(isOneLineError(v.stderr), v.stderr);
    assert.match(v.stderr, /--version-aware is not supported/);
    const m = s.dvc(['import-url', `s3://${bucket}/nothing/here`, '--fs-config', endpoint()], { env });
    assert.equal(m.code, 1);
    assert.ok(isOneLineError(m.stderr), m.stderr);
    assert.match(m.stderr, /does not exist/);
    assert.ok(!existsSync(join(s.repo, 'here.dvc')));
  });
});

const nginx = nginxEnv();
describe('import-url from HTTP (nginx)', { skip: nginx.skip, timeout: 120_000 }, () => {
  const head = (url: string) =>
    new Promise<http.IncomingHttpHeaders>((ok, fail) => {
      const req = http.request(url, { method: 'HEAD' }, (res) => {
        res.resume();
        ok(res.headers);
      });
      req.on('error', fail);
      req.end();
    });

  test('checksum is the ETag header as sent; update after the file changes', async () => {
    const env = nginx.env!;
    const dir = uniqueName('iu');
    mkdirSync(join(env.httpRoot, dir), { recursive: true });
    writeFileSync(join(env.httpRoot, dir, 'page.txt'), 'over http\n');
    const url = `${env.http}/${dir}/page.txt`;
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const a = s.dvc(['import-url', url]);
    assert.equal(a.code, 0, a.stderr);
    const etag = (await head(url)).etag!;
    assert.match(etag, /^"/);
    assert.deepEqual(dvcFile(s.repo, 'page.txt.dvc').deps, [{ checksum: etag, size: 10, hash: 'md5', path: url }]);
    assert.equal(readFileSync(join(s.repo, 'page.txt'), 'utf8'), 'over http\n');
    assert.equal(s.dvc(['update', 'page.txt.dvc']).stdout, "'page.txt.dvc' didn't change, skipping\n");

    writeFileSync(join(env.httpRoot, dir, 'page.txt'), 'over http, changed\n');
    const u = s.dvc(['update', 'page.txt.dvc']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(readFileSync(join(s.repo, 'page.txt'), 'utf8'), 'over http, changed\n');
    assert.equal(dvcFile(s.repo, 'page.txt.dvc').deps[0].checksum, (await head(url)).etag);
  });
});

describe('import-url from WebDAV (nginx)', { skip: nginx.skip, timeout: 60_000 }, () => {
  test('a server that keeps no ETag (nginx dav-ext) is one line, nothing written', () => {
    const env = nginx.env!;
    const dir = uniqueName('iu');
    mkdirSync(join(env.davRoot, dir), { recursive: true });
    writeFileSync(join(env.davRoot, dir, 'f.txt'), 'dav\n');
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const url = `${env.webdav.replace(/^http/, 'webdav')}/${dir}/f.txt`;
    const r = s.dvc(['import-url', url, '--fs-config', `user=${env.user}`, `password=${env.password}`]);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /has no ETag to record/);
    assert.ok(!existsSync(join(s.repo, 'f.txt.dvc')) && !existsSync(join(s.repo, 'f.txt')));
  });
});

const sshd = testServer('sshd');
describe('import-url from SSH (OpenSSH)', { skip: sshd.skip, timeout: 120_000 }, () => {
  test('md5 of the bytes recorded, for a file and a folder', async () => {
    const info = sshd.info!;
    const env = { COPPER_SSH_KNOWN_HOSTS: sshKnownHosts(info), COPPER_SSH_STRICT_HOST_KEY_CHECKING: 'yes' };
    const base = `ssh://${info.user}@${info.host}:${info.port}${info.root}/${uniqueName('iu')}`;
    const fs = new SshFileSystem(base, { keyfile: info.keyfile! });
    try {
      for (const [k, v] of [['f.txt', 'over ssh\n'], ['d/a', 'a'], ['d/s/b', 'bb']]) await fs.write(k!, Readable.from([Buffer.from(v!)]), v!.length);
    } finally {
      await fs.close();
    }
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const a = s.dvc(['import-url', `${base}/f.txt`, '--fs-config', `keyfile=${info.keyfile}`], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(dvcFile(s.repo, 'f.txt.dvc').deps, [{ md5: md5('over ssh\n'), size: 9, hash: 'md5', path: `${base}/f.txt`, fs_config: { keyfile: info.keyfile } }]);
    const d = s.dvc(['import-url', `${base}/d`, 'dd', '--fs-config', `keyfile=${info.keyfile}`], { env });
    assert.equal(d.code, 0, d.stderr);
    const oid = manifestOid('md5', [['a', md5('a')], ['s/b', md5('bb')]]);
    assert.equal(dvcFile(s.repo, 'dd.dvc').deps[0].md5, oid);
    assert.equal(dvcFile(s.repo, 'dd.dvc').outs[0].md5, oid);
    assert.deepEqual(readdirSync(join(s.repo, 'dd')).sort(), ['a', 's']);
    assert.equal(s.dvc(['update', 'dd.dvc'], { env }).stdout, "'dd.dvc' didn't change, skipping\n");
  });
});

const azurite = testServer('azurite');
describe('import-url from Azure (Azurite)', { skip: azurite.skip, timeout: 120_000 }, () => {
  test('etag recorded quoted, as the service sends it; update after a change', async () => {
    const info = azurite.info!;
    const container = uniqueName('iu').toLowerCase();
    const { AzureFileSystem } = await import('../../src/fs/azure.js');
    const raw = new AzureFileSystem(`azure://${container}`, { connection_string: info.connection_string! });
    // Emulators drop idle keep-alive sockets: the test's own requests are retried as the CLI's are.
    const fs = retrying(raw);
    const put = (k: string, v: string) => fs.write(k, Readable.from([Buffer.from(v)]), v.length);
    try {
      await raw.createContainer();
      await put('a/f.txt', 'azure data\n');
      const s = sandbox();
      assert.equal(s.dvc(['init', '-q']).code, 0);
      assert.equal(s.dvc(['remote', 'add', 'az', `azure://${container}`]).code, 0);
      assert.equal(s.dvc(['remote', 'modify', '--local', 'az', 'connection_string', info.connection_string!]).code, 0);
      const a = s.dvc(['import-url', 'remote://az/a/f.txt']);
      assert.equal(a.code, 0, a.stderr);
      const etag = (await fs.info!('a/f.txt'))!.etag!;
      assert.match(etag, /^".+"$/);
      assert.deepEqual(dvcFile(s.repo, 'f.txt.dvc').deps, [{ etag, size: 11, hash: 'md5', path: 'remote://az/a/f.txt' }]);
      assert.equal(readFileSync(join(s.repo, 'f.txt'), 'utf8'), 'azure data\n');
      await put('a/f.txt', 'azure data v2\n');
      const u = s.dvc(['update', 'f.txt.dvc']);
      assert.equal(u.code, 0, u.stderr);
      assert.equal(readFileSync(join(s.repo, 'f.txt'), 'utf8'), 'azure data v2\n');
      assert.equal(dvcFile(s.repo, 'f.txt.dvc').deps[0].etag, (await fs.info!('a/f.txt'))!.etag);
    } finally {
      await fs.close();
    }
  });
});

const gcs = testServer('gcs');
describe('import-url from GCS (emulator)', { skip: gcs.skip, timeout: 120_000 }, () => {
  test('etag recorded as hex of its base64, with the generation as version_id', async () => {
    const info = gcs.info!;
    const bucket = uniqueName('iu').toLowerCase();
    const opts = { endpointurl: info.endpoint!, projectname: info.project! };
    const { GsFileSystem } = await import('../../src/fs/gs.js');
    const raw = new GsFileSystem(`gs://${bucket}`, opts);
    const fs = retrying(raw);
    try {
      await raw.createBucket();
      await fs.write('g/f.txt', Readable.from([Buffer.from('gcs data\n')]), 9);
      const s = sandbox();
      assert.equal(s.dvc(['init', '-q']).code, 0);
      assert.equal(s.dvc(['remote', 'add', 'g', `gs://${bucket}`]).code, 0);
      for (const [k, v] of Object.entries(opts)) assert.equal(s.dvc(['remote', 'modify', 'g', k, v]).code, 0);
      const a = s.dvc(['import-url', 'remote://g/g/f.txt']);
      assert.equal(a.code, 0, a.stderr);
      const st = (await fs.info!('g/f.txt'))!;
      const dep = dvcFile(s.repo, 'f.txt.dvc').deps[0];
      assert.equal(dep.etag, Buffer.from(st.etag!, 'base64').toString('hex'));
      assert.equal(dep.size, 9);
      assert.equal(String(dep.version_id), st.versionId);
      assert.equal(readFileSync(join(s.repo, 'f.txt'), 'utf8'), 'gcs data\n');
    } finally {
      await fs.close();
    }
  });
});
