/** Test helpers: real temp folders, real git, our CLI as users run it (bin/dvc.js: the bundle built by `npm test`). */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CLI = join(here, '..', '..', 'bin', 'dvc.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh git + dvc repository in a temp folder (removed by cleanup()). */
export function makeRepo(opts: { git?: boolean } = {}): { dir: string; dvc: (...args: string[]) => Run; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'copper-dvc-'));
  const dir = join(base, 'repo');
  mkdirSync(dir);
  const env = { ...process.env, DVC_GLOBAL_CONFIG_DIR: join(base, 'global'), DVC_SYSTEM_CONFIG_DIR: join(base, 'system'), GIT_CONFIG_NOSYSTEM: '1', HOME: base };
  if (opts.git !== false) {
    git(dir, 'init', '-q');
    git(dir, 'config', 'user.email', 't@t');
    git(dir, 'config', 'user.name', 't');
  }
  const dvc = (...args: string[]): Run => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8' });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const init = dvc('init', ...(opts.git === false ? ['--no-scm'] : []));
  if (init.code !== 0) throw new Error(`dvc init failed: ${init.stderr}`);
  return { dir, dvc, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export function git(cwd: string, ...args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** Writes files: { 'data/a.txt': 'hello\n', ... }. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

/** Starts the CLI in the background (for kill -9 tests). */
export function spawnDvc(dir: string, args: string[]) {
  return spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: 'ignore' });
}

/** One line, `ERROR: ` prefixed, no stack trace. */
export function isCleanError(r: Run): boolean {
  return r.code !== 0 && /^ERROR: /.test(r.stderr) && !/\n\s+at /.test(r.stderr);
}
