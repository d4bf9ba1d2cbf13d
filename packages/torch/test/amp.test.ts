// torch.amp: autocast on the CPU through libtorch's at::autocast (bfloat16 matrix products, float32
// gradients, state restored on exit and on a throw), and GradScaler's scale/unscale/skip/grow cycle
// (device-independent arithmetic, checked on CPU float32). CUDA autocast is checked only where
// torch.cuda.isAvailable() is true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';

const noCuda = torch.cuda.isAvailable() ? false : 'torch.cuda.isAvailable() is false: no CUDA GPU for this libtorch';

test("autocast('cpu') runs Linear and Conv2d in bfloat16 inside the block only, and backward gives float32 gradients", () => {
  torch.manualSeed(0);
  const lin = new torch.nn.Linear(8, 4);
  const x = torch.randn([5, 8]);
  const ref = lin.forward(x);
  const y = torch.autocast('cpu', () => lin.forward(x));
  assert.equal(y.dtype, 'bfloat16');
  assert.equal(ref.dtype, 'float32');
  assert.equal(lin.forward(x).dtype, 'float32', 'off again after the block');
  assert.ok(y.to('float32').allclose(ref, 0.05, 0.05), 'close to float32 within bfloat16 precision');
  const conv = new torch.nn.Conv2d(3, 2, 3);
  const loss = torch.autocast('cpu', () => {
    const out = conv.forward(torch.randn([2, 3, 8, 8]));
    assert.equal(out.dtype, 'bfloat16');
    return torch.F.crossEntropy(out.mean([2, 3]), torch.tensor([0, 1], { dtype: 'int64' }));
  });
  assert.equal(loss.dtype, 'float32', 'cross entropy is kept in float32');
  loss.backward();
  assert.equal(conv.weight.grad!.dtype, 'float32');
});

test('autocast nests, enabled: false turns it off inside, and a throw restores the state', () => {
  assert.equal(torch.isAutocastEnabled('cpu'), false);
  const seen = torch.autocast('cpu', () => [torch.isAutocastEnabled('cpu'), torch.autocast('cpu', () => torch.isAutocastEnabled('cpu'), { enabled: false }), torch.isAutocastEnabled('cpu')]);
  assert.deepEqual(seen, [true, false, true]);
  assert.throws(() => torch.autocast('cpu', () => { throw new Error('boom'); }), /boom/);
  assert.equal(torch.isAutocastEnabled('cpu'), false);
  assert.throws(() => torch.autocast('cpu', (async () => 1) as never), /must be synchronous/);
  assert.equal(torch.isAutocastEnabled('cpu'), false);
  assert.throws(() => torch.autocast('cpu', () => 1, { dtype: 'float16' }), (e: Error) => e instanceof torch.ArgumentError && /CPU autocast takes dtype bfloat16/.test(e.message));
});

test("autocast('cuda') without CUDA is one clear ArgumentError", { skip: torch.cuda.isAvailable() ? 'CUDA is available here' : false }, () => {
  assert.throws(() => torch.autocast('cuda', () => 1), (e: Error) => e instanceof torch.ArgumentError && /CUDA is not available/.test(e.message));
});

test("autocast('cuda') runs a CUDA Linear in float16", { skip: noCuda }, () => {
  const a = torch.randn([2, 8]).toDevice('cuda');
  const b = torch.randn([8, 4]).toDevice('cuda');
  const y = torch.autocast('cuda', () => a.matmul(b));
  assert.equal(y.dtype, 'float16');
});

test('GradScaler: scaled loss, unscaled gradients, a skipped step on inf, the scale halves and grows back', () => {
  torch.manualSeed(1);
  const lin = new torch.nn.Linear(3, 1);
  const opt = new torch.optim.SGD(lin.parameters(), { lr: 0.1 });
  const x = torch.randn([4, 3]);
  // the plain gradients for reference
  lin.forward(x).pow(2).mean().backward();
  const plain = lin.weight.grad!.clone();
  opt.zeroGrad();
  const scaler = new torch.amp.GradScaler({ initScale: 1024, growthInterval: 2 });
  const loss = lin.forward(x).pow(2).mean();
  const scaled = scaler.scale(loss);
  assert.ok(Math.abs(scaled.item() - loss.item() * 1024) < 1e-2);
  scaled.backward();
  scaler.unscale_(opt);
  assert.ok(lin.weight.grad!.allclose(plain, 1e-5, 1e-6), 'gradients divided back');
  const before = lin.weight.clone();
  assert.equal(scaler.step(opt), true);
  assert.ok(!lin.weight.equal(before), 'a finite step is taken');
  scaler.update();
  assert.equal(scaler.getScale(), 1024);
  // an inf gradient: the step is skipped and the scale halves
  opt.zeroGrad();
  scaler.scale(lin.forward(x).mul(Infinity).sum()).backward();
  const kept = lin.weight.clone();
  assert.equal(scaler.step(opt), false);
  assert.ok(lin.weight.equal(kept), 'weights unchanged');
  scaler.update();
  assert.equal(scaler.getScale(), 512);
  // two good steps (growthInterval) double it
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    scaler.scale(lin.forward(x).pow(2).mean()).backward();
    assert.equal(scaler.step(opt), true);
    scaler.update();
  }
  assert.equal(scaler.getScale(), 1024);
  assert.deepEqual(Object.keys(scaler.stateDict()).sort(), ['_growth_tracker', 'backoff_factor', 'growth_factor', 'growth_interval', 'scale']);
  assert.equal(new torch.amp.GradScaler({ enabled: false }).getScale(), 1);
});
