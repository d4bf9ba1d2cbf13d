import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';
import { values } from './helpers.js';

describe('tensor creation and data', () => {
  test('from nested arrays, typed arrays and factories', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(a.shape, [2, 3]);
    assert.equal(a.dtype, 'float32');
    assert.deepEqual(a.tolist(), [[1, 2, 3], [4, 5, 6]]);
    const b = torch.tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
    assert.equal(b.dtype, 'float64');
    assert.deepEqual(b.tolist(), [[1, 2], [3, 4]]);
    const c = torch.tensor([1, 2, 3], { dtype: 'int64' });
    assert.equal(c.dtype, 'int64');
    assert.deepEqual(Array.from(c.toArray() as BigInt64Array), [1n, 2n, 3n]);
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.deepEqual(torch.tensor([true, false]).tolist(), [true, false]);
    assert.equal(torch.tensor(new Uint8Array([1, 2])).dtype, 'uint8');
    assert.deepEqual(torch.zeros([2, 2]).tolist(), [[0, 0], [0, 0]]);
    assert.deepEqual(torch.ones(3, { dtype: 'int32' }).tolist(), [1, 1, 1]);
    assert.deepEqual(torch.full([2], 7).tolist(), [7, 7]);
    assert.deepEqual(torch.arange(5).tolist(), [0, 1, 2, 3, 4]);
    assert.equal(torch.arange(5).dtype, 'int64');
    assert.deepEqual(torch.arange(0, 1, 0.25).tolist(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(torch.linspace(0, 1, 3).tolist(), [0, 0.5, 1]);
    assert.deepEqual(torch.eye(2).tolist(), [[1, 0], [0, 1]]);
    assert.equal(torch.scalar(3).item(), 3);
    assert.equal(torch.tensor(5).ndim, 0);
  });

  test('dtype conversion and random factories', () => {
    const a = torch.tensor([1.7, -2.2]);
    assert.deepEqual(a.to('int64').tolist(), [1, -2]);
    assert.deepEqual(a.to('float64').dtype, 'float64');
    assert.deepEqual(a.gt(0).tolist(), [true, false]);
    torch.manualSeed(42);
    const r1 = values(torch.rand([5]));
    torch.manualSeed(42);
    const r2 = values(torch.rand([5]));
    assert.deepEqual(r1, r2);
    assert.ok(r1.every((v) => v >= 0 && v < 1));
    const ri = values(torch.randint(3, 6, [100]));
    assert.ok(ri.every((v) => v >= 3 && v < 6));
    const p = values(torch.randperm(10)).sort((x, y) => x - y);
    assert.deepEqual(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const n = torch.randn([10000]);
    assert.ok(Math.abs(n.mean().item()) < 0.05);
    assert.ok(Math.abs(n.std().item() - 1) < 0.05);
  });

  test('arithmetic broadcasts like PyTorch', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = torch.tensor([10, 20, 30]);
    assert.deepEqual(a.add(b).tolist(), [[11, 22, 33], [14, 25, 36]]);
    assert.deepEqual(a.sub(1).tolist(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(a.mul(torch.tensor([[2], [3]])).tolist(), [[2, 4, 6], [12, 15, 18]]);
    assert.deepEqual(a.div(2).tolist(), [[0.5, 1, 1.5], [2, 2.5, 3]]);
    assert.deepEqual(a.pow(2).tolist(), [[1, 4, 9], [16, 25, 36]]);
    assert.deepEqual(a.add(b, 2).tolist(), [[21, 42, 63], [24, 45, 66]]);
    assert.deepEqual(a.rsub(10).tolist(), [[9, 8, 7], [6, 5, 4]]);
    assert.deepEqual(torch.tensor([7], { dtype: 'int64' }).div(2, 'floor').tolist(), [3]);
    assert.deepEqual(torch.tensor([7], { dtype: 'int64' }).add(1).dtype, 'int64');
    assert.deepEqual(torch.tensor([7], { dtype: 'int64' }).add(0.5).dtype, 'float32');
    assert.deepEqual(a.matmul(torch.tensor([[1], [0], [1]])).tolist(), [[4], [10]]);
    assert.deepEqual(a.maximum(torch.tensor([3, 3, 3])).tolist(), [[3, 3, 3], [4, 5, 6]]);
    assert.deepEqual(a.clamp(2, 5).tolist(), [[2, 2, 3], [4, 5, 5]]);
    assert.deepEqual(torch.where(a.gt(3), a, 0).tolist(), [[0, 0, 0], [4, 5, 6]]);
    const c = torch.zeros([3]);
    c.add_(1).mul_(3).sub_(torch.tensor([1, 2, 3]));
    assert.deepEqual(c.tolist(), [2, 1, 0]);
    assert.deepEqual(torch.tensor([4, 9]).sqrt().tolist(), [2, 3]);
    assert.deepEqual(torch.tensor([-1, 2]).relu().tolist(), [0, 2]);
    assert.deepEqual(torch.tensor([-1, 2]).abs().tolist(), [1, 2]);
  });

  test('reductions', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.equal(a.sum().item(), 21);
    assert.deepEqual(a.sum(0).tolist(), [5, 7, 9]);
    assert.deepEqual(a.sum(1, true).tolist(), [[6], [15]]);
    assert.deepEqual(a.mean([0, 1]).item(), 3.5);
    assert.equal(a.prod().item(), 720);
    assert.equal(a.max().item(), 6);
    const { values: v, indices } = a.max(1);
    assert.deepEqual(v.tolist(), [3, 6]);
    assert.deepEqual(indices.tolist(), [2, 2]);
    assert.deepEqual(a.argmin(1).tolist(), [0, 0]);
    assert.equal(a.argmax().item(), 5);
    assert.ok(Math.abs(a.std().item() - 1.8708287) < 1e-5);
    assert.ok(Math.abs(a.var(null, false, false).item() - 35 / 12) < 1e-5);
    assert.deepEqual(a.cumsum(1).tolist(), [[1, 3, 6], [4, 9, 15]]);
    assert.ok(Math.abs(a.norm().item() - Math.sqrt(91)) < 1e-4);
    assert.ok(Math.abs(torch.tensor([0, 0]).logsumexp().item() - Math.log(2)) < 1e-6);
    assert.equal(a.gt(0).all().item(), 1);
    assert.deepEqual(torch.tensor([[1, 0], [1, 1]]).gt(0).any(1).tolist(), [true, true]);
    const s = torch.tensor([3, 1, 2]).sort();
    assert.deepEqual(s.values.tolist(), [1, 2, 3]);
    assert.deepEqual(s.indices.tolist(), [1, 2, 0]);
    assert.deepEqual(torch.tensor([3, 1, 2]).topk(2).values.tolist(), [3, 2]);
    const sm = torch.tensor([1, 2, 3]).softmax(0);
    assert.ok(Math.abs(sm.sum().item() - 1) < 1e-6);
  });

  test('shape ops, slicing and indexing', () => {
    const a = torch.arange(24).reshape(2, 3, 4);
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.deepEqual(a.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.deepEqual(a.transpose(0, 2).shape, [4, 3, 2]);
    assert.deepEqual(a.flatten(1).shape, [2, 12]);
    assert.deepEqual(a.view(-1).shape, [24]);
    assert.deepEqual(a.unsqueeze(0).shape, [1, 2, 3, 4]);
    assert.deepEqual(a.unsqueeze(0).squeeze().shape, [2, 3, 4]);
    assert.deepEqual(torch.ones([3, 1]).expand(3, 4).shape, [3, 4]);
    assert.deepEqual(torch.tensor([1, 2]).repeat(2).tolist(), [1, 2, 1, 2]);
    assert.deepEqual(a.index(1, 2).tolist(), [20, 21, 22, 23]);
    assert.deepEqual(a.index(0, ':', '1:3').tolist(), [[1, 2], [5, 6], [9, 10]]);
    assert.deepEqual(a.index('...', -1).tolist(), [[3, 7, 11], [15, 19, 23]]);
    assert.deepEqual(a.index(0, '::2', 0).tolist(), [0, 8]);
    assert.deepEqual(a.index(null, 'None').shape, [2, 1, 3, 4]);
    assert.deepEqual(a.index(0, [2, 0], 1).tolist(), [9, 1]);
    assert.deepEqual(a.index(0, 0, a.index(0, 0).gt(1)).tolist(), [2, 3]);
    assert.deepEqual(a.slice(2, 1, null, 2).index(0, 0).tolist(), [1, 3]);
    assert.deepEqual(a.select(1, 0).tolist(), [[0, 1, 2, 3], [12, 13, 14, 15]]);
    const b = torch.zeros([2, 3]);
    b.indexPut_([0, '1:'], 5);
    b.indexPut_([1, [0]], torch.tensor([7]));
    assert.deepEqual(b.tolist(), [[0, 5, 5], [7, 0, 0]]);
    const c = torch.cat([torch.ones([1, 2]), torch.zeros([2, 2])]);
    assert.deepEqual(c.tolist(), [[1, 1], [0, 0], [0, 0]]);
    assert.deepEqual(torch.stack([torch.ones(2), torch.zeros(2)], 1).tolist(), [[1, 0], [1, 0]]);
    assert.deepEqual(torch.arange(5).split(2).map((t) => t.tolist()), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(torch.arange(6).chunk(3).length, 3);
    assert.deepEqual(torch.arange(6).reshape(2, 3).gather(1, torch.tensor([[2], [0]], { dtype: 'int64' })).tolist(), [[2], [3]]);
    assert.deepEqual(torch.arange(4).maskedFill(torch.tensor([true, false, true, false]), -1).tolist(), [-1, 1, -1, 3]);
    assert.deepEqual(torch.ones([3, 3]).tril().sum().item(), 6);
    assert.deepEqual(torch.arange(3).flip(0).tolist(), [2, 1, 0]);
    assert.deepEqual(torch.einsum('ij,j->i', torch.ones([2, 3]), torch.arange(3, undefined, 1, { dtype: 'float32' })).tolist(), [3, 3]);
  });
});

describe('errors are catchable JS errors with libtorch messages', () => {
  test('shape mismatch', () => {
    assert.throws(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/);
    assert.throws(() => torch.ones([2, 3]).add(torch.ones([4])), /size of tensor a \(3\) must match the size of tensor b \(4\)/);
    assert.throws(() => torch.ones([6]).view(4), /shape '\[4\]' is invalid for input of size 6/);
  });
  test('wrong dtype', () => {
    assert.throws(() => torch.F.crossEntropy(torch.ones([2, 3]), torch.tensor([0, 1])), /crossEntropy: class-index targets must be int64, got float32/);
    assert.throws(() => torch.F.nllLoss(torch.ones([2, 3]), torch.tensor([0, 1], { dtype: 'int32' })), /expected scalar type Long but found Int/);
    assert.throws(() => torch.F.embedding(torch.tensor([0.5]), torch.ones([3, 2])), /Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int/);
    assert.throws(() => torch.zeros([2], { dtype: 'nope' as torch.DType }), /unknown dtype 'nope'/);
  });
  test('bad arguments and use after dispose', () => {
    assert.throws(() => torch.tensor(new Float32Array(3), { shape: [2, 2] }), /data has 12 bytes but shape needs 16/);
    assert.throws(() => torch.tensor([[1, 2], [3]]), /rectangular/);
    const t = torch.ones(2);
    t.dispose();
    t.dispose();
    assert.throws(() => t.add(1), /tensor was disposed/);
    assert.throws(() => torch.ones([2, 3]).index(0, 0, 0), /too many indices/);
    assert.throws(() => torch.ones([2, 3]).index({} as torch.Index), /index: unsupported index \{\}/);
    assert.throws(() => torch.ones([2, 3]).add('x' as unknown as number), /A number was expected/);
    assert.throws(() => torch.ones(3).index(5), /index 5 out of range for tensor of size \[3\] at dimension 0/);
    // the process is still fine afterwards
    assert.equal(torch.ones(2).sum().item(), 2);
  });
});

describe('memory: tidy, keep, dispose', () => {
  test('tidy frees intermediates and keeps what is returned', () => {
    const before = torch.liveTensors();
    const kept = torch.keep(torch.ones(3));
    const out = torch.tidy(() => {
      const a = torch.ones(3).mul(2);
      const b = a.add(kept);
      torch.tidy(() => b.mul(b));
      return { b, list: [a.sum()] };
    });
    assert.deepEqual(out.b.tolist(), [3, 3, 3]);
    assert.equal(out.list[0]!.item(), 6);
    assert.equal(kept.isDisposed, false);
    assert.equal(torch.liveTensors(), before + 3);
    torch.dispose([out, kept]);
    assert.equal(torch.liveTensors(), before);
  });
  test('tidy frees on throw and rejects async functions', () => {
    const before = torch.liveTensors();
    assert.throws(() => torch.tidy(() => {
      torch.ones(4);
      throw new Error('boom');
    }), /boom/);
    assert.equal(torch.liveTensors(), before);
    assert.throws(() => torch.tidy((async () => 1) as unknown as () => number), /synchronous/);
  });
  test('disposing intermediates keeps the autograd graph alive', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const loss = torch.tidy(() => x.mul(x).mul(3).sum());
    loss.backward();
    assert.deepEqual(x.grad!.tolist(), [6, 12, 18]);
  });
});

describe('autograd basics', () => {
  test('backward, grad accumulation, noGrad, detach', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.tolist(), [5, 7]);
    x.grad = null;
    assert.equal(x.grad, null);
    const y = torch.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(x.mul(x).gradFn, 'MulBackward0');
    assert.equal(x.isLeaf, true);
    assert.equal(x.detach().requiresGrad, false);
    const g = torch.autograd.grad(x.pow(3).sum(), x, { createGraph: true })[0]!;
    assert.deepEqual(g.tolist(), [3, 12]);
    const gg = torch.autograd.grad(g.sum(), x)[0]!;
    assert.deepEqual(gg.tolist(), [6, 12]);
    assert.throws(() => torch.ones(2).sum().backward(), /does not require grad/);
    const inf = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceMode(), true);
      return x.mul(2);
    });
    assert.equal(torch.isInferenceMode(), false);
    assert.equal(inf.requiresGrad, false);
    assert.deepEqual(inf.tolist(), [2, 4]);
    assert.throws(() => x.mul(inf).sum().backward(), /Inference tensors cannot be saved for backward/);
  });
});

