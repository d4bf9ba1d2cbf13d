/** `dvc remote ...`: what lands in .dvc/config and config.local, and DVC's refusals (exit 251). */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox } from './helpers.js';

function repo() {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  const config = () => readFileSync(join(s.repo, '.dvc', 'config'), 'utf8');
  const local = () => readFileSync(join(s.repo, '.dvc', 'config.local'), 'utf8');
  return { ...s, config, local };
}

describe('dvc remote', () => {
  test('add: a relative path from a subfolder is stored relative to .dvc/', () => {
    const s = repo();
    mkdirSync(join(s.repo, 'sub'));
    const r = s.dvc(['remote', 'add', '-d', 'Store', '../../store'], { cwd: join(s.repo, 'sub') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Setting 'store' as a default remote.\n");
    assert.equal(s.config(), "[core]\n    remote = store\n['remote \"store\"']\n    url = ../../store\n");
    // listed resolved, tab-aligned like DVC's console
    const line = s.dvc(['remote', 'list']).stdout;
    assert.ok(line.startsWith(`store   ${join(s.tmp, 'store')} `), line);
    assert.match(line, / +\(default\)\n$/);
    assert.equal(line.indexOf('(default)') % 8, 0, 'columns on 8-character tab stops');
  });

  test('add twice needs -f; -f replaces the whole section', () => {
    const s = repo();
    assert.equal(s.dvc(['remote', 'add', 'r', 's3://b/p']).code, 0);
    assert.equal(s.dvc(['remote', 'modify', 'r', 'region', 'eu-west-1']).code, 0);
    const again = s.dvc(['remote', 'add', 'r', '/elsewhere']);
    assert.equal(again.code, 251);
    assert.equal(
      again.stderr,
      "ERROR: configuration error - config file error: remote 'r' already exists. Use `-f|--force` to overwrite it.\n",
    );
    assert.equal(s.dvc(['remote', 'add', '-f', 'r', '/elsewhere']).code, 0);
    assert.equal(s.config(), "['remote \"r\"']\n    url = /elsewhere\n");
  });

  test('modify: options of the URL scheme only; -u removes; --local keeps secrets apart', () => {
    const s = repo();
    assert.equal(s.dvc(['remote', 'add', 'h', 'https://example.com/dvc']).code, 0);
    assert.equal(s.dvc(['remote', 'modify', 'h', 'auth', 'basic']).code, 0);
    assert.equal(s.dvc(['remote', 'modify', '--local', 'h', 'password', 'p4ss word']).code, 0);
    assert.equal(s.dvc(['remote', 'modify', '--local', 'h', 'user', 'me']).code, 0);
    assert.equal(s.config(), "['remote \"h\"']\n    url = https://example.com/dvc\n    auth = basic\n");
    assert.equal(s.local(), "['remote \"h\"']\n    password = p4ss word\n    user = me\n");
    const bad = s.dvc(['remote', 'modify', 'h', 'region', 'x']);
    assert.equal(bad.code, 251);
    assert.equal(bad.stderr, "ERROR: configuration error - config file error: extra keys not allowed @ data['remote']['h']['region']\n");
    const badBool = s.dvc(['remote', 'modify', 'h', 'ssl_verify', 'maybe']);
    assert.equal(badBool.code, 0, 'ssl_verify also takes a CA bundle path');
    assert.equal(s.dvc(['remote', 'modify', 'h', 'ssl_verify', '-u']).code, 0);
    assert.equal(s.dvc(['remote', 'modify', '-u', 'h', 'auth']).code, 0);
    assert.equal(s.config(), "['remote \"h\"']\n    url = https://example.com/dvc\n");
    const missing = s.dvc(['remote', 'modify', 'nope', 'url', 'x']);
    assert.equal(missing.code, 251);
    assert.equal(missing.stderr, "ERROR: configuration error - config file error: remote 'nope' doesn't exist.\n");
    assert.equal(s.dvc(['config', 'remote.h.password']).stdout, 'p4ss word\n');
  });

  test('default: show, set, unset; it must exist', () => {
    const s = repo();
    const none = s.dvc(['remote', 'default']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, 'No default remote set\n');
    const bad = s.dvc(['remote', 'default', 'ghost']);
    assert.equal(bad.code, 251);
    assert.match(bad.stderr, /default remote must be present in remote list\./);
    assert.equal(s.dvc(['remote', 'add', 'a', '/a']).code, 0);
    assert.equal(s.dvc(['remote', 'default', 'a']).code, 0);
    assert.equal(s.dvc(['remote', 'default']).stdout, 'a\n');
    assert.equal(s.dvc(['remote', 'default', '-u']).code, 0);
    assert.equal(s.config(), "['remote \"a\"']\n    url = /a\n");
  });

  test('rename and remove carry the default along, in every level that names it', () => {
    const s = repo();
    assert.equal(s.dvc(['remote', 'add', '-d', 'a', '/a']).code, 0);
    assert.equal(s.dvc(['remote', 'add', 'b', '/b']).code, 0);
    assert.equal(s.dvc(['remote', 'default', '--local', 'a']).code, 0);
    const clash = s.dvc(['remote', 'rename', 'a', 'b']);
    assert.equal(clash.code, 251);
    assert.match(clash.stderr, /Rename failed\. Remote name 'b' already exists\./);
    assert.equal(s.dvc(['remote', 'rename', 'a', 'c']).code, 0);
    assert.equal(s.config(), "[core]\n    remote = c\n['remote \"b\"']\n    url = /b\n['remote \"c\"']\n    url = /a\n");
    assert.equal(s.local(), '[core]\n    remote = c\n');
    assert.equal(s.dvc(['remote', 'remove', 'c']).code, 0);
    assert.equal(s.config(), "['remote \"b\"']\n    url = /b\n");
    assert.equal(s.local(), '\n');
    const gone = s.dvc(['remote', 'remove', 'c']);
    assert.equal(gone.code, 251);
    assert.ok(isOneLineError(gone.stderr));
  });

  test('list -q prints nothing; outside a repository the repo levels are refused', () => {
    const s = repo();
    assert.equal(s.dvc(['remote', 'add', 'a', '/a']).code, 0);
    assert.equal(s.dvc(['remote', 'list', '-q']).stdout, '');
    const out = s.dvc(['remote', 'add', 'x', '/x'], { cwd: s.tmp });
    assert.equal(out.code, 251);
    assert.equal(out.stderr, 'ERROR: configuration error - config file error: Not inside a DVC repo\n');
    const glob = s.dvc(['remote', 'add', '--global', 'g', 'gs://bucket/x'], { cwd: s.tmp });
    assert.equal(glob.code, 0, glob.stderr);
    assert.equal(readFileSync(join(s.tmp, 'global-config', 'config'), 'utf8'), "['remote \"g\"']\n    url = gs://bucket/x\n");
    assert.match(s.dvc(['remote', 'list']).stdout, /^g {7}gs:\/\/bucket\/x\na {7}\/a\n$/);
  });
});
