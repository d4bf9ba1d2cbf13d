/**
 * push / pull / status -c / gc -c through the CLI against the WebHDFS REST emulator (an emulator
 * of the documented API, not HDFS: no HDFS server installs here), including transient 503s from
 * the namenode, which the remote layer retries.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, makeRepo, writeFiles } from '../repo/helpers.js';
import { startWebhdfsEmulator, type WebhdfsEmulator } from '../servers/webhdfs-emulator.js';
import { corrupt, dataset, objects } from './helpers.js';

/** The CLI as a child process (async: the emulator answers from this process meanwhile). */
function dvcAsync(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const env = { ...process.env, DVC_GLOBAL_CONFIG_DIR: join(cwd, '..', 'global'), DVC_SYSTEM_CONFIG_DIR: join(cwd, '..', 'system') };
    const c = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

describe('sync with a webhdfs remote (WebHDFS REST emulator, not HDFS)', () => {
  let emu: WebhdfsEmulator;
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'copper-hdfs-sync-'));
    emu = await startWebhdfsEmulator({ root, user: 'alice' });
  });
  after(async () => {
    await emu.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('emulator: push (with transient 503s retried), status -c, gc -c, pull', async () => {
    const r = makeRepo();
    try {
      writeFiles(r.dir, dataset(30, 1500, 'hdfs'));
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal(r.dvc('remote', 'add', '-d', 'h', `webhdfs://127.0.0.1:${emu.namenodePort}/user/alice/dvc`).code, 0);
      assert.equal(r.dvc('remote', 'modify', 'h', 'user', 'alice').code, 0);
      emu.failNext(3);
      let s = await dvcAsync(r.dir, ['push']);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, '31 files pushed\n');
      const onServer = join(root, 'user/alice/dvc');
      assert.equal(objects(onServer).size, 31);
      assert.deepEqual(corrupt(onServer), []);
      s = await dvcAsync(r.dir, ['status', '-c']);
      assert.equal(s.stdout, "Cache and remote 'h' are in sync.\n");
      // a new version, then gc -w -c removes the old objects from the emulated HDFS
      writeFiles(r.dir, { 'data/0/f0.bin': 'new version' });
      assert.equal(r.dvc('add', 'data').code, 0);
      assert.equal((await dvcAsync(r.dir, ['push'])).stdout, '2 files pushed\n');
      s = await dvcAsync(r.dir, ['gc', '-w', '-c', '-f']);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /Removed 2 objects from remote\./);
      rmSync(join(r.dir, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(r.dir, 'data'), { recursive: true, force: true });
      s = await dvcAsync(r.dir, ['pull']);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^31 files fetched and 30 files added$/m);
      assert.equal(readFileSync(join(r.dir, 'data/0/f0.bin'), 'utf8'), 'new version');
      // a user the emulator refuses: one clear error
      assert.equal(r.dvc('remote', 'modify', 'h', 'user', 'mallory').code, 0);
      s = await dvcAsync(r.dir, ['status', '-c']);
      assert.equal(s.code, 1);
      assert.match(s.stderr, /^ERROR: .*access denied \(HTTP 401/);
      assert.doesNotMatch(s.stderr, /\n\s+at /);
    } finally {
      r.cleanup();
    }
  });
});
