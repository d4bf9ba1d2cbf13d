/**
 * `.dvc/tmp/repro.dat` is a Python pickle: what we write, Python reads, and what Python DVC
 * writes (its default protocol, memo and frames included), we read. Checked against python3.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { PyTuple, pickleDumps, pickleLoads } from '../../src/repo/experiments/pickle.js';

const hasPython = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

function python(code: string, input?: Buffer): Buffer {
  const r = spawnSync('python3', ['-c', code], { input });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout as Buffer;
}

describe('repro.dat pickles', { skip: !hasPython && 'python3 is not installed' }, () => {
  test('ours load in Python as the dict DVC packs', () => {
    const data = pickleDumps({ args: new PyTuple([]), kwargs: { targets: ['train', 'é'], force: true, run_env: { DVC_EXP_NAME: 'q1' }, n: -3, x: 0.5, none: null } });
    const out = python('import pickle,sys,json; d=pickle.load(sys.stdin.buffer); print(json.dumps([type(d["args"]).__name__, d["args"], d["kwargs"]], sort_keys=True))', data);
    assert.equal(out.toString().trim(), '["tuple", [], {"force": true, "n": -3, "none": null, "run_env": {"DVC_EXP_NAME": "q1"}, "targets": ["train", "\\u00e9"], "x": 0.5}]');
  });

  test("Python's (every protocol from 2) load here", () => {
    for (const proto of [2, 3, 4, 5]) {
      const data = python(
        `import pickle,sys; s='shared'; sys.stdout.buffer.write(pickle.dumps({"args": (), "kwargs": {"targets": ["a", s, s], "force": False, "jobs": 300, "big": 70000, "f": 1.25, "t": ("x",), "run_env": {"DVC_ROOT": "/r"}}}, protocol=${proto}))`,
      );
      const d = pickleLoads(data) as { args: PyTuple; kwargs: Record<string, unknown> };
      assert.ok(d.args instanceof PyTuple);
      assert.deepEqual(d.kwargs, { targets: ['a', 'shared', 'shared'], force: false, jobs: 300, big: 70000, f: 1.25, t: new PyTuple(['x']), run_env: { DVC_ROOT: '/r' } }, `protocol ${proto}`);
    }
  });
});
