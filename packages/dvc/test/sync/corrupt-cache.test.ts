/**
 * A corrupt cache object (a flipped byte, a cut-short file) never spreads: checkout by copy
 * refuses to place it (and says how to recover), push refuses to upload it (local remote and S3
 * on Ceph RGW) while pushing the rest, and `dvc cache check` finds every bad object, moves it
 * aside, after which `dvc pull` restores it from the remote. All through the CLI, real files.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, writeFiles } from '../repo/helpers.js';
import { corrupt, dataset, objects } from './helpers.js';
import { testServer, uniqueName } from '../remotes/servers.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { collect, readAll } from '../remotes/contract.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

function cachePath(repo: string, oid: string): string {
  return join(repo, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
}

/** Flips one byte in the middle of a cache object (same size, different bytes). */
function flipByte(p: string): void {
  chmodSync(p, 0o644);
  const b = readFileSync(p);
  const i = b.length >> 1;
  b[i] = b[i]! ^ 0x20;
  writeFileSync(p, b);
}

/** Cuts a cache object short (half its size). */
function cutShort(p: string): void {
  chmodSync(p, 0o644);
  truncateSync(p, readFileSync(p).length >> 1);
}

function quarantined(repo: string): string[] {
  const q = join(repo, '.dvc', 'cache', 'quarantine');
  return existsSync(q) ? readdirSync(q).sort() : [];
}

