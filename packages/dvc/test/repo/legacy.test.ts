/**
 * Repositories made with DVC 2.x: `.dvc` outputs with `md5:` but no `hash: md5` line, hashed
 * md5-dos2unix (CRLF -> LF in text files), objects in DVC 2's layout `.dvc/cache/<2>/<30>` and
 * `<remote>/<2>/<30>`. DVC 3 reads them as they are; a changed output becomes a DVC 3 one.
 *
 * The repositories are written here byte for byte as DVC 2 writes them (dvc/output.py dumpd of
 * 2.x: md5, size, nfiles, path; `.dir` manifests as `json.dumps(sorted entries, sort_keys=True)`),
 * with hashes computed by the rule in dvc-data's hash.py / istextfile.py, spelled out below
 * (not through our implementation).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, git, isCleanError, makeRepo, writeFiles } from './helpers.js';
import { objects as modernObjects } from '../sync/helpers.js';
import {
  Repo,
  checkout,
  commit,
  status,
  pull,
  push,
  gc,
  md5Dos2UnixBytes,
  md5Dos2UnixFileSync,
  isTextBlock,
} from '../../src/index.js';

/** Our CLI in another folder of a makeRepo() sandbox (same isolated config as `r.dvc`). */
function dvcIn(cwd: string, ...args: string[]) {
  const base = join(cwd, '..');
  const env = { ...process.env, DVC_GLOBAL_CONFIG_DIR: join(base, 'global'), DVC_SYSTEM_CONFIG_DIR: join(base, 'system'), GIT_CONFIG_NOSYSTEM: '1', HOME: base };
  const x = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  return { code: x.status ?? -1, stdout: x.stdout, stderr: x.stderr };
}

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** DVC's text rule for a block: no NUL and at most 30% bytes outside printable ASCII + \n\r\t\f\b. */
function looksText(b: Buffer): boolean {
  if (!b.length) return true;
  if (b.includes(0)) return false;
  let non = 0;
  for (const c of b) if (!((c >= 32 && c < 127) || [10, 13, 9, 12, 8].includes(c))) non++;
  return non / b.length <= 0.3;
}

/** md5-dos2unix of a file under 1 MiB: CRLF -> LF when its first 512 bytes look like text. */
function legacyMd5(content: Buffer | string): string {
  const b = Buffer.from(content);
  return md5(looksText(b.subarray(0, 512)) ? Buffer.from(b.toString('latin1').replaceAll('\r\n', '\n'), 'latin1') : b);
}

/** Writes `.dvc/cache/<2>/<30>` (or `<root>/<2>/<30>` of a remote), mode 0444. */
function putObject(root: string, oid: string, data: Buffer | string): void {
  const p = join(root, oid.slice(0, 2), oid.slice(2));
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  chmodSync(p, 0o444);
}

/** A DVC 2 `.dir` manifest: sorted by relpath, `json.dumps(..., sort_keys=True)`. */
function dvc2Manifest(files: Record<string, Buffer | string>, extra = ''): { oid: string; text: string } {
  const rels = Object.keys(files).sort();
  const text = '[' + rels.map((r) => `{"md5": "${legacyMd5(files[r]!)}", ${extra}"relpath": "${r}"}`).join(', ') + ']';
  return { oid: md5(text) + '.dir', text };
}

const DATA: Record<string, Buffer | string> = {
  'a.txt': 'hello\r\nworld\r\n', // text with CRLF: hashed as 'hello\nworld\n'
  'sub/b.bin': Buffer.from([0, 1, 2, 13, 10, 255, 13, 10]), // NUL: binary, hashed raw
  'sub/c.txt': 'plain\n',
  'other/d.txt': 'd\r\n',
  'empty.txt': '',
};
const TOP = 'top\r\nfile\r\n';

/**
 * A git + DVC repository as DVC 2 left it after `dvc add data top.txt`: `data.dvc`,
 * `top.txt.dvc`, `.gitignore`, the objects in `.dvc/cache/<2>/<30>`; committed.
 */