describe('devices', () => {
  test('cpu tensors report their device; CUDA errors are catchable on CPU-only libtorch', () => {
    const t = torch.ones([2]);
    assert.equal(t.device, 'cpu');
    assert.deepEqual(t.toDevice('cpu').tolist(), [1, 1]);
    assert.equal(torch.zerosLike(t).device, 'cpu');
    if (!torch.cuda.isAvailable()) {
      assert.throws(() => t.cuda(), /CUDA|cuda/);
      assert.throws(() => t.toDevice('nonsense'), /device/i);
    } else {
      assert.equal(t.cuda().device, 'cuda:0');
      assert.deepEqual(t.cuda().add(1).tolist(), [2, 2]);
    }
  });
});

describe('torch.ops: any ATen operator by name', () => {
  test('calls operators with schema-converted arguments and defaults', () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    assert.deepEqual((torch.ops.call('aten::cumsum', x, 0) as torch.Tensor).tolist(), [[1, 2], [4, 6]]);
    assert.deepEqual((torch.ops.call('diag', torch.tensor([1, 2])) as torch.Tensor).tolist(), [[1, 0], [0, 2]]);
    assert.deepEqual((torch.ops.call('aten::sum.dim_IntList', x, [1], true) as torch.Tensor).tolist(), [[3], [7]]);
    const [vals, idx] = torch.ops.call('aten::kthvalue', torch.tensor([3, 1, 2]), 2) as torch.Tensor[];
    assert.equal(vals!.item(), 2);
    assert.equal(idx!.item(), 2);
    const parts = torch.ops.call('aten::unbind.int', x, 1) as torch.Tensor[];
    assert.deepEqual(parts.map((p) => p.tolist()), [[1, 3], [2, 4]]);
    assert.equal(torch.ops.call('aten::is_nonzero', torch.tensor([1])), true);
    // gradients flow through dispatched ops
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    (torch.ops.call('aten::logcumsumexp', w, 0) as torch.Tensor).sum().backward();
    assert.equal(w.grad!.shape[0], 3);
  });
  test('reports unknown operators and bad arguments', () => {
    assert.throws(() => torch.ops.call('aten::no_such_op', torch.ones(1)), /no operator aten::no_such_op/);
    assert.throws(() => torch.ops.call('aten::cumsum', torch.ones(1)), /missing argument 'dim'/);
    assert.throws(() => torch.ops.call('aten::cumsum', torch.ones(1), 'x'), /argument 'dim' must be an integer/);
  });
});

