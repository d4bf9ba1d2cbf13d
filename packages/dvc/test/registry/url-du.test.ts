/** `dvc get-url`, `dvc ls-url` and `dvc du`. */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError } from '../cli/helpers.js';
import { registry } from './helpers.js';

describe('get-url, ls-url, du', () => {
  const r = registry({ repoIsDvc: false });

  test('get-url copies a file or a folder, refusing to overwrite without -f', () => {
    writeFileSync(join(r.tmp, 'some-file'), 'some\n');
    assert.equal(r.dvc(['get-url', '../some-file', 'x']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'x'), 'utf8'), 'some\n');
    assert.equal(r.dvc(['get-url', '../src/data/sub', 'y']).code, 0);
    assert.deepEqual(readdirSync(join(r.repo, 'y')), ['s.txt']);
    writeFileSync(join(r.tmp, 'some-file'), 'other\n');
    const again = r.dvc(['get-url', '../some-file', 'x']);
    assert.equal(again.code, 1);
    assert.ok(isOneLineError(again.stderr.replace(/ \nTo override/, ' To override')), again.stderr);
    assert.equal(readFileSync(join(r.repo, 'x'), 'utf8'), 'some\n');
    assert.equal(r.dvc(['get-url', '-f', '../some-file', 'x']).code, 0);
    assert.equal(readFileSync(join(r.repo, 'x'), 'utf8'), 'other\n');
    const missing = r.dvc(['get-url', '../nothing-here']);
    assert.equal(missing.code, 1);
    assert.ok(isOneLineError(missing.stderr), missing.stderr);
  });

  test('ls-url lists a folder (-R, --size) or names a file', () => {
    mkdirSync(join(r.tmp, 'lsdir', 'sub'), { recursive: true });
    writeFileSync(join(r.tmp, 'lsdir', 'a'), '123');
    writeFileSync(join(r.tmp, 'lsdir', 'sub', 'b'), '1234');
    assert.equal(r.dvc(['ls-url', '../lsdir']).stdout, 'a\nsub\n');
    assert.equal(r.dvc(['ls-url', '-R', '--size', '../lsdir']).stdout, '3  a\n4  sub/b\n');
    assert.equal(r.dvc(['ls-url', '../lsdir/a']).stdout, `${r.repo}/../lsdir/a\n`);
  });

  test('du sums every file under each entry, and the total', () => {
    const a = r.dvc(['du', '../src', 'data']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, '3   data/file\n4   data/new.txt\n4   data/sub\n11  data\n');
    assert.equal(r.dvc(['du', '-s', '../src', 'data']).stdout, '11  data\n');
    assert.equal(r.dvc(['du', '--rev', 'v1', '../src', 'data']).stdout, '3  data/file\n4  data/sub\n7  data\n');
  });
});