function dvc2Repo(opts: { cache?: boolean; manifestExtra?: string } = {}) {
  const r = makeRepo();
  writeFiles(r.dir, Object.fromEntries(Object.entries(DATA).map(([k, v]) => [`data/${k}`, v])));
  writeFiles(r.dir, { 'top.txt': TOP });
  const man = dvc2Manifest(DATA, opts.manifestExtra);
  const size = Object.values(DATA).reduce((n, c) => n + Buffer.from(c).length, 0);
  const dataDvc = `outs:\n- md5: ${man.oid}\n  size: ${size}\n  nfiles: ${Object.keys(DATA).length}\n  path: data\n`;
  const topDvc = `outs:\n- md5: ${legacyMd5(TOP)}\n  size: ${Buffer.from(TOP).length}\n  path: top.txt\n`;
  writeFiles(r.dir, { 'data.dvc': dataDvc, 'top.txt.dvc': topDvc, '.gitignore': '/data\n/top.txt\n' });
  const cache = join(r.dir, '.dvc', 'cache');
  if (opts.cache !== false) {
    for (const c of Object.values(DATA)) putObject(cache, legacyMd5(c), c);
    putObject(cache, man.oid, man.text);
    putObject(cache, legacyMd5(TOP), TOP);
  }
  git(r.dir, 'add', '-A');
  git(r.dir, 'commit', '-qm', 'dvc 2');
  return { ...r, cache, man, dataDvc, topDvc };
}

/** Every `<2>/<30>` object right under `root` (DVC 2's layout). */
function legacyObjects(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const p of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(p)) continue;
    for (const n of readdirSync(join(root, p))) if (/^[0-9a-f]{30}(\.dir)?$/.test(n)) out.push(p + n);
  }
  return out.sort();
}

function allLegacyOids(man: { oid: string }): string[] {
  return [...new Set([...Object.values(DATA).map((c) => legacyMd5(c)), man.oid, legacyMd5(TOP)])].sort();
}

describe('md5-dos2unix (DVC 2 hashes)', () => {
  test('text files are hashed with CRLF turned into LF, binary files raw; DVC\'s text heuristic', () => {
    assert.equal(md5Dos2UnixBytes('a\r\nb\r\n'), md5('a\nb\n'));
    assert.equal(md5Dos2UnixBytes('no crlf\n'), md5('no crlf\n'));
    assert.equal(md5Dos2UnixBytes(''), md5(''));
    // a NUL byte makes it binary
    assert.equal(md5Dos2UnixBytes(Buffer.from('a\r\n\0')), md5(Buffer.from('a\r\n\0')));
    // more than 30% bytes outside the text set: binary; 30% or less: text
    const bin = Buffer.concat([Buffer.alloc(4, 0xff), Buffer.from('\r\n\r\n\r\n')]); // 4/10 non-text
    assert.equal(isTextBlock(bin), false);
    assert.equal(md5Dos2UnixBytes(bin), md5(bin));
    const txt = Buffer.concat([Buffer.alloc(3, 0xff), Buffer.from('ab\r\nab\r\n')]); // 3/11
    assert.equal(isTextBlock(txt), true);
    assert.equal(md5Dos2UnixBytes(txt), md5(Buffer.concat([Buffer.alloc(3, 0xff), Buffer.from('ab\nab\n')])));
    // only the first 512 bytes decide
    const late = Buffer.concat([Buffer.alloc(600, 'x'), Buffer.from([0]), Buffer.from('\r\n')]);
    assert.equal(md5Dos2UnixBytes(late), md5(Buffer.concat([Buffer.alloc(600, 'x'), Buffer.from([0]), Buffer.from('\n')])));
  });

  test('large files: decided per 1 MiB block, a CRLF across a block boundary stays', () => {
    const MiB = 1 << 20;
    // block 1: text ending in CR; block 2 starts with LF then has a NUL in its first 512 bytes
    const b1 = Buffer.alloc(MiB, 'a');
    b1.write('\r\n', 10);
    b1[MiB - 1] = 13;
    const b2 = Buffer.from('\n\0rest\r\n');
    const data = Buffer.concat([b1, b2]);
    const expected = md5(Buffer.concat([Buffer.from(b1.toString('latin1').replace('\r\n', '\n'), 'latin1'), b2]));
    assert.equal(md5Dos2UnixBytes(data), expected);
    const r = makeRepo({ git: false });
    try {
      writeFileSync(join(r.dir, 'big'), data);
      assert.deepEqual(md5Dos2UnixFileSync(join(r.dir, 'big')), { md5: expected, size: data.length });
    } finally {
      r.cleanup();
    }
  });
});

