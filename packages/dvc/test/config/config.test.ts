/** Config levels, path handling, validation and atomic edits (src/config/config.ts). */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Config, globalConfigDir, NoRemoteError, systemConfigDir } from '../../src/config/config.js';
import { homedir } from 'node:os';
import { ConfigError } from '../../src/errors.js';

const base = mkdtempSync(join(tmpdir(), 'copper-config-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A fresh repo folder with .dvc and isolated global/system config folders. */
function setup(files: { system?: string; global?: string; repo?: string; local?: string } = {}) {
  const dir = join(base, String(n++));
  const dvcDir = join(dir, 'repo', '.dvc');
  const env = { DVC_GLOBAL_CONFIG_DIR: join(dir, 'global'), DVC_SYSTEM_CONFIG_DIR: join(dir, 'system') };
  mkdirSync(dvcDir, { recursive: true });
  mkdirSync(env.DVC_GLOBAL_CONFIG_DIR);
  mkdirSync(env.DVC_SYSTEM_CONFIG_DIR);
  if (files.system !== undefined) writeFileSync(join(env.DVC_SYSTEM_CONFIG_DIR, 'config'), files.system);
  if (files.global !== undefined) writeFileSync(join(env.DVC_GLOBAL_CONFIG_DIR, 'config'), files.global);
  if (files.repo !== undefined) writeFileSync(join(dvcDir, 'config'), files.repo);
  if (files.local !== undefined) writeFileSync(join(dvcDir, 'config.local'), files.local);
  return { dir, dvcDir, env, open: (validate = true) => new Config(dvcDir, { env, validate }) };
}

describe('Config', () => {
  test('levels shadow each other: system < global < repo < local', () => {
    const s = setup({
      system: '[core]\n    remote = sys\n    checksum_jobs = 2\n',
      global: '[core]\n    remote = glob\n    autostage = true\n',
      repo: "[core]\n    remote = repo\n['remote \"repo\"']\n    url = /r\n",
      local: "[core]\n    remote = loc\n['remote \"loc\"']\n    url = /l\n",
    });
    const c = s.open();
    assert.equal(c.defaultRemote, 'loc');
    assert.equal(c.get('core', 'checksum_jobs'), 2);
    assert.equal(c.autostage, true);
    assert.equal(c.get('core', 'no_scm'), false, 'defaults are filled in');
    assert.deepEqual(c.remoteNames(), ['repo', 'loc']);
    assert.equal(c.read('global').core.remote, 'glob');
  });

  test('relative paths are read relative to the file that holds them', () => {
    const s = setup({
      global: "['remote \"g\"']\n    url = store\n",
      repo:
        "[cache]\n    dir = ../../cache\n['remote \"r\"']\n    url = ../remote\n" +
        "['remote \"k\"']\n    url = ssh://host/p\n    keyfile = keys/id\n",
    });
    const c = s.open();
    assert.equal(c.remote('g').url, join(s.env.DVC_GLOBAL_CONFIG_DIR, 'store'));
    assert.equal(c.remote('r').url, join(s.dir, 'repo', 'remote'));
    assert.equal(c.remote('k').options.keyfile, join(s.dvcDir, 'keys', 'id'));
    assert.equal(c.remote('k').url, 'ssh://host/p');
    assert.equal(c.cacheDir, join(s.dir, 'cache'));
    assert.equal(new Config(s.dvcDir, { env: s.env }).remote('r').url, join(s.dir, 'repo', 'remote'));
  });

  test('a new relative path is taken from the cwd and stored relative to the config file', () => {
    const s = setup({ repo: "['remote \"old\"']\n    url = ../keep/as/is\n" });
    const c = s.open();
    c.edit('repo', (conf) => {
      conf.remote.new = { url: '../elsewhere' };
      conf.remote.abs = { url: '/srv/abs' };
      conf.remote.s3 = { url: 's3://bucket/x' };
    }, { cwd: join(s.dir, 'repo', 'sub') });
    assert.equal(
      readFileSync(join(s.dvcDir, 'config'), 'utf8'),
      "['remote \"old\"']\n    url = ../keep/as/is\n['remote \"new\"']\n    url = ../elsewhere\n" +
        "['remote \"abs\"']\n    url = /srv/abs\n['remote \"s3\"']\n    url = s3://bucket/x\n",
    );
    // ../elsewhere from repo/sub is repo/elsewhere, which is ../elsewhere from repo/.dvc
    assert.equal(c.remote('new').url, join(s.dir, 'repo', 'elsewhere'));
    // a new value equal to one already in the file is still taken from the cwd
    c.edit('repo', (conf) => {
      conf.remote.twin = { url: '../keep/as/is' };
    }, { cwd: join(s.dir, 'repo') });
    assert.match(readFileSync(join(s.dvcDir, 'config'), 'utf8'), /\['remote "old"'\]\n    url = \.\.\/keep\/as\/is\n/);
    assert.match(readFileSync(join(s.dvcDir, 'config'), 'utf8'), /\['remote "twin"'\]\n    url = \.\.\/\.\.\/keep\/as\/is\n$/);
  });

  test('an unknown option is refused with DVC\'s message and nothing is written', () => {
    const before = "[core]\n    autostage = true\n['remote \"r\"']\n    url = /tmp/x\n";
    const s = setup({ repo: before });
    const c = s.open();
    const cases: Array<[(conf: Record<string, any>) => void, string]> = [
      [(conf) => (conf.core.nope = '1'), "extra keys not allowed @ data['core']['nope']"],
      [(conf) => (conf.bogus = { a: '1' }), "extra keys not allowed @ data['bogus']"],
      [(conf) => (conf.remote.r.region = 'eu'), "extra keys not allowed @ data['remote']['r']['region']"],
      [(conf) => (conf.core.autostage = 'yes'), "expected true or false for dictionary value @ data['core']['autostage']"],
      [(conf) => (conf.core.checksum_jobs = '0'), "value must be at least 1 for dictionary value @ data['core']['checksum_jobs']"],
      [(conf) => (conf.cache.type = 'reflink,bogus'), "Unsupported cache type(s): bogus for dictionary value @ data['cache']['type']"],
      [(conf) => (conf.remote.x = { url: 'foo://h/p' }), "Unsupported URL type foo:// for dictionary value @ data['remote']['x']"],
      [(conf) => (conf.remote.y = { region: 'eu' }), "expected 'url' for dictionary value @ data['remote']['y']"],
    ];
    for (const [fn, msg] of cases) {
      assert.throws(
        () => c.edit('repo', fn),
        (e: unknown) =>
          e instanceof ConfigError && e.exitCode === 251 && e.message === `configuration error - config file error: ${msg}`,
        msg,
      );
      assert.equal(readFileSync(join(s.dvcDir, 'config'), 'utf8'), before);
    }
  });

  test('options of every remote kind are accepted for their scheme', () => {
    const s = setup({ repo: '' });
    const c = s.open();
    c.edit('repo', (conf) => {
      conf.remote.s3 = { url: 's3://b/p', endpointurl: 'http://127.0.0.1:9000', region: 'us-east-1', profile: 'p', use_ssl: 'false' };
      conf.remote.az = { url: 'azure://c/p', account_name: 'a', connection_string: 'x' };
      conf.remote.gs = { url: 'gs://b/p', projectname: 'p', credentialpath: '/k.json', endpointurl: 'http://x' };
      conf.remote.ssh = { url: 'ssh://h/p', user: 'u', port: '2222', keyfile: '/id', password: 'pw' };
      conf.remote.http = { url: 'https://h/p', auth: 'basic', user: 'u', password: 'p', method: 'PUT' };
      conf.remote.dav = { url: 'webdavs://h/p', user: 'u', token: 't' };
      conf.remote.hdfs = { url: 'hdfs://h/p', user: 'u' };
      conf.remote.whdfs = { url: 'webhdfs://h/p', user: 'u', use_https: 'true' };
      conf.remote.local = { url: '/srv/x', type: 'hardlink,copy', verify: 'true' };
    });
    const r = new Config(s.dvcDir, { env: s.env });
    assert.equal(r.remote('ssh').options.port, 2222);
    assert.equal(r.remote('s3').options.use_ssl, false);
    assert.deepEqual(r.remote('local').options.type, ['hardlink', 'copy']);
    assert.equal(r.remote('local').options.verify, true);
  });

  test('cache.type and the defaults', () => {
    const s = setup({ repo: '[cache]\n    type = "reflink,copy"\n' });
    assert.deepEqual(s.open().cacheTypes, ['reflink', 'copy']);
    const d = setup({ repo: '' }).open();
    assert.equal(d.cacheTypes, undefined);
    assert.equal(d.cacheDir, undefined);
  });

  test('no remote: NoRemoteError with DVC\'s hint; unknown remote: ConfigError', () => {
    const s = setup({ repo: '' });
    const c = s.open();
    assert.throws(() => c.remote(), (e: unknown) => e instanceof NoRemoteError && /no remote specified in .*\n    dvc remote add -d/.test(e.message));
    assert.throws(() => c.remote('nope'), /remote 'nope' doesn't exist\./);
  });

  test('a malformed file is a one-line ConfigError naming the file', () => {
    const s = setup({ repo: '[core\n    remote = x\n' });
    assert.throws(
      () => s.open(),
      (e: unknown) =>
        e instanceof ConfigError && e.exitCode === 251 && !e.message.includes('\n') && e.message.includes(join(s.dvcDir, 'config')),
    );
  });

  test('empty sections are dropped and named sections come last, as DVC writes', () => {
    const s = setup({ repo: "['remote \"a\"']\n    url = /a\n[core]\n    remote = a\n# a comment\n[state]\n" });
    const c = s.open();
    c.edit('repo', (conf) => {
      conf.cache.type = 'copy';
    });
    assert.equal(
      readFileSync(join(s.dvcDir, 'config'), 'utf8'),
      "[core]\n    remote = a\n[cache]\n    type = copy\n['remote \"a\"']\n    url = /a\n",
    );
  });

  test('outside a repository only system and global exist', () => {
    const s = setup();
    const c = new Config(null, { env: s.env });
    assert.equal(c.files.repo, undefined);
    assert.throws(() => c.edit(undefined, () => {}), /Not inside a DVC repo/);
    c.edit('global', (conf) => (conf.core.autostage = 'true'));
    assert.equal(readFileSync(join(s.env.DVC_GLOBAL_CONFIG_DIR, 'config'), 'utf8'), '[core]\n    autostage = true\n');
  });

  test('where the global and system files live (DVC\'s platformdirs rules)', () => {
    assert.equal(globalConfigDir({ DVC_GLOBAL_CONFIG_DIR: '/g' }), '/g');
    assert.equal(globalConfigDir({ XDG_CONFIG_HOME: '/xdg' }), '/xdg/dvc');
    assert.equal(globalConfigDir({}), join(homedir(), '.config', 'dvc'));
    assert.equal(systemConfigDir({ DVC_SYSTEM_CONFIG_DIR: '/s' }), '/s');
    assert.equal(systemConfigDir({ XDG_CONFIG_DIRS: '/a:/b' }), '/a/dvc');
    assert.equal(systemConfigDir({}), '/etc/xdg/dvc');
  });
});
