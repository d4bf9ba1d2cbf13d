import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import {
  compareCodePoints,
  diffTrees,
  EMPTY_DIR_OID,
  hashManifest,
  parseManifest,
  pyJsonString,
  serializeManifest,
} from '../../src/tree/manifest.js';
import { InvalidFileError, UnsafePathError } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const golden = readFileSync(join(here, 'fixtures', '02-data.dir'), 'utf8');

describe('.dir manifests', () => {
  test('reproduces DVC 3.64 bytes for fixture 02 (code-point order, \\u escapes)', () => {
    const entries = parseManifest(golden, 'golden');
    // shuffle, then serialize: order must come from the sort, not the input
    const shuffled = [...entries].reverse();
    const { oid, text } = hashManifest(shuffled);
    assert.equal(text, golden);
    assert.equal(oid, 'c748ba019387b984d9c2ebdaf9832571.dir');
  });

  test('code-point order puts U+1F600 after U+FF5A (JavaScript sort would not)', () => {
    const a = '\u{1F600}.txt';
    const b = '\uFF5A.txt';
    assert.ok(a < b, 'UTF-16 order differs');
    assert.ok(compareCodePoints(a, b) > 0);
    assert.ok(compareCodePoints('B/1', 'a b.txt') < 0);
    assert.ok(compareCodePoints('a', 'a/b') < 0);
  });

  test('escapes like json.dumps(ensure_ascii=True)', () => {
    assert.equal(pyJsonString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(pyJsonString('\u00e9\n\t\x01\x7f'), '"\\u00e9\\n\\t\\u0001\\u007f"');
    assert.equal(pyJsonString('\u{1F600}'), '"\\ud83d\\ude00"');
  });

  test('empty folder is [] with the well-known hash', () => {
    const { oid, text } = hashManifest([]);
    assert.equal(text, '[]');
    assert.equal(oid, EMPTY_DIR_OID);
    assert.equal(createHash('md5').update('[]').digest('hex') + '.dir', EMPTY_DIR_OID);
  });

  test('serializes md5 before relpath with ", " and ": " separators', () => {
    const s = serializeManifest([{ relpath: 'x', md5: 'd41d8cd98f00b204e9800998ecf8427e' }]);
    assert.equal(s, '[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "x"}]');
  });

  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  for (const bad of ['../evil', 'a/../../evil', '/etc/passwd', 'a//b', './a', 'C:/x']) {
    test(`rejects unsafe relpath ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseManifest(JSON.stringify([{ md5, relpath: bad }]), 't'), UnsafePathError);
    });
  }

  test('rejects duplicates, bad md5, non-lists, file/folder clashes', () => {
    assert.throws(() => parseManifest(JSON.stringify([{ md5, relpath: 'a' }, { md5, relpath: 'a' }]), 't'), InvalidFileError);
    assert.throws(() => parseManifest(JSON.stringify([{ md5: 'zz', relpath: 'a' }]), 't'), InvalidFileError);
    assert.throws(() => parseManifest('{"md5": 1}', 't'), InvalidFileError);
    assert.throws(() => parseManifest('[{"md5": ', 't'), InvalidFileError);
    assert.throws(() => parseManifest(JSON.stringify([{ md5, relpath: 'a' }, { md5, relpath: 'a/b' }]), 't'), InvalidFileError);
  });

  test('diff', () => {
    const m1 = 'b1946ac92492d2347c6235b4d2611184';
    const d = diffTrees(
      [{ relpath: 'a', md5 }, { relpath: 'b', md5 }, { relpath: 'c', md5 }],
      [{ relpath: 'a', md5 }, { relpath: 'b', md5: m1 }, { relpath: 'd', md5 }],
    );
    assert.deepEqual(d.added.map((e) => e.relpath), ['d']);
    assert.deepEqual(d.deleted.map((e) => e.relpath), ['c']);
    assert.deepEqual(d.modified.map((e) => e.new.relpath), ['b']);
    assert.deepEqual(d.unchanged.map((e) => e.relpath), ['a']);
  });
});
