import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore, parseLinkTypes } from '../../src/odb/local.js';
import { oidToPath, pathToOid } from '../../src/odb/layout.js';
import { LocalFileSystem } from '../../src/fs/local.js';
import { InvalidFileError, UnsafePathError } from '../../src/errors.js';
import { Readable } from 'node:stream';

const dir = mkdtempSync(join(tmpdir(), 'odb-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('object layout', () => {
  test('oid <-> path', () => {
    assert.equal(oidToPath('c748ba019387b984d9c2ebdaf9832571.dir'), 'files/md5/c7/48ba019387b984d9c2ebdaf9832571.dir');
    assert.equal(pathToOid('files/md5/c7/48ba019387b984d9c2ebdaf9832571.dir'), 'c748ba019387b984d9c2ebdaf9832571.dir');
    assert.equal(pathToOid('files/md5/c7/48ba019387b984d9c2ebdaf9832571.abc.tmp'), undefined);
    assert.throws(() => oidToPath('../../etc/passwd'), UnsafePathError);
  });
});

describe('local object store', () => {
  const store = new LocalObjectStore(join(dir, 'cache'));
  test('addBytes / addFile are atomic, read-only, verified', () => {
    store.addBytes(md5('[]') + '.dir', '[]');
    assert.equal(readFileSync(store.path('d751713988987e9331980363e24189ce.dir'), 'utf8'), '[]');
    assert.throws(() => store.addBytes('0'.repeat(32), 'not that'));
    writeFileSync(join(dir, 'f'), 'hello\n');
    const r = store.addFile(join(dir, 'f'));
    assert.equal(r.md5, 'b1946ac92492d2347c6235b4d2611184');
    assert.equal(statSync(store.path(r.md5)).mode & 0o777, 0o444);
    assert.deepEqual([...store.listOids()].sort(), ['b1946ac92492d2347c6235b4d2611184', 'd751713988987e9331980363e24189ce.dir']);
    assert.deepEqual(store.missing(['b1946ac92492d2347c6235b4d2611184', '0'.repeat(32)]), ['0'.repeat(32)]);
  });

  test('a corrupted object is detected by verify and readManifest', () => {
    const bad = md5('[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "../x"}]') + '.dir';
    store.addBytes(bad, '[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "../x"}]');
    assert.throws(() => store.readManifest(bad), UnsafePathError);
    const p = store.path('b1946ac92492d2347c6235b4d2611184');
    chmodSync(p, 0o644);
    writeFileSync(p, 'tampered');
    assert.equal(store.verify('b1946ac92492d2347c6235b4d2611184'), false);
    assert.equal(store.exists('b1946ac92492d2347c6235b4d2611184'), false, 'corrupt object removed');
    const m = md5('[]') + '.dir';
    chmodSync(store.path(m), 0o644);
    writeFileSync(store.path(m), '[ ]');
    assert.throws(() => new LocalObjectStore(join(dir, 'cache')).readManifest(m), InvalidFileError);
  });

  test('link types', () => {
    writeFileSync(join(dir, 'g'), 'world\n');
    const { md5: oid } = store.addFile(join(dir, 'g'));
    const copy = join(dir, 'copy');
    assert.equal(store.link(oid, copy, ['copy']), 'copy');
    assert.equal(readFileSync(copy, 'utf8'), 'world\n');
    assert.notEqual(statSync(copy).mode & 0o200, 0, 'copies are writable');
    const hard = join(dir, 'hard');
    assert.equal(store.link(oid, hard, ['hardlink']), 'hardlink');
    assert.equal(statSync(hard).ino, statSync(store.path(oid)).ino);
    const sym = join(dir, 'sym');
    assert.equal(store.link(oid, sym, ['symlink']), 'symlink');
    assert.equal(readlinkSync(sym), store.path(oid));
    // default: reflink then copy (reflink may be unsupported here: falls back)
    const def = join(dir, 'def');
    assert.ok(['reflink', 'copy'].includes(store.link(oid, def, parseLinkTypes(undefined))));
    assert.ok(lstatSync(def).isFile());
    // replacing an existing file is atomic (rename over it)
    writeFileSync(join(dir, 'existing'), 'old');
    store.link(oid, join(dir, 'existing'), ['copy']);
    assert.equal(readFileSync(join(dir, 'existing'), 'utf8'), 'world\n');
    assert.deepEqual(parseLinkTypes('hardlink, symlink'), ['hardlink', 'symlink']);
    assert.throws(() => parseLinkTypes('teleport'), InvalidFileError);
  });
});

describe('LocalFileSystem (local remote backend)', () => {
  test('write/read/list/size/delete, atomic, refuses ..', async () => {
    const fs = new LocalFileSystem(join(dir, 'remote'));
    await fs.write('files/md5/ab/cdef', Readable.from([Buffer.from('data')]));
    assert.equal(await fs.size('files/md5/ab/cdef'), 4);
    assert.equal(await fs.exists('files/md5/ab/nope'), false);
    const chunks: Buffer[] = [];
    for await (const c of await fs.read('files/md5/ab/cdef')) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'data');
    const listed: string[] = [];
    for await (const p of fs.list('files')) listed.push(p);
    assert.deepEqual(listed, ['files/md5/ab/cdef']);
    await assert.rejects(fs.read('files/none'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    await fs.delete('files/md5/ab/cdef');
    await fs.delete('files/md5/ab/cdef');
    assert.equal(await fs.exists('files/md5/ab/cdef'), false);
    await assert.rejects(fs.size('../x'), UnsafePathError);
  });
});
