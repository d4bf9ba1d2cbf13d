// @copper/torch's error classes: libtorch's c10::Error and the binding's own failures arrive as
// TorchError subclasses with libtorch's message alone (no backtrace, no doubled "Error: ").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { nn } from '../src/index.js';

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected an error');
}

describe('error classes', () => {
  test('a shape mismatch in libtorch is a ShapeError with libtorch message as the whole message', () => {
    const e = caught(() => torch.randn([2, 3]).matmul(torch.randn([4, 5])));
    assert.ok(e instanceof torch.ShapeError && e instanceof torch.TorchError && e instanceof Error);
    assert.equal(e.message, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    assert.equal(String(e), 'ShapeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    assert.ok(!/Exception raised from|\n/.test(e.message), 'no C++ backtrace');
    const conv = caught(() => torch.F.conv2d(torch.randn([1, 4, 8, 8]), torch.randn([8, 3, 3, 3])));
    assert.ok(conv instanceof torch.ShapeError, String(conv));
    assert.ok(caught(() => torch.randn([2, 3]).add(torch.randn([4, 3]))) instanceof torch.ShapeError);
    assert.ok(caught(() => torch.randn([2, 3]).view([4])) instanceof torch.ShapeError);
  });

  test('dtype, index, disposed-tensor and unknown-operator errors have their own classes', () => {
    const d = caught(() => torch.randn([2, 3]).matmul(torch.randn([3, 2], { dtype: 'float64' })));
    assert.ok(d instanceof torch.DTypeError, String(d));
    assert.match(d.message, /expected scalar type Float but found Double/);
    const i = caught(() => torch.randn([2, 3]).select(0, 5));
    assert.ok(i instanceof torch.IndexError, String(i));
    const t = torch.randn([2]);
    t.dispose();
    assert.ok(caught(() => t.add(1)) instanceof torch.DisposedTensorError);
    const op = caught(() => torch.ops.call('aten::no_such_op', 1));
    assert.ok(op instanceof torch.ArgumentError);
    assert.equal(String(op), 'ArgumentError: no operator aten::no_such_op');
  });

  test('loadStateDict and load/save failures are StateDictError, ShapeError and SerializationError', () => {
    const m = new nn.Linear(3, 2);
    const sd = caught(() => m.loadStateDict({ weight: torch.zeros([2, 3]) }));
    assert.ok(sd instanceof torch.StateDictError);
    assert.deepEqual((sd as torch.StateDictError).missingKeys, ['bias']);
    const sz = caught(() => m.loadStateDict({ weight: torch.zeros([2, 4]), bias: torch.zeros([2]) }));
    assert.ok(sz instanceof torch.ShapeError);
    assert.match(sz.message, /size mismatch for weight: checkpoint has \[2, 4\], the model \[2, 3\]/);
    const ld = caught(() => torch.load('/nonexistent/x.pt'));
    assert.ok(ld instanceof torch.SerializationError);
    assert.equal(ld.message, 'load: cannot read /nonexistent/x.pt: ENOENT');
    assert.ok(caught(() => new nn.BatchNorm2d(3).forward(torch.randn([2, 3]))) instanceof torch.ShapeError);
  });

  test('without the built addon, importing says how to build it (NativeNotBuiltError)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copper-torch-nobuild-'));
    try {
      cpSync(fileURLToPath(new URL('../dist', import.meta.url)), join(dir, 'dist'), { recursive: true });
      cpSync(fileURLToPath(new URL('../package.json', import.meta.url)), join(dir, 'package.json'));
      const code = `import(${JSON.stringify(join(dir, 'dist', 'index.js'))}).then(() => console.log('loaded'), (e) => console.log(e.name + ' ' + e.code + ' | ' + e.message))`;
      const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
      assert.match(r.stdout, /^NativeNotBuiltError ERR_COPPER_TORCH_NATIVE \| @copper\/torch needs libtorch, and its native addon is not built: install libtorch .*npm run build:native -w packages\/torch/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
