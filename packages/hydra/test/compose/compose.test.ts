import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compose, composeNodes, toContainer, toYaml, ConfigCompositionError, MissingConfigError, MissingMandatoryValue, ConfigKeyError } from '../../src/index.js';

const configDir = fileURLToPath(new URL('../fixtures/app', import.meta.url));
const plain = (configName: string, overrides: string[] = []) => toContainer(compose({ configDir, configName, overrides }), { resolve: false }) as Record<string, any>;

describe('defaults lists', () => {
  test('primary config with groups, _self_ last, optional missing group skipped', () => {
    const cfg = plain('config');
    assert.deepEqual(Object.keys(cfg), ['db', 'server', 'app', 'db_url']);
    assert.deepEqual(cfg.db, { driver: 'mysql', user: 'omry', pass: 'secret', port: 3306 });
    assert.deepEqual(cfg.server, { name: 'apache', port: 80 });
    assert.equal(compose<any>({ configDir, configName: 'config' }).db_url, 'mysql://omry@localhost:3306');
  });

  test('_self_ first lets groups override the primary config; _self_ last the reverse', () => {
    assert.equal(plain('self_first').db.user, 'omry');
    assert.equal(plain('self_last').db.user, 'from_primary');
  });

  test('group=option replaces the option (no keys left from the default)', () => {
    const cfg = plain('config', ['db=postgresql']);
    assert.deepEqual(cfg.db, { driver: 'postgresql', user: 'postgres', pass: 'drowssap', port: 5432, timeout: 10 });
  });

  test('an experiment (+experiment=fast) overrides other groups and global keys', () => {
    const cfg = plain('config', ['+experiment=fast']);
    assert.equal(cfg.db.driver, 'postgresql');
    assert.equal(cfg.db.timeout, 5);
    assert.equal(cfg.app.port, 9000);
    assert.equal(cfg.experiment, undefined, 'a _global_ config adds no experiment key');
  });

  test('a command line choice wins over an override in the defaults list', () => {
    const cfg = plain('config', ['db=mysql', '+experiment=fast']);
    assert.equal(cfg.db.driver, 'mysql');
    assert.equal(cfg.db.timeout, 5);
  });

  test('~group deletes a default; ~group=option only when it matches', () => {
    assert.equal(plain('config', ['~db']).db, undefined);
    assert.equal(plain('config', ['~server=apache']).server, undefined);
    assert.throws(() => plain('config', ['~server=nginx']), (e: Error) => e instanceof ConfigCompositionError && /Could not delete 'server=nginx'/.test(e.message));
  });

  test('missing option lists the available ones', () => {
    assert.throws(
      () => plain('config', ['db=oracle']),
      (e: Error) => e instanceof MissingConfigError && e.message === "In 'config': Could not find 'db/oracle'. Available options in 'db': mysql, postgresql",
    );
  });

  test('overriding a group that is not in the defaults list suggests +', () => {
    assert.throws(() => plain('nulled', ['server=nginx']), /Could not override 'server'\. No match in the defaults list\. To append to your default list use \+server=nginx/);
    assert.equal(plain('nulled', ['+server=nginx']).server.name, 'nginx');
  });

  test('??? group default must be chosen', () => {
    assert.throws(() => plain('missing_choice'), (e: Error) => e instanceof ConfigCompositionError && e.message === "You must specify 'db', e.g. db=<OPTION>. Available options: mysql, postgresql");
    assert.equal(plain('missing_choice', ['db=postgresql']).db.driver, 'postgresql');
  });

  test('null default adds nothing; choosing an option fills it', () => {
    assert.deepEqual(plain('nulled'), { x: 1 });
    assert.equal(plain('nulled', ['db=mysql']).db.driver, 'mysql');
  });

  test('group@package puts one group twice and group@pkg=option overrides one of them', () => {
    const cfg = plain('with_pkg');
    assert.equal(cfg.src.driver, 'mysql');
    assert.equal(cfg.dst.driver, 'postgresql');
    assert.equal(cfg.db, undefined);
    assert.equal(plain('with_pkg', ['db@src=postgresql']).src.driver, 'postgresql');
  });

  test('a list of options merges all of them into the group package', () => {
    assert.deepEqual(plain('list_options'), { plugins: { a: 1, b: 2 } });
  });

  test('interpolated defaults follow the chosen group', () => {
    assert.equal(plain('interp_defaults').db_schema.schema, 'mysql_schema');
    assert.equal(plain('interp_defaults', ['db=postgresql']).db_schema.schema, 'pg_schema');
  });

  test('# @package headers: _group_ and explicit packages', () => {
    const cfg = plain('headers');
    assert.deepEqual(cfg.legacy, { value: 1 });
    assert.deepEqual(cfg.other, { value: 2 }, 'a package in the defaults list wins over the header');
    assert.deepEqual(cfg.foo, { bar: { value: 2 } }, 'without one the header places the config (absolute)');
  });

  test('overrides must come last in a defaults list, and need an earlier default', () => {
    assert.throws(() => plain('bad_defaults_order'), /overrides must be at the end of the defaults list/);
    assert.throws(() => plain('override_missing'), /no earlier default for 'db' exists to override/);
  });

  test('choices are recorded in hydra.runtime.choices', () => {
    const { cfg } = composeNodes({ configDir, configName: 'config', overrides: ['db=postgresql'] });
    const choices = (toContainer(cfg) as any).hydra.runtime.choices;
    assert.equal(choices.db, 'postgresql');
    assert.equal(choices.server, 'apache');
    assert.equal(choices['hydra/launcher'], 'basic');
  });

  test('unknown primary config', () => {
    assert.throws(() => plain('nope'), (e: Error) => e instanceof MissingConfigError && /Cannot find primary config 'nope'/.test(e.message));
  });
});