describe('a corrupt cache object never spreads', { concurrency: 2 }, () => {
  test('checkout by copy: a flipped byte or a cut-short object is not placed; the message says how to recover; pull restores it', () => {
    const r = makeRepo();
    try {
      const big = randomBytes(9 * 1024 * 1024 + 3); // past the in-memory copy: the chunked path
      writeFiles(r.dir, {
        'data/a.txt': 'apple\n'.repeat(100),
        'data/b.txt': 'banana\n'.repeat(100),
        'data/dup/b.txt': 'banana\n'.repeat(100), // the same object twice
        'data/sub/c.txt': 'cherry\n'.repeat(100),
        'data/big.bin': big,
        'single.txt': 'single file output\n'.repeat(50),
      });
      assert.equal(r.dvc('config', 'cache.type', 'copy').code, 0);
      assert.equal(r.dvc('add', 'data', 'single.txt').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
      assert.equal(r.dvc('push').code, 0);
      const bOid = md5('banana\n'.repeat(100));
      const bigOid = md5(big);
      const singleOid = md5('single file output\n'.repeat(50));
      flipByte(cachePath(r.dir, bigOid));
      cutShort(cachePath(r.dir, bOid));
      cutShort(cachePath(r.dir, singleOid));
      rmSync(join(r.dir, 'data'), { recursive: true });
      rmSync(join(r.dir, 'single.txt'));

      let s = r.dvc('checkout');
      assert.notEqual(s.code, 0);
      assert.doesNotMatch(s.stderr, /\n\s+at /, 'no stack trace');
      assert.match(s.stderr, /^ERROR: Checkout failed: corrupted cache objects were not checked out/m);
      assert.match(s.stderr, new RegExp(`^data/b\\.txt \\(md5: ${bOid}, its content hashes to [0-9a-f]{32}\\)$`, 'm'));
      assert.match(s.stderr, new RegExp(`^data/dup/b\\.txt \\(md5: ${bOid}, `, 'm'));
      assert.match(s.stderr, new RegExp(`^data/big\\.bin \\(md5: ${bigOid}, `, 'm'));
      assert.match(s.stderr, new RegExp(`^single\\.txt \\(md5: ${singleOid}, `, 'm'));
      assert.match(s.stderr, /Run 'dvc pull' \(or 'dvc fetch' then 'dvc checkout'\) to restore them from the remote\./);
      // The bad ones are not placed; the good ones are.
      assert.equal(existsSync(join(r.dir, 'data', 'b.txt')), false);
      assert.equal(existsSync(join(r.dir, 'data', 'dup', 'b.txt')), false);
      assert.equal(existsSync(join(r.dir, 'data', 'big.bin')), false);
      assert.equal(existsSync(join(r.dir, 'single.txt')), false);
      assert.equal(readFileSync(join(r.dir, 'data', 'a.txt'), 'utf8'), 'apple\n'.repeat(100));
      assert.equal(readFileSync(join(r.dir, 'data', 'sub', 'c.txt'), 'utf8'), 'cherry\n'.repeat(100));
      // ... and moved out of the cache, which now only holds good objects.
      assert.deepEqual(quarantined(r.dir), [bOid, bigOid, singleOid].sort());
      assert.deepEqual(corrupt(join(r.dir, '.dvc', 'cache')), []);
      assert.notEqual(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');

      // The recovery the message names.
      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      // Counted file by file, as DVC 3.64 counts: the four files the checkout did not place are added.
      assert.match(s.stdout, /^3 files fetched and 4 files added$/m);
      assert.equal(readFileSync(join(r.dir, 'data', 'b.txt'), 'utf8'), 'banana\n'.repeat(100));
      assert.equal(readFileSync(join(r.dir, 'data', 'dup', 'b.txt'), 'utf8'), 'banana\n'.repeat(100));
      assert.ok(readFileSync(join(r.dir, 'data', 'big.bin')).equals(big));
      assert.equal(readFileSync(join(r.dir, 'single.txt'), 'utf8'), 'single file output\n'.repeat(50));
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      r.cleanup();
    }
  });

  for (const n of [6, 100]) {
    test(`push to a local remote (${n} objects): corrupt objects are refused and named, the rest is pushed, exit 1; status -c is not in sync`, () => {
      const r = makeRepo();
      try {
        const files = dataset(n - 1, 3000, `push${n}`);
        writeFiles(r.dir, files);
        assert.equal(r.dvc('add', 'data').code, 0);
        assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
        const remote = join(r.dir, '..', 'remote');
        const [flipName, cutName] = ['data/1/f1.bin', 'data/2/f2.bin'];
        const flipOid = md5(files[flipName]!);
        const cutOid = md5(files[cutName]!);
        flipByte(cachePath(r.dir, flipOid));
        cutShort(cachePath(r.dir, cutOid));

        const s = r.dvc('push');
        assert.equal(s.code, 1);
        assert.doesNotMatch(s.stderr, /\n\s+at /, 'no stack trace');
        for (const [name, oid] of [[flipName, flipOid], [cutName, cutOid]]) {
          const lines = s.stderr.split('\n').filter((l) => l.includes(oid!));
          assert.equal(lines.length, 1, `one line names ${name}:\n${s.stderr}`);
          assert.match(lines[0]!, new RegExp(`^ERROR: not pushed: cache object of '${name}' \\(md5: ${oid}\\) is corrupted \\(its content hashes to [0-9a-f]{32}\\)`));
        }
        assert.match(s.stderr, /^ERROR: failed to push data to the cloud - 3 files failed to upload \(2 corrupted cache objects\)$/m);
        const up = objects(remote);
        assert.equal(up.has(flipOid), false);
        assert.equal(up.has(cutOid), false);
        assert.equal(up.size, n - 3, 'every other file went up (the folder manifest waits for its files)');
        assert.deepEqual(corrupt(remote), []);
        assert.deepEqual(readdirSync(join(remote, 'files', 'md5')).flatMap((p) => readdirSync(join(remote, 'files', 'md5', p))).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');

        const st = r.dvc('status', '-c');
        assert.doesNotMatch(st.stdout, /in sync/);
        assert.match(st.stdout, new RegExp(`\\tnew: +${flipName}\\n`));
        assert.match(st.stdout, new RegExp(`\\tnew: +${cutName}\\n`));
      } finally {
        r.cleanup();
      }
    });
  }

  test('dvc cache check: finds a flipped and a cut-short object, a bad manifest and a bad DVC 2 object, moves them aside (exit 1); pull restores them', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'alpha\n'.repeat(40), 'data/b.txt': 'beta\n'.repeat(40), 'data/c.txt': 'gamma\n'.repeat(40) });
      assert.equal(r.dvc('add', 'data').code, 0);
      // A DVC 2 output: its object in the old layout, named by md5-dos2unix (CRLF counted as LF).
      const crlf = 'line one\r\nline two\r\n';
      const legacyOid = md5('line one\nline two\n');
      const legacyBad = 'legacy binary \u0000 payload';
      const legacyBadOid = md5(legacyBad);
      for (const [oid, body] of [[legacyOid, crlf], [legacyBadOid, legacyBad]] as const) {
        mkdirSync(join(r.dir, '.dvc', 'cache', oid.slice(0, 2)), { recursive: true });
        writeFileSync(join(r.dir, '.dvc', 'cache', oid.slice(0, 2), oid.slice(2)), body);
      }
      writeFileSync(join(r.dir, 'old.txt'), crlf);
      writeFileSync(join(r.dir, 'old.txt.dvc'), `outs:\n- md5: ${legacyOid}\n  path: old.txt\n`);
      writeFileSync(join(r.dir, 'oldbin.dvc'), `outs:\n- md5: ${legacyBadOid}\n  path: oldbin\n`);
      writeFileSync(join(r.dir, 'oldbin'), legacyBad);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
      let s = r.dvc('push');
      assert.equal(s.code, 0, s.stderr);

      let s0 = r.dvc('cache', 'check');
      assert.equal(s0.code, 0, s0.stderr);
      assert.equal(s0.stdout, '6 cache objects checked, 0 corrupted\n', 'a good DVC 2 object with CRLFs is not reported');

      const aOid = md5('alpha\n'.repeat(40));
      const bOid = md5('beta\n'.repeat(40));
      const dirOid = [...objects(join(r.dir, '.dvc', 'cache')).keys()].find((o) => o.endsWith('.dir'))!;
      flipByte(cachePath(r.dir, aOid));
      cutShort(cachePath(r.dir, bOid));
      cutShort(cachePath(r.dir, dirOid));
      const legacyBadPath = join(r.dir, '.dvc', 'cache', legacyBadOid.slice(0, 2), legacyBadOid.slice(2));
      flipByte(legacyBadPath);

      s = r.dvc('cache', 'check', '--jobs', '2');
      assert.equal(s.code, 1);
      assert.doesNotMatch(s.stderr, /\n\s+at /, 'no stack trace');
      const bad = s.stdout.split('\n').filter((l) => l.startsWith('corrupted: '));
      assert.equal(bad.length, 4, s.stdout);
      for (const oid of [aOid, bOid, dirOid]) {
        assert.match(s.stdout, new RegExp(`^corrupted: '\\.dvc/cache/files/md5/${oid.slice(0, 2)}/${oid.slice(2).replace('.', '\\.')}' \\(its content hashes to [0-9a-f]{32}\\): moved to '\\.dvc/cache/quarantine/${oid.replace('.', '\\.')}'$`, 'm'));
      }
      assert.match(s.stdout, new RegExp(`^corrupted: '\\.dvc/cache/${legacyBadOid.slice(0, 2)}/${legacyBadOid.slice(2)}' `, 'm'));
      assert.match(s.stdout, /^6 cache objects checked, 4 corrupted$/m);
      assert.match(s.stderr, /^ERROR: the cache has 4 bad objects - run 'dvc pull' \(or 'dvc fetch'\) to download the corrupted objects again$/m);
      assert.deepEqual(quarantined(r.dir), [aOid, bOid, dirOid, legacyBadOid].sort());
      for (const oid of [aOid, bOid, dirOid]) assert.equal(existsSync(cachePath(r.dir, oid)), false);
      assert.equal(existsSync(legacyBadPath), false);
      // Nothing was lost: the bytes sit in the quarantine folder.
      assert.equal(readFileSync(join(r.dir, '.dvc', 'cache', 'quarantine', bOid)).length, ('beta\n'.repeat(40).length >> 1));

      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^4 files fetched$/m);
      s0 = r.dvc('cache', 'check');
      assert.equal(s0.code, 0, s0.stderr);
      assert.equal(s0.stdout, '6 cache objects checked, 0 corrupted\n');
      assert.equal(readFileSync(cachePath(r.dir, aOid), 'utf8'), 'alpha\n'.repeat(40));
      assert.equal(readFileSync(legacyBadPath, 'utf8'), legacyBad);

      // --remove deletes instead of moving aside.
      cutShort(cachePath(r.dir, aOid));
      s = r.dvc('cache', 'check', '--remove');
      assert.equal(s.code, 1);
      assert.match(s.stdout, new RegExp(`^corrupted: .*${aOid.slice(2)}' \\(its content hashes to [0-9a-f]{32}\\): deleted$`, 'm'));
      assert.equal(existsSync(cachePath(r.dir, aOid)), false);
      assert.equal(quarantined(r.dir).length, 4);

      // --help shows only the flags that work; a bad -j is one clean error.
      const h = r.dvc('cache', 'check', '--help');
      assert.deepEqual(
        [...h.stdout.matchAll(/^ {2}(-\w, )?(--[\w-]+)/gm)].map((m) => m[2]).sort(),
        ['--cd', '--help', '--jobs', '--quiet', '--remove', '--verbose'],
      );
      s = r.dvc('cache', 'check', '-j', '0');
      assert.notEqual(s.code, 0);
      assert.match(s.stderr, /^ERROR: argument -j\/--jobs: invalid positive int value: '0'\n$/);
    } finally {
      r.cleanup();
    }
  });
});

