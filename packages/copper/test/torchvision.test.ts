// The torchvision-compatible networks against torchvision itself (Debian's python3-torchvision):
// Python builds each network with random weights and random BatchNorm statistics (no download),
// saves its state_dict, an input and the eval-mode logits; copper loads the state dict and must
// give the same logits and the same state dict keys. Then: weights files with another head size,
// freezing, and the errors a user sees for a wrong file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@copper/torch';
import { models, CopperError } from '../src/index.js';
import { scratch } from './helpers.js';

const PY = '/usr/bin/python3';
const REF = fileURLToPath(new URL('./fixtures/torchvision_ref.py', import.meta.url));
const hasTorchvision = spawnSync(PY, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;
const skip = hasTorchvision ? false : 'needs python3 with torch and torchvision (apt-get install python3-torchvision)';

const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0'] as const;
type Arch = (typeof ARCHS)[number];

describe('torchvision networks', { skip }, () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch('copper-tv-'));
    const r = spawnSync(PY, [REF, dir, '64', ...ARCHS], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => cleanup());

  for (const arch of ARCHS) {
    test(`${arch}: torchvision's state_dict loads as is and eval logits equal torchvision's`, () => {
      const net = models[arch]();
      const pyKeys = JSON.parse(readFileSync(join(dir, `${arch}.keys.json`), 'utf8')) as string[];
      const sd = net.stateDict();
      assert.deepEqual(Object.keys(sd), pyKeys);
      torch.dispose(sd);
      const file = torch.load(join(dir, `${arch}.pth`)) as Record<string, torch.Tensor>;
      net.loadStateDict(file);
      net.eval();
      const x = torch.load(join(dir, 'input.pt')) as torch.Tensor;
      const ref = torch.load(join(dir, `${arch}.logits.pt`)) as torch.Tensor;
      const y = torch.noGrad(() => net.forward(x));
      assert.deepEqual(y.shape, [2, 1000]);
      const scale = ref.abs().max().item() as number;
      assert.ok(scale > 0, 'reference logits are not all zero');
      const diff = y.sub(ref).abs().max().item() as number;
      assert.ok(diff <= 1e-4 * Math.max(scale, 1e-2), `max |copper - torchvision| = ${diff} (logits up to ${scale})`);
      // the buffers came along: eval mode used the file's running statistics
      const bn = Object.keys(file).find((k) => k.endsWith('running_var'))!;
      assert.ok(net.stateDict()[bn]!.equal(file[bn]!));
    });
  }

  test('weights=<file> with another num_classes keeps the backbone from the file and a fresh head of the new size', () => {
    const file = join(dir, 'resnet18.pth');
    const sd = torch.load(file) as Record<string, torch.Tensor>;
    const net = models.resnet18({ num_classes: 2, weights: file });
    assert.deepEqual(net.fc.weight.shape, [2, 512]);
    assert.deepEqual(net.weightsReport?.replacedHead, ['fc.weight', 'fc.bias']);
    const mine = net.stateDict();
    for (const k of ['conv1.weight', 'layer4.1.bn2.running_mean', 'layer2.0.downsample.0.weight']) assert.ok(mine[k]!.equal(sd[k]!), k);
    // the same backbone features as the 1000-class network from the same file
    const full = models.resnet18({ weights: file }).eval();
    net.eval();
    const x = torch.load(join(dir, 'input.pt')) as torch.Tensor;
    const feats = (m: typeof net) => torch.noGrad(() => m.avgpool.forward(m.layer4.forward(m.layer3.forward(m.layer2.forward(m.layer1.forward(m.maxpool.forward(m.relu.forward(m.bn1.forward(m.conv1.forward(x))))))))));
    assert.ok(feats(net).allclose(feats(full)));
    assert.deepEqual(full.weightsReport?.replacedHead, []);
  });

  test('a checkpoint holding the state dict under state_dict with DataParallel prefixes loads too; missing BatchNorm counters are filled', () => {
    const sd = torch.load(join(dir, 'mobilenet_v3_small.pth')) as Record<string, torch.Tensor>;
    const wrapped: Record<string, torch.Tensor> = {};
    for (const [k, v] of Object.entries(sd)) if (!k.endsWith('num_batches_tracked')) wrapped[`module.${k}`] = v;
    const file = join(dir, 'wrapped.pt');
    torch.save({ epoch: 3, state_dict: wrapped }, file);
    const net = models.mobilenet_v3_small({ weights: file, num_classes: 5 });
    assert.deepEqual(net.head.weight.shape, [5, 1024]);
    assert.ok(net.weightsReport!.filledCounters.length > 0);
    assert.ok(net.stateDict()['features.0.0.weight']!.equal(sd['features.0.0.weight']!));
  });

  test('freeze stops training the named submodules; backbone freezes all but the head', () => {
    const net = models.resnet18({ num_classes: 3, freeze: ['conv1', 'bn1', 'layer1'] });
    const frozen = net.namedParameters().filter(([, p]) => !p.requiresGrad).map(([k]) => k);
    assert.ok(frozen.includes('conv1.weight') && frozen.includes('layer1.1.bn2.bias'));
    assert.ok(frozen.every((k) => /^(conv1|bn1|layer1)\./.test(k)), frozen.join(','));
    // a training step leaves frozen weights as they were and changes the others
    const before1 = net.layer1.stateDict()['0.conv1.weight']!.clone();
    const before4 = net.layer4.stateDict()['0.conv1.weight']!.clone();
    const opt = new torch.optim.SGD(net.parameters(), { lr: 0.1 });
    const loss = torch.F.crossEntropy(net.forward(torch.randn([2, 3, 32, 32])), torch.tensor([0, 2], { dtype: 'int64' }));
    loss.backward();
    opt.step();
    assert.ok(net.layer1.stateDict()['0.conv1.weight']!.equal(before1));
    assert.ok(!net.layer4.stateDict()['0.conv1.weight']!.equal(before4));

    const eff = models.efficientnet_b0({ num_classes: 2, freeze: 'backbone' });
    const trainable = eff.namedParameters().filter(([, p]) => p.requiresGrad).map(([k]) => k);
    assert.deepEqual(trainable, ['classifier.1.weight', 'classifier.1.bias']);
  });

  test('a file of another architecture or a bad freeze name is one clear CopperError', () => {
    const keys = (a: string) => JSON.parse(readFileSync(join(dir, `${a}.keys.json`), 'utf8')) as string[];
    const extra = keys('resnet34').filter((k) => !keys('resnet18').includes(k)).length;
    assert.ok(extra > 4);
    assert.throws(
      () => models.resnet18({ weights: join(dir, 'resnet34.pth') }),
      (e: unknown) =>
        e instanceof CopperError &&
        new RegExp(`^resnet18: .*resnet34\\.pth does not fit this network: ${extra} unexpected keys \\(layer1\\.2\\.conv1\\.weight, layer1\\.2\\.bn1\\.weight, layer1\\.2\\.bn1\\.bias, layer1\\.2\\.bn1\\.running_mean, \\.\\.\\.\\): is it a file of another architecture\\?$`).test((e as Error).message),
    );
    assert.throws(
      () => models.mobilenet_v3_small({ weights: join(dir, 'mobilenet_v3_large.pth') }),
      (e: unknown) => e instanceof CopperError && /does not fit this network: (size mismatch|\d+ missing keys \(features\.1\.block\.1\.fc1\.weight, .*\), \d+ unexpected keys)/.test((e as Error).message),
    );
    assert.throws(() => models.resnet18({ weights: join(dir, 'nope.pth') }), (e: unknown) => e instanceof CopperError && /cannot load weights: .*nope\.pth/.test((e as Error).message));
    assert.throws(() => models.resnet18({ freeze: ['layer9'] }), (e: unknown) => e instanceof CopperError && /cannot freeze 'layer9'.*layer4, avgpool, fc, backbone; nested names such as 'layer1\.0' work too/.test((e as Error).message));
    assert.throws(() => models.mobilenet_v3_large({ num_classes: 0 }), /num_classes must be a positive integer/);
  });
});

describe('torchvision networks without Python', () => {
  test('train-mode BatchNorm updates running statistics; eval mode uses them (StochasticDepth is the identity)', () => {
    torch.manualSeed(3);
    const net = models.efficientnet_b0({ num_classes: 2, stochastic_depth_prob: 0.5 });
    const x = torch.randn([2, 3, 32, 32]);
    const rm = () => net.stateDict()['features.0.1.running_mean']!.clone();
    const before = rm();
    net.train();
    torch.noGrad(() => net.forward(x));
    assert.ok(!rm().equal(before), 'running_mean moved in train mode');
    net.eval();
    const a = torch.noGrad(() => net.forward(x));
    const b = torch.noGrad(() => net.forward(x));
    assert.ok(a.equal(b), 'eval mode is deterministic');
    assert.equal(net.stateDict()['features.0.1.num_batches_tracked']!.item(), 1);
  });
});
