/**
 * configobj INI: our reader and writer against goldens produced by configobj 5.0.8 itself
 * (test/config/fixtures/configobj-golden.json), plus DVC's own config shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { IniError, interpolateIni, parseIni, quoteIni, writeIni, type IniSection } from '../../src/formats/config.js';

interface Golden {
  write: Array<{ in: IniSection; text: string; back: IniSection }>;
  parse: Array<{ text: string; dict?: IniSection; error?: string }>;
  interpolate: Array<{ text: string; dict?: IniSection; error?: string }>;
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/configobj-golden.json', import.meta.url), 'utf8'),
) as Golden;

describe('configobj INI', () => {
  test('writes what configobj writes', () => {
    assert.ok(golden.write.length > 20);
    for (const c of golden.write) {
      assert.equal(writeIni(c.in), c.text, `writing ${JSON.stringify(c.in)}`);
      assert.deepEqual(parseIni(c.text), c.back, `reading back ${JSON.stringify(c.text)}`);
    }
  });

  test('reads what configobj reads, and fails where it fails', () => {
    assert.ok(golden.parse.length > 25);
    for (const c of golden.parse) {
      if (c.error) {
        assert.throws(() => parseIni(c.text), (e: unknown) => e instanceof IniError && e.message === c.error, c.text);
      } else {
        assert.deepEqual(parseIni(c.text), c.dict, JSON.stringify(c.text));
      }
    }
  });

  test('hands out values as configobj does: %(name)s interpolation, its errors', () => {
    assert.ok(golden.interpolate.length >= 10);
    for (const c of golden.interpolate) {
      if (c.error) {
        assert.throws(() => interpolateIni(parseIni(c.text)), (e: unknown) => e instanceof IniError && e.message === c.error, c.text);
      } else {
        assert.deepEqual(interpolateIni(parseIni(c.text)), c.dict, JSON.stringify(c.text));
      }
    }
  });

  test("DVC's .dvc/config shape, byte for byte", () => {
    const text = writeIni({
      core: { remote: 'myremote', autostage: 'true' },
      'remote "myremote"': { url: '/srv/dvc-remote', verify: 'true' },
    });
    assert.equal(
      text,
      "[core]\n    remote = myremote\n    autostage = true\n['remote \"myremote\"']\n    url = /srv/dvc-remote\n    verify = true\n",
    );
    assert.equal(writeIni({}), '\n');
  });

  test('errors are one line with the line number', () => {
    for (const bad of ['[core\nx = 1\n', '[a]\nnot a key value\n', '[a]\nk = "open\n', '[a]\nk = 1\nk = 2\n']) {
      assert.throws(
        () => parseIni(bad),
        (e: unknown) => e instanceof IniError && !e.message.includes('\n') && /at line \d+\.$/.test(e.message),
        bad,
      );
    }
  });

  test('values that cannot be quoted are refused, not written wrong', () => {
    assert.throws(() => quoteIni('a\'\'\'b"""c'), IniError);
    assert.throws(() => quoteIni(['a\nb']), IniError);
  });
});
