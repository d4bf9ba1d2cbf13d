import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebhdfsFileSystem } from '../../src/fs/webhdfs.js';
import { startWebhdfsEmulator, type WebhdfsEmulator } from '../servers/webhdfs-emulator.js';
import { checkBackend, readAll } from './backend-checks.js';
import { backendContract } from './contract.js';

describe('webhdfs client against the WebHDFS REST emulator (emulator, not HDFS)', () => {
  let emu: WebhdfsEmulator;
  let dir: string;
  const fss: WebhdfsFileSystem[] = [];
  const open = (url: string, o: Record<string, string> = {}) => {
    const f = new WebhdfsFileSystem(url, o);
    fss.push(f);
    return f;
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'copper-webhdfs-'));
    emu = await startWebhdfsEmulator({ root: dir, user: 'alice' });
  });
  after(async () => {
    for (const f of fss) await f.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('emulator: write via CREATE redirect + RENAME, OPEN, GETFILESTATUS, LISTSTATUS, DELETE', async () => {
    const fs = open(`webhdfs://alice@127.0.0.1:${emu.namenodePort}/user/alice/remote`);
    await checkBackend(fs, 'p1', { canList: true, bigBytes: 4 * 1024 * 1024 });
    // the bytes are in the emulated HDFS under the remote's path; no temporary files remain
    const d = join(dir, 'user/alice/remote/p1/files/md5/ab');
    assert.deepEqual(readdirSync(d), ['0000.dir']);
    assert.equal(readFileSync(join(d, '0000.dir'), 'utf8'), '[1]');
    // the two-step CREATE was followed: namenode answered 307, the datanode took the bytes
    assert.ok(emu.log.some((l) => l.startsWith('NN PUT CREATE /user/alice/remote/p1/files/md5/ab/0000.dir.copper-tmp-')));
    assert.ok(emu.log.some((l) => l.startsWith('DN PUT CREATE /user/alice/remote/p1/files/md5/ab/0000.dir.copper-tmp-')));
    assert.ok(emu.log.some((l) => l.startsWith('NN PUT RENAME /user/alice/remote/p1/files/md5/ab/0000.dir.copper-tmp-')));
  });

  test('emulator: hdfs:// URLs go to the namenode web port (webhdfs_port) and user option is sent as user.name', async () => {
    const fs = open(`hdfs://127.0.0.1:8020/data`, { user: 'alice', webhdfs_port: String(emu.namenodePort) });
    await fs.write('files/md5/12/3456', Readable.from([Buffer.from('via hdfs url')]));
    assert.equal((await readAll(fs, 'files/md5/12/3456')).toString(), 'via hdfs url');
    assert.equal(readFileSync(join(dir, 'data/files/md5/12/3456'), 'utf8'), 'via hdfs url');
  });

  test('emulator: a rejected user is one clear access error', async () => {
    const fs = open(`webhdfs://mallory@127.0.0.1:${emu.namenodePort}/data`);
    await assert.rejects(() => fs.exists('files/md5/12/3456'), /access denied \(HTTP 401/);
  });

  test('emulator: a 503 from the namenode surfaces as a status error (for the retry wrapper)', async () => {
    const fs = open(`webhdfs://alice@127.0.0.1:${emu.namenodePort}/data`);
    emu.failNext(1);
    await assert.rejects(() => fs.exists('files/md5/12/3456'), (e: { status?: number }) => e.status === 503);
    assert.equal(await fs.exists('files/md5/12/3456'), true);
  });
});

{
  // The contract measures client memory, so here the emulator runs in its own process.
  let child: ChildProcess | undefined;
  let port = 0;
  let root = '';
  let n = 0;
  const start = async (): Promise<number> => {
    if (!child) {
      root = mkdtempSync(join(tmpdir(), 'copper-webhdfs-contract-'));
      const script = fileURLToPath(new URL('../servers/webhdfs-emulator.ts', import.meta.url));
      child = spawn(process.execPath, ['--import', 'tsx', script, '--root', root, '--user', 'alice'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      port = (JSON.parse(line) as { namenodePort: number }).namenodePort;
    }
    return port;
  };
  backendContract({
    name: 'webhdfs (REST emulator, not HDFS)',
    open: async () => new WebhdfsFileSystem(`webhdfs://alice@127.0.0.1:${await start()}/contract${n++}`),
    badCredentials: async () => new WebhdfsFileSystem(`webhdfs://mallory@127.0.0.1:${await start()}/contract`),
    missingBucket: 'HDFS creates missing folders',
  });
  after(() => {
    child?.kill();
    if (root) rmSync(root, { recursive: true, force: true });
  });
}
