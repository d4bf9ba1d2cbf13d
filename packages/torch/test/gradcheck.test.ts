// Every differentiable op: autograd's gradient against central finite differences, in float64.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';
import { F, nn, type Tensor } from '../src/index.js';
import { det, loadDet } from './helpers.js';

interface Input {
  shape: number[];
  /** value transform to keep inputs in the op's smooth domain */
  map?: (v: number, i: number) => number;
}

/**
 * Checks d(sum(w * fn(x...)))/dx for every input element: autograd vs (f(x+e) - f(x-e)) / 2e.
 * `w` is a fixed non-uniform weight so that errors cannot cancel out.
 */
function gradcheck(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Input[], tol = 1e-5): void {
  torch.tidy(() => {
    const data = inputs.map((inp, k) => {
      const n = inp.shape.reduce((a, b) => a * b, 1);
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = Math.sin(i * 1.3 + k * 2.1 + 0.4) * 0.9;
        a[i] = inp.map ? inp.map(v, i) : v;
      }
      return a;
    });
    const make = (arrs: Float64Array[], grad: boolean) => arrs.map((a, k) => torch.tensor(a, { shape: inputs[k]!.shape, dtype: 'float64', requiresGrad: grad }));
    let weight: Tensor | null = null;
    const objective = (xs: Tensor[]) => {
      const out = fn(...xs);
      if (!weight) weight = torch.keep(det(out.shape, 0.3, 1).add(1.5));
      return out.mul(weight).sum();
    };
    const leaves = make(data, true);
    const s = objective(leaves);
    s.backward();
    const eps = 1e-6;
    leaves.forEach((leaf, k) => {
      const g = leaf.grad;
      const analytic = g ? Array.from(g.toArray() as Float64Array) : new Array<number>(data[k]!.length).fill(0);
      for (let i = 0; i < data[k]!.length; i++) {
        const orig = data[k]![i]!;
        const f = (v: number) =>
          torch.tidy(() => {
            data[k]![i] = v;
            return torch.noGrad(() => objective(make(data, false)).item());
          });
        const num = (f(orig + eps) - f(orig - eps)) / (2 * eps);
        data[k]![i] = orig;
        const a = analytic[i]!;
        if (!(Math.abs(a - num) <= tol * (1 + Math.abs(num)) * 10 || Math.abs(a - num) < tol)) {
          assert.fail(`${name}: d/dx${k}[${i}]: autograd ${a}, finite differences ${num}`);
        }
      }
    });
    if (weight) (weight as Tensor).dispose();
  });
}

const pos = (v: number) => Math.abs(v) + 0.5;
const away = (v: number) => (v >= 0 ? v + 0.2 : v - 0.2);
const unit = (v: number) => v * 0.9;
const s23 = { shape: [2, 3] };

