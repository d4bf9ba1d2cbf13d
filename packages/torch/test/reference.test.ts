// Layers, losses, optimizers and LR schedulers against values computed by Python PyTorch 1.13
// (fixtures/make_reference.py wrote fixtures/reference.json from the same deterministic inputs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../src/index.js';
import { F, nn, optim, type Tensor } from '../src/index.js';
import { assertClose, det, loadDet, values } from './helpers.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as Record<string, number[] | number>;
const r = (k: string) => ref[k] as number[];

describe('layers match PyTorch', () => {
  before(() => torch.setDefaultDtype('float64'));
  after(() => torch.setDefaultDtype('float32'));

  test('Linear', () => {
    const m = new nn.Linear(4, 3);
    loadDet(m, 1);
    assertClose(values(m.forward(det([2, 4], 10, 1))), r('linear'), 1e-9, 'linear');
  });
  test('Conv2d with stride, padding, groups', () => {
    const m = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 });
    loadDet(m, 2);
    assertClose(values(m.forward(det([2, 4, 5, 5], 11, 1))), r('conv2d'), 1e-9, 'conv2d');
  });
  test('ConvTranspose2d with stride, padding, output padding, groups', () => {
    const m = new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
    loadDet(m, 8);
    assertClose(values(m.forward(det([1, 4, 3, 3], 22, 1))), r('conv_transpose2d'), 1e-9, 'conv_transpose2d');
    assert.deepEqual(new nn.Upsample({ scaleFactor: 2 }).forward(torch.ones([1, 1, 2, 3])).shape, [1, 1, 4, 6]);
    assert.deepEqual(new nn.AdaptiveMaxPool2d(1).forward(torch.arange(4, undefined, 1, { dtype: 'float64' }).view(1, 1, 2, 2)).tolist(), [[[[3]]]]);
    assert.deepEqual(new nn.MaxPool1d(2).forward(torch.tensor([[[1, 3, 2, 0]]])).tolist(), [[[3, 2]]]);
    assert.deepEqual(new nn.AvgPool1d(2).forward(torch.tensor([[[1, 3, 2, 0]]])).tolist(), [[[2, 1]]]);
  });
  test('BatchNorm2d: training output, running statistics, eval output', () => {
    const m = new nn.BatchNorm2d(3);
    loadDet(m, 3);
    const x = det([4, 3, 2, 2], 12, 2);
    assertClose(values(m.forward(x)), r('batchnorm_train'), 1e-9, 'train');
    assertClose(values(m.runningMean!), r('batchnorm_running_mean'), 1e-9, 'running_mean');
    assertClose(values(m.runningVar!), r('batchnorm_running_var'), 1e-9, 'running_var');
    m.eval();
    assertClose(values(m.forward(x)), r('batchnorm_eval'), 1e-9, 'eval');
    assertClose(m.numBatchesTracked!.item(), 1, 0, 'num_batches_tracked');
  });
  test('LayerNorm', () => {
    const m = new nn.LayerNorm(5);
    loadDet(m, 4);
    assertClose(values(m.forward(det([3, 5], 13, 2))), r('layernorm'), 1e-9, 'layernorm');
  });
  test('Embedding', () => {
    const m = new nn.Embedding(6, 3);
    loadDet(m, 5);
    assertClose(values(m.forward(torch.tensor([[0, 5], [2, 2]], { dtype: 'int64' }))), r('embedding'), 1e-12, 'embedding');
  });
  test('MultiheadAttention, with and without a key padding mask', () => {
    const m = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    loadDet(m, 6);
    const q = det([2, 3, 8], 14, 1);
    const k = det([2, 4, 8], 15, 1);
    const v = det([2, 4, 8], 16, 1);
    const { output, weights } = m.forward(q, k, v);
    assertClose(values(output), r('mha_out'), 1e-9, 'output');
    assertClose(values(weights!), r('mha_weights'), 1e-9, 'weights');
    const mask = torch.tensor([[false, false, true, true], [false, false, false, true]]);
    assertClose(values(m.forward(q, k, v, { keyPaddingMask: mask }).output), r('mha_kpm_out'), 1e-9, 'masked output');
    // sequence-first layout gives the same numbers transposed
    const m2 = new nn.MultiheadAttention(8, 2);
    m2.loadStateDict(m.stateDict());
    const o2 = m2.forward(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)).output.transpose(0, 1).contiguous();
    assertClose(values(o2), r('mha_out'), 1e-9, 'seq-first');
  });
  test('TransformerEncoderLayer, post-norm ReLU and pre-norm GELU', () => {
    for (const [name, opts] of [['tel_post', {}], ['tel_pre', { normFirst: true, activation: 'gelu' }]] as const) {
      const m = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, ...opts });
      loadDet(m, 7);
      m.eval();
      assertClose(values(m.forward(det([2, 3, 8], 21, 1))), r(name), 1e-7, name);
    }
    const enc = new nn.TransformerEncoder(() => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2);
    assert.deepEqual(Object.keys(enc.stateDict()).slice(0, 3), ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias', 'layers.0.self_attn.out_proj.weight']);
  });
  test('losses', () => {
    const x = det([4, 5], 17, 2);
    const t = torch.tensor([0, 4, 2, 1], { dtype: 'int64' });
    assertClose(F.crossEntropy(x, t).item(), ref.cross_entropy as number, 1e-9, 'ce');
    assertClose(F.crossEntropy(x, t, { labelSmoothing: 0.1 }).item(), ref.cross_entropy_ls as number, 1e-9, 'ce ls');
    assertClose(F.crossEntropy(x, t, { weight: det([5], 18).abs().add(0.5) }).item(), ref.cross_entropy_w as number, 1e-9, 'ce w');
    assertClose(F.mseLoss(x, det([4, 5], 19)).item(), ref.mse as number, 1e-9, 'mse');
    assertClose(F.binaryCrossEntropyWithLogits(x, det([4, 5], 20).gt(0).double()).item(), ref.bce_logits as number, 1e-9, 'bce');
  });
});

