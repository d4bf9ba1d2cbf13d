import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compose, s, ValidationError } from '../src/index.js';

const configDir = fileURLToPath(new URL('./fixtures/app', import.meta.url));
const AppSchema = s.object({
  app: s.object({ name: s.string(), port: s.int(), debug: s.bool().default(false) }),
  db: s.object({ driver: s.literal('mysql', 'postgresql'), port: s.int(), timeout: s.int().optional() }).passthrough(),
  server: s.any(),
  db_url: s.string(),
});

describe('typed configs (schemas)', () => {
  test('a valid config passes and gets the schema defaults', () => {
    const cfg = compose({ configDir, configName: 'config', schema: AppSchema });
    assert.equal(cfg.app.port, 80);
    assert.equal(cfg.app.debug, false);
    assert.equal(cfg.db.driver, 'mysql');
  });
  test('wrong types from the command line fail at compose time', () => {
    assert.throws(
      () => compose({ configDir, configName: 'config', schema: AppSchema, overrides: ['app.port=abc'] }),
      (e: Error) => e instanceof ValidationError && e.message === "Invalid value for 'app.port': expected an int, got 'abc' (str)",
    );
    assert.throws(() => compose({ configDir, configName: 'config', schema: AppSchema, overrides: ['app.port=1.5'] }), /expected an int, got '1.5' \(float\)/);
    assert.throws(() => compose({ configDir, configName: 'config', schema: AppSchema, overrides: ['db=postgresql', 'db.driver=oracle'] }), /expected one of "mysql", "postgresql", got 'oracle'/);
    assert.throws(() => compose({ configDir, configName: 'config', schema: AppSchema, overrides: ['app.name=null'] }), /null is not allowed/);
  });
  test('keys outside the schema fail unless the object is passthrough', () => {
    assert.throws(() => compose({ configDir, configName: 'config', schema: AppSchema, overrides: ['+app.extra=1'] }), /Key 'app.extra' is not in the schema/);
    assert.equal(compose<any>({ configDir, configName: 'config', schema: AppSchema, overrides: ['+db.extra=1'] }).db.extra, 1);
  });
  test('required keys must be present', () => {
    const Strict = s.object({ app: s.object({ name: s.string(), owner: s.string() }) }).passthrough();
    assert.throws(() => compose({ configDir, configName: 'config', schema: Strict }), /Missing key 'app.owner' required by the schema: set it in the config or with \+app.owner=/);
  });
  test('the inferred type checks property access at compile time', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const file = fileURLToPath(new URL('./fixtures/types/typed.ts', import.meta.url));
    const tsc = spawnSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node', file], { encoding: 'utf8', cwd: root });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });
});
