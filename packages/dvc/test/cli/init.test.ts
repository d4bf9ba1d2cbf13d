/** `dvc init` variants: the files DVC writes, byte for byte, and its refusals. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox } from './helpers.js';

const DVCIGNORE =
  '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

describe('dvc init', () => {
  test('in a git repository: the three files, staged, and the welcome text', () => {
    const s = sandbox();
    const r = s.dvc(['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Initialized DVC repository\.\n\nYou can now commit the changes to git\.\n\nWhat's next\?\n/);
    assert.equal(readFileSync(join(s.repo, '.dvc', 'config'), 'utf8'), '');
    assert.equal(readFileSync(join(s.repo, '.dvc', '.gitignore'), 'utf8'), '/config.local\n/tmp\n/cache\n');
    assert.equal(readFileSync(join(s.repo, '.dvcignore'), 'utf8'), DVCIGNORE);
    assert.equal(s.git(['status', '--short']).stdout, 'A  .dvc/.gitignore\nA  .dvc/config\nA  .dvcignore\n');
  });

  test('-q prints nothing; an existing .dvcignore is kept', () => {
    const s = sandbox();
    writeFileSync(join(s.repo, '.dvcignore'), 'mine\n');
    const r = s.dvc(['init', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(join(s.repo, '.dvcignore'), 'utf8'), 'mine\n');
  });

  test('twice: refused without -f; -f starts over (the old cache goes)', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    mkdirSync(join(s.repo, '.dvc', 'cache'), { recursive: true });
    writeFileSync(join(s.repo, '.dvc', 'cache', 'junk'), 'x');
    writeFileSync(join(s.repo, '.dvc', 'config'), '[core]\n    autostage = true\n');
    const again = s.dvc(['init']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, "ERROR: failed to initiate DVC - '.dvc' exists. Use `-f` to force.\n");
    const forced = s.dvc(['init', '-f', '-q']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(existsSync(join(s.repo, '.dvc', 'cache', 'junk')), false);
    assert.equal(readFileSync(join(s.repo, '.dvc', 'config'), 'utf8'), '');
  });

  test('without git: refused, unless --no-scm', () => {
    const s = sandbox({ git: false });
    const r = s.dvc(['init']);
    assert.equal(r.code, 1);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /is not tracked by any supported SCM tool \(e\.g\. Git\)\. Use `--no-scm`/);
    assert.equal(existsSync(join(s.repo, '.dvc')), false);

    const ok = s.dvc(['init', '--no-scm']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout, /commit the changes to git/);
    assert.equal(readFileSync(join(s.repo, '.dvc', 'config'), 'utf8'), '[core]\n    no_scm = True\n');
    assert.equal(existsSync(join(s.repo, '.dvc', '.gitignore')), false);
    assert.equal(readFileSync(join(s.repo, '.dvcignore'), 'utf8'), DVCIGNORE);
  });

  test('in a subfolder of a git repository: needs --subdir', () => {
    const s = sandbox();
    const sub = join(s.repo, 'project');
    mkdirSync(sub);
    const r = s.dvc(['init'], { cwd: sub });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /`--subdir` if initializing inside a subdirectory/);
    const ok = s.dvc(['init', '--subdir', '-q'], { cwd: sub });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      s.git(['status', '--short']).stdout,
      'A  project/.dvc/.gitignore\nA  project/.dvc/config\nA  project/.dvcignore\n',
    );
    // `dvc root` from deeper down finds the sub-project, not the git top
    mkdirSync(join(sub, 'a', 'b'), { recursive: true });
    assert.equal(s.dvc(['root'], { cwd: join(sub, 'a', 'b') }).stdout, '../..\n');
  });

  test('--no-scm with --subdir is refused; a directory argument is honoured', () => {
    const s = sandbox();
    const bad = s.dvc(['init', '--no-scm', '--subdir']);
    assert.notEqual(bad.code, 0);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /Cannot initialize repo with `--no-scm` and `--subdir`/);
    mkdirSync(join(s.tmp, 'other'));
    const ok = s.dvc(['init', '--no-scm', '-q', join(s.tmp, 'other')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(s.tmp, 'other', '.dvc', 'config')));
  });

  test('a .gitignore that ignores .dvc is refused', () => {
    const s = sandbox();
    writeFileSync(join(s.repo, '.gitignore'), '.dvc\n');
    const r = s.dvc(['init']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is ignored by your SCM tool/);
    assert.ok(isOneLineError(r.stderr), r.stderr);
  });
});
