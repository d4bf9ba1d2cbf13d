/** `dvc config`, `dvc cache dir`, `dvc root`: reading, writing and refusing as DVC does. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox } from './helpers.js';

function repo() {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  return { ...s, config: () => readFileSync(join(s.repo, '.dvc', 'config'), 'utf8') };
}

describe('dvc config', () => {
  test('set, get, unset', () => {
    const s = repo();
    assert.equal(s.dvc(['config', 'core.autostage', 'true']).code, 0);
    assert.equal(s.dvc(['config', 'Core.CheckSum_Jobs', '4']).code, 0);
    assert.equal(s.config(), '[core]\n    autostage = true\n    checksum_jobs = 4\n');
    assert.equal(s.dvc(['config', 'core.autostage']).stdout, 'true\n');
    assert.equal(s.dvc(['config', 'core.autostage', '--show-origin']).stdout, '.dvc/config\ttrue\n');
    assert.equal(s.dvc(['config', '-u', 'core.checksum_jobs']).code, 0);
    assert.equal(s.config(), '[core]\n    autostage = true\n');
    // a missing option: nothing printed, success (DVC); with a level: an error
    const missing = s.dvc(['config', 'core.remote']);
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [0, '', '']);
    const lvl = s.dvc(['config', '--local', 'core.remote']);
    assert.equal(lvl.code, 251);
    assert.equal(lvl.stderr, "ERROR: configuration error - config file error: option 'remote' doesn't exist in section 'core'\n");
    const unset = s.dvc(['config', '-u', 'cache.dir']);
    assert.equal(unset.code, 251);
    assert.match(unset.stderr, /option 'dir' doesn't exist in section 'cache'/);
  });

  test('the local level shadows the project level; -l lists every level', () => {
    const s = repo();
    assert.equal(s.dvc(['config', 'core.remote', 'a']).code, 0);
    assert.equal(s.dvc(['config', '--local', 'core.remote', 'b']).code, 0);
    assert.equal(s.dvc(['config', 'core.remote']).stdout, 'b\n');
    assert.equal(s.dvc(['config', '--project', 'core.remote']).stdout, 'a\n');
    assert.equal(s.dvc(['config', '--global', 'core.check_update', 'false']).code, 0);
    assert.equal(s.dvc(['config', '-l']).stdout, 'core.check_update=false\ncore.remote=a\ncore.remote=b\n');
    assert.equal(
      s.dvc(['config', '-l', '--show-origin']).stdout,
      `${join(s.tmp, 'global-config', 'config')}\tcore.check_update=false\n.dvc/config\tcore.remote=a\n.dvc/config.local\tcore.remote=b\n`,
    );
    assert.equal(s.dvc(['config', '-l', '--local']).stdout, 'core.remote=b\n');
  });

  test('unknown options and malformed names are refused; nothing is written', () => {
    const s = repo();
    const before = s.config();
    const unknown = s.dvc(['config', 'core.nope', '1']);
    assert.equal(unknown.code, 251);
    assert.equal(unknown.stderr, "ERROR: configuration error - config file error: extra keys not allowed @ data['core']['nope']\n");
    const badBool = s.dvc(['config', 'core.autostage', 'sure']);
    assert.equal(badBool.code, 251);
    assert.match(badBool.stderr, /expected true or false for dictionary value @ data\['core'\]\['autostage'\]/);
    const badName = s.dvc(['config', 'autostage', 'true']);
    assert.equal(badName.code, 254);
    assert.ok(isOneLineError(badName.stderr), badName.stderr);
    const unquotable = s.dvc(['config', 'core.remote', `a'''b"""c`]);
    assert.equal(unquotable.code, 251);
    assert.ok(isOneLineError(unquotable.stderr), unquotable.stderr);
    assert.match(unquotable.stderr, /cannot be safely quoted/);
    assert.equal(s.config(), before);
    assert.equal(s.dvc(['config']).code, 1);
    assert.equal(s.dvc(['config', '-l', 'core.remote']).code, 1);
    assert.equal(s.dvc(['config', '--show-origin', 'core.remote', 'x']).code, 1);
    assert.equal(s.dvc(['config', '--local', '--global', 'core.remote']).code, 254);
  });

  test('remote options through config, and a malformed file is one line', () => {
    const s = repo();
    assert.equal(s.dvc(['config', 'remote.r.url', 's3://b/p']).code, 0);
    assert.equal(s.dvc(['config', 'remote.r.endpointurl', 'http://127.0.0.1:9000']).code, 0);
    assert.equal(s.config(), "['remote \"r\"']\n    url = s3://b/p\n    endpointurl = http://127.0.0.1:9000\n");
    writeFileSync(join(s.repo, '.dvc', 'config'), '[core\n');
    for (const args of [['config', 'core.remote'], ['remote', 'list'], ['cache', 'dir']]) {
      const r = s.dvc(args);
      assert.equal(r.code, 251, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /config file error: .*at line 1 in '.*\.dvc\/config'\./);
    }
  });

  test('outside a repository: global and system only', () => {
    const s = sandbox({ git: false });
    const r = s.dvc(['config', '--global', 'core.autostage', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.tmp, 'global-config', 'config'), 'utf8'), '[core]\n    autostage = true\n');
    assert.equal(s.dvc(['config', 'core.autostage']).stdout, 'true\n');
    const local = s.dvc(['config', '--local', 'core.autostage', 'true']);
    assert.equal(local.code, 251);
    assert.match(local.stderr, /Not inside a DVC repo/);
    assert.equal(s.dvc(['config', '--system', 'core.check_update', 'false']).code, 0);
    assert.equal(readFileSync(join(s.tmp, 'system-config', 'config'), 'utf8'), '[core]\n    check_update = false\n');
  });
});

describe('dvc cache dir', () => {
  test('default, set relative to the cwd, stored relative to .dvc/, unset', () => {
    const s = repo();
    assert.equal(s.dvc(['cache', 'dir']).stdout, join(s.repo, '.dvc', 'cache') + '\n');
    mkdirSync(join(s.repo, 'sub'));
    assert.equal(s.dvc(['cache', 'dir', '../../shared-cache'], { cwd: join(s.repo, 'sub') }).code, 0);
    assert.equal(s.config(), '[cache]\n    dir = ../../shared-cache\n');
    assert.equal(s.dvc(['cache', 'dir']).stdout, join(s.tmp, 'shared-cache') + '\n');
    assert.equal(s.dvc(['cache', 'dir', '--local']).code, 251);
    assert.equal(s.dvc(['cache', 'dir', '-u']).code, 0);
    assert.equal(s.config(), '\n');
  });
});

describe('dvc root', () => {
  test('relative path to the root; outside a repository exit 253', () => {
    const s = repo();
    mkdirSync(join(s.repo, 'a', 'b'), { recursive: true });
    assert.equal(s.dvc(['root']).stdout, '.\n');
    assert.equal(s.dvc(['root'], { cwd: join(s.repo, 'a', 'b') }).stdout, '../..\n');
    const out = s.dvc(['root'], { cwd: s.tmp });
    assert.equal(out.code, 253);
    // '/' here; the mount point holding the temp folder where /tmp is its own file system
    assert.match(out.stderr, /^ERROR: you are not inside of a DVC repository \(checked up to mount point '\/[^']*'\)\n$/);
  });
});
