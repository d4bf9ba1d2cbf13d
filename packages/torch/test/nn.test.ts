import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';
import { F, nn, optim, type Tensor } from '../src/index.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

class Net extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  bn = new nn.BatchNorm2d(2);
  blocks = [new nn.Linear(8, 4), new nn.Linear(4, 2)];
  head = new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.5));
  scale = new nn.Parameter(torch.ones(1));
  forward(x: Tensor): Tensor {
    let h = this.bn.forward(this.conv.forward(x)).relu().flatten(1);
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h).mul(this.scale);
  }
}

describe('nn.Module', () => {
  test('finds parameters, buffers and children under PyTorch names', () => {
    const n = new Net();
    assert.deepEqual(n.namedParameters().map(([k]) => k), [
      'scale', 'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias',
    ]);
    assert.deepEqual(n.namedBuffers().map(([k]) => k), ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    assert.deepEqual(Object.keys(n.stateDict()).slice(0, 3), ['scale', 'conv.weight', 'conv.bias']);
    assert.equal(n.numParameters(), 1 + 18 + 2 + 2 + 2 + 32 + 4 + 8 + 2);
    assert.deepEqual(n.namedModules().map(([k]) => k), ['', 'conv', 'bn', 'blocks.0', 'blocks.1', 'head', 'head.0', 'head.1']);
    assert.match(n.toString(), /\(conv\): Conv2d\(1, 2, kernelSize=\[3, 3\]\)/);
  });

  test('train/eval propagate and change Dropout and BatchNorm behaviour', () => {
    const n = new Net();
    const x = torch.randn([3, 1, 4, 4]);
    n.eval();
    assert.equal(n.head.at(1).training, false);
    const a = n.forward(x);
    const b = n.forward(x);
    assert.ok(a.equal(b), 'eval mode is deterministic');
    assert.equal(n.bn.numBatchesTracked!.item(), 0);
    n.train();
    n.forward(x);
    assert.equal(n.bn.numBatchesTracked!.item(), 1);
    assert.equal(n.head.at(1).training, true);
  });

  test('zeroGrad clears gradients; parameters survive tidy', () => {
    const n = new nn.Linear(3, 1);
    torch.tidy(() => n.forward(torch.ones([2, 3])).sum().backward());
    assert.deepEqual(n.bias!.grad!.tolist(), [2]);
    assert.equal(n.weight.isDisposed, false);
    n.zeroGrad();
    assert.equal(n.weight.grad, null);
  });

  test('layers compute what their definitions say', () => {
    const lin = new nn.Linear(2, 1);
    torch.noGrad(() => {
      lin.weight.copy_(torch.tensor([[2, -1]]));
      lin.bias!.fill_(0.5);
    });
    assert.deepEqual(lin.forward(torch.tensor([[1, 3]])).tolist(), [[-0.5]]);
    // init bounds follow PyTorch: U(-1/sqrt(fanIn), 1/sqrt(fanIn))
    const big = new nn.Linear(100, 50);
    assert.ok(big.weight.abs().max().item() <= 0.1 + 1e-7);
    assert.ok(big.weight.abs().max().item() > 0.09);
    const conv = new nn.Conv2d(1, 1, 2, { bias: false });
    torch.noGrad(() => conv.weight.fill_(1));
    assert.deepEqual(conv.forward(torch.arange(9, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 3, 3)).tolist(), [[[[8, 12], [20, 24]]]]);
    assert.deepEqual(new nn.MaxPool2d(2).forward(torch.arange(16, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4)).tolist(), [[[[5, 7], [13, 15]]]]);
    assert.deepEqual(new nn.AvgPool2d(2).forward(torch.arange(16, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4)).tolist(), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    const ln = new nn.LayerNorm(4).forward(torch.tensor([[1, 2, 3, 4]]));
    assert.ok(Math.abs(ln.mean().item()) < 1e-6 && Math.abs(ln.var(null, false, false).item() - 1) < 1e-4);
    const emb = new nn.Embedding(10, 3, { paddingIdx: 0 });
    assert.deepEqual(emb.forward(torch.tensor([0], { dtype: 'int64' })).tolist(), [[0, 0, 0]]);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const { output, weights } = mha.forward(torch.randn([2, 5, 8]), torch.randn([2, 7, 8]), torch.randn([2, 7, 8]));
    assert.deepEqual(output.shape, [2, 5, 8]);
    assert.deepEqual(weights!.shape, [2, 5, 7]);
    assert.ok(weights!.sum(-1).allclose(torch.ones([2, 5]), 1e-5, 1e-5));
  });

  test('channels-last memory format gives the same results (and gradients)', () => {
    torch.manualSeed(4);
    const net = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 4 * 4, 2));
    const x = torch.randn([2, 3, 8, 8]);
    const ref = net.forward(x);
    ref.sum().backward();
    const g0 = (net.at(0) as nn.Conv2d).weight.grad!.clone();
    net.zeroGrad();
    net.toMemoryFormat('channelsLast');
    assert.ok((net.at(0) as nn.Conv2d).weight.isContiguous('channelsLast'));
    assert.equal((net.at(0) as nn.Conv2d).weight.isContiguous(), false);
    const xc = x.contiguous('channelsLast');
    assert.ok(xc.isContiguous('channelsLast'));
    const out = net.forward(xc);
    assert.ok(out.allclose(ref, 1e-4, 1e-5));
    out.sum().backward();
    assert.ok((net.at(0) as nn.Conv2d).weight.grad!.allclose(g0, 1e-4, 1e-5));
    assert.throws(() => x.contiguous('sideways' as torch.MemoryFormat), /memory format must be/);
  });

  test('bad layer use gives clear errors', () => {
    assert.throws(() => new nn.BatchNorm2d(3).forward(torch.ones([2, 3])), /BatchNorm2d: expected 4D input \(got 2D input\)/);
    assert.throws(() => new nn.Linear(3, 2).forward(torch.ones([2, 4])), /mat1 and mat2 shapes cannot be multiplied \(2x4 and 3x2\)/);
    assert.throws(() => new nn.Conv2d(3, 4, 3).forward(torch.ones([1, 2, 5, 5])), /expected input\[1, 2, 5, 5\] to have 3 channels, but got 2 channels instead/);
    assert.throws(() => new nn.Dropout(1.5), /dropout probability has to be between 0 and 1/);
    assert.throws(() => new optim.Adam([]), /empty parameter list/);
  });
});

