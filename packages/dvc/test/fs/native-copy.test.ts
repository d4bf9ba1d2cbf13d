/**
 * The native copy of objects unchanged since they were hashed (native/copy.c through fs/scan.ts
 * copyStamped), which a push to a local remote uses: what it copies is complete, read-only and
 * equal to the source; what it cannot vouch for (a changed stamp, a taken name, a missing source)
 * it leaves untouched for the JavaScript path. Real files; then a whole push with and without it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { copyStamped, CopyStatus } from '../../src/fs/scan.js';
import { makeRepo, writeFiles } from '../repo/helpers.js';

const skip = copyStamped ? false : 'native addon not built (no C compiler or node headers at install)';
const root = mkdtempSync(join(tmpdir(), 'native-copy-'));
after(() => rmSync(root, { recursive: true, force: true }));

const stampOf = (p: string): number[] => {
  const st = statSync(p);
  return [st.ino, st.size, st.mtimeMs, st.ctimeMs];
};

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe('copyStamped', { skip }, () => {
  const src = join(root, 'src');
  mkdirSync(src);
  const names: string[] = [];
  for (let i = 0; i < 40; i++) {
    const name = `obj${i}`;
    // Empty, small, and larger than one copy_file_range chunk of the read fallback.
    writeFileSync(join(src, name), i === 0 ? '' : i === 1 ? Buffer.alloc(600_000, 3) : `object ${i}\n`.repeat(i));
    names.push(name);
  }

  test('copies objects whose stamps match into new read-only files, making the folders above them', () => {
    const dest = join(root, 'd1');
    const dests = names.map((n, i) => join(dest, 'files', 'md5', String(i % 7).padStart(2, '0'), n));
    const stamps = new Float64Array(names.flatMap((n) => stampOf(join(src, n))));
    const status = copyStamped!(names.map((n) => join(src, n)), dests, stamps, 0o444);
    assert.deepEqual([...status].map((x) => x !== CopyStatus.Left), names.map(() => true));
    names.forEach((n, i) => {
      assert.deepEqual(readFileSync(dests[i]!), readFileSync(join(src, n)), n);
      assert.equal(statSync(dests[i]!).mode & 0o777, 0o444, n);
    });
    // Nothing else: no temporary file left beside any object.
    assert.deepEqual(filesUnder(dest), dests.map((d) => relative(dest, d)).sort());
  });

  test('leaves to the caller an object whose stamp changed, a missing source and a name already taken, touching none of them', () => {
    const dest = join(root, 'd2');
    mkdirSync(dest);
    const stamps = new Float64Array(names.flatMap((n) => stampOf(join(src, n))));
    // obj5 changed after its stamp was taken (same size: only the times tell).
    const five = readFileSync(join(src, 'obj5'));
    writeFileSync(join(src, 'obj5'), Buffer.from(five.toString().replace('object', 'OBJECT')));
    // obj6's stamp is off by one inode (as after `cp` over it).
    stamps[6 * 4] = stamps[6 * 4]! + 1;
    // obj7 is gone; obj8's destination exists with other bytes.
    const seven = readFileSync(join(src, 'obj7'));
    rmSync(join(src, 'obj7'));
    writeFileSync(join(dest, 'obj8'), 'someone else');
    try {
      const status = copyStamped!(names.map((n) => join(src, n)), names.map((n) => join(dest, n)), stamps, 0o444);
      const left = [...status].flatMap((s, i) => (s === CopyStatus.Left ? [names[i]] : []));
      assert.deepEqual(left, ['obj5', 'obj6', 'obj7', 'obj8']);
      assert.equal(readFileSync(join(dest, 'obj8'), 'utf8'), 'someone else');
      assert.deepEqual(filesUnder(dest), names.filter((n) => !['obj5', 'obj6', 'obj7'].includes(n)).sort());
    } finally {
      writeFileSync(join(src, 'obj5'), five);
      writeFileSync(join(src, 'obj7'), seven);
    }
  });

  test('an object that grew after its stamp was read is not copied', () => {
    const dest = join(root, 'd3');
    const p = join(src, 'obj3');
    const stamp = stampOf(p);
    appendFileSync(p, 'more');
    const status = copyStamped!([p], [join(dest, 'obj3')], new Float64Array(stamp), 0o444);
    assert.equal(status[0], CopyStatus.Left);
    assert.deepEqual(filesUnder(root).filter((f) => f.startsWith('d3')), []);
  });

  test('copies a trusted object without its stamp and reports each copy\'s own stamp; the umask applies to the mode', () => {
    const dest = join(root, 'd4');
    const out = new Float64Array(6);
    const stamps = new Float64Array(8).fill(NaN);
    const status = copyStamped!([join(src, 'obj9'), join(src, 'obj10')], [join(dest, 'a'), join(dest, 'b')], stamps, 0o666, {
      trusted: Uint8Array.from([1, 0]),
      out,
    });
    assert.notEqual(status[0], CopyStatus.Left);
    assert.equal(status[1], CopyStatus.Left, 'an untrusted object without a stamp was copied');
    const st = statSync(join(dest, 'a'));
    assert.deepEqual([...out.subarray(0, 3)], [st.ino, st.size, st.mtimeMs]);
    assert.equal(st.mode & 0o777, 0o666 & ~process.umask());
    assert.deepEqual(readFileSync(join(dest, 'a')), readFileSync(join(src, 'obj9')));
    assert.deepEqual(filesUnder(dest), ['a']);
  });

  test('refuses arguments that do not line up', () => {
    assert.throws(() => copyStamped!(['a', 'b'], ['c'], new Float64Array(8), 0o444), TypeError);
    assert.throws(() => copyStamped!(['a'], ['c'], new Float64Array(3), 0o444), TypeError);
    assert.throws(() => copyStamped!(['a'], ['c'], new Float64Array(4), 0o444, { trusted: new Uint8Array(2) }), TypeError);
    assert.throws(() => copyStamped!(['a'], ['c'], new Float64Array(4), 0o444, { out: new Float64Array(2) }), TypeError);
  });
});

test('a push to a local remote leaves the same remote with and without the native copy, and refuses a tampered object either way', { skip }, () => {
  const remotes: string[] = [];
  for (const native of ['1', '0']) {
    process.env.COPPER_DVC_NATIVE = native;
    const r = makeRepo();
    delete process.env.COPPER_DVC_NATIVE;
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < 300; i++) files[`data/sub${i % 5}/f${i}.txt`] = `file ${i}\n`.repeat(i % 17);
      writeFiles(r.dir, files);
      assert.equal(r.dvc('add', 'data').code, 0);
      const remote = join(root, `remote-${native}`);
      remotes.push(remote);
      assert.equal(r.dvc('remote', 'add', '-d', 'loc', remote).code, 0);
      // Tamper with one object after add recorded its stamp: its ctime moves.
      const oid = createHash('md5').update(files['data/sub3/f8.txt']!).digest('hex');
      const obj = join(r.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
      spawnSync('chmod', ['u+w', obj]);
      const b = readFileSync(obj);
      b[0] = b[0]! ^ 1;
      writeFileSync(obj, b);
      spawnSync('chmod', ['a-w', obj]);
      const s = r.dvc('push');
      assert.notEqual(s.code, 0, `native=${native}: a corrupt object was pushed`);
      assert.match(s.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/sub3/f8\\.txt' \\(md5: ${oid}\\) is corrupted \\(its content hashes to [0-9a-f]{32}\\)`, 'm'));
      assert.equal(statSync(join(remote, 'files', 'md5', oid.slice(0, 2), oid.slice(2)), { throwIfNoEntry: false }), undefined);
    } finally {
      r.cleanup();
    }
  }
  const [a, b] = remotes.map((d) => filesUnder(d));
  assert.ok(a!.length > 250, `only ${a!.length} objects pushed`);
  assert.deepEqual(a, b);
  for (const f of a!) {
    assert.deepEqual(readFileSync(join(remotes[0]!, f)), readFileSync(join(remotes[1]!, f)), f);
    assert.equal(statSync(join(remotes[0]!, f)).mode & 0o777, statSync(join(remotes[1]!, f)).mode & 0o777, f);
  }
});

test('pull and checkout by copy place the same files with and without the native copy, remember them as unchanged, and replace a modified file only with --force', { skip }, () => {
  const trees: Array<Map<string, string>> = [];
  for (const native of ['1', '0']) {
    process.env.COPPER_DVC_NATIVE = native;
    const r = makeRepo();
    delete process.env.COPPER_DVC_NATIVE;
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < 200; i++) files[`data/d${i % 4}/f${i}.txt`] = `row ${i}\n`.repeat(1 + (i % 9));
      writeFiles(r.dir, files);
      assert.equal(r.dvc('config', 'cache.type', 'copy').code, 0);
      assert.equal(r.dvc('add', 'data').code, 0);
      const remote = join(root, `pull-remote-${native}`);
      assert.equal(r.dvc('remote', 'add', '-d', 'loc', remote).code, 0);
      assert.equal(r.dvc('push').code, 0);
      // Pull into an empty cache and workspace: every object was hashed as it arrived.
      rmSync(join(r.dir, 'data'), { recursive: true });
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true });
      const p = r.dvc('pull');
      assert.equal(p.code, 0, p.stderr);
      const tree = new Map(filesUnder(join(r.dir, 'data')).map((f) => [f, readFileSync(join(r.dir, 'data', f), 'utf8')]));
      assert.deepEqual(Object.fromEntries(tree), Object.fromEntries(Object.entries(files).map(([k, v]) => [k.slice('data/'.length), v])));
      for (const f of tree.keys()) assert.equal(statSync(join(r.dir, 'data', f)).mode & 0o777, 0o666 & ~process.umask(), f);
      // Remembered as just written: nothing to report.
      const st = r.dvc('status');
      assert.equal(st.code, 0);
      assert.match(st.stdout, /Data and pipelines are up to date/);
      // Checkout from objects with known stamps (add and pull recorded them).
      rmSync(join(r.dir, 'data', 'd1'), { recursive: true });
      writeFileSync(join(r.dir, 'data', 'd2', 'f2.txt'), 'my edit\n');
      const c = r.dvc('checkout');
      assert.notEqual(c.code, 0, 'checkout replaced a modified file without --force');
      assert.equal(readFileSync(join(r.dir, 'data', 'd2', 'f2.txt'), 'utf8'), 'my edit\n');
      assert.equal(r.dvc('checkout', '--force').code, 0);
      assert.equal(readFileSync(join(r.dir, 'data', 'd1', 'f5.txt'), 'utf8'), files['data/d1/f5.txt']);
      assert.equal(readFileSync(join(r.dir, 'data', 'd2', 'f2.txt'), 'utf8'), files['data/d2/f2.txt']);
      assert.match(r.dvc('status').stdout, /Data and pipelines are up to date/);
      trees.push(tree);
    } finally {
      r.cleanup();
    }
  }
  assert.deepEqual(trees[0], trees[1]);
});
