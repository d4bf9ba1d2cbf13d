/**
 * push / pull / fetch / status -c / gc through the CLI, against a local remote (a folder outside the
 * workspace), in real git repositories.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, isCleanError, makeRepo, writeFiles } from '../repo/helpers.js';
import { corrupt, dataset, mode, objects } from './helpers.js';

describe('sync with a local remote', { concurrency: 2 }, () => {
  test('push, no-op push, status -c, pull into an empty cache and workspace', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'hello\n', 'data/sub/b.txt': 'world\n', 'data/empty': '', 'single.bin': 'single\n' });
      assert.equal(r.dvc('add', 'data', 'single.bin').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../remote').code, 0);
      const remote = join(r.dir, '..', 'remote');

      let s = r.dvc('status', '-c');
      assert.equal(s.code, 0);
      assert.match(s.stdout, /\tnew: +data\/sub\/b.txt\n/);
      assert.match(s.stdout, /\tnew: +single.bin\n/);
      assert.match(s.stdout, /\tnew: +data\n/);

      s = r.dvc('push');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, '5 files pushed\n'); // 4 files and the folder's manifest
      const objs = objects(remote);
      assert.equal(objs.size, 5);
      assert.deepEqual([...objs.keys()].sort(), [...objects(join(r.dir, '.dvc', 'cache')).keys()].sort());
      assert.deepEqual(corrupt(remote), []);
      for (const p of objs.values()) assert.equal(mode(p), 0o444);

      assert.equal(r.dvc('push').stdout, 'Everything is up to date.\n');
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'store' are in sync.\n");

      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      rmSync(join(r.dir, 'single.bin'));
      s = r.dvc('status', '-c');
      assert.match(s.stdout, /\tdeleted: +data\/a.txt\n/);
      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^A {7}data\/$/m);
      assert.match(s.stdout, /^A {7}single.bin$/m);
      assert.match(s.stdout, /^5 files fetched and 4 files added\n$/m);
      assert.equal(readFileSync(join(r.dir, 'data/sub/b.txt'), 'utf8'), 'world\n');
      assert.equal(readFileSync(join(r.dir, 'data/empty'), 'utf8'), '');
      assert.equal(readFileSync(join(r.dir, 'single.bin'), 'utf8'), 'single\n');
      for (const p of objects(join(r.dir, '.dvc', 'cache')).values()) assert.equal(mode(p), 0o444);
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      assert.equal(r.dvc('pull').stdout, 'Everything is up to date.\n');
    } finally {
      r.cleanup();
    }
  });

  test('fetch fills only the cache; targets limit push and fetch; -r picks a remote; -j is checked', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'one/x.txt': 'x\n', 'two/y.txt': 'y\n' });
      assert.equal(r.dvc('add', 'one', 'two').code, 0);
      assert.equal(r.dvc('remote', 'add', 'other', '../other').code, 0);
      // no default remote: DVC's error, exit 1
      let s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.match(s.stderr, /^ERROR: failed to push data to the cloud - config file error: no remote specified in .*\n/);
      s = r.dvc('push', '-r', 'other', 'one');
      assert.equal(s.stdout, '2 files pushed\n');
      s = r.dvc('push', '-r', 'other', '-j', '0');
      assert.equal(s.code, 254);
      s = r.dvc('push', '-r', 'other', '-j', '2', 'two.dvc');
      assert.equal(s.stdout, '2 files pushed\n');
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      s = r.dvc('fetch', '-r', 'other', 'two');
      assert.equal(s.stdout, '2 files fetched\n');
      assert.equal(readFileSync(join(r.dir, 'two/y.txt'), 'utf8'), 'y\n');
      s = r.dvc('fetch', '-r', 'other');
      assert.equal(s.stdout, '2 files fetched\n');
      assert.equal(r.dvc('fetch', '-r', 'other').stdout, 'Everything is up to date.\n');
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      s = r.dvc('push', '-r', 'nope');
      assert.ok(isCleanError(s));
      assert.match(s.stderr, /remote 'nope' doesn't exist/);
    } finally {
      r.cleanup();
    }
  });

  test('a corrupt or missing object on the remote never enters the cache; one clear error', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'aaa\n', 'data/b.txt': 'bbb\n' });
      r.dvc('add', 'data');
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      assert.equal(r.dvc('push').code, 0);
      const remote = join(r.dir, '..', 'remote');
      const aOid = '5c9597f3c8245907ea71a89d9d39d08e'; // md5("aaa\n")
      const aPath = objects(remote).get(aOid)!;
      assert.ok(aPath, 'a.txt is on the remote');
      chmodSync(aPath, 0o644);
      writeFileSync(aPath, 'tampered\n');
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      let s = r.dvc('pull');
      assert.equal(s.code, 1);
      assert.ok(isCleanError({ ...s, stderr: s.stderr.split('\n').filter((l) => !l.startsWith('WARNING') && !l.startsWith('name:')).join('\n') }));
      assert.match(s.stderr, /ERROR: failed to pull data from the cloud - .*corrupted/);
      assert.equal(objects(join(r.dir, '.dvc', 'cache')).has(aOid), false, 'the corrupt object entered the cache');
      assert.deepEqual(corrupt(join(r.dir, '.dvc', 'cache')), []);
      rmSync(aPath);
      s = r.dvc('fetch');
      assert.equal(s.code, 1);
      assert.match(s.stderr, /WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\nname: data\/a.txt, md5: 5c9597f3c8245907ea71a89d9d39d08e\n/);
      assert.match(s.stderr, /ERROR: failed to fetch data from the cloud - 1 files failed to download\n/);
      assert.equal(existsSync(join(r.dir, 'data', 'a.txt')), false);
    } finally {
      r.cleanup();
    }
  });

  test('many objects (worker-pool path): a corrupt cache object is not pushed, a corrupt remote object is not fetched', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, dataset(120, 2000, 'pool'));
      assert.equal(r.dvc('add', 'data').code, 0);
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      const remote = join(r.dir, '..', 'remote');
      const cache = join(r.dir, '.dvc', 'cache');
      // spoil one cache object: push refuses it (and its folder's manifest), pushes the rest
      const [badOid, badPath] = [...objects(cache)].find(([o]) => !o.endsWith('.dir'))!;
      chmodSync(badPath, 0o644);
      writeFileSync(badPath, 'spoiled');
      let s = r.dvc('push');
      assert.equal(s.code, 1);
      assert.match(s.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/.*' \\(md5: ${badOid}\\) is corrupted`, 'm'));
      assert.match(s.stderr, /^ERROR: failed to push data to the cloud - 2 files failed to upload \(1 corrupted cache object\)$/m);
      assert.equal(objects(remote).has(badOid), false);
      assert.equal(objects(remote).size, 119, 'the other files went up, the manifest did not');
      assert.deepEqual(corrupt(remote), []);
      // repair the cache from the workspace and push the rest
      rmSync(badPath);
      assert.equal(r.dvc('commit', '-f', 'data').code, 0);
      assert.equal(r.dvc('push').stdout, '2 files pushed\n');
      // spoil one remote object: fetch refuses it, fetches the rest
      const [rOid, rPath] = [...objects(remote)].find(([o]) => !o.endsWith('.dir'))!;
      chmodSync(rPath, 0o644);
      writeFileSync(rPath, 'spoiled on the remote');
      rmSync(cache, { recursive: true, force: true });
      s = r.dvc('fetch');
      assert.equal(s.code, 1);
      assert.match(s.stderr, /corrupted/);
      const got = objects(cache);
      assert.equal(got.has(rOid), false);
      assert.equal(got.size, 120, 'every other object (and the manifest) was fetched; no junk kept');
      assert.deepEqual(corrupt(cache), []);
    } finally {
      r.cleanup();
    }
  });

  test('-a / -T / -A push every version; gc -w, -a and gc -c clean cache and remote', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'data/a.txt': 'v1\n', 'data/b.txt': 'same\n' });
      r.dvc('add', 'data');
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      git(r.dir, 'add', '-A');
      git(r.dir, 'commit', '-qm', 'v1');
      git(r.dir, 'tag', 'v1');
      git(r.dir, 'checkout', '-qb', 'side');
      writeFiles(r.dir, { 'data/a.txt': 'side\n' });
      r.dvc('add', 'data');
      git(r.dir, 'commit', '-qam', 'side');
      git(r.dir, 'checkout', '-q', '-');
      r.dvc('checkout', '-f');
      writeFiles(r.dir, { 'data/a.txt': 'v2\n' });
      r.dvc('add', 'data');
      git(r.dir, 'commit', '-qam', 'v2');
      const remote = join(r.dir, '..', 'remote');

      // workspace only: v2 a.txt, b.txt, manifest
      assert.equal(r.dvc('push').stdout, '3 files pushed\n');
      // the tag adds v1's a.txt and manifest
      assert.equal(r.dvc('push', '-T').stdout, '2 files pushed\n');
      // the side branch adds its a.txt and manifest
      assert.equal(r.dvc('push', '-a').stdout, '2 files pushed\n');
      assert.equal(r.dvc('push', '-A').stdout, 'Everything is up to date.\n');
      assert.equal(objects(remote).size, 7);

      const cache = join(r.dir, '.dvc', 'cache');
      assert.equal(objects(cache).size, 7);
      let s = r.dvc('gc', '-a', '-f', '--dry');
      // DVC 3.64 says "Removed" under --dry too, and finds the same objects in its 'local' cache (fixture 21)
      assert.equal(s.stdout, "Removed 2 objects from repo cache.\nRemoved 2 objects from local cache.\nNo unused 'legacy' cache to remove.\n"); // v1 (only tagged)
      assert.equal(objects(cache).size, 7);
      s = r.dvc('gc', '-a', '-f');
      assert.equal(s.code, 0);
      assert.match(s.stderr, /WARNING: This will remove all cache except items used in the workspace and all git branches of the current repo\./);
      assert.equal(s.stdout, "Removed 2 objects from repo cache.\nNo unused 'local' cache to remove.\nNo unused 'legacy' cache to remove.\n");
      assert.equal(objects(cache).size, 5);
      s = r.dvc('gc', '-w', '-f', '-c');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /Removed 2 objects from repo cache\.\n/);
      assert.match(s.stdout, /Removed 4 objects from remote\.\n/);
      assert.equal(objects(remote).size, 3);
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'store' are in sync.\n");
      // the workspace still pulls from the cleaned remote
      rmSync(cache, { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      assert.equal(r.dvc('pull').code, 0);
      assert.equal(readFileSync(join(r.dir, 'data/a.txt'), 'utf8'), 'v2\n');
      s = r.dvc('gc');
      assert.equal(s.code, 255);
    } finally {
      r.cleanup();
    }
  });

  test('--glob targets', () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, { 'img1.png': '1', 'img2.png': '2', 'notes.txt': 'n' });
      r.dvc('add', 'img1.png', 'img2.png', 'notes.txt');
      r.dvc('remote', 'add', '-d', 'store', '../remote');
      assert.equal(r.dvc('push', '--glob', '*.png').stdout, '2 files pushed\n');
      assert.equal(r.dvc('push').stdout, '1 file pushed\n');
    } finally {
      r.cleanup();
    }
  });
});