describe('gradients vs finite differences: element-wise', () => {
  const cases: [string, (...x: Tensor[]) => Tensor, Input[]][] = [
    ['add', (a, b) => a.add(b), [s23, { shape: [3] }]],
    ['add alpha', (a, b) => a.add(b, 2.5), [s23, s23]],
    ['sub', (a, b) => a.sub(b), [s23, { shape: [2, 1] }]],
    ['mul', (a, b) => a.mul(b), [s23, s23]],
    ['div', (a, b) => a.div(b), [s23, { shape: [2, 3], map: pos }]],
    ['pow tensor', (a, b) => a.pow(b), [{ shape: [2, 3], map: pos }, s23]],
    ['pow scalar', (a) => a.pow(3), [s23]],
    ['neg', (a) => a.neg(), [s23]],
    ['abs', (a) => a.abs(), [{ shape: [2, 3], map: away }]],
    ['exp', (a) => a.exp(), [s23]],
    ['expm1', (a) => a.expm1(), [s23]],
    ['log', (a) => a.log(), [{ shape: [2, 3], map: pos }]],
    ['log1p', (a) => a.log1p(), [{ shape: [2, 3], map: pos }]],
    ['log2', (a) => a.log2(), [{ shape: [2, 3], map: pos }]],
    ['sqrt', (a) => a.sqrt(), [{ shape: [2, 3], map: pos }]],
    ['rsqrt', (a) => a.rsqrt(), [{ shape: [2, 3], map: pos }]],
    ['square', (a) => a.square(), [s23]],
    ['reciprocal', (a) => a.reciprocal(), [{ shape: [2, 3], map: pos }]],
    ['sin', (a) => a.sin(), [s23]],
    ['cos', (a) => a.cos(), [s23]],
    ['tan', (a) => a.tan(), [s23]],
    ['asin', (a) => a.asin(), [{ shape: [2, 3], map: unit }]],
    ['acos', (a) => a.acos(), [{ shape: [2, 3], map: unit }]],
    ['atan', (a) => a.atan(), [s23]],
    ['atan2', (a, b) => a.atan2(b), [s23, { shape: [2, 3], map: pos }]],
    ['tanh', (a) => a.tanh(), [s23]],
    ['sigmoid', (a) => a.sigmoid(), [s23]],
    ['erf', (a) => a.erf(), [s23]],
    ['relu', (a) => a.relu(), [{ shape: [2, 3], map: away }]],
    ['gelu', (a) => a.gelu(), [s23]],
    ['gelu tanh', (a) => a.gelu('tanh'), [s23]],
    ['silu', (a) => a.silu(), [s23]],
    ['mish', (a) => F.mish(a), [s23]],
    ['logSigmoid', (a) => F.logSigmoid(a), [s23]],
    ['leakyRelu', (a) => F.leakyRelu(a, 0.1), [{ shape: [2, 3], map: away }]],
    ['elu', (a) => F.elu(a), [{ shape: [2, 3], map: away }]],
    ['softplus', (a) => F.softplus(a, 2), [s23]],
    ['hardtanh', (a) => F.hardtanh(a, -0.5, 0.5), [{ shape: [2, 3], map: (v) => (Math.abs(Math.abs(v) - 0.5) < 0.05 ? v * 0.8 : v) }]],
    ['clamp', (a) => a.clamp(-0.3, 0.4), [{ shape: [2, 3], map: (v) => (Math.abs(v + 0.3) < 0.05 || Math.abs(v - 0.4) < 0.05 ? v + 0.1 : v) }]],
    ['maximum', (a, b) => a.maximum(b), [s23, { shape: [2, 3], map: (v) => v + 0.3 }]],
    ['minimum', (a, b) => a.minimum(b), [s23, { shape: [2, 3], map: (v) => v + 0.3 }]],
    ['where', (a, b) => torch.where(a.gt(0), a, b), [{ shape: [2, 3], map: away }, s23]],
    ['maskedFill', (a) => a.maskedFill(a.lt(0), 2), [{ shape: [2, 3], map: away }]],
    ['addcmul', (a, b, c) => a.addcmul(b, c, 0.5), [s23, s23, s23]],
    ['addcdiv', (a, b, c) => a.addcdiv(b, c, 0.5), [s23, s23, { shape: [2, 3], map: pos }]],
    ['lerp', (a, b) => a.lerp(b, 0.3), [s23, s23]],
    ['rsub', (a) => a.rsub(2), [s23]],
    ['rdiv', (a) => a.rdiv(2), [{ shape: [2, 3], map: pos }]],
    ['remainder', (a) => a.remainder(0.7), [{ shape: [2, 3], map: (v) => v * 0.3 + 0.05 }]],
    ['hardswish', (a) => F.hardswish(a), [{ shape: [2, 3], map: (v) => v * 2 }]],
  ];
  for (const [name, fn, inputs] of cases) test(name, () => gradcheck(name, fn, inputs));
});

