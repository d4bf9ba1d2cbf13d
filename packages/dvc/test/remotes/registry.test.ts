// registry.ts: URL schemes to backends, retry wrapping, clear errors, and SDKs loaded only when used.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { openRemoteFs, schemeOf } from '../../src/fs/registry.js';
import { RemoteError } from '../../src/errors.js';
import { FlakyS3 } from './flaky-server.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { testServer } from './servers.js';

describe('openRemoteFs', () => {
  const server = new FlakyS3();
  let endpoint = '';
  const dir = mkdtempSync(join(tmpdir(), 'copper-registry-'));
  before(async () => {
    endpoint = await server.start();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('schemes', () => {
    assert.equal(schemeOf('s3://b/p'), 's3');
    assert.equal(schemeOf('AZURE://c'), 'azure');
    assert.equal(schemeOf('/abs/path'), 'local');
    assert.equal(schemeOf('relative/path'), 'local');
    assert.equal(schemeOf('C://data'), 'local');
    assert.equal(schemeOf('webhdfs://h:1/p'), 'webhdfs');
  });

  test('each kind opens its backend', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['s3://bucket/prefix', { endpointurl: endpoint }, 's3'],
      ['azure://container/p', { connection_string: 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a;' }, 'azure'],
      ['gs://bucket/p', { endpointurl: 'http://127.0.0.1:1' }, 'gs'],
      ['ssh://user@127.0.0.1:1/tmp/x', { password: 'x' }, 'ssh'],
      ['http://127.0.0.1:1/x', {}, 'http'],
      ['webdav://127.0.0.1:1/x', {}, 'webdav'],
      ['webhdfs://127.0.0.1:1/x', {}, 'webhdfs'],
      [dir, {}, 'local'],
      [`file://${dir}`, {}, 'local'],
    ];
    for (const [url, opts, protocol] of cases) {
      const fs = await openRemoteFs(url, opts);
      assert.equal(fs.protocol, protocol, url);
      await fs.close();
    }
  });

  test('a local remote works through the registry', async () => {
    const fs = await openRemoteFs(join(dir, 'remote'), {});
    await fs.write('files/md5/ab/cd', Readable.from([Buffer.from('local')]), 5);
    assert.equal(readFileSync(join(dir, 'remote/files/md5/ab/cd'), 'utf8'), 'local');
    await fs.close();
  });

  test('an unknown scheme is a one-line RemoteError', async () => {
    await assert.rejects(openRemoteFs('foo://x/y'), (e: unknown) => e instanceof RemoteError && /unsupported remote URL scheme 'foo:\/\/'/.test(e.message));
  });

  test('remote backends come wrapped in retry (a 503 is retried), with an optional concurrency limit', async () => {
    server.objects.set('b/p/k', Buffer.from('v'));
    server.failNext(1, { kind: 'status', status: 503, code: 'ServiceUnavailable' });
    server.seen.length = 0;
    const fs = await openRemoteFs('s3://b/p', { endpointurl: endpoint, access_key_id: 'a', secret_access_key: 'b' }, { jobs: 2, retry: { baseDelayMs: 5 } });
    assert.equal(await fs.size('k'), 1);
    assert.equal(server.seen.length, 2);
    await fs.close();
  });
});

describe('cloud SDKs load only when a remote of their kind is used', () => {
  const ceph = testServer('ceph');
  const cli = fileURLToPath(new URL('../../bin/dvc.js', import.meta.url));
  const hook = fileURLToPath(new URL('./fixtures/register-trace.mjs', import.meta.url));

  test('dvc status loads no SDK; dvc push to s3 loads only the AWS SDK', { skip: ceph.skip || (!existsSync(cli) && 'dvc is not built') }, () => {
    const repo = makeRepo();
    try {
      writeFiles(repo.dir, { 'd/a.txt': 'a\n' });
      assert.equal(repo.dvc('add', 'd').code, 0);
      const info = ceph.info!;
      assert.equal(repo.dvc('remote', 'add', '-d', 's', 's3://copper-lazy-test/x').code, 0);
      for (const [k, v] of Object.entries({ endpointurl: info.endpoint!, access_key_id: info.access_key_id!, secret_access_key: info.secret_access_key! })) {
        assert.equal(repo.dvc('remote', 'modify', '--local', 's', k, v).code, 0);
      }
      const trace = (args: string[]) => {
        const file = join(repo.dir, '..', `trace-${args[0]}.txt`);
        writeFileSync(file, '');
        const r = spawnSync(process.execPath, ['--import', hook, cli, ...args], {
          cwd: repo.dir,
          // Empty, not "true": the AWS SDK would print its multi-line NodeVersionSupportWarning on Node 20.
          env: { ...process.env, COPPER_TRACE_FILE: file, HOME: join(repo.dir, '..'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' },
          encoding: 'utf8',
        });
        return { r, loaded: readFileSync(file, 'utf8') };
      };
      const st = trace(['status']);
      assert.equal(st.r.status, 0, st.r.stderr);
      assert.ok(st.loaded.includes('/dist/bundle/'), 'the trace hook saw nothing: the test would prove nothing');
      for (const sdk of ['@aws-sdk', '@azure', '@google-cloud', 'ssh2']) assert.ok(!st.loaded.includes(`node_modules/${sdk}`), `dvc status loaded ${sdk}`);
      const push = trace(['push']);
      // The bucket does not exist: push fails cleanly, but only after loading the S3 SDK.
      assert.match(push.r.stderr, /^ERROR: /);
      // One line: no dependency's warning reaches the terminal.
      assert.equal(push.r.stderr.trim().split('\n').length, 1, push.r.stderr);
      assert.ok(push.loaded.includes('node_modules/@aws-sdk/client-s3'), 'push to s3 did not load the AWS SDK');
      for (const sdk of ['@azure', '@google-cloud', 'ssh2']) assert.ok(!push.loaded.includes(`node_modules/${sdk}`), `push to s3 loaded ${sdk}`);
    } finally {
      repo.cleanup();
    }
  });
});
