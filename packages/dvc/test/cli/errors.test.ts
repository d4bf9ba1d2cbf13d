/** The CLI frame: bad command lines exit 254 with one line, --help everywhere, -q/-v everywhere. */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox } from './helpers.js';

describe('dvc command line', () => {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);

  test('unknown command, unknown flag, missing and extra arguments: 254, one line', () => {
    for (const args of [
      ['frobnicate'],
      ['init', '--bogus'],
      ['remote', 'add', 'only-name'],
      ['remote', 'rename', 'a', 'b', 'c'],
      ['remote', 'nope'],
      ['config', '--local', '--project', 'core.remote'],
    ]) {
      const r = s.dvc(args);
      assert.equal(r.code, 254, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
    }
  });

  test('no command: usage on stderr, 254', () => {
    const r = s.dvc([]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, /Usage: dvc/);
    assert.equal(r.stdout, '');
  });

  test('--help works on every command and subcommand', () => {
    for (const args of [
      [],
      ['init'],
      ['config'],
      ['remote'],
      ['remote', 'add'],
      ['remote', 'modify'],
      ['remote', 'list'],
      ['remote', 'default'],
      ['remote', 'remove'],
      ['remote', 'rename'],
      ['cache'],
      ['cache', 'dir'],
      ['root'],
      ['version'],
    ]) {
      const r = s.dvc([...args, '--help']);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /^Usage: dvc/, args.join(' '));
      assert.match(r.stdout, /-q, --quiet/, `${args.join(' ')} lists -q`);
      assert.match(r.stdout, /-v, --verbose/, `${args.join(' ')} lists -v`);
    }
  });

  test('-q and -v are accepted before and after the command', () => {
    assert.equal(s.dvc(['-q', 'root']).stdout, '');
    assert.equal(s.dvc(['root', '-q']).stdout, '');
    assert.equal(s.dvc(['root', '-v']).stdout, '.\n');
    assert.equal(s.dvc(['-v', 'root']).stdout, '.\n');
  });

  test('--cd runs the command in another folder, before or after the command name', () => {
    assert.equal(s.dvc(['--cd', s.repo, 'root'], { cwd: s.tmp }).stdout, '.\n');
    // outside the repository this would be "Not inside a DVC repo" (251)
    assert.equal(s.dvc(['config', '--cd', s.repo, 'core.check_update', 'false'], { cwd: s.tmp }).code, 0);
    assert.equal(s.dvc(['config', 'core.check_update', '--show-origin']).stdout, '.dvc/config\tfalse\n');
    assert.equal(s.dvc(['config', '-u', 'core.check_update']).code, 0);
    const bad = s.dvc(['root', '--cd', 'no/such/dir']);
    assert.notEqual(bad.code, 0);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
  });

  test('version: -V/--version print the DVC version tools check, with copper\'s own; the report names both', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['-V', '--version']) {
      const v = s.dvc([flag]);
      assert.equal(v.code, 0);
      assert.equal(v.stdout, `3.64.0+copper.${pkg.version}\n`);
      // VS Code's DVC extension reads the leading semver (extractSemver) and needs major 3.
      const m = /^(\d+\.)?(\d+\.)?(\*|\d+)/.exec(v.stdout);
      assert.equal(m?.[0], '3.64.0');
    }
    const inRepo = s.dvc(['version']).stdout;
    assert.ok(inRepo.startsWith(`DVC version: 3.64.0 (copper ${pkg.version})\n`), inRepo);
    assert.match(inRepo, /\tGlobal: .*global-config\n/);
    assert.match(inRepo, /\nCache types: reflink, copy\n/);
    assert.match(inRepo, /\nRepo: dvc, git$/m);
    const outside = s.dvc(['doctor'], { cwd: s.tmp });
    assert.equal(outside.code, 0);
    assert.doesNotMatch(outside.stdout, /Repo:/);
  });

  test('-v shows the cause of an error after the one ERROR line, never by default', () => {
    const r = s.dvc(['remote', 'remove', 'ghost']);
    assert.equal(r.code, 251);
    assert.ok(isOneLineError(r.stderr));
    const v = s.dvc(['remote', 'remove', 'ghost', '-v']);
    assert.equal(v.code, 251);
    assert.match(v.stderr.split('\n')[0]!, /^ERROR: configuration error - config file error: remote 'ghost' doesn't exist\.$/);
  });
});