describe('gradients vs finite differences: linear algebra, reductions, shapes', () => {
  const cases: [string, (...x: Tensor[]) => Tensor, Input[]][] = [
    ['matmul', (a, b) => a.matmul(b), [{ shape: [2, 3] }, { shape: [3, 4] }]],
    ['matmul batched broadcast', (a, b) => a.matmul(b), [{ shape: [2, 2, 3] }, { shape: [3, 2] }]],
    ['mm', (a, b) => a.mm(b), [{ shape: [2, 3] }, { shape: [3, 2] }]],
    ['bmm', (a, b) => a.bmm(b), [{ shape: [2, 2, 3] }, { shape: [2, 3, 2] }]],
    ['outer', (a, b) => a.outer(b), [{ shape: [3] }, { shape: [2] }]],
    ['einsum', (a, b) => torch.einsum('bij,bjk->bik', a, b), [{ shape: [2, 2, 3] }, { shape: [2, 3, 2] }]],
    ['sum dim', (a) => a.sum(1, true), [{ shape: [2, 3, 2] }]],
    ['mean', (a) => a.mean([0, 2]), [{ shape: [2, 3, 2] }]],
    ['prod', (a) => a.prod(1), [{ shape: [2, 3], map: pos }]],
    ['std', (a) => a.std(1), [{ shape: [2, 4] }]],
    ['var biased', (a) => a.var(null, false, false), [{ shape: [2, 4] }]],
    ['logsumexp', (a) => a.logsumexp(1), [{ shape: [2, 4] }]],
    ['amax', (a) => a.amax(1), [{ shape: [2, 4] }]],
    ['max dim', (a) => a.max(1).values, [{ shape: [2, 4] }]],
    ['min all', (a) => a.min(), [{ shape: [2, 4] }]],
    ['norm', (a) => a.norm(1), [{ shape: [2, 4] }]],
    ['cumsum', (a) => a.cumsum(1), [{ shape: [2, 4] }]],
    ['cumprod', (a) => a.cumprod(1), [{ shape: [2, 4], map: pos }]],
    ['softmax', (a) => a.softmax(1), [{ shape: [2, 4] }]],
    ['logSoftmax', (a) => a.logSoftmax(0), [{ shape: [3, 2] }]],
    ['reshape/permute/transpose', (a) => a.reshape(3, 2, 2).permute(2, 0, 1).transpose(0, 1).flatten().mul(a.view(-1)), [{ shape: [2, 6] }]],
    ['expand/repeat', (a) => a.expand(3, 2, 2).repeat(1, 2, 1), [{ shape: [2, 1] }]],
    ['squeeze/unsqueeze', (a) => a.unsqueeze(0).squeeze(2).mul(2), [{ shape: [2, 1, 3] }]],
    ['cat/stack', (a, b) => torch.stack([torch.cat([a, b], 1), torch.cat([b, a], 1)]), [{ shape: [2, 2] }, { shape: [2, 2] }]],
    ['split/chunk/unbind', (a) => { const [p, q] = a.split([1, 2], 1) as [Tensor, Tensor]; const [r] = a.chunk(2, 0) as [Tensor]; return p.sum().add(q.mul(q).sum()).add(r.unbind(1)[2]!.sum()); }, [{ shape: [2, 3] }]],
    ['index/slice/narrow/select', (a) => a.index(':', '1:').mul(a.slice(1, 0, 2)).add(a.narrow(1, 1, 2)).add(a.select(1, 0).unsqueeze(1)), [{ shape: [3, 3] }]],
    ['advanced index', (a) => a.index([2, 0, 2]), [{ shape: [3, 2] }]],
    ['indexSelect', (a) => a.indexSelect(1, torch.tensor([2, 0], { dtype: 'int64' })), [{ shape: [2, 3] }]],
    ['gather', (a) => a.gather(1, torch.tensor([[0, 2], [1, 1]], { dtype: 'int64' })), [{ shape: [2, 3] }]],
    ['scatterAdd', (a, b) => a.scatterAdd(1, torch.tensor([[0, 2], [1, 1]], { dtype: 'int64' }), b), [{ shape: [2, 3] }, { shape: [2, 2] }]],
    ['tril/triu', (a) => a.tril().add(a.triu(1).mul(3)), [{ shape: [3, 3] }]],
    ['flip/roll', (a) => a.flip(1).mul(a.roll(1, 0)), [{ shape: [3, 2] }]],
    ['t/mT', (a) => a.t().mul(a.mT), [{ shape: [2, 3] }]],
    ['sort values', (a) => a.sort(1, true).values, [{ shape: [2, 4] }]],
    ['topk values', (a) => a.topk(2, 1).values, [{ shape: [2, 4] }]],
    ['maskedSelect', (a) => a.maskedSelect(torch.tensor([[true, false, true], [false, true, true]])), [s23]],
    ['scatter', (a, b) => a.scatter(1, torch.tensor([[0], [2]], { dtype: 'int64' }), b), [s23, { shape: [2, 1] }]],
    ['indexPut_ on a copy', (a, b) => a.mul(1).indexPut_([':', [0, 2]], b), [s23, { shape: [2, 2] }]],
    ['ops.call (aten::logcumsumexp)', (a) => torch.ops.call('aten::logcumsumexp', a, 1) as Tensor, [s23]],
  ];
  for (const [name, fn, inputs] of cases) test(name, () => gradcheck(name, fn, inputs));
});

