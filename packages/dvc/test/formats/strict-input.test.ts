/**
 * Files DVC's readers refuse (ruamel.yaml, json, configobj over Python's strict utf-8 codec) are
 * refused here too: one ERROR line naming the file, non-zero exit, nothing rewritten.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCleanError, makeRepo, writeFiles } from '../repo/helpers.js';

function oneLine(r: { code: number; stderr: string }): boolean {
  return isCleanError(r) && r.stderr.trim().split('\n').length === 1;
}

const PIPELINE = 'stages:\n  s:\n    cmd: echo hi > out\n    params:\n    - params.json:\n      - lr\n    outs:\n    - out\n';

describe('malformed dvc.lock / dvc.yaml / .dvc / params / config are refused', () => {
  test('dvc.lock with invalid UTF-8, a NUL or a CR inside a key: status and repro fail, the lock is kept', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'dvc.yaml': PIPELINE, 'params.json': '{"lr": 1}' });
      mkdirSync(join(dir, '..', 'remote'));
      assert.equal(dvc('remote', 'add', '-d', 'store', join(dir, '..', 'remote')).code, 0);
      let r = dvc('repro');
      assert.equal(r.code, 0, r.stderr);
      const good = readFileSync(join(dir, 'dvc.lock'));
      assert.match(good.toString(), /\n {4}cmd: echo hi > out\n/);
      // A raw 0xff byte (never valid UTF-8) in the command.
      const i = good.indexOf('echo hi');
      const invalid = Buffer.concat([good.subarray(0, i + 6), Buffer.from([0xff]), good.subarray(i + 7)]);
      const bad: Array<[string, Buffer, RegExp]> = [
        ['invalid UTF-8', invalid, new RegExp(`'dvc\\.lock' is not valid UTF-8: .*byte 0xff in position ${i + 6}: invalid start byte`)],
        ['NUL in a key', Buffer.from(good.toString().replace('    cmd:', '    c\u0000md:')), /'dvc\.lock' is invalid: unacceptable character #x0000 at line 4, column 6/],
        ['CR in a key', Buffer.from(good.toString().replace('    cmd:', '    c\rmd:')), /'dvc\.lock' is invalid: /],
        ['CR in a value', Buffer.from(good.toString().replace('echo hi', 'echo h\ri')), /'dvc\.lock' is invalid: /],
      ];
      for (const [what, bytes, msg] of bad) {
        writeFileSync(join(dir, 'dvc.lock'), bytes);
        for (const args of [['status'], ['repro', '-f'], ['commit', '-f'], ['push']]) {
          r = dvc(...args);
          assert.ok(oneLine(r), `${what}: ${args.join(' ')}: ${r.code} ${JSON.stringify(r.stderr)}`);
          assert.match(r.stderr, msg, `${what}: ${args.join(' ')}`);
          assert.deepEqual(readFileSync(join(dir, 'dvc.lock')), bytes, `${what}: ${args.join(' ')} rewrote dvc.lock`);
        }
      }
      // Sanity: the good lock is accepted again.
      writeFileSync(join(dir, 'dvc.lock'), good);
      r = dvc('status');
      assert.equal(r.code, 0, r.stderr);
      // A CRLF file is fine (CR only counts as a line break of its own when alone).
      writeFileSync(join(dir, 'dvc.lock'), good.toString().replace(/\n/g, '\r\n'));
      r = dvc('status');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /up to date/);
    } finally {
      cleanup();
    }
  });

  test('dvc.yaml, a .dvc file and a params file with bad bytes', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      writeFiles(dir, { 'dvc.yaml': PIPELINE, 'params.json': '{"lr": 1}', 'data.txt': 'x\n' });
      assert.equal(dvc('repro').code, 0);
      assert.equal(dvc('add', 'data.txt').code, 0);
      const lock = readFileSync(join(dir, 'dvc.lock'));

      // params.json: strict UTF-8 as json.load reads it
      writeFileSync(join(dir, 'params.json'), Buffer.from([...Buffer.from('{"lr": 1, "n": "'), 0xc3, 0x28, ...Buffer.from('"}')]));
      let r = dvc('repro');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /'params\.json' is not valid UTF-8: .*byte 0xc3 in position 16: invalid continuation byte/);
      assert.deepEqual(readFileSync(join(dir, 'dvc.lock')), lock);
      // a raw control character, which json refuses (and a YAML parser would take)
      writeFileSync(join(dir, 'params.json'), '{"lr": 1, "n": "a\u0001b"}');
      r = dvc('repro');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /'params\.json' is invalid: invalid control character #x0001 at line 1, column 18/);
      assert.deepEqual(readFileSync(join(dir, 'dvc.lock')), lock);
      // DEL is fine in JSON (though not in YAML)
      writeFileSync(join(dir, 'params.json'), '{"lr": 1, "n": "a\u007fb"}');
      r = dvc('status');
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(dir, 'params.json'), '{"lr": 1}');

      // dvc.yaml with a NUL
      const yaml = readFileSync(join(dir, 'dvc.yaml'), 'utf8');
      writeFileSync(join(dir, 'dvc.yaml'), yaml.replace('outs:', 'ou\u0000ts:'));
      r = dvc('status');
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /'dvc\.yaml' is invalid: unacceptable character #x0000/);
      writeFileSync(join(dir, 'dvc.yaml'), yaml);

      // a .dvc file: invalid UTF-8, then a NUL, then a CR inside a key
      const dvcText = readFileSync(join(dir, 'data.txt.dvc'), 'utf8');
      for (const [bytes, msg] of [
        [Buffer.concat([Buffer.from(dvcText), Buffer.from([0x80])]), /'data\.txt\.dvc' is not valid UTF-8/],
        [Buffer.from(dvcText.replace('size:', 'si\u0000ze:')), /'data\.txt\.dvc' is invalid: unacceptable character #x0000/],
        [Buffer.from(dvcText.replace('size:', 'si\rze:')), /'data\.txt\.dvc' is invalid/],
      ] as Array<[Buffer, RegExp]>) {
        writeFileSync(join(dir, 'data.txt.dvc'), bytes);
        for (const args of [['status'], ['checkout'], ['commit', '-f', 'data.txt.dvc']]) {
          r = dvc(...args);
          assert.ok(oneLine(r), `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
          assert.match(r.stderr, msg, args.join(' '));
          assert.deepEqual(readFileSync(join(dir, 'data.txt.dvc')), bytes, `${args.join(' ')} rewrote the .dvc file`);
        }
      }
    } finally {
      cleanup();
    }
  });

  test('.dvc/config with invalid UTF-8 or a CR inside a key: 251, one line naming the file', () => {
    const { dir, dvc, cleanup } = makeRepo();
    try {
      const cfg = join(dir, '.dvc/config');
      writeFileSync(cfg, Buffer.from([...Buffer.from('[core]\n    autostage = tr'), 0xff, ...Buffer.from('ue\n')]));
      let r = dvc('status');
      assert.equal(r.code, 251, r.stderr);
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /config file error: '.*\.dvc\/config' is not valid UTF-8: .*byte 0xff in position 25/);
      // configobj splits lines as Python's str.splitlines(): a form feed inside a key breaks it
      writeFileSync(cfg, '[core]\n    auto\fstage = true\n');
      r = dvc('status');
      assert.equal(r.code, 251, r.stderr);
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /Invalid line \('    auto'\) \(matched as neither section nor keyword\) at line 2/);
    } finally {
      cleanup();
    }
  });
});
