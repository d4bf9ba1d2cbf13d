// The S3 fast path (src/fs/s3-direct.ts: GET, HEAD and PUT signed here, no SDK middleware)
// against the real Ceph RGW test server, mostly through the fault proxy, which records every
// request: what goes on the wire, that answers and errors read as the SDK path's, and that it
// steps aside for the SDK (COPPER_S3_DIRECT=0, redirects).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Client, HeadObjectCommand } from '@aws-sdk/client-s3';
import { SigV4, keyPath, parseListing, saxListing, scanListing } from '../../src/fs/s3-direct.js';
import { S3FileSystem, customEndpointTarget } from '../../src/fs/s3.js';
import { openRemoteFs, type RemoteOptions } from '../../src/fs/registry.js';
import type { FileSystem } from '../../src/fs/types.js';
import { RemoteError } from '../../src/errors.js';
import { readAll } from './contract.js';
import { httpFaultProxy, type HttpFaultProxy } from './fault-proxy.js';
import { TEST_RETRY } from './fault-contract.js';
import { testServer, uniqueName, withEnv } from './servers.js';

describe('SigV4 signer', () => {
  // The examples of AWS's "Signature Calculations for the Authorization Header" (S3 API reference).
  const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  const may24 = Date.UTC(2013, 4, 24);

  test("GET Object: AWS's published signature", () => {
    const h: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' };
    new SigV4('us-east-1').sign('GET', '/test.txt', h, creds, may24);
    assert.equal(h['x-amz-date'], '20130524T000000Z');
    assert.equal(
      h.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  test("PUT Object (a key that needs encoding): AWS's published signature, twice with the cached key", () => {
    const signer = new SigV4('us-east-1');
    for (let i = 0; i < 2; i++) {
      const h: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com', date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' };
      signer.sign('PUT', `/${keyPath('test$file.text')}`, h, creds, may24, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
      assert.match(h.authorization!, /SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd$/);
    }
  });

  test('keys: hex object paths as they are, other characters percent-encoded per segment', () => {
    assert.equal(keyPath('files/md5/ab/cdef0123'), 'files/md5/ab/cdef0123');
    assert.equal(keyPath("a b/c+d=e/ü/(x)!*'"), 'a%20b/c%2Bd%3De/%C3%BC/%28x%29%21%2A%27');
  });
});

describe('listing pages', () => {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
  const contents = (key: string) =>
    `<Contents><Key>${key}</Key><LastModified>2026-12-04T19:25:47.390Z</LastModified><ETag>&quot;0047f3165a0304c2ead63673220298&quot;</ETag><Size>110</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  /** parseListing's answer, after checking that the quick scan (where it answers) reads as sax does. */
  const parsed = (xml: string, v1 = false) => {
    const scanned = scanListing(xml);
    if (scanned) assert.deepEqual(scanned, saxListing(xml));
    return parseListing(xml, v1);
  };

  test("Ceph's and AWS's shapes: URL-encoded keys ('/' as %2F, space as '+'), entities, whitespace, other elements", () => {
    const ceph = `${head}<EncodingType>url</EncodingType><Name>b</Name><Prefix>r%2F</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${contents('r%2Ffiles%2Fmd5%2F00%2Fab')}${contents('r%2Fa+b%2B%25%C3%BC')}<NextContinuationToken>r/files/md5/00/ab</NextContinuationToken><KeyCount>2</KeyCount></ListBucketResult>`;
    assert.ok(scanListing(ceph));
    assert.deepEqual(parsed(ceph), { keys: ['r/files/md5/00/ab', 'r/a b+%ü'], next: 'r/files/md5/00/ab' });
    const aws = `${head}\n  <Name>b</Name>\n  <Prefix></Prefix>\n  <KeyCount>3</KeyCount>\n  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>false</IsTruncated>\n  <Contents>\n    <Key> a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; </Key>\n    <Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>\n    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>\n  </Contents>\n  <Contents><Key>&#252;&#x65E5;&#x1F600;</Key></Contents>\n  <Contents><Key>0123</Key></Contents>\n  <CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\n</ListBucketResult>\n`;
    assert.ok(scanListing(aws));
    assert.deepEqual(parsed(aws), { keys: [` a & b <c> "d" 'e' `, 'üç', '0123'].map((k, i) => (i === 1 ? '\u00fc\u65e5\u{1f600}' : k)), next: undefined });
    const empty = `${head}<Name>b</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`;
    assert.deepEqual(parsed(empty), { keys: [], next: undefined });
  });

  test('v1: the next marker is NextMarker (decoded), else the last key', () => {
    const withMarker = `${head}<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextMarker>a%20z</NextMarker>${contents('a+y')}</ListBucketResult>`;
    assert.deepEqual(parsed(withMarker, true), { keys: ['a y'], next: 'a z' });
    const without = `${head}<IsTruncated>true</IsTruncated>${contents('k1')}${contents('k &amp; 2')}</ListBucketResult>`;
    assert.deepEqual(parsed(without, true), { keys: ['k1', 'k & 2'], next: 'k & 2' });
  });

  test('shapes the quick scan leaves to sax (CDATA, comments, attributes, unknown entities) read the same; broken answers fail', () => {
    const cdata = `${head}<IsTruncated>false</IsTruncated><Contents><Key><![CDATA[a<b>&c]]></Key></Contents></ListBucketResult>`;
    const comment = `${head}<!-- x --><IsTruncated>false</IsTruncated>${contents('k')}</ListBucketResult>`;
    const attr = `${head}<IsTruncated>false</IsTruncated><Contents><Key kind="x">k2</Key></Contents></ListBucketResult>`;
    for (const [xml, keys] of [[cdata, ['a<b>&c']], [comment, ['k']], [attr, ['k2']]] as const) {
      assert.equal(scanListing(xml), undefined);
      assert.deepEqual(parseListing(xml), { keys, next: undefined });
    }
    const broken = [
      `${head}<IsTruncated>false</IsTruncated>${contents('k')}`,
      `${head}<IsTruncated>false</IsTruncated>${contents('k &nbsp;')}</ListBucketResult>`,
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code></Error>',
      'not xml at all',
    ];
    for (const xml of broken) {
      assert.equal(scanListing(xml), undefined, xml);
      assert.throws(() => parseListing(xml), /no S3 listing/, xml);
    }
  });

  test('random keys, URL-encoded or XML-escaped, come back as they were', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = [...'ab/ +%&<>"\'=?#;~!*()0', 'ü', '日', '\u{1F600}', '\t'];
    const keys = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    const escape = (k: string) => k.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    const plus = (k: string) => encodeURIComponent(k).replace(/%20/g, '+');
    const docs = [
      `${head}<IsTruncated>false</IsTruncated>${keys.map((k) => contents(escape(k))).join('')}</ListBucketResult>`,
      `${head}<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${keys.map((k) => contents(plus(k))).join('')}</ListBucketResult>`,
      `${head}<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${keys.map((k) => contents(encodeURIComponent(k))).join('')}</ListBucketResult>`,
    ];
    for (const xml of docs) {
      assert.ok(scanListing(xml));
      assert.deepEqual(parsed(xml).keys, keys);
    }
  });
});