describe('gradients vs finite differences: nn ops', () => {
  const target = () => torch.tensor([2, 0, 1], { dtype: 'int64' });
  const cases: [string, (...x: Tensor[]) => Tensor, Input[]][] = [
    ['linear', (x, w, b) => F.linear(x, w, b), [{ shape: [2, 3] }, { shape: [4, 3] }, { shape: [4] }]],
    ['conv2d stride/pad/dilation', (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, dilation: 1 }), [{ shape: [1, 2, 4, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3] }]],
    ['conv2d groups dilation', (x, w) => F.conv2d(x, w, null, { groups: 2, dilation: 2, padding: [1, 2] }), [{ shape: [1, 4, 4, 4] }, { shape: [2, 2, 2, 2] }]],
    ['conv1d', (x, w, b) => F.conv1d(x, w, b, { padding: 1 }), [{ shape: [2, 2, 5] }, { shape: [3, 2, 3] }, { shape: [3] }]],
    ['convTranspose2d', (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [{ shape: [1, 2, 3, 3] }, { shape: [2, 3, 3, 3] }, { shape: [3] }]],
    ['maxPool2d', (x) => F.maxPool2d(x, 2), [{ shape: [1, 2, 4, 4], map: (v, i) => v + i * 0.01 }]],
    ['maxPool2d stride/pad', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [{ shape: [1, 1, 5, 5], map: (v, i) => v + i * 0.013 }]],
    ['maxPool1d', (x) => F.maxPool1d(x, 2), [{ shape: [1, 2, 6], map: (v, i) => v + i * 0.01 }]],
    ['avgPool2d', (x) => F.avgPool2d(x, 2, { stride: 1, padding: 1, countIncludePad: false }), [{ shape: [1, 2, 3, 3] }]],
    ['avgPool1d', (x) => F.avgPool1d(x, 3, { stride: 2 }), [{ shape: [1, 2, 7] }]],
    ['adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [2, 3]), [{ shape: [1, 2, 5, 4] }]],
    ['adaptiveMaxPool2d', (x) => F.adaptiveMaxPool2d(x, 2), [{ shape: [1, 1, 4, 4], map: (v, i) => v + i * 0.01 }]],
    ['batchNorm training', (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [{ shape: [3, 2, 2, 2] }, { shape: [2] }, { shape: [2] }]],
    ['batchNorm eval', (x, w, b) => F.batchNorm(x, torch.tensor([0.1, -0.2], { dtype: 'float64' }), torch.tensor([1.5, 0.7], { dtype: 'float64' }), { weight: w, bias: b }), [{ shape: [2, 2, 3] }, { shape: [2] }, { shape: [2] }]],
    ['layerNorm', (x, w, b) => F.layerNorm(x, 4, w, b), [{ shape: [3, 4] }, { shape: [4] }, { shape: [4] }]],
    ['groupNorm', (x, w, b) => F.groupNorm(x, 2, w, b), [{ shape: [2, 4, 3] }, { shape: [4] }, { shape: [4] }]],
    ['dropout p=0 (identity)', (x) => F.dropout(x, 0, true), [s23]],
    ['crossEntropy', (x) => F.crossEntropy(x, target()), [{ shape: [3, 4] }]],
    ['crossEntropy weight+smoothing', (x) => F.crossEntropy(x, target(), { weight: torch.tensor([1, 2, 0.5, 1], { dtype: 'float64' }), labelSmoothing: 0.2 }), [{ shape: [3, 4] }]],
    ['crossEntropy probabilities', (x, p) => F.crossEntropy(x, p.softmax(1)), [{ shape: [3, 4] }, { shape: [3, 4] }]],
    ['crossEntropy 2d target', (x) => F.crossEntropy(x, torch.tensor([[[0, 1], [2, 1]]], { dtype: 'int64' })), [{ shape: [1, 3, 2, 2] }]],
    ['nllLoss', (x) => F.nllLoss(x.logSoftmax(1), target(), { reduction: 'sum' }), [{ shape: [3, 4] }]],
    ['mseLoss', (x, y) => F.mseLoss(x, y), [s23, s23]],
    ['l1Loss', (x, y) => F.l1Loss(x, y, 'sum'), [s23, { shape: [2, 3], map: (v) => v + 0.25 }]],
    ['smoothL1Loss', (x, y) => F.smoothL1Loss(x, y, 'mean', 0.5), [s23, { shape: [2, 3], map: (v) => -v * 1.1 }]],
    ['huberLoss', (x, y) => F.huberLoss(x, y, 'mean', 0.5), [s23, { shape: [2, 3], map: (v) => -v * 1.1 }]],
    ['bceWithLogits', (x) => F.binaryCrossEntropyWithLogits(x, torch.tensor([[1, 0, 1], [0, 0.5, 1]], { dtype: 'float64' }), { posWeight: torch.tensor([1, 2, 3], { dtype: 'float64' }) }), [s23]],
    ['bce', (x) => F.binaryCrossEntropy(x.sigmoid(), torch.tensor([[1, 0, 1], [0, 0.5, 1]], { dtype: 'float64' })), [s23]],
    ['klDiv', (x, y) => F.klDiv(x.logSoftmax(1), y.softmax(1), 'batchmean'), [{ shape: [2, 3] }, { shape: [2, 3] }]],
    ['embedding', (w) => F.embedding(torch.tensor([[0, 2], [2, 3]], { dtype: 'int64' }), w), [{ shape: [4, 3] }]],
    ['pad constant/reflect/replicate', (x) => F.pad(x, [1, 2], 'constant', 0.5).sum().add(F.pad(x, [1, 1, 1, 0], 'reflect').sum()).add(F.pad(x, [2, 1, 0, 1], 'replicate').pow(2).sum()), [{ shape: [1, 2, 3, 3] }]],
    ['interpolate bilinear', (x) => F.interpolate(x, [5, 4], 'bilinear'), [{ shape: [1, 1, 3, 2] }]],
    ['interpolate nearest', (x) => F.interpolate(x, [4, 4], 'nearest'), [{ shape: [1, 1, 2, 2] }]],
    ['pixelShuffle', (x) => F.pixelShuffle(x, 2), [{ shape: [1, 4, 2, 2] }]],
    ['cosineSimilarity', (a, b) => F.cosineSimilarity(a, b, 1), [s23, s23]],
    ['normalize', (x) => F.normalize(x, 2, 1), [s23]],
    ['scaledDotProductAttention', (q, k, v) => F.scaledDotProductAttention(q, k, v), [{ shape: [1, 2, 3, 4] }, { shape: [1, 2, 5, 4] }, { shape: [1, 2, 5, 3] }]],
    ['attention causal + mask', (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: torch.tensor([[true, true, false], [true, true, true], [true, true, true]]) }), [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }, { shape: [2, 3, 2] }]],
  ];
  for (const [name, fn, inputs] of cases) test(name, () => gradcheck(name, fn, inputs));

  test('MultiheadAttention (inputs and every parameter)', () => {
    torch.setDefaultDtype('float64');
    try {
      const m = new nn.MultiheadAttention(4, 2, { batchFirst: true });
      loadDet(m, 1);
      gradcheck('mha', (q, k) => m.forward(q, k, k).output, [{ shape: [1, 2, 4] }, { shape: [1, 3, 4] }]);
      paramcheck('mha', m, () => {
        const q = det([2, 3, 4], 3);
        return m.forward(q, q, q).output.pow(2).sum();
      });
    } finally {
      torch.setDefaultDtype('float32');
    }
  });
  test('layers: every parameter of Linear, Conv2d, BatchNorm2d, LayerNorm, Embedding', () => {
    torch.setDefaultDtype('float64');
    try {
      const net = new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(12, 4), new nn.LayerNorm(4));
      loadDet(net, 5);
      paramcheck('cnn', net, () => net.forward(det([2, 2, 2, 2], 7, 1)).sin().sum());
      const emb = new nn.Embedding(5, 3);
      paramcheck('embedding', emb, () => emb.forward(torch.tensor([[1, 4], [1, 0]], { dtype: 'int64' })).pow(2).sum());
    } finally {
      torch.setDefaultDtype('float32');
    }
  });
});

