// The layers torchvision's networks need beyond the basics: Hardswish/Hardsigmoid, torchvision's
// StochasticDepth and SqueezeExcitation, depthwise convolution.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';
import { F, nn } from '../src/index.js';

describe('vision layers', () => {
  test('Hardswish and Hardsigmoid modules follow x * relu6(x + 3) / 6 and relu6(x + 3) / 6', () => {
    const x = torch.tensor([-5, -3, -1.5, 0, 1.5, 3, 5]);
    const hs = Array.from(new nn.Hardsigmoid().forward(x).toArray() as Float32Array);
    const expect = [-5, -3, -1.5, 0, 1.5, 3, 5].map((v) => Math.min(Math.max(v + 3, 0), 6) / 6);
    hs.forEach((v, i) => assert.ok(Math.abs(v - expect[i]!) < 1e-6));
    const hw = Array.from(new nn.Hardswish().forward(x).toArray() as Float32Array);
    hw.forEach((v, i) => assert.ok(Math.abs(v - [-5, -3, -1.5, 0, 1.5, 3, 5][i]! * expect[i]!) < 1e-6));
  });

  test("StochasticDepth in 'row' mode zeroes whole samples or scales them by 1/(1-p); identity in eval", () => {
    torch.manualSeed(0);
    const sd = new nn.StochasticDepth(0.5, 'row');
    const x = torch.ones([64, 3, 2, 2]);
    const y = sd.forward(x);
    const perRow = y.reshape([64, 12]);
    const rows = perRow.tolist() as number[][];
    for (const r of rows) assert.ok(r.every((v) => v === 0) || r.every((v) => v === 2), JSON.stringify(r));
    const kept = rows.filter((r) => r[0] === 2).length;
    assert.ok(kept > 10 && kept < 54, `kept ${kept} of 64`);
    sd.eval();
    assert.equal(sd.forward(x), x);
    assert.equal(F.stochasticDepth(x, 0, 'row', true), x);
    const batch = F.stochasticDepth(x, 0.5, 'batch').tolist() as number[][][][];
    const flat = batch.flat(3);
    assert.ok(flat.every((v) => v === flat[0]), 'batch mode drops all or nothing');
    assert.throws(() => new nn.StochasticDepth(1.5), RangeError);
  });

  test("SqueezeExcitation has torchvision's parameters (fc1, fc2 1x1 convs) and scales channels", () => {
    const se = new nn.SqueezeExcitation(8, 2, { scaleActivation: () => new nn.Hardsigmoid() });
    assert.deepEqual(Object.entries(se.stateDict()).map(([k, v]) => [k, v.shape]), [
      ['fc1.weight', [2, 8, 1, 1]],
      ['fc1.bias', [2]],
      ['fc2.weight', [8, 2, 1, 1]],
      ['fc2.bias', [8]],
    ]);
    const x = torch.randn([2, 8, 4, 4]);
    const y = se.forward(x);
    const scale = F.hardsigmoid(se.fc2.forward(se.fc1.forward(F.adaptiveAvgPool2d(x, 1)).relu()));
    assert.ok(y.allclose(x.mul(scale), 1e-6, 1e-6));
  });

  test('depthwise convolution (groups = channels) has weight [C, 1, k, k]', () => {
    const c = new nn.Conv2d(6, 6, 3, { groups: 6, padding: 1, bias: false });
    assert.deepEqual(c.weight.shape, [6, 1, 3, 3]);
    assert.deepEqual(c.forward(torch.randn([1, 6, 5, 5])).shape, [1, 6, 5, 5]);
  });
});
