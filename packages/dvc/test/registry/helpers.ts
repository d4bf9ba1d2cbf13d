/** A data registry for the registry tests: `<tmp>/src` (git + DVC, remote `<tmp>/src-remote`), tags v1 and v2. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGitRepo } from '../conformance/replay.js';
import { sandbox, type Sandbox } from '../cli/helpers.js';

export interface Registry extends Sandbox {
  src: string;
  srcRemote: string;
  /** Runs dvc in the registry. */
  inSrc(args: string[]): void;
  gitSrc(args: string[]): string;
}

export function registry(opts: { repoIsDvc?: boolean } = {}): Registry {
  const s = sandbox();
  const src = join(s.tmp, 'src');
  const srcRemote = join(s.tmp, 'src-remote');
  makeGitRepo(src, s.env);
  const inSrc = (args: string[]) => {
    const r = s.dvc(args, { cwd: src });
    assert.equal(r.code, 0, `dvc ${args.join(' ')}: ${r.stderr}`);
  };
  const gitSrc = (args: string[]) => {
    const r = s.git(args, { cwd: src });
    assert.equal(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  inSrc(['init', '-q']);
  inSrc(['remote', 'add', '-q', '-d', 'r', srcRemote]);
  mkdirSync(join(src, 'data', 'sub'), { recursive: true });
  writeFileSync(join(src, 'data', 'file'), 'v1\n');
  writeFileSync(join(src, 'data', 'sub', 's.txt'), 'sub\n');
  writeFileSync(join(src, 'README.txt'), 'readme\n');
  inSrc(['add', '-q', 'data']);
  inSrc(['push', '-q']);
  gitSrc(['add', '-A']);
  gitSrc(['commit', '-qm', 'v1']);
  gitSrc(['tag', 'v1']);
  writeFileSync(join(src, 'data', 'file'), 'v2\n');
  writeFileSync(join(src, 'data', 'new.txt'), 'new\n');
  inSrc(['add', '-q', 'data']);
  inSrc(['push', '-q']);
  gitSrc(['add', '-A']);
  gitSrc(['commit', '-qm', 'v2']);
  gitSrc(['tag', 'v2']);
  if (opts.repoIsDvc ?? true) assert.equal(s.dvc(['init', '-q']).code, 0);
  return { ...s, src, srcRemote, inSrc, gitSrc };
}
