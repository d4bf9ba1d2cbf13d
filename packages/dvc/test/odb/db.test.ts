/**
 * ObjectDb (src/odb/db.ts): one object interface over any FileSystem in DVC 3's or DVC 2's
 * layout, on a local folder (fast paths) and through a FileSystem that hides its folder (the
 * path every cloud remote takes). Real files, no mocks.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFileSystem } from '../../src/fs/local.js';
import type { FileSystem } from '../../src/fs/types.js';
import { ObjectDb } from '../../src/odb/db.js';
import { LAYOUT_V2, LAYOUT_V3 } from '../../src/odb/layout.js';
import { LocalObjectStore } from '../../src/odb/local.js';

const root = mkdtempSync(join(tmpdir(), 'objdb-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The folder seen as a cloud kind would be: no local root, every call through the interface. */
function opaque(dir: string): FileSystem & { lists: string[] } {
  const inner = new LocalFileSystem(dir);
  const lists: string[] = [];
  return {
    protocol: 'opaque',
    url: inner.url,
    lists,
    exists: (p) => inner.exists(p),
    size: (p) => inner.size(p),
    list: (p) => {
      lists.push(p);
      return inner.list(p);
    },
    read: (p) => inner.read(p),
    write: (p, d) => inner.write(p, d),
    delete: (p) => inner.delete(p),
    close: async () => undefined,
  };
}

async function all(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out.sort();
}

async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

for (const kind of ['local', 'opaque'] as const) {
  describe(`ObjectDb on a ${kind} file system`, () => {
    const dir = join(root, kind);
    const fs = kind === 'local' ? new LocalFileSystem(dir) : opaque(dir);
    const v3 = new ObjectDb(fs, LAYOUT_V3);
    const v2 = new ObjectDb(fs, LAYOUT_V2);
    const a = md5('a');
    const b = md5('b');
    const m = md5('[]') + '.dir';

    test('put / has / get / size / delete, each layout in its own place', async () => {
      await v3.put(a, Readable.from([Buffer.from('a')]));
      await v3.put(m, Readable.from([Buffer.from('[]')]));
      await v2.put(b, Readable.from([Buffer.from('b')]));
      assert.ok(existsSync(join(dir, 'files/md5', a.slice(0, 2), a.slice(2))));
      assert.ok(existsSync(join(dir, b.slice(0, 2), b.slice(2))));
      assert.equal(await v3.has(a), true);
      assert.equal(await v3.has(b), false, "DVC 2's objects are not DVC 3's");
      assert.equal(await v2.has(b), true);
      assert.equal(await text(await v3.get(a)), 'a');
      assert.equal(await v3.size(m), 2);
      await assert.rejects(v3.get(b), (e: { code?: string }) => e.code === 'ENOENT');
      assert.throws(() => v3.path('../x'), /invalid object id/);
    });

    test('list streams the oids of its layout only, whole or by prefix, skipping temp files and junk', async () => {
      writeFileSync(join(dir, 'files/md5', a.slice(0, 2), `${a.slice(2)}.0123456789abcdef.tmp`), 'partial');
      mkdirSync(join(dir, 'runs'), { recursive: true });
      writeFileSync(join(dir, 'runs', 'x'), 'not an object');
      writeFileSync(join(dir, 'README'), 'not an object');
      assert.deepEqual(await all(v3.list()), [a, m].sort());
      assert.deepEqual(await all(v2.list()), [b]);
      assert.deepEqual(await all(v3.list(a.slice(0, 1))), [a, m].filter((o) => o.startsWith(a[0]!)).sort());
      assert.deepEqual(await all(v3.list(a.slice(0, 5))), [a]);
      assert.deepEqual(await all(v3.list('ffffffff')), []);
      if (kind === 'opaque') {
        // a two-hex prefix lists one folder, not the store
        const fsx = fs as ReturnType<typeof opaque>;
        fsx.lists.length = 0;
        await all(v3.list(a.slice(0, 2)));
        assert.deepEqual(fsx.lists, [`files/md5/${a.slice(0, 2)}`]);
      }
    });

    test('hasMany answers for many oids (listing) as for a few (one query each)', async () => {
      const many = [a, m, b, ...Array.from({ length: 40 }, (_, i) => md5(`absent ${i}`))];
      assert.deepEqual([...(await v3.hasMany(many, 4))].sort(), [a, m].sort());
      assert.deepEqual([...(await v3.hasMany([a, b], 4))], [a]);
      assert.deepEqual([...(await v2.hasMany(many, 4))], [b]);
    });

    test('delete removes one object; an absent one is no error', async () => {
      await v3.delete(m);
      await v3.delete(m);
      assert.equal(await v3.has(m), false);
    });
  });
}

describe('temp-file discipline', () => {
  test('removeStaleTemps on a local db removes old temp files only, in its own layout area', async () => {
    const dir = join(root, 'temps');
    const store = new LocalObjectStore(dir);
    const a = md5('kept');
    store.addBytes(a, 'kept');
    const pfx = join(dir, 'files/md5', a.slice(0, 2));
    const old = join(pfx, `${a.slice(2)}.0123456789abcdef.tmp`);
    const fresh = join(pfx, `${a.slice(2)}.fedcba9876543210.tmp`);
    const staged = join(dir, 'files/md5', '.00112233445566ff.tmp');
    const legacyOld = join(dir, 'ab', 'cdef.0123456789abcdef.tmp');
    mkdirSync(join(dir, 'ab'), { recursive: true });
    for (const f of [old, fresh, staged, legacyOld]) writeFileSync(f, 'x');
    const past = new Date(Date.now() - 2 * 3600_000);
    for (const f of [old, staged, legacyOld]) utimesSync(f, past, past);
    assert.equal(await store.db.removeStaleTemps(3600_000), 2);
    assert.deepEqual(readdirSync(pfx).sort(), [a.slice(2), `${a.slice(2)}.fedcba9876543210.tmp`].sort());
    assert.equal(existsSync(staged), false);
    assert.equal(existsSync(legacyOld), true, "DVC 2's area is the legacy db's");
    const legacy = new LocalObjectStore(dir, { hashName: 'md5-dos2unix' });
    assert.equal(await legacy.db.removeStaleTemps(3600_000), 1);
    assert.equal(existsSync(legacyOld), false);
    assert.equal(await store.db.has(a), true);
  });

  test('the cache is an ObjectDb: what addBytes stores, db lists and reads', async () => {
    const store = new LocalObjectStore(join(root, 'cache'));
    const a = md5('x');
    store.addBytes(a, 'x');
    assert.deepEqual(await all(store.db.list()), [a]);
    assert.equal(await text(await store.db.get(a)), 'x');
    assert.equal(store.db.localPath(a), store.path(a));
  });
});