/** Parameter gradients of a module: autograd vs finite differences, perturbing each parameter element in place. */
function paramcheck(name: string, m: nn.Module, loss: () => Tensor): void {
  torch.tidy(() => {
    m.zeroGrad();
    loss().backward();
    const eps = 1e-6;
    for (const [pname, p] of m.namedParameters()) {
      const g = Array.from(p.grad!.toArray() as Float64Array);
      const n = p.numel();
      const flat = p.view(-1);
      for (let i = 0; i < n; i++) {
        const at = (d: number) =>
          torch.tidy(() =>
            torch.noGrad(() => {
              flat.index(i).add_(d);
              const v = loss().item();
              flat.index(i).sub_(d);
              return v;
            }),
          );
        const num = (at(eps) - at(-eps)) / (2 * eps);
        assert.ok(Math.abs(g[i]! - num) <= 1e-5 * (1 + Math.abs(num)), `${name}: d/d${pname}[${i}]: autograd ${g[i]}, finite differences ${num}`);
      }
    }
  });
}

test('dropout: kept elements get gradient 1/(1-p), dropped ones 0', () => {
  const x = torch.ones([1000], { requiresGrad: true });
  const y = F.dropout(x, 0.25, true);
  y.sum().backward();
  const g = Array.from(x.grad!.toArray() as Float32Array);
  const yv = Array.from(y.toArray() as Float32Array);
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - yv[i]!) < 1e-6 && (g[i] === 0 || Math.abs(g[i]! - 1 / 0.75) < 1e-5));
  const kept = g.filter((v) => v !== 0).length;
  assert.ok(kept > 650 && kept < 850, `kept ${kept} of 1000 at p=0.25`);
  assert.deepEqual(F.dropout(x, 0.5, false).tolist(), x.tolist());
});
