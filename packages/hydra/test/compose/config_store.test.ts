import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compose, configStore, toContainer } from '../../src/index.js';

const configDir = fileURLToPath(new URL('../fixtures/app', import.meta.url));

describe('ConfigStore', () => {
  afterEach(() => configStore.clear());

  test('group options registered from code compose like files', () => {
    configStore.store({ group: 'db', name: 'sqlite', node: { driver: 'sqlite', file: 'db.sqlite' } });
    const cfg = toContainer(compose({ configDir, configName: 'config', overrides: ['db=sqlite'] })) as any;
    assert.deepEqual(cfg.db, { driver: 'sqlite', file: 'db.sqlite' });
  });

  test('a primary config from code, with a defaults list, and no config folder', () => {
    configStore.store({ group: 'model', name: 'small', node: { layers: 2 } });
    configStore.store({ name: 'app', node: { defaults: ['_self_', { model: 'small' }], lr: 0.1 } });
    const cfg = toContainer(compose({ configName: 'app' })) as any;
    assert.deepEqual(cfg, { lr: 0.1, model: { layers: 2 } });
  });

  test('files in the config folder win over the store; package and YAML text are accepted', () => {
    configStore.store({ group: 'db', name: 'mysql', node: 'driver: from_store\n' });
    configStore.store({ group: 'db', name: 'g', node: 'x: 1\n', package: '_global_' });
    assert.equal((toContainer(compose({ configDir, configName: 'config' })) as any).db.driver, 'mysql');
    assert.equal((toContainer(compose({ configDir, configName: 'config', overrides: ['db=g'] })) as any).x, 1);
    assert.deepEqual(configStore.list(), ['db/g', 'db/mysql']);
  });
});
