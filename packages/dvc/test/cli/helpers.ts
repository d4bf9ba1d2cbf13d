/** Runs our built `dvc` CLI in throw-away folders, isolated from the user's DVC and git config. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { CLI, isolatedEnv, makeGitRepo } from '../conformance/replay.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  /** The sandbox folder: <tmp>/repo is a fresh git repository. */
  tmp: string;
  repo: string;
  env: NodeJS.ProcessEnv;
  dvc(args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): RunResult;
  git(args: string[], opts?: { cwd?: string }): RunResult;
}

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function sandbox(opts: { git?: boolean } = {}): Sandbox {
  const tmp = mkdtempSync(join(tmpdir(), 'copper-cli-'));
  made.push(tmp);
  const repo = join(tmp, 'repo');
  const env = isolatedEnv(tmp);
  if (opts.git ?? true) makeGitRepo(repo, env);
  else mkdirSync(repo, { recursive: true });
  const exec = (cmd: string, args: string[], cwd: string, e: NodeJS.ProcessEnv): RunResult => {
    const r = spawnSync(cmd, args, { cwd, env: e, encoding: 'utf8' });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    tmp,
    repo,
    env,
    dvc: (args, o = {}) => exec(process.execPath, [CLI, ...args], o.cwd ?? repo, { ...env, ...(o.env ?? {}) }),
    git: (args, o = {}) => exec('git', args, o.cwd ?? repo, env),
  };
}

/** Asserts-friendly view: an error is exactly one `ERROR: ` line and no stack trace. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.length === 1 && lines[0]!.startsWith('ERROR: ') && !/\n\s+at /.test(stderr);
}
