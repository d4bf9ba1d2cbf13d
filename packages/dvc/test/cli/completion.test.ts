/** `dvc completion`: the bash script completes our commands, subcommands and flags in real bash. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { sandbox } from './helpers.js';
import { allCommands } from '../../src/cli/commands/lazy.js';

const commands = await allCommands();

/** COMPREPLY for the words typed (the last one is being completed), from the generated script. */
function complete(script: string, cwd: string, typed: string[]): string[] {
  const words = typed.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['--norc', '-c', `source "$1"; COMP_WORDS=(${words}); COMP_CWORD=${typed.length - 1}; _dvc; printf '%s\\n' "\${COMPREPLY[@]}"`, 'x', script], {
    cwd,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('dvc completion', () => {
  test('bash (the default): commands, subcommands, flags and file names', () => {
    const s = sandbox({ git: false });
    const r = s.dvc(['completion']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.dvc(['completion', '-s', 'bash']).stdout, r.stdout);
    const script = join(s.tmp, 'dvc.bash');
    writeFileSync(script, r.stdout);
    assert.match(r.stdout, /\ncomplete -o filenames -F _dvc dvc\n$/);
    assert.deepEqual(complete(script, s.repo, ['dvc', 'rem']), ['remote', 'remove']);
    assert.deepEqual(complete(script, s.repo, ['dvc', 'remote', 'a']), ['add']);
    assert.deepEqual(complete(script, s.repo, ['dvc', '-q', 'remote', 'add', '--d']), ['--default']);
    assert.deepEqual(complete(script, s.repo, ['dvc', 'freeze', '-']), ['--cd', '--help', '--quiet', '--verbose', '-h', '-q', '-v']);
    assert.deepEqual(complete(script, s.repo, ['dvc', 'completion', '--s']), ['--shell']);
    mkdirSync(join(s.repo, 'folder'));
    writeFileSync(join(s.repo, 'file.txt'), '');
    assert.deepEqual(complete(script, s.repo, ['dvc', 'add', 'f']), ['file.txt', 'folder']);
  });

  test('every command of the CLI is in both scripts', () => {
    const s = sandbox({ git: false });
    const bash = s.dvc(['completion', '-s', 'bash']).stdout;
    const zsh = s.dvc(['completion', '-s', 'zsh']).stdout;
    assert.match(zsh, /^#compdef dvc\n/);
    assert.match(zsh, /compdef _dvc dvc\n/);
    const program = new Command('dvc');
    for (const register of commands) register(program);
    const paths: string[] = [];
    const walk = (c: Command, p: string) => {
      for (const sub of c.commands) {
        paths.push(`${p} ${sub.name()}`);
        walk(sub, `${p} ${sub.name()}`);
      }
    };
    walk(program, 'dvc');
    assert.ok(paths.length > 40);
    for (const p of paths) {
      assert.ok(bash.includes(`"${p}") subs=`), `bash: ${p}`);
      assert.ok(zsh.includes(`("${p}") subs=(`), `zsh: ${p}`);
    }
  });

  test('an unknown shell is refused (exit 254, one line)', () => {
    const s = sandbox({ git: false });
    const r = s.dvc(['completion', '-s', 'fish']);
    assert.equal(r.code, 254);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ERROR: .*'fish' is invalid\. Allowed choices are bash, zsh\.\n$/);
  });
});
