/**
 * The repository lock, `.dvc/tmp/lock`: one dvc process writes to a repository at a time.
 *
 * Python DVC takes this lock with zc.lockfile, which is an flock(2) on the file. Node has no
 * flock, so a small child process (util-linux `flock FILE sh -c ...`) takes and holds it for us:
 * it prints a line once the lock is held and keeps it until we close its stdin, or until this
 * process dies (kill -9 included: the pipe closes, the child exits, the kernel drops the lock).
 * The same lock as Python DVC's, so our CLI and Python DVC exclude each other too.
 *
 * A second process waits (DVC: about 3 seconds), then fails with LockError and DVC's message.
 * Nested `withLock` calls in one process for the same file share the held lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { nativeTryLock } from './fs/scan.js';
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LockError } from './errors.js';

export const FAILED_TO_LOCK_MESSAGE =
  'Unable to acquire lock. Most likely another DVC process is running or was terminated abruptly. ' +
  'Check the page <https://dvc.org/doc/user-guide/troubleshooting#lock-issue> for other possible ' +
  'reasons and to learn how to resolve this.';

/** DVC waits about this long for the lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 3000;

interface Held {
  /** The `flock` process holding the lock, or null when this process holds it (native flock). */
  child: ChildProcess | null;
  depth: number;
}

/** As DVC: the lock file names its holder (for a person wondering who holds it). */
function writeHolder(fd: number): void {
  try {
    ftruncateSync(fd);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch {
    /* informational only */
  }
}

const EWOULDBLOCK = 11;

/** Takes flock(2) on `fd`, retrying every 50 ms until `timeoutMs` (zc.lockfile's wait), else LockError. */
async function flockInProcess(fd: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = nativeTryLock!(fd);
    if (r === 0) return;
    if (r !== EWOULDBLOCK) throw new LockError(`cannot take the repository lock: flock failed (errno ${r})`);
    if (Date.now() >= deadline) throw new LockError(FAILED_TO_LOCK_MESSAGE);
    await new Promise((res) => setTimeout(res, Math.min(50, Math.max(1, deadline - Date.now()))));
  }
}

const held = new Map<string, Held>();

function acquireFlock(file: string, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const seconds = Math.max(0, timeoutMs / 1000).toFixed(3);
    const child = spawn('flock', ['-x', '-w', seconds, file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!done && out.includes('locked\n')) {
        done = true;
        resolvePromise(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      reject(
        e.code === 'ENOENT'
          ? new LockError('cannot take the repository lock: the `flock` command (util-linux) is not installed')
          : new LockError(`cannot take the repository lock: ${e.message}`),
      );
    });
    child.on('exit', (code) => {
      if (done) return;
      done = true;
      // flock -w exits 1 when the wait timed out; anything else is an unexpected failure.
      if (code === 1 && !err.trim()) reject(new LockError(FAILED_TO_LOCK_MESSAGE));
      else reject(new LockError(err.trim() ? `cannot take the repository lock: ${err.trim().split('\n')[0]}` : FAILED_TO_LOCK_MESSAGE));
    });
  });
}

function releaseChild(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    // Keep the process alive until the holder is gone, so the lock is free when we return.
    child.ref();
    child.once('exit', () => resolvePromise());
    child.stdin!.end();
  });
}

/** Takes the lock at `file` (creating its folder), runs `fn`, and releases it, even on error. */
export async function withLock<T>(
  file: string,
  fn: () => Promise<T> | T,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const key = resolve(file);
  const mine = held.get(key);
  if (mine) {
    mine.depth++;
    try {
      return await fn();
    } finally {
      mine.depth--;
    }
  }
  mkdirSync(dirname(key), { recursive: true });
  // The lock file must be a plain file: never follow a planted link to write elsewhere.
  let fd: number;
  try {
    fd = openSync(key, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LockError(
      code === 'ELOOP' ? `'${key}' is a symbolic link, not a lock file; remove it` : `cannot open the lock file '${key}': ${code}`,
    );
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (nativeTryLock) {
    // The same flock(2) as below, taken in-process: closing the fd releases it.
    try {
      await flockInProcess(fd, timeoutMs);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    held.set(key, { child: null, depth: 1 });
    try {
      writeHolder(fd);
      return await fn();
    } finally {
      held.delete(key);
      closeSync(fd);
    }
  }
  const child = await acquireFlock(key, timeoutMs).catch((e: unknown) => {
    closeSync(fd);
    throw e;
  });
  // Do not keep the event loop alive for the lock holder alone.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const entry: Held = { child, depth: 1 };
  held.set(key, entry);
  try {
    writeHolder(fd);
    return await fn();
  } finally {
    held.delete(key);
    closeSync(fd);
    await releaseChild(child);
  }
}

/** True while this process holds the lock at `file`. */
export function isLockHeld(file: string): boolean {
  return held.has(resolve(file));
}