describe('config overrides', () => {
  test('key=value changes existing keys, with typed values', () => {
    const cfg = plain('config', ['app.port=81', 'app.name="my app"', 'db.pass=null', 'app.ratio=0.5'.replace('app.ratio', '+app.ratio')]);
    assert.equal(cfg.app.port, 81);
    assert.equal(cfg.app.name, 'my app');
    assert.equal(cfg.db.pass, null);
    assert.equal(cfg.app.ratio, 0.5);
  });

  test('struct mode: unknown key without + fails and says how to fix it', () => {
    assert.throws(
      () => plain('config', ['app.debug=true']),
      (e: Error) => e instanceof ConfigCompositionError && e.message === "Could not override 'app.debug': it is not in the config. To append to your config use +app.debug=true",
    );
    assert.equal(plain('config', ['+app.debug=true']).app.debug, true);
  });

  test('+key on an existing key fails; ++key adds or overrides', () => {
    assert.throws(() => plain('config', ['+app.port=1']), /an item is already at 'app.port'.*'app.port=1'.*'\+\+app.port=1'/);
    assert.equal(plain('config', ['++app.port=1']).app.port, 1);
    assert.equal(plain('config', ['++app.new=2']).app.new, 2);
  });

  test('~key deletes, ~key=value checks the value', () => {
    assert.equal(plain('config', ['~app.port']).app.port, undefined);
    assert.equal(plain('config', ['~app.port=80']).app.port, undefined);
    assert.throws(() => plain('config', ['~app.port=81']), /value of 'app.port' is 80 and not 81/);
    assert.throws(() => plain('config', ['~app.nope']), /Could not delete from config: 'app.nope' does not exist/);
  });

  test('dict and list values merge/replace', () => {
    const cfg = plain('config', ['app={name:x,extra:[1,2]}'.replace('app=', '+app=')]);
    assert.deepEqual(cfg.app, { name: 'x', port: 80, extra: [1, 2] });
    const cfg2 = plain('config', ['+tags=[a,b]']);
    assert.deepEqual(cfg2.tags, ['a', 'b']);
  });

  test('interpolations in override values stay lazy', () => {
    const cfg = compose<any>({ configDir, configName: 'config', overrides: ['app.name=${db.user}-app'] });
    assert.equal(cfg.app.name, 'omry-app');
  });

  test('a sweep in a single run is ambiguous', () => {
    assert.throws(() => plain('config', ['app.port=1,2']), /Ambiguous value for argument 'app.port=1,2'.*app.port=\[1,2\].*--multirun/);
  });

  test('hydra overrides are recorded separately from task overrides', () => {
    const { cfg } = composeNodes({ configDir, configName: 'config', overrides: ['app.port=81', 'hydra.job.chdir=true'] });
    const h = (toContainer(cfg) as any).hydra;
    assert.deepEqual(h.overrides.task, ['app.port=81']);
    assert.deepEqual(h.overrides.hydra, ['hydra.job.chdir=true']);
    assert.equal(h.job.chdir, true);
  });
});

describe('composed config access', () => {
  test('interpolation, relative interpolation, env resolver, mandatory values', () => {
    delete process.env.COPPER_TEST_HOME;
    const cfg = compose<any>({ configDir, configName: 'interp' });
    assert.equal(cfg.server.url, 'http://localhost:8080/');
    assert.equal(cfg.server.parent_name, 'top');
    assert.equal(cfg.client.port, 8080);
    assert.equal(typeof cfg.client.port, 'number');
    assert.equal(cfg.client.desc, 'port 8080 timeout 1.5 ok True');
    assert.equal(cfg.home, '/default/home');
    process.env.COPPER_TEST_HOME = '/from/env';
    assert.equal(compose<any>({ configDir, configName: 'interp' }).home, '/from/env');
    delete process.env.COPPER_TEST_HOME;
    assert.equal(cfg.escaped, '${not.interpolated}');
    assert.equal(cfg.selected, 1);
    assert.throws(() => cfg.mandatory, (e: Error) => e instanceof MissingMandatoryValue && /Missing mandatory value: mandatory/.test(e.message));
    assert.throws(() => cfg.nope, (e: Error) => e instanceof ConfigKeyError && /Key 'nope' is not in struct/.test(e.message));
  });

  test('the composed config prints back as YAML with interpolations kept', () => {
    const y = toYaml(compose({ configDir, configName: 'config', overrides: ['app.port=8.0'] }));
    assert.equal(
      y,
      [
        'db:',
        '  driver: mysql',
        '  user: omry',
        '  pass: secret',
        '  port: 3306',
        'server:',
        '  name: apache',
        '  port: 80',
        'app:',
        '  name: demo',
        '  port: 8.0',
        'db_url: ${db.driver}://${db.user}@localhost:${db.port}',
        '',
      ].join('\n'),
    );
  });

  test('returnHydraConfig keeps the hydra node', () => {
    const cfg = compose<any>({ configDir, configName: 'config', returnHydraConfig: true });
    assert.equal(cfg.hydra.job.config_name, 'config');
    assert.equal(cfg.hydra.run.dir.startsWith('outputs/'), true);
  });
});
