// `dvc fetch` / `dvc pull` from S3 (Ceph RGW) through the CLI, on the fast path (small objects
// come whole from one plain GET, src/fs/s3-direct.ts) and on the SDK path (COPPER_S3_DIRECT=0):
// objects whose bytes on the remote do not match their name are refused with the same message on
// both, never enter the cache, and leave no temp file; the good ones arrive whole.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CLI, makeRepo, writeFiles } from '../repo/helpers.js';
import { S3FileSystem } from '../../src/fs/s3.js';
import { testServer, uniqueName } from './servers.js';

const server = testServer('ceph');
const info = server.info;
const bucket = uniqueName('s3dl').toLowerCase();
const creds = () => ({ endpointurl: info!.endpoint!, access_key_id: info!.access_key_id!, secret_access_key: info!.secret_access_key! });
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** Every file below the cache's objects folder (names relative to it). */
function cacheFiles(dir: string): string[] {
  const root = join(dir, '.dvc', 'cache', 'files', 'md5');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((p) => readdirSync(join(root, p)).map((f) => `${p}/${f}`)).sort();
}

describe('s3 downloads through the CLI: corrupt objects on the remote', { skip: server.skip, timeout: 300_000 }, () => {
  before(async () => {
    const fs = new S3FileSystem(`s3://${bucket}`, creds());
    await fs.createBucket();
    await fs.close();
  });

  test('fetch and pull refuse objects whose bytes do not match their name, with the same message on the fast path and on the SDK', async () => {
    const repo = makeRepo();
    const name = `dl-${randomBytes(4).toString('hex')}`;
    try {
      // Small objects (kept whole in memory) and one over 1 MiB (streamed to a temp file).
      const files: Record<string, Buffer> = {
        'data/a.txt': Buffer.from('a\n'),
        'data/b.txt': Buffer.from('b\n'),
        'data/c.bin': randomBytes(40_000),
        'data/big.bin': randomBytes((1 << 20) + 4096),
      };
      writeFiles(repo.dir, files);
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'cloud', `s3://${bucket}/${name}`).code, 0);
      for (const [k, v] of Object.entries(creds())) assert.equal(repo.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
      let s = repo.dvc('push');
      assert.equal(s.code, 0, s.stderr);

      // Other bytes under the name of one object, a small one then the large one (the error
      // names the first object that failed, so one at a time).
      const fs = new S3FileSystem(`s3://${bucket}/${name}`, creds());
      const put = async (oid: string, data: Buffer) => fs.write(`files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`, Readable.from([data]), data.length);
      try {
        for (const badPath of ['data/b.txt', 'data/big.bin']) {
          const oid = md5(files[badPath]!);
          const other = badPath === 'data/b.txt' ? Buffer.from('tampered\n') : randomBytes(files[badPath]!.length);
          await put(oid, other);
          const good = Object.keys(files).filter((p) => p !== badPath);
          const runs: Record<string, string> = {};
          for (const [path, direct] of [
            ['fast', undefined],
            ['sdk', '0'],
          ] as const) {
            for (const cmd of ['fetch', 'pull']) {
              const what = `${badPath}: ${path} ${cmd}`;
              rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true, force: true });
              rmSync(join(repo.dir, 'data'), { recursive: true, force: true });
              const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(repo.dir, '..'), DVC_GLOBAL_CONFIG_DIR: join(repo.dir, '..', 'global'), DVC_SYSTEM_CONFIG_DIR: join(repo.dir, '..', 'system') };
              if (direct === undefined) delete env.COPPER_S3_DIRECT;
              else env.COPPER_S3_DIRECT = direct;
              const r = spawnSync(process.execPath, [CLI, cmd], { cwd: repo.dir, env, encoding: 'utf8' });
              assert.equal(r.status, 1, `${what}: ${r.stderr}`);
              assert.equal(
                r.stderr,
                `ERROR: failed to ${cmd} data from the cloud - 1 files failed to download (object '${oid}' on the remote is corrupted (its content hashes to ${md5(other)}))\n`,
                what,
              );
              // The cache: the good objects and the manifest, nothing else (no corrupt object, no temp file).
              const cached = cacheFiles(repo.dir);
              for (const p of good) assert.ok(cached.includes(`${md5(files[p]!).slice(0, 2)}/${md5(files[p]!).slice(2)}`), `${what}: ${p} not in the cache`);
              assert.equal(cached.length, good.length + 1, `${what}: ${cached.join(' ')}`);
              if (cmd === 'pull') {
                for (const p of good) assert.ok(readFileSync(join(repo.dir, p)).equals(files[p]!), `${what}: ${p}`);
                assert.equal(existsSync(join(repo.dir, badPath)), false, `${what}: the corrupt object was checked out`);
              }
              runs[`${path} ${cmd}`] = r.stderr;
            }
          }
          assert.equal(runs['fast fetch'], runs['sdk fetch'], badPath);
          assert.equal(runs['fast pull'], runs['sdk pull'], badPath);
          await put(oid, files[badPath]!);
        }
      } finally {
        await fs.close();
      }
    } finally {
      repo.cleanup();
    }
  });

  test('fetch remembers the stamp of every object it hashed on the way in (small and large), so a later push to a local remote trusts them; one changed since is refused', async () => {
    const repo = makeRepo();
    const name = `st-${randomBytes(4).toString('hex')}`;
    try {
      const files: Record<string, Buffer> = {};
      for (let i = 0; i < 12; i++) files[`data/f${i}.bin`] = randomBytes(100 + i * 37);
      files['data/big.bin'] = randomBytes((1 << 20) + 999);
      writeFiles(repo.dir, files);
      assert.equal(repo.dvc('add', 'data').code, 0);
      assert.equal(repo.dvc('remote', 'add', '-d', 'cloud', `s3://${bucket}/${name}`).code, 0);
      for (const [k, v] of Object.entries(creds())) assert.equal(repo.dvc('remote', 'modify', '--local', 'cloud', k, v).code, 0);
      assert.equal(repo.dvc('push').code, 0);
      rmSync(join(repo.dir, '.dvc', 'cache'), { recursive: true });
      rmSync(join(repo.dir, '.dvc', 'tmp'), { recursive: true, force: true });
      const s = repo.dvc('fetch');
      assert.equal(s.code, 0, s.stderr);
      const db = new Database(join(repo.dir, '.dvc', 'tmp', 'copper-state.sqlite'), { readonly: true });
      const rows = new Map((db.prepare('SELECT oid, ino, size, mtime, ctime FROM objects').all() as Array<{ oid: string; ino: number; size: number; mtime: number; ctime: number }>).map((r) => [r.oid, r]));
      db.close();
      for (const [path, data] of Object.entries(files)) {
        const oid = md5(data);
        const st = statSync(join(repo.dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2)));
        assert.deepEqual(rows.get(oid), { oid, ino: st.ino, size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs }, `${path}: no stamp, or not the object's own`);
      }
      // Changed after the fetch (its ctime moves): not trusted, hashed, refused.
      const bad = md5(files['data/f4.bin']!);
      const obj = join(repo.dir, '.dvc', 'cache', 'files', 'md5', bad.slice(0, 2), bad.slice(2));
      chmodSync(obj, 0o644);
      writeFileSync(obj, 'other bytes');
      chmodSync(obj, 0o444);
      assert.equal(repo.dvc('remote', 'add', 'disk', '../disk').code, 0);
      const p = repo.dvc('push', '-r', 'disk');
      assert.equal(p.code, 1);
      assert.match(p.stderr, new RegExp(`^ERROR: not pushed: cache object of 'data/f4\\.bin' \\(md5: ${bad}\\) is corrupted`, 'm'));
      for (const [path, data] of Object.entries(files)) {
        const oid = md5(data);
        const onDisk = join(repo.dir, '..', 'disk', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
        if (oid === bad) assert.equal(existsSync(onDisk), false);
        else assert.deepEqual(readFileSync(onDisk), data, path);
      }
    } finally {
      repo.cleanup();
    }
  });
});
