import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DvcFile } from '../../src/formats/dvcfile.js';
import { InvalidFileError, UnsafePathError } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = '/repo';

describe('.dvc files', () => {
  for (const name of readdirSync(join(here, 'fixtures'))) {
    test(`new file is byte-identical to DVC's (${name})`, () => {
      const golden = readFileSync(join(here, 'fixtures', name), 'utf8');
      const parsed = DvcFile.parse(root, '/repo/sub/x.dvc', golden);
      const o = parsed.outs[0]!;
      const made = DvcFile.create(root, '/repo/sub/x.dvc', [
        { abs: o.abs, md5: o.md5!, size: o.size!, ...(o.nfiles !== undefined ? { nfiles: o.nfiles } : {}) },
      ]);
      assert.equal(made.toString(), golden);
      assert.equal(o.hash, 'md5');
    });
  }

  test('update keeps comments, key order and extra fields; appends new keys', () => {
    const text = '# my data\nouts:\n- path: data  # here\n  cache: true\n  desc: pets\n';
    const f = DvcFile.parse(root, '/repo/data.dvc', text);
    f.setOutHash(0, { md5: 'c748ba019387b984d9c2ebdaf9832571.dir', size: 66, nfiles: 12 });
    assert.equal(
      f.toString(),
      '# my data\nouts:\n- path: data # here\n  cache: true\n  desc: pets\n  md5: c748ba019387b984d9c2ebdaf9832571.dir\n  size: 66\n  nfiles: 12\n  hash: md5\n',
    );
    // a folder that became a file loses nfiles
    f.setOutHash(0, { md5: '900150983cd24fb0d6963f7d28e17f72', size: 3 });
    assert.ok(!f.toString().includes('nfiles'));
  });

  test('paths needing quotes are single-quoted', () => {
    const f = DvcFile.create(root, '/repo/x.dvc', [{ abs: '/repo/#x', md5: '900150983cd24fb0d6963f7d28e17f72', size: 3 }]);
    assert.match(f.toString(), /path: '#x'\n$/);
    assert.equal(DvcFile.parse(root, '/repo/x.dvc', f.toString()).outs[0]!.abs, '/repo/#x');
  });

  test('malformed YAML is an InvalidFileError naming the file', () => {
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', 'outs: [\n'), (e: Error) => e instanceof InvalidFileError && /bad\.dvc/.test(e.message));
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', ''), InvalidFileError);
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', '- a\n'), InvalidFileError);
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', 'outs: 3\n'), InvalidFileError);
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', 'outs:\n- md5: 1\n'), InvalidFileError);
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', 'outs:\n- path: a\n  md5: xyz\n'), InvalidFileError);
    assert.throws(() => DvcFile.parse(root, '/repo/bad.dvc', 'outz: []\n'), InvalidFileError);
  });

  test('output paths leaving the repository are rejected', () => {
    for (const p of ['../outside', '/etc/passwd', 'a/../../x', '.dvc/config', '.git/config', '.']) {
      assert.throws(
        () => DvcFile.parse(root, '/repo/data.dvc', `outs:\n- path: ${p}\n`),
        (e: Error) => e instanceof UnsafePathError || e instanceof InvalidFileError,
        p,
      );
    }
    // but '..' that stays inside is fine (a .dvc file in a subfolder)
    const f = DvcFile.parse(root, '/repo/sub/data.dvc', 'outs:\n- path: ../data\n');
    assert.equal(f.outs[0]!.rel, 'data');
  });
});