describe('optimizers match torch.optim over 5 steps', () => {
  before(() => torch.setDefaultDtype('float64'));
  after(() => torch.setDefaultDtype('float32'));

  const run = (make: (ps: Tensor[]) => optim.Optimizer<{ lr: number }>) => {
    const W = new nn.Parameter(det([3, 4], 30));
    const b = new nn.Parameter(det([3], 31));
    const o = make([W, b]);
    const x = det([4], 32, 1);
    for (let i = 0; i < 5; i++) {
      torch.tidy(() => {
        o.zeroGrad();
        const loss = W.matmul(x).sub(b).pow(2).sum().add(W.pow(3).sum().div(10));
        loss.backward();
        o.step();
      });
    }
    return [...values(W), ...values(b)];
  };
  const cases: [string, (ps: Tensor[]) => optim.Optimizer<{ lr: number }>][] = [
    ['sgd', (p) => new optim.SGD(p, { lr: 0.05 })],
    ['sgd_momentum', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, weightDecay: 0.01 })],
    ['sgd_nesterov', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['adam', (p) => new optim.Adam(p, { lr: 0.05 })],
    ['adam_wd_ams', (p) => new optim.Adam(p, { lr: 0.05, weightDecay: 0.1, amsgrad: true })],
    ['adamw', (p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0.1 })],
  ];
  for (const [name, make] of cases) test(name, () => assertClose(run(make), r(name), 1e-9, name));

  test('a state dict round trip continues the same trajectory', () => {
    const W = new nn.Parameter(det([3, 4], 30));
    const b = new nn.Parameter(det([3], 31));
    let o = new optim.Adam([W, b], { lr: 0.05, amsgrad: true, weightDecay: 0.1 });
    const x = det([4], 32, 1);
    for (let i = 0; i < 5; i++) {
      torch.tidy(() => {
        o.zeroGrad();
        W.matmul(x).sub(b).pow(2).sum().add(W.pow(3).sum().div(10)).backward();
        o.step();
        if (i === 1) {
          const sd = torch.deserialize(torch.serialize(o.stateDict() as unknown as torch.Saveable)) as unknown as optim.OptimizerStateDict;
          o = new optim.Adam([W, b], { lr: 1 });
          o.loadStateDict(sd);
        }
      });
    }
    assertClose([...values(W), ...values(b)], r('adam_wd_ams'), 1e-9, 'resumed');
  });
});

describe('LR schedulers match torch.optim.lr_scheduler over 12 steps', () => {
  const S = optim.lrScheduler;
  const run = (make: (o: optim.SGD) => { step(m?: number): void }, metrics?: number[]) => {
    const o = new optim.SGD([new nn.Parameter(torch.zeros(1))], { lr: 0.1 });
    const s = make(o);
    const lrs: number[] = [];
    for (let i = 0; i < 12; i++) {
      s.step(metrics?.[i]);
      lrs.push(o.paramGroups[0]!.lr);
    }
    return lrs;
  };
  test('StepLR', () => assertClose(run((o) => new S.StepLR(o, 3, 0.5)), r('steplr'), 1e-12, 'steplr'));
  test('MultiStepLR', () => assertClose(run((o) => new S.MultiStepLR(o, [2, 5, 5], 0.5)), r('multisteplr'), 1e-12, 'multisteplr'));
  test('ExponentialLR', () => assertClose(run((o) => new S.ExponentialLR(o, 0.9)), r('exponentiallr'), 1e-12, 'exp'));
  test('LinearLR', () => assertClose(run((o) => new S.LinearLR(o, 0.25, 1, 4)), r('linearlr'), 1e-12, 'linear'));
  test('CosineAnnealingLR', () => assertClose(run((o) => new S.CosineAnnealingLR(o, 5, 0.01)), r('cosine'), 1e-12, 'cosine'));
  test('CosineAnnealingWarmRestarts', () => assertClose(run((o) => new S.CosineAnnealingWarmRestarts(o, 3, 2, 0.01)), r('cosine_restarts'), 1e-12, 'restarts'));
  test('ReduceLROnPlateau', () => {
    const metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85];
    const lrs = run((o) => {
      const s = new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 2, cooldown: 1 });
      return { step: (m?: number) => s.step(m!) };
    }, metrics);
    assertClose(lrs, r('plateau'), 1e-12, 'plateau');
  });
});