describe('training', () => {
  test('a small MLP learns a non-linearly separable problem to > 95% accuracy', () => {
    torch.manualSeed(1);
    // two concentric rings: label 1 outside radius 1
    const n = 512;
    const X = torch.keep(torch.randn([n, 2]).mul(1.2));
    const y = torch.keep(X.norm(1).gt(1.2).long());
    const model = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 32), new nn.Tanh(), new nn.Linear(32, 2));
    const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
    const sched = new optim.StepLR(opt, 150, 0.5);
    for (let epoch = 0; epoch < 300; epoch++) {
      torch.tidy(() => {
        opt.zeroGrad();
        F.crossEntropy(model.forward(X), y).backward();
        opt.step();
        sched.step();
      });
    }
    const acc = torch.noGrad(() => torch.tidy(() => model.forward(X).argmax(1).eq(y).float().mean().item()));
    assert.ok(acc > 0.95, `accuracy ${acc}`);
  });

  test('a small CNN with BatchNorm and SGD+momentum separates two image classes', () => {
    torch.manualSeed(2);
    // class 0: bright left half, class 1: bright right half, plus noise
    const n = 64;
    const y = torch.keep(torch.arange(n).remainder(2));
    const X = torch.keep(torch.tidy(() => {
      const cols = torch.arange(8, undefined, 1, { dtype: 'float32' }).lt(4).float().view(1, 1, 1, 8);
      const left = cols.expand(n, 1, 8, 8);
      const pattern = torch.where(y.view(n, 1, 1, 1).eq(0), left, left.rsub(1));
      return pattern.add(torch.randn([n, 1, 8, 8]).mul(0.5));
    }));
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(4, 2),
    );
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 60; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        F.crossEntropy(model.forward(X), y).backward();
        opt.step();
      });
    }
    model.eval();
    const acc = torch.noGrad(() => torch.tidy(() => model.forward(X).argmax(1).eq(y).float().mean().item()));
    assert.ok(acc > 0.95, `accuracy ${acc}`);
  });

  test('10,000 training steps do not grow memory', () => {
    const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4));
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const x = torch.keep(torch.randn([8, 16]));
    const y = torch.keep(torch.randint(0, 4, [8]));
    const step = () =>
      torch.tidy(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      });
    for (let i = 0; i < 500; i++) step();
    gc();
    const live0 = torch.liveTensors();
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 10000; i++) step();
    gc();
    const live1 = torch.liveTensors();
    const grow = (process.memoryUsage().rss - rss0) / 2 ** 20;
    assert.equal(live1, live0, 'no tensor handle left behind');
    assert.ok(grow < 40, `RSS grew ${grow.toFixed(1)} MiB over 10,000 steps`);
  });

  test('the garbage collector frees tensors nobody disposed', async () => {
    const live0 = torch.liveTensors();
    for (let i = 0; i < 2000; i++) torch.ones([64]).add(1);
    for (let i = 0; i < 5 && torch.liveTensors() > live0 + 100; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(torch.liveTensors() < live0 + 100, `still ${torch.liveTensors() - live0} live`);
  });
});

describe('nn.utils', () => {
  test('clipGradNorm_ scales gradients to the max norm and returns the norm before', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([2], { requiresGrad: true });
    a.mul(torch.tensor([3, 4])).sum().add(b.mul(12).sum()).backward(); // grads [3, 4] and [12]: norm 13
    const norm = nn.utils.clipGradNorm_([a, b], 6.5);
    assert.ok(Math.abs(norm - 13) < 1e-5);
    const ga = a.grad!.tolist() as number[];
    assert.ok(Math.abs(ga[0]! - 1.5) < 1e-5 && Math.abs(ga[1]! - 2) < 1e-5);
    assert.ok(Math.abs((b.grad!.tolist() as number[])[0]! - 6) < 1e-5);
    assert.ok(Math.abs(nn.utils.clipGradNorm_([a, b], 100) - 6.5) < 1e-4, 'no change below the max');
    assert.ok(Math.abs(nn.utils.clipGradNorm_([a, b], 1, Infinity) - 6) < 1e-5);
    nn.utils.clipGradValue_([a, b], 0.1);
    assert.ok((a.grad!.abs().max().item()) <= 0.1 + 1e-7);
  });
  test('parametersToVector / vectorToParameters round-trip', () => {
    const m = new nn.Linear(3, 2);
    const v = nn.utils.parametersToVector(m.parameters());
    assert.equal(v.numel(), 8);
    nn.utils.vectorToParameters(v.mul(0).add(1), m.parameters());
    assert.deepEqual(m.bias!.tolist(), [1, 1]);
    assert.throws(() => nn.utils.vectorToParameters(torch.ones(5), m.parameters()), /vector has 5 elements, the parameters 8/);
  });
});
