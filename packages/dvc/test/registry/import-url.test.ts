/** `dvc import-url` of a local file or folder, and `dvc update` of it. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { isOneLineError, sandbox } from '../cli/helpers.js';

describe('dvc import-url', () => {
  test('a file: DVC\'s stage, the data checked out, then updated when the source changes', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.tmp, 'ext.txt'), 'external\n');
    const a = s.dvc(['import-url', '../ext.txt', 'ext.txt']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`^Importing '${join(s.tmp, 'ext.txt')}' -> 'ext.txt'\n`));
    const st = parse(readFileSync(join(s.repo, 'ext.txt.dvc'), 'utf8'));
    assert.equal(st.frozen, true);
    assert.deepEqual(st.deps, [{ md5: '0badd879611422b214d8c53e19b4f2a3', size: 9, hash: 'md5', path: '../ext.txt' }]);
    assert.deepEqual(st.outs, [{ md5: '0badd879611422b214d8c53e19b4f2a3', size: 9, hash: 'md5', path: 'ext.txt' }]);
    assert.equal(readFileSync(join(s.repo, 'ext.txt'), 'utf8'), 'external\n');
    assert.equal(s.dvc(['update', 'ext.txt.dvc']).stdout, "'ext.txt.dvc' didn't change, skipping\n");
    writeFileSync(join(s.tmp, 'ext.txt'), 'changed\n');
    const u = s.dvc(['update', 'ext.txt.dvc']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(readFileSync(join(s.repo, 'ext.txt'), 'utf8'), 'changed\n');
    assert.equal(parse(readFileSync(join(s.repo, 'ext.txt.dvc'), 'utf8')).deps[0].md5, 'ec1bebaea2c042beb68f7679ddd106a4');
  });

  test('a folder; --no-exec and --no-download record what DVC records; refuses hdfs URLs and existing outputs', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    mkdirSync(join(s.tmp, 'ext', 'sub'), { recursive: true });
    writeFileSync(join(s.tmp, 'ext', 'a'), 'a');
    writeFileSync(join(s.tmp, 'ext', 'sub', 'b'), 'b');
    assert.equal(s.dvc(['import-url', '../ext']).code, 0);
    assert.equal(readFileSync(join(s.repo, 'ext', 'sub', 'b'), 'utf8'), 'b');
    assert.equal(parse(readFileSync(join(s.repo, 'ext.dvc'), 'utf8')).outs[0].nfiles, 2);
    assert.equal(s.dvc(['import-url', '--no-exec', '../ext', 'e2']).code, 0);
    assert.ok(!existsSync(join(s.repo, 'e2')));
    assert.deepEqual(parse(readFileSync(join(s.repo, 'e2.dvc'), 'utf8')).deps, [{ hash: 'md5', path: '../ext' }]);
    assert.deepEqual(parse(readFileSync(join(s.repo, 'e2.dvc'), 'utf8')).outs, [{ hash: 'md5', path: 'e2' }]);
    assert.equal(s.dvc(['import-url', '--no-download', '../ext', 'e3']).code, 0);
    assert.ok(!existsSync(join(s.repo, 'e3')));
    // As DVC: the source's hash is recorded, the output has none until it is downloaded.
    const e3 = parse(readFileSync(join(s.repo, 'e3.dvc'), 'utf8'));
    assert.match(e3.deps[0].md5, /\.dir$/);
    assert.deepEqual(e3.outs, [{ hash: 'md5', path: 'e3' }]);
    assert.equal(s.dvc(['update', 'e3.dvc']).code, 0);
    assert.equal(readFileSync(join(s.repo, 'e3', 'sub', 'b'), 'utf8'), 'b');
    const again = s.dvc(['import-url', '../ext']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const remote = s.dvc(['import-url', 'hdfs://namenode/key', 'k']);
    assert.equal(remote.code, 1);
    assert.ok(isOneLineError(remote.stderr), remote.stderr);
  });
});
