/**
 * The registry commands share their argument checks (cli/commands/get.ts `jobsArg`,
 * `keyValuesArg`): each bad value is one argparse-style line and exit 254, as DVC's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sandbox } from './helpers.js';

describe('get/import/update/du/*-url argument checks', () => {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  const cases: Array<[string[], string]> = [
    [['get', '.', 'x', '-j', '0'], "argument -j/--jobs: invalid value: '0'"],
    [['import', '.', 'x', '-j', '1.5'], "argument -j/--jobs: invalid value: '1.5'"],
    [['update', 'x.dvc', '-j', '0'], "argument -j/--jobs: invalid value: '0'"],
    [['import-url', 'x', '-j', 'abc'], "argument -j/--jobs: invalid int value: 'abc'"],
    [['get', '.', 'x', '--remote-config', 'novalue'], "argument --remote-config: expected key=value, got 'novalue'"],
    [['import', '.', 'x', '--remote-config', 'novalue'], "argument --remote-config: expected key=value, got 'novalue'"],
    [['du', '.', '--remote-config', '=1'], "argument --remote-config: expected key=value, got '=1'"],
    [['import-url', 'x', '--fs-config', 'bad'], "argument --fs-config: expected key=value, got 'bad'"],
    [['get-url', 'x', '--fs-config', 'bad'], "argument --fs-config: expected key=value, got 'bad'"],
    [['ls-url', 'x', '--fs-config', 'bad'], "argument --fs-config: expected key=value, got 'bad'"],
  ];
  for (const [args, line] of cases) {
    test(args.join(' '), () => {
      const r = s.dvc(args);
      assert.equal(r.code, 254);
      assert.equal(r.stderr, `ERROR: ${line}\n`);
    });
  }
});