describe('a repository made with DVC 2.x', () => {
  test('status and checkout read the legacy cache and hashes (CLI)', () => {
    const r = dvc2Repo();
    try {
      let s = r.dvc('status');
      assert.equal(s.stdout, 'Data and pipelines are up to date.\n', s.stderr);
      rmSync(join(r.dir, 'data'), { recursive: true });
      rmSync(join(r.dir, 'top.txt'));
      s = r.dvc('status', '--json');
      assert.deepEqual(JSON.parse(s.stdout), {
        'data.dvc': [{ 'changed outs': { data: 'deleted' } }],
        'top.txt.dvc': [{ 'changed outs': { 'top.txt': 'deleted' } }],
      });
      s = r.dvc('checkout');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, 'A       data/\nA       top.txt\n');
      // the raw bytes come back (CRLF kept), from the old layout
      for (const [k, v] of Object.entries(DATA)) assert.deepEqual(readFileSync(join(r.dir, 'data', k)), Buffer.from(v), k);
      assert.equal(readFileSync(join(r.dir, 'top.txt'), 'utf8'), TOP);
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      // nothing was rewritten or copied into the DVC 3 layout
      assert.equal(readFileSync(join(r.dir, 'data.dvc'), 'utf8'), r.dataDvc);
      assert.equal(readFileSync(join(r.dir, 'top.txt.dvc'), 'utf8'), r.topDvc);
      assert.equal(modernObjects(r.cache).size, 0);

      // a changed text file is 'modified'; so is a CRLF -> LF change? no: same md5-dos2unix
      writeFileSync(join(r.dir, 'top.txt'), 'top\nfile\n');
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      writeFileSync(join(r.dir, 'data/a.txt'), 'changed\r\n');
      s = r.dvc('status', '--json');
      assert.deepEqual(JSON.parse(s.stdout), { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
      s = r.dvc('checkout');
      assert.equal(s.code, 255);
      assert.ok(isCleanError(s), s.stderr);
      assert.equal(r.dvc('checkout', '--force').stdout, 'M       data/\n');
      assert.equal(readFileSync(join(r.dir, 'data/a.txt'), 'utf8'), DATA['a.txt']);

      // a legacy object missing from the cache: 'not in cache'
      rmSync(join(r.cache, legacyMd5(TOP).slice(0, 2)), { recursive: true, force: true });
      s = r.dvc('status', 'top.txt', '--json');
      assert.deepEqual(JSON.parse(s.stdout), { 'top.txt.dvc': [{ 'changed outs': { 'top.txt': 'not in cache' } }] });
    } finally {
      r.cleanup();
    }
  });

  test('library API: status, checkout and commit of unchanged data keep the DVC 2 files', async () => {
    const r = dvc2Repo();
    const cwd = process.cwd();
    try {
      process.chdir(r.dir);
      assert.deepEqual((await status(Repo.open(r.dir))).report, {});
      rmSync(join(r.dir, 'data/sub'), { recursive: true });
      const co = await checkout(Repo.open(r.dir), ['data']);
      assert.deepEqual(co.modified, ['data/']);
      assert.deepEqual(readFileSync(join(r.dir, 'data/sub/b.bin')), DATA['sub/b.bin']);
      // commit with nothing changed: DVC 3 leaves DVC 2 outputs as they are
      assert.deepEqual(await commit(Repo.open(r.dir)), []);
      assert.equal(readFileSync(join(r.dir, 'data.dvc'), 'utf8'), r.dataDvc);
      assert.equal(readFileSync(join(r.dir, 'top.txt.dvc'), 'utf8'), r.topDvc);
      // a committed object missing from the legacy cache is put back there, not in files/md5
      const obj = join(r.cache, legacyMd5(TOP).slice(0, 2), legacyMd5(TOP).slice(2));
      rmSync(obj);
      await commit(Repo.open(r.dir), ['top.txt']);
      assert.equal(readFileSync(obj, 'utf8'), TOP);
      assert.equal(statSync(obj).mode & 0o777, 0o444);
      assert.equal(modernObjects(r.cache).size, 0);
    } finally {
      process.chdir(cwd);
      r.cleanup();
    }
  });

  test('re-add: unchanged stays DVC 2; changed becomes a DVC 3 output (hash: md5, new layout)', () => {
    const r = dvc2Repo();
    try {
      let s = r.dvc('add', 'data', 'top.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data.dvc'), 'utf8'), r.dataDvc);
      assert.equal(readFileSync(join(r.dir, 'top.txt.dvc'), 'utf8'), r.topDvc);
      assert.equal(modernObjects(r.cache).size, 0);

      writeFileSync(join(r.dir, 'data/sub/c.txt'), 'plain v2\r\n');
      s = r.dvc('add', 'data');
      assert.equal(s.code, 0, s.stderr);
      // DVC 3's round trip: the hash fields are updated in place, `hash: md5` is appended
      const files: Record<string, Buffer | string> = { ...DATA, 'sub/c.txt': 'plain v2\r\n' };
      const rels = Object.keys(files).sort();
      const text = '[' + rels.map((k) => `{"md5": "${md5(files[k]!)}", "relpath": "${k}"}`).join(', ') + ']';
      const size = Object.values(files).reduce((n, c) => n + Buffer.from(c).length, 0);
      assert.equal(
        readFileSync(join(r.dir, 'data.dvc'), 'utf8'),
        `outs:\n- md5: ${md5(text)}.dir\n  size: ${size}\n  nfiles: 5\n  path: data\n  hash: md5\n`,
      );
      // raw md5s (CRLF kept) in files/md5, manifest included
      const mod = modernObjects(r.cache);
      assert.ok(mod.has(md5(text) + '.dir'));
      assert.equal(readFileSync(mod.get(md5(text) + '.dir')!, 'utf8'), text);
      for (const c of Object.values(files)) assert.ok(mod.has(md5(c)));
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');

      // commit of a changed DVC 2 file output: same conversion
      writeFileSync(join(r.dir, 'top.txt'), 'top v2\r\n');
      s = r.dvc('commit', 'top.txt');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'top.txt.dvc'), 'utf8'), `outs:\n- md5: ${md5('top v2\r\n')}\n  size: 8\n  path: top.txt\n  hash: md5\n`);
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      // the old version still checks out from the legacy cache
      git(r.dir, 'checkout', '-q', '--', 'data.dvc', 'top.txt.dvc');
      s = r.dvc('checkout', '--force');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/sub/c.txt'), 'utf8'), 'plain\n');
      assert.equal(readFileSync(join(r.dir, 'top.txt'), 'utf8'), TOP);
    } finally {
      r.cleanup();
    }
  });

  test('pull, fetch, status -c and push use the remote\'s DVC 2 layout (<remote>/<2>/<30>)', () => {
    const r = dvc2Repo({ cache: false });
    try {
      // a remote DVC 2 filled: objects right under its root
      const remote = join(r.dir, '..', 'remote');
      for (const c of Object.values(DATA)) putObject(remote, legacyMd5(c), c);
      putObject(remote, r.man.oid, r.man.text);
      putObject(remote, legacyMd5(TOP), TOP);
      assert.equal(r.dvc('remote', 'add', '-d', 'old', '../remote').code, 0);
      rmSync(join(r.dir, 'data'), { recursive: true });
      rmSync(join(r.dir, 'top.txt'));

      let s = r.dvc('status', '-c');
      assert.match(s.stdout, /\tdeleted: +data\/sub\/b\.bin\n/);
      assert.match(s.stdout, /\tdeleted: +top\.txt\n/);
      s = r.dvc('pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^A {7}data\/$/m);
      assert.match(s.stdout, /^A {7}top\.txt$/m);
      assert.match(s.stdout, /^7 files fetched and /m); // 5 files, the manifest, top.txt
      for (const [k, v] of Object.entries(DATA)) assert.deepEqual(readFileSync(join(r.dir, 'data', k)), Buffer.from(v), k);
      assert.equal(readFileSync(join(r.dir, 'top.txt'), 'utf8'), TOP);
      // the cache got DVC 2's layout, read-only objects, nothing in files/md5
      assert.deepEqual(legacyObjects(r.cache), allLegacyOids(r.man));
      for (const oid of legacyObjects(r.cache)) assert.equal(statSync(join(r.cache, oid.slice(0, 2), oid.slice(2))).mode & 0o777, 0o444);
      assert.equal(modernObjects(r.cache).size, 0);
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
      assert.equal(r.dvc('status', '-c').stdout, "Cache and remote 'old' are in sync.\n");
      assert.equal(r.dvc('pull').stdout, 'Everything is up to date.\n');

      // push into an empty remote writes the same layout; DVC 3 outputs go to files/md5
      writeFiles(r.dir, { 'new.txt': 'new\r\n' });
      assert.equal(r.dvc('add', 'new.txt').code, 0);
      assert.equal(r.dvc('remote', 'add', 'fresh', '../fresh').code, 0);
      s = r.dvc('push', '-r', 'fresh');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, '8 files pushed\n'); // 7 DVC 2 objects, new.txt
      const fresh = join(r.dir, '..', 'fresh');
      assert.deepEqual(legacyObjects(fresh), allLegacyOids(r.man));
      assert.deepEqual([...modernObjects(fresh).keys()], [md5('new\r\n')]);
      for (const oid of legacyObjects(fresh)) {
        const p = join(fresh, oid.slice(0, 2), oid.slice(2));
        assert.equal(statSync(p).mode & 0o777, 0o444);
        assert.equal(legacyMd5(readFileSync(p)), oid.slice(0, 32));
      }
      assert.equal(r.dvc('push', '-r', 'fresh').stdout, 'Everything is up to date.\n');

      // fetch into an empty cache; a corrupt object on the remote is refused (never stored)
      rmSync(r.cache, { recursive: true, force: true });
      const bad = join(remote, legacyMd5(TOP).slice(0, 2), legacyMd5(TOP).slice(2));
      chmodSync(bad, 0o644);
      writeFileSync(bad, 'tampered\n');
      s = r.dvc('fetch');
      assert.equal(s.code, 1);
      assert.match(s.stderr, /^ERROR: failed to fetch data from the cloud - .*corrupted/m);
      assert.doesNotMatch(s.stderr, /\n\s+at /);
      assert.ok(!existsSync(join(r.cache, legacyMd5(TOP).slice(0, 2), legacyMd5(TOP).slice(2))));
      assert.ok(existsSync(join(r.cache, r.man.oid.slice(0, 2), r.man.oid.slice(2))));
      s = r.dvc('fetch', '-r', 'fresh');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, '2 files fetched\n'); // top.txt and new.txt
    } finally {
      r.cleanup();
    }
  });

  test('library API: pull and push with a DVC 2 remote; granular pull of a legacy folder', async () => {
    const r = dvc2Repo({ cache: false });
    const cwd = process.cwd();
    try {
      const remote = join(r.dir, '..', 'remote');
      for (const c of Object.values(DATA)) putObject(remote, legacyMd5(c), c);
      putObject(remote, r.man.oid, r.man.text);
      putObject(remote, legacyMd5(TOP), TOP);
      assert.equal(r.dvc('remote', 'add', '-d', 'old', '../remote').code, 0);
      rmSync(join(r.dir, 'data'), { recursive: true });
      process.chdir(r.dir);
      const p = await pull(Repo.open(r.dir), ['data/sub']);
      assert.equal(p.fetch.fetched, 3); // the manifest, b.bin, c.txt
      assert.deepEqual(legacyObjects(r.cache), [r.man.oid, legacyMd5(DATA['sub/b.bin']!), legacyMd5(DATA['sub/c.txt']!)].sort());
      assert.deepEqual(readdirSync(join(r.dir, 'data')).sort(), ['sub']);
      assert.equal(readFileSync(join(r.dir, 'data/sub/c.txt'), 'utf8'), 'plain\n');
      rmSync(remote, { recursive: true });
      const pushed = await push(Repo.open(r.dir), ['data/sub/c.txt']);
      assert.equal(pushed.pushed, 2); // c.txt and the manifest
      assert.deepEqual(legacyObjects(remote), [r.man.oid, legacyMd5(DATA['sub/c.txt']!)].sort());
    } finally {
      process.chdir(cwd);
      r.cleanup();
    }
  });

  test('gc: unused DVC 2 objects leave the legacy cache and the remote\'s DVC 2 area', async () => {
    const r = dvc2Repo();
    const cwd = process.cwd();
    try {
      const remote = join(r.dir, '..', 'remote');
      assert.equal(r.dvc('remote', 'add', '-d', 'old', '../remote').code, 0);
      assert.equal(r.dvc('push').code, 0);
      // gc keeps what the workspace uses
      let s = r.dvc('gc', '-w', '-f');
      assert.equal(s.stdout, "No unused 'repo' cache to remove.\nNo unused 'local' cache to remove.\nNo unused 'legacy' cache to remove.\n");
      assert.deepEqual(legacyObjects(r.cache), allLegacyOids(r.man));
      // top.txt changes and becomes a DVC 3 output: its DVC 2 object is now unused
      writeFileSync(join(r.dir, 'top.txt'), 'v2\n');
      assert.equal(r.dvc('add', 'top.txt').code, 0);
      assert.equal(r.dvc('push').code, 0);
      s = r.dvc('gc', '-w', '-f', '-c');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^No unused 'repo' cache to remove\.\nNo unused 'local' cache to remove\.\nRemoved 1 objects from legacy cache\.\n/);
      assert.match(s.stdout, /No unused cache to remove from remote\.\nRemoved 1 objects from remote\.\n$/);
      const kept = allLegacyOids(r.man).filter((o) => o !== legacyMd5(TOP));
      assert.deepEqual(legacyObjects(r.cache), kept);
      assert.deepEqual(legacyObjects(remote), kept);
      assert.deepEqual([...modernObjects(r.cache).keys()], [md5('v2\n')]);
      assert.deepEqual([...modernObjects(remote).keys()], [md5('v2\n')]);
      process.chdir(r.dir);
      // the library reports both sides; nothing else to remove now
      const g = await gc(Repo.open(r.dir), { workspace: true, cloud: true });
      assert.deepEqual({ ...g, remoteName: undefined }, { removedLocal: 0, removedLegacy: 0, removedRemote: 0, removedRemoteLegacy: 0, removedRemoteTemps: 0, remoteName: undefined });
      assert.equal(r.dvc('status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      process.chdir(cwd);
      r.cleanup();
    }
  });

  test('a DVC 2 manifest with extra keys is read (only md5 and relpath matter); unsafe paths are refused', () => {
    const r = dvc2Repo({ manifestExtra: '"size": 1, ' });
    try {
      rmSync(join(r.dir, 'data'), { recursive: true });
      let s = r.dvc('checkout', 'data');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(readFileSync(join(r.dir, 'data/other/d.txt'), 'utf8'), 'd\r\n');
      // DVC 3 re-hashes the folder with its own manifest (md5 + relpath only): a different .dir hash
      assert.match(r.dvc('status').stdout, /modified: +data/);

      // a manifest naming '../escape' is refused with one line, nothing written outside
      const evil = `[{"md5": "${legacyMd5('x')}", "relpath": "../escape"}]`;
      putObject(r.cache, md5(evil) + '.dir', evil);
      putObject(r.cache, legacyMd5('x'), 'x');
      writeFileSync(join(r.dir, 'evil.dvc'), `outs:\n- md5: ${md5(evil)}.dir\n  size: 1\n  nfiles: 1\n  path: evil\n`);
      s = r.dvc('checkout', 'evil.dvc');
      assert.notEqual(s.code, 0);
      assert.ok(isCleanError(s), s.stderr);
      assert.ok(!existsSync(join(r.dir, 'escape')));
    } finally {
      r.cleanup();
    }
  });

  test('a mixed repository: DVC 2 and DVC 3 outputs side by side, one clone pulls both', () => {
    const r = dvc2Repo();
    try {
      writeFiles(r.dir, { 'modern/x.txt': 'x\r\n' });
      assert.equal(r.dvc('add', 'modern').code, 0);
      assert.match(readFileSync(join(r.dir, 'modern.dvc'), 'utf8'), /hash: md5\n/);
      assert.equal(r.dvc('remote', 'add', '-d', 'store', '../store').code, 0);
      let s = r.dvc('push');
      assert.equal(s.stdout, '9 files pushed\n', s.stderr); // 7 legacy + x.txt + its manifest
      git(r.dir, 'add', '-A');
      git(r.dir, 'commit', '-qm', 'mixed');
      const clone = join(r.dir, '..', 'clone');
      git(join(r.dir, '..'), 'clone', '-q', r.dir, clone);
      cpSync(join(r.dir, '.dvc', 'config'), join(clone, '.dvc', 'config'));
      s = dvcIn(clone, 'pull');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^9 files fetched and /m);
      assert.deepEqual(readFileSync(join(clone, 'data/sub/b.bin')), DATA['sub/b.bin']);
      assert.equal(readFileSync(join(clone, 'modern/x.txt'), 'utf8'), 'x\r\n');
      assert.deepEqual(legacyObjects(join(clone, '.dvc/cache')), allLegacyOids(r.man));
      assert.equal(dvcIn(clone, 'status').stdout, 'Data and pipelines are up to date.\n');
    } finally {
      r.cleanup();
    }
  });
});

