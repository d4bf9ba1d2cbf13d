/**
 * The repository lock (.dvc/tmp/lock): flock(2) on the file, as Python DVC's zc.lockfile takes it,
 * so a holder of either kind keeps the other out; a crashed holder frees it at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LockError } from '../../src/errors.js';
import { FAILED_TO_LOCK_MESSAGE, isLockHeld, withLock } from '../../src/lock.js';
import { sandbox } from '../cli/helpers.js';
import { CLI as CLI_PATH } from '../conformance/replay.js';

const dir = mkdtempSync(join(tmpdir(), 'copper-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a process holding `file` with flock (as Python DVC would); resolves once it holds it. */
function holdWithFlock(file: string) {
  // --no-fork: the shell (then sleep) itself holds the lock, so killing it frees the lock
  const child = spawn('flock', ['--no-fork', '-x', file, 'sh', '-c', 'echo held; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { child, ready };
}

describe('repository lock', () => {
  test('runs the function holding the lock, re-entrant in one process, and writes our pid', async () => {
    const file = join(dir, 'a', 'lock');
    const got = await withLock(file, async () => {
      assert.ok(isLockHeld(file));
      assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
      return withLock(file, () => 42);
    });
    assert.equal(got, 42);
    assert.equal(isLockHeld(file), false);
  });

  test('a lock file that is a symbolic link is refused, and its target left alone', async () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me\n');
    mkdirSync(join(dir, 'e'));
    symlinkSync(target, join(dir, 'e', 'lock'));
    await assert.rejects(withLock(join(dir, 'e', 'lock'), () => 1), (e: unknown) => e instanceof LockError && /symbolic link/.test(e.message));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'e', 'dangling'));
    await assert.rejects(withLock(join(dir, 'e', 'dangling'), () => 1), LockError);
    assert.equal(readFileSync(target, 'utf8'), 'keep me\n');
    assert.equal(existsSync(join(dir, 'nowhere')), false);
  });

  test('releases on error', async () => {
    const file = join(dir, 'b', 'lock');
    await assert.rejects(withLock(file, () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await withLock(file, () => 'again', { timeoutMs: 200 }), 'again');
  });

  test('a second holder waits, then fails with DVC\'s message; free again once it ends', async () => {
    const file = join(dir, 'c', 'lock');
    await withLock(file, () => undefined); // creates the folder and file
    const holder = holdWithFlock(file);
    await holder.ready;
    const t0 = Date.now();
    await assert.rejects(
      withLock(file, () => 'never', { timeoutMs: 600 }),
      (e: unknown) => e instanceof LockError && e.message === FAILED_TO_LOCK_MESSAGE,
    );
    assert.ok(Date.now() - t0 >= 500, 'it waited before giving up');
    // while waiting, the holder goes away: the waiter gets the lock
    const waiting = withLock(file, () => 'mine', { timeoutMs: 5000 });
    setTimeout(() => holder.child.kill('SIGKILL'), 300);
    assert.equal(await waiting, 'mine');
  });

  test('a process killed with -9 while holding the lock does not leave it held', async () => {
    const file = join(dir, 'd', 'lock');
    const lockModule = new URL('../../src/lock.ts', import.meta.url).pathname;
    const script =
      `const { withLock } = await import(${JSON.stringify(lockModule)});` +
      `await withLock(${JSON.stringify(file)}, () => { console.log('held'); return new Promise(() => setInterval(() => {}, 1000)); });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await assert.rejects(withLock(file, () => 1, { timeoutMs: 300 }), LockError);
    child.kill('SIGKILL');
    assert.equal(await withLock(file, () => 'after crash', { timeoutMs: 3000 }), 'after crash');
  });
});

describe('the lock between dvc commands', () => {
  test('dvc add waits for a holder (as Python DVC takes it), then fails cleanly; works once it is free', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'f'), 'data\n');
    const lock = join(s.repo, '.dvc', 'tmp', 'lock');
    const holder = holdWithFlock(lock);
    await holder.ready;
    const t0 = Date.now();
    const blocked = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_PATH, 'add', 'f'], {
        cwd: s.repo,
        env: s.env,
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    const waited = Date.now() - t0;
    holder.child.kill('SIGKILL');
    assert.equal(blocked.code, 1);
    assert.equal(blocked.stderr, `ERROR: ${FAILED_TO_LOCK_MESSAGE}\n`);
    assert.ok(waited >= 2500, `waited ${waited} ms before giving up`);
    assert.equal(existsSync(join(s.repo, 'f.dvc')), false, 'nothing written without the lock');
    await new Promise((r) => holder.child.once('exit', r));
    const ok = s.dvc(['add', 'f', '-q']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(s.repo, 'f.dvc')));
  });

  test('dvc status, status -c and diff take the lock as DVC does: the same wait and message while another process holds it', async () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    mkdirSync(join(s.tmp, 'remote'));
    assert.equal(s.dvc(['remote', 'add', '-d', 'store', join(s.tmp, 'remote')]).code, 0);
    writeFileSync(join(s.repo, 'f'), 'data\n');
    assert.equal(s.dvc(['add', 'f', '-q']).code, 0);
    const holder = holdWithFlock(join(s.repo, '.dvc', 'tmp', 'lock'));
    await holder.ready;
    try {
      for (const args of [['status'], ['status', '-c'], ['status', '--json', 'f'], ['diff']]) {
        const r = s.dvc(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        // DVC's CmdDiff reports any DvcException under 'failed to get diff'.
        const prefix = args[0] === 'diff' ? 'failed to get diff - ' : '';
        assert.equal(r.stderr, `ERROR: ${prefix}${FAILED_TO_LOCK_MESSAGE}\n`, args.join(' '));
        assert.equal(r.stdout, '', `${args.join(' ')} printed a status without the lock`);
      }
    } finally {
      holder.child.kill('SIGKILL');
      await new Promise((r) => holder.child.once('exit', r));
    }
    const r = s.dvc(['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /up to date/);
  });
});