const ceph = testServer('ceph');

describe('a corrupt cache object is never pushed to S3 (Ceph RGW)', { skip: ceph.skip, timeout: 120_000 }, () => {
  const info = ceph.info;
  const bucket = uniqueName('corrupt').toLowerCase();
  const creds = () => ({ endpointurl: info!.endpoint!, access_key_id: info!.access_key_id!, secret_access_key: info!.secret_access_key! });
  before(async () => {
    const fs = new S3FileSystem(`s3://${bucket}`, creds());
    await fs.createBucket();
    await fs.close();
  });

  test('s3: a flipped and a cut-short object are refused and named, the rest is pushed, exit 1; status -c is not in sync', async () => {
    const r = makeRepo();
    try {
      const files = dataset(8, 4000, 's3corrupt');
      files['data/big.bin'] = randomBytes(2 * 1024 * 1024 + 5);
      writeFiles(r.dir, files);
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'cloud', `s3://${bucket}/repo`).code, 0);
      for (const [k, v] of Object.entries(creds())) assert.equal(r.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
      const flipName = 'data/big.bin';
      const cutName = 'data/3/f3.bin';
      const flipOid = md5(files[flipName]!);
      const cutOid = md5(files[cutName]!);
      flipByte(cachePath(r.dir, flipOid));
      cutShort(cachePath(r.dir, cutOid));

      const s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.doesNotMatch(s.stderr, /\n\s+at /, 'no stack trace');
      for (const [name, oid] of [[flipName, flipOid], [cutName, cutOid]]) {
        const lines = s.stderr.split('\n').filter((l) => l.includes(oid!));
        assert.equal(lines.length, 1, `one line names ${name}:\n${s.stderr}`);
        assert.match(lines[0]!, new RegExp(`^ERROR: not pushed: cache object of '${name}' \\(md5: ${oid}\\) is corrupted`));
      }
      assert.match(s.stderr, /^ERROR: failed to push data to the cloud - 3 files failed to upload \(2 corrupted cache objects\)$/m);

      // What the bucket holds: the 7 good files, each hashing to its name; not the bad ones.
      const fs = new S3FileSystem(`s3://${bucket}/repo`, creds());
      try {
        const keys = await collect(fs.list('files/md5'));
        assert.equal(keys.length, 7, keys.join('\n'));
        for (const k of keys) {
          const m = /^files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30})$/.exec(k);
          assert.ok(m, `unexpected key ${k}`);
          assert.equal(md5(await readAll(await fs.read(k))), m[1]! + m[2]!, `${k} is corrupt`);
        }
      } finally {
        await fs.close();
      }
      const st = r.dvc('status', '-c');
      assert.doesNotMatch(st.stdout, /in sync/);
      assert.match(st.stdout, new RegExp(`\\tnew: +${flipName}\\n`));
      assert.match(st.stdout, new RegExp(`\\tnew: +${cutName}\\n`));
    } finally {
      r.cleanup();
    }
  });
});
