import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compose, composeNodes, toContainer, select } from '../../src/index.js';

const configDir = fileURLToPath(new URL('../fixtures/app', import.meta.url));
const plain = (configName: string, overrides: string[] = []) => toContainer(compose({ configDir, configName, overrides })) as Record<string, any>;

describe('nested defaults lists', () => {
  test('a group option with its own defaults: absolute /group and relative subgroups', () => {
    const cfg = plain('config', ['server=full']);
    assert.equal(cfg.server.name, 'full');
    assert.equal(cfg.server.port, 443);
    assert.deepEqual(cfg.server.logging, { level: 'debug' }, 'relative group logging -> server/logging at package server.logging');
    assert.equal(cfg.server.db.driver, 'postgresql', '/db loads from the absolute group but its package is relative: server.db');
    assert.equal(cfg.db.driver, 'mysql');
  });

  test('order of the final defaults list (depth first, _self_ where declared)', () => {
    const { defaults } = composeNodes({ configDir, configName: 'config', overrides: ['server=full', '+experiment=fast'], withHydra: false });
    assert.deepEqual(
      defaults.map((d) => `${d.configPath}@${d.package}`),
      ['db/postgresql@db', 'db/postgresql@server.db', 'server/logging/verbose@server.logging', 'server/full@server', 'config@', 'experiment/fast@'],
    );
  });

  test('the last override in depth-first order wins', () => {
    assert.equal(plain('config', ['+experiment=fast']).db.driver, 'postgresql');
    assert.equal(plain('config', ['+experiment=fast', '+exp_b=back_to_mysql']).db.driver, 'mysql');
  });

  test('@_global_ merges a group at the top level', () => {
    assert.deepEqual(plain('global_pkg'), { driver: 'mysql', user: 'omry', pass: 'secret', port: 3306, top: 1 });
    const { choices } = composeNodes({ configDir, configName: 'global_pkg' });
    assert.equal(choices['db@_global_'], 'mysql');
    assert.equal(plain('global_pkg', ['db@_global_=postgresql']).driver, 'postgresql');
  });

  test('a primary config can override hydra groups', () => {
    const { cfg, choices } = composeNodes({ configDir, configName: 'override_hydra' });
    assert.equal(choices['hydra/job_logging'], 'stdout');
    assert.equal(select(cfg, 'hydra.job_logging.formatters.simple.format'), '%(message)s');
    assert.equal(select(composeNodes({ configDir, configName: 'override_hydra', overrides: ['hydra/job_logging=disabled'] }).cfg, 'hydra.job_logging.root.level'), 'ERROR');
  });

  test('a circular defaults list is an error, not a hang', () => {
    const loops = fileURLToPath(new URL('../fixtures/loops', import.meta.url));
    assert.throws(() => compose({ configDir: loops, configName: 'loop_top' }), /Circular defaults list: loop\/b -> loop\/c -> loop\/b/);
  });

  test('+group=option for a group already in the list is an error', () => {
    assert.throws(() => plain('config', ['+db=postgresql']), /Multiple values for db/);
  });
});