describe('runtime settings', () => {
  test('setNumThreads / getNumThreads / libtorchVersion', () => {
    const n = torch.getNumThreads();
    torch.setNumThreads(1);
    assert.equal(torch.getNumThreads(), 1);
    torch.setNumThreads(n);
    assert.equal(torch.getNumThreads(), n);
    assert.throws(() => torch.setNumThreads(0), /positive integer/);
    assert.match(torch.libtorchVersion, /^\d+\.\d+\.\d+$/);
  });
});

describe('worker threads', () => {
  test('the addon loads and computes in several worker threads at once', async () => {
    const { Worker } = await import('node:worker_threads');
    const addon = new URL('../build/Release/copper_torch.node', import.meta.url).pathname;
    // plain JS on the native layer (workers do not get the TypeScript loader)
    const code = `const { parentPort } = require('node:worker_threads');
      const m = require(${JSON.stringify(addon)});
      const a = m.full([3], 2, 6);
      const s = m.reduce(a, 0, null, false);
      parentPort.postMessage(m.item(s));`;
    const results = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise((resolve, reject) => {
            const w = new Worker(code, { eval: true });
            w.on('message', (m) => {
              resolve(m);
              void w.terminate();
            });
            w.on('error', reject);
          }),
      ),
    );
    assert.deepEqual(results, [6, 6, 6]);
    assert.equal(torch.ones([2]).sum().item(), 2);
  });
});