describe('a custom endpoint addressed without the SDK', () => {
  test("customEndpointTarget gives the SDK's own endpoint rules' address and signing region (path style)", async () => {
    const { getEndpointFromInstructions } = await import('@smithy/core/endpoints');
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const endpoints = [
      'http://127.0.0.1:7480',
      'http://127.0.0.1:7480/',
      'https://minio.example.com',
      'https://minio.example.com:443/',
      'http://minio.example.com:80',
      'https://minio.example.com:9443',
      'http://[::1]:9000',
      'https://s3.example.com/tenant',
      'https://s3.example.com/tenant/',
    ];
    let n = 0;
    for (const endpoint of endpoints) {
      for (const bucket of ['bucket', 'my.bucket-1', 'b12']) {
        for (const region of ['us-east-1', 'eu-west-3']) {
          const client = new S3Client({ endpoint, forcePathStyle: true, region, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
          try {
            const ep = await getEndpointFromInstructions({ Bucket: bucket, Key: 'files/md5/ab/cd' }, GetObjectCommand, client.config as never);
            const scheme = (ep.properties?.authSchemes as { name: string; signingName: string; signingRegion: string }[])[0]!;
            assert.equal(`${scheme.name}/${scheme.signingName}`, 'sigv4/s3');
            const t = customEndpointTarget(endpoint, bucket, region);
            assert.deepEqual(
              t,
              {
                protocol: ep.url.protocol,
                hostname: ep.url.hostname.replace(/^\[|\]$/g, ''),
                port: ep.url.port ? Number(ep.url.port) : undefined,
                host: ep.url.host,
                basePath: ep.url.pathname.replace(/\/+$/, ''),
                signingRegion: scheme.signingRegion,
              },
              `${endpoint} ${bucket} ${region}`,
            );
            n++;
          } finally {
            client.destroy();
          }
        }
      }
    }
    assert.equal(n, endpoints.length * 6);
    // Names the SDK's rules treat otherwise are left to them.
    assert.equal(customEndpointTarget('http://127.0.0.1:7480', 'Upper_Case', 'us-east-1'), undefined);
    assert.equal(customEndpointTarget('http://127.0.0.1:7480', 'bucket', 'not a region'), undefined);
    assert.equal(customEndpointTarget('http://127.0.0.1:7480/?x=1', 'bucket', 'us-east-1'), undefined);
  });
});

const server = testServer('ceph');
const info = server.info;

describe('s3 fast path on Ceph RGW', { skip: server.skip, timeout: 120_000 }, () => {
  const bucket = uniqueName('s3d').toLowerCase();
  let proxy: HttpFaultProxy;
  let scratch: string;
  const opened: FileSystem[] = [];
  const keys = () => ({ access_key_id: info!.access_key_id!, secret_access_key: info!.secret_access_key! });
  /** A remote root through the proxy, opened as the CLI opens it (retry wrapper, timeouts). */
  const open = async (name: string, extra: RemoteOptions = {}, env: Record<string, string | undefined> = {}): Promise<FileSystem> => {
    const fs = await withEnv({ COPPER_S3_DIRECT: undefined, ...env }, () =>
      openRemoteFs(`s3://${bucket}/${name}`, { endpointurl: `http://${proxy.address}`, ...keys(), connect_timeout: 2, read_timeout: 2, ...extra }, { retry: TEST_RETRY }),
    );
    opened.push(fs);
    return fs;
  };
  /** Every path `fs.list` gives, in its order. */
  const listAll = async (fs: FileSystem, prefix: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const p of fs.list(prefix)) out.push(p);
    return out;
  };
  /** The environment that puts every request on the SDK. */
  const SDK = { COPPER_S3_DIRECT: '0' };
  const fresh = () => `d-${randomBytes(4).toString('hex')}`;
  /**
   * More than a listing page of keys (1010 empty objects below files/md5/bb of `paged.name`),
   * written once (16 at a time) for the listing tests, and removed after them with the test's
   * other keys there (`paged.extra`): the test server keeps its objects in memory.
   */
  const paged = { name: fresh(), extra: [] as string[], written: undefined as Promise<string[]> | undefined };
  const pagedKeys = (): Promise<string[]> =>
    (paged.written ??= (async () => {
      const fs = await open(paged.name);
      proxy.setPlan({});
      const many = Array.from({ length: 1010 }, (_, i) => `files/md5/bb/${i.toString(16).padStart(4, '0')}`);
      for (let i = 0; i < many.length; i += 16) await Promise.all(many.slice(i, i + 16).map((k) => fs.write(k, file(Buffer.alloc(0)), 0)));
      return many;
    })());
  const isSdkRequest = (r: { headers: Record<string, unknown> }) => 'amz-sdk-invocation-id' in r.headers;
  const file = (data: Buffer) => {
    const f = join(scratch, randomBytes(6).toString('hex'));
    writeFileSync(f, data);
    return createReadStream(f);
  };
  /** The error message a call rejects with ('' when it does not reject). */
  const message = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return '';
    } catch (e) {
      assert.ok(e instanceof Error && !e.message.includes('\n'), `not one line: ${String(e)}`);
      return `${e instanceof RemoteError ? 'RemoteError' : (e as NodeJS.ErrnoException).code ?? 'Error'}: ${e.message}`;
    }
  };

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'copper-s3d-'));
    const fs = new S3FileSystem(`s3://${bucket}`, { endpointurl: info!.endpoint!, ...keys() });
    await fs.createBucket();
    await fs.close();
    proxy = await httpFaultProxy(info!.endpoint!);
  });
  after(async () => {
    if (paged.written) {
      const keys = [...(await paged.written.catch(() => [])), ...paged.extra];
      const fs = await open(paged.name);
      proxy.setPlan({});
      for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((k) => fs.delete(k)));
    }
    for (const fs of opened) await fs.close().catch(() => undefined);
    await proxy?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('objects go up and come down as one plain signed request each (no SDK request), and read the same through the SDK', async () => {
    const name = fresh();
    const fs = await open(name);
    const objects = new Map<string, Buffer>();
    for (let i = 0; i < 20; i++) objects.set(`files/md5/${(i % 5).toString(16).padStart(2, '0')}/o${i}`, randomBytes(i === 0 ? 0 : 1000 * i));
    proxy.setPlan({});
    proxy.requests.length = 0;
    await Promise.all([...objects].map(([p, data]) => fs.write(p, file(data), data.length)));
    for (const [p, data] of objects) {
      assert.equal(await fs.size(p), data.length);
      assert.ok((await readAll(await fs.read(p))).equals(data), p);
    }
    assert.equal(await fs.size('files/md5/00/missing'), undefined);
    const mine = proxy.requests.filter((r) => r.url.startsWith(`/${bucket}/${name}/`));
    assert.equal(mine.filter((r) => r.method === 'PUT').length, objects.size);
    assert.equal(mine.filter((r) => r.method === 'GET').length, objects.size);
    assert.equal(mine.filter((r) => r.method === 'HEAD').length, objects.size + 1);
    assert.deepEqual(mine.filter(isSdkRequest), [], 'the SDK sent some of the requests');
    for (const r of mine) assert.match(String(r.headers.authorization), /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);

    // The same objects through the SDK path: same bytes, sizes, and the object's metadata as the SDK writes it.
    const viaSdk = await open(name, {}, SDK);
    proxy.requests.length = 0;
    for (const [p, data] of objects) assert.ok((await readAll(await viaSdk.read(p))).equals(data), p);
    assert.ok(proxy.requests.length >= objects.size && proxy.requests.every(isSdkRequest), 'COPPER_S3_DIRECT=0 did not put every request on the SDK');
    await viaSdk.write('files/md5/ff/sdk', file(Buffer.from('by the sdk')), 10);
    assert.equal((await readAll(await fs.read('files/md5/ff/sdk'))).toString(), 'by the sdk');
    const client = new S3Client({
      endpoint: info!.endpoint!,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: info!.access_key_id!, secretAccessKey: info!.secret_access_key! },
    });
    try {
      const a = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${name}/files/md5/01/o1` }));
      const b = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${name}/files/md5/ff/sdk` }));
      assert.equal(a.ContentType, b.ContentType);
      assert.equal(a.ContentLength, 1000);
    } finally {
      client.destroy();
    }
  });

  test('a remote prefix with spaces, plus, unicode and percent signs: written on one path, read on the other', async () => {
    const name = `odd ${fresh()}/a+b=c/ünï (1)%41`;
    const fast = await open(name);
    const viaSdk = await open(name, {}, SDK);
    proxy.setPlan({});
    await fast.write('files/md5/aa/x y', file(Buffer.from('fast')), 4);
    await viaSdk.write('files/md5/bb/z', file(Buffer.from('sdk')), 3);
    assert.equal((await readAll(await viaSdk.read('files/md5/aa/x y'))).toString(), 'fast');
    assert.equal((await readAll(await fast.read('files/md5/bb/z'))).toString(), 'sdk');
    assert.equal(await fast.size('files/md5/aa/x y'), 4);
    assert.deepEqual((await listAll(fast, 'files')).sort(), ['files/md5/aa/x y', 'files/md5/bb/z']);
    assert.deepEqual(await listAll(viaSdk, 'files'), await listAll(fast, 'files'));
  });

  test('listings: one plain signed GET per page, the same keys in the same order as through the SDK (v2 and v1): odd characters, the bucket root, more than a page', async () => {
    const name = paged.name;
    const fast = await open(name);
    const many = await pagedKeys();
    proxy.setPlan({});
    const odd = [
      'x y',
      'a+b',
      '100%',
      '%41%2B',
      'ünï çødé 日本',
      '&<>"\'',
      ' lead and trail ',
      'tab\there',
      '0123',
      'a=b;c,d?e#f',
      '~!*()',
    ].map((k) => `files/md5/aa/${k}`);
    await Promise.all(odd.map((k) => fast.write(k, file(Buffer.from(k)), Buffer.byteLength(k))));
    paged.extra.push(...odd);
    const all = [...odd, ...many].sort();

    for (const v1 of [false, true]) {
      const opts: RemoteOptions = v1 ? { listobjects: 'true' } : {};
      const direct = await open(name, opts);
      const viaSdk = await open(name, opts, SDK);
      proxy.requests.length = 0;
      const got = await listAll(direct, 'files');
      const lists = proxy.requests.filter((r) => r.method === 'GET');
      assert.deepEqual([...got].sort(), all, `v1=${v1}`);
      assert.equal(lists.length, 2, `v1=${v1}: ${lists.length} pages for 1021 keys`);
      assert.ok(!lists.some(isSdkRequest), `v1=${v1}: the SDK listed`);
      assert.ok(lists.every((r) => r.url.includes('encoding-type=url') && (v1 ? !r.url.includes('list-type') : r.url.includes('list-type=2'))), `v1=${v1}`);
      assert.match(String(lists[0]!.headers.authorization), /^AWS4-HMAC-SHA256 Credential=/);
      proxy.requests.length = 0;
      assert.deepEqual(await listAll(viaSdk, 'files'), got, `v1=${v1}: the SDK listed otherwise`);
      assert.ok(proxy.requests.length >= 2 && proxy.requests.every(isSdkRequest), `v1=${v1}`);
      // One prefix folder, a missing one, and a prefix given without its slash.
      for (const prefix of ['files/md5/aa', 'files/md5/aa/', 'files/md5/cc', 'files/md5/b']) {
        assert.deepEqual(await listAll(direct, prefix), await listAll(viaSdk, prefix), `v1=${v1} ${prefix}`);
      }
      assert.deepEqual((await listAll(direct, 'files/md5/aa')).sort(), [...odd].sort(), `v1=${v1}`);
    }

    // The bucket's root (empty prefix): the whole bucket, every other test's keys with ours.
    const rootDirect = await withEnv({ COPPER_S3_DIRECT: undefined }, () =>
      openRemoteFs(`s3://${bucket}`, { endpointurl: `http://${proxy.address}`, ...keys() }, { retry: TEST_RETRY }),
    );
    const rootSdk = await withEnv(SDK, () => openRemoteFs(`s3://${bucket}`, { endpointurl: `http://${proxy.address}`, ...keys() }, { retry: TEST_RETRY }));
    opened.push(rootDirect, rootSdk);
    const whole = await listAll(rootDirect, '');
    assert.ok(all.every((k) => whole.includes(`${name}/${k}`)));
    assert.deepEqual(await listAll(rootSdk, ''), whole);
  });

  test('a listing page that fails (500, a reset, a body cut half-way, no answer) is asked again on the fast path: every key once', async () => {
    const fs = await open(paged.name);
    const many = await pagedKeys();
    proxy.setPlan({});
    const isList = (m: string, url: string) => m === 'GET' && url.includes('list-type=2');
    for (const fault of ['status500', 'reset', 'cut', 'stall'] as const) {
      // The first page, then the second (a continuation token).
      for (const page of [(m: string, url: string) => isList(m, url) && !url.includes('continuation-token'), (m: string, url: string) => isList(m, url) && url.includes('continuation-token')]) {
        proxy.requests.length = 0;
        proxy.setPlan({ rate: 1, faults: [fault], maxFaults: 1, only: page, stallMs: 10_000 });
        const got = await listAll(fs, 'files/md5/bb');
        assert.deepEqual(got.sort(), many, fault);
        assert.equal(proxy.log.length, 1, fault);
        assert.equal(proxy.requests.length, 3, `${fault}: not two pages and one more`);
        assert.ok(!proxy.requests.some(isSdkRequest), fault);
      }
    }
    // A redirect hands the listing to the SDK, which goes on from the same page.
    proxy.requests.length = 0;
    proxy.setPlan({ rate: 1, faults: ['status301'], maxFaults: 1, only: (m, url) => isList(m, url) && url.includes('continuation-token') });
    assert.deepEqual((await listAll(fs, 'files/md5/bb')).sort(), many);
    assert.equal(proxy.log.length, 1);
    assert.ok(!isSdkRequest(proxy.requests[0]!) && proxy.requests.slice(2).every(isSdkRequest));
  });

  test('listing errors read the same as through the SDK: wrong secret, missing bucket', async () => {
    proxy.setPlan({});
    const cases: [string, string, RemoteOptions][] = [
      ['wrong secret', `s3://${bucket}/x`, { secret_access_key: 'not-the-secret' }],
      ['missing bucket', `s3://${bucket}-gone/x`, {}],
    ];
    for (const [what, url, extra] of cases) {
      const lines: string[] = [];
      for (const env of [{ COPPER_S3_DIRECT: undefined }, SDK]) {
        const fs = await withEnv(env, () => openRemoteFs(url, { endpointurl: `http://${proxy.address}`, ...keys(), ...extra }, { retry: TEST_RETRY }));
        opened.push(fs);
        lines.push(await message(listAll(fs, 'files')));
      }
      assert.equal(lines[0], lines[1], what);
      assert.match(lines[0]!, what === 'wrong secret' ? /^RemoteError: .*access denied/ : /bucket '.*-gone' does not exist/, what);
    }
  });

  test('errors read the same as through the SDK: wrong secret, missing object, missing bucket', async () => {
    const name = fresh();
    const good = await open(name);
    proxy.setPlan({});
    await good.write('files/md5/aa/here', file(Buffer.from('here')), 4);
    const cases: [string, RemoteOptions, (fs: FileSystem) => Promise<unknown>][] = [
      ['read, wrong secret', { secret_access_key: 'not-the-secret' }, (fs) => fs.read('files/md5/aa/here')],
      ['size, wrong secret', { secret_access_key: 'not-the-secret' }, (fs) => fs.size('files/md5/aa/here')],
      ['write, wrong secret', { secret_access_key: 'not-the-secret' }, (fs) => fs.write('files/md5/aa/new', file(Buffer.from('x')), 1)],
      ['read, unknown key id', { access_key_id: 'NOSUCHKEY' }, (fs) => fs.read('files/md5/aa/here')],
      ['read, missing object', {}, (fs) => fs.read('files/md5/aa/none')],
      ['size, missing object', {}, (fs) => fs.size('files/md5/aa/none')],
    ];
    for (const [what, extra, call] of cases) {
      const viaFast = await message(call(await open(name, extra)));
      const viaSdk = await message(call(await open(name, extra, SDK)));
      assert.equal(viaFast, viaSdk, what);
      if (what.includes('wrong') || what.includes('unknown')) assert.match(viaFast, /^RemoteError: .*access denied/, what);
    }
    assert.match(await message(good.read('files/md5/aa/none')), /^ENOENT: .*no such file/);
    // A missing bucket: a read says so; a HEAD answers a bare 404, and one HeadBucket tells.
    for (const call of [(fs: FileSystem) => fs.read('files/md5/aa/here'), (fs: FileSystem) => fs.size('files/md5/aa/here')]) {
      const open2 = async (env: Record<string, string | undefined>) => {
        const fs = await withEnv({ COPPER_S3_DIRECT: undefined, ...env }, () =>
          openRemoteFs(`s3://${bucket}-gone/x`, { endpointurl: `http://${proxy.address}`, ...keys() }, { retry: TEST_RETRY }),
        );
        opened.push(fs);
        return fs;
      };
      const viaFast = await message(call(await open2({})));
      assert.equal(viaFast, await message(call(await open2(SDK))));
      assert.match(viaFast, /bucket '.*-gone' does not exist/);
    }
  });

  test('the acl option goes with a fast PUT: a public-read object reads anonymously (unsigned), a private one is refused as on the SDK', async () => {
    const name = fresh();
    const pub = await open(name, { acl: 'public-read' });
    const priv = await open(name);
    proxy.setPlan({});
    await pub.write('files/md5/aa/public', file(Buffer.from('for all')), 7);
    await priv.write('files/md5/aa/private', file(Buffer.from('mine')), 4);
    const anon = { access_key_id: undefined, secret_access_key: undefined, allow_anonymous_login: 'true' };
    await withEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined }, async () => {
      const fs = await open(name, anon);
      proxy.requests.length = 0;
      assert.equal((await readAll(await fs.read('files/md5/aa/public'))).toString(), 'for all');
      assert.equal(proxy.requests.length, 1);
      assert.equal(proxy.requests[0]!.headers.authorization, undefined, 'an anonymous request was signed');
      const refused = await message(fs.read('files/md5/aa/private'));
      assert.match(refused, /access denied/);
      assert.equal(refused, await message((await open(name, anon, SDK)).read('files/md5/aa/private')));
    });
  });

  test('a redirect (a bucket of another region) hands the remote to the SDK, which follows it; reads and writes complete', async () => {
    const name = fresh();
    const fs = await open(name);
    proxy.setPlan({});
    await fs.write('files/md5/aa/one', file(Buffer.from('one')), 3);
    proxy.requests.length = 0;
    proxy.setPlan({ script: ['status301'], maxFaults: 1 });
    assert.equal((await readAll(await fs.read('files/md5/aa/one'))).toString(), 'one');
    assert.equal(proxy.log.length, 1);
    assert.equal(isSdkRequest(proxy.requests[0]!), false);
    assert.ok(proxy.requests.slice(1).every(isSdkRequest), 'after the redirect, requests still bypass the SDK');

    // A PUT that meets one: its bytes are spent, the retry sends them again through the SDK.
    const put = await open(fresh());
    proxy.requests.length = 0;
    proxy.setPlan({ script: ['status301'], maxFaults: 1 });
    await put.write('files/md5/bb/two', file(Buffer.from('two!')), 4);
    assert.equal(proxy.log.length, 1);
    assert.equal(isSdkRequest(proxy.requests[0]!), false);
    assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && isSdkRequest(r)).length, 1);
    assert.equal((await readAll(await put.read('files/md5/bb/two'))).toString(), 'two!');
  });

  test('a body cut half-way and a server that stops mid-body are resumed on the fast path: every byte once', async () => {
    const fs = await open(fresh());
    proxy.setPlan({});
    const data = randomBytes(400_000);
    await fs.write('files/md5/cc/big', file(data), data.length);
    for (const fault of ['cut', 'stallBody'] as const) {
      proxy.requests.length = 0;
      proxy.setPlan({ rate: 1, faults: [fault], maxFaults: 1, only: (m) => m === 'GET', stallMs: 10_000 });
      assert.ok((await readAll(await fs.read('files/md5/cc/big'))).equals(data), fault);
      assert.equal(proxy.log.length, 1, fault);
      assert.ok(proxy.requests.length >= 2 && !proxy.requests.some(isSdkRequest), fault);
    }
  });

  test('a download gets a small object whole from one plain GET (no stream), a large one as a stream; faults before the answer or mid-body are retried: every byte once', async () => {
    const fs = await open(fresh());
    proxy.setPlan({});
    const small = randomBytes(300_000);
    const large = randomBytes((1 << 20) + 1);
    await fs.write('files/md5/ab/small', file(small), small.length);
    await fs.write('files/md5/ab/large', file(large), large.length);
    assert.ok(fs.readSmall, 'the S3 remote has no readSmall');
    proxy.requests.length = 0;
    const whole = await fs.readSmall('files/md5/ab/small', 1 << 20);
    assert.ok(Array.isArray(whole) && Buffer.concat(whole).equals(small));
    const streamed = await fs.readSmall('files/md5/ab/large', 1 << 20);
    assert.ok(!Array.isArray(streamed) && (await readAll(streamed)).equals(large));
    assert.equal(proxy.requests.length, 2);
    assert.ok(!proxy.requests.some(isSdkRequest));
    // A 500, a reset, a body cut half-way, no answer at all, a body that stops after its first bytes.
    for (const fault of ['status500', 'reset', 'cut', 'stall', 'stallBody'] as const) {
      proxy.requests.length = 0;
      proxy.setPlan({ rate: 1, faults: [fault], maxFaults: 1, only: (m) => m === 'GET', stallMs: 10_000 });
      const got = await fs.readSmall('files/md5/ab/small', 1 << 20);
      assert.ok(Array.isArray(got) && Buffer.concat(got).equals(small), fault);
      assert.equal(proxy.log.length, 1, fault);
      assert.equal(proxy.requests.length, 2, `${fault}: not the failed request and one more`);
      assert.ok(!proxy.requests.some(isSdkRequest), fault);
    }
    // The large object's stream resumes where a stalled body stopped.
    proxy.setPlan({ rate: 1, faults: ['stallBody'], maxFaults: 1, only: (m) => m === 'GET', stallMs: 10_000 });
    const resumed = await fs.readSmall('files/md5/ab/large', 1 << 20);
    assert.ok(!Array.isArray(resumed) && (await readAll(resumed)).equals(large));
    assert.equal(proxy.log.length, 1);
  });

  test('a dead link fails a download with the same one line on both paths, after the first try and two more', async () => {
    const name = fresh();
    const quick = { connect_timeout: 1, read_timeout: 1 };
    proxy.setPlan({});
    await (await open(name)).write('files/md5/ac/x', file(Buffer.from('x')), 1);
    const lines: string[] = [];
    for (const env of [{}, SDK]) {
      const fs = await open(name, quick, env);
      proxy.setPlan({ rate: 1, faults: ['stall'], maxFaults: 1000, stallMs: 30_000 });
      const read = env === SDK ? fs.read('files/md5/ac/x') : fs.readSmall!('files/md5/ac/x', 1 << 20);
      const m = await message(read);
      assert.match(m, /^RemoteError: .*timed out/);
      assert.equal(proxy.seen, 3, `${proxy.seen} attempts`);
      lines.push(m.replace(/:\d+/g, ':PORT'));
    }
    assert.equal(lines[0], lines[1]);
  });

  test('a source that fails mid-upload fails the write with its own error, and nothing is stored', async () => {
    const fs = await open(fresh());
    proxy.setPlan({});
    const broken = new Readable({
      read() {
        this.push(randomBytes(10_000));
        this.destroy(new Error('disk went away'));
      },
    });
    await assert.rejects(fs.write('files/md5/dd/broken', broken, 50_000), /disk went away/);
    assert.equal(await fs.exists('files/md5/dd/broken'), false);
  });
});
