// Fine-tuning from a torchvision state_dict file through the experiment configs: copper_train
// experiment=cat_dog_resnet18 model.net.weights=<file> trains (frozen stages unchanged, a fresh
// 2-class head), the checkpoint records no weights path, and copper_eval rebuilds the model from
// the checkpoint alone.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@copper/torch';
import { hydraRun, makeData, scratch, smallRun } from './helpers.js';
import { train } from '../src/tasks/train.js';
import { evaluate } from '../src/tasks/eval.js';
import { loadCheckpoint } from '../src/trainer/checkpoint.js';
import { models } from '../src/index.js';

const PY = '/usr/bin/python3';
const REF = fileURLToPath(new URL('./fixtures/torchvision_ref.py', import.meta.url));
const hasTorchvision = spawnSync(PY, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;

/** A 1000-class state dict file for `arch`: saved by torchvision when Python has it, else by copper. */
function weightsFile(dir: string, arch: 'resnet18' | 'mobilenet_v3_small'): string {
  if (hasTorchvision) {
    const r = spawnSync(PY, [REF, dir, '32', arch], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } else {
    torch.manualSeed(1);
    torch.save(models[arch]().stateDict(), join(dir, `${arch}.pth`));
  }
  return join(dir, `${arch}.pth`);
}

describe('fine-tuning experiments', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch('copper-ft-'));
    makeData(dir, 12);
  });
  after(() => cleanup());

  test('experiment=cat_dog_resnet18 trains from a torchvision state_dict; copper_eval needs only the checkpoint', async () => {
    const weights = weightsFile(dir, 'resnet18');
    const file = torch.load(weights) as Record<string, torch.Tensor>;
    const out = join(dir, 'run-resnet18');
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${out}`, 'experiment=cat_dog_resnet18', `model.net.weights=${weights}`, 'trainer.max_epochs=1', 'data.batch_size=8'], (cfg) => train(cfg));
    const res = r.jobs[0]!.returnValue as { metrics: Record<string, number>; bestCheckpoint: string | null };
    assert.ok(Number.isFinite(res.metrics['train/loss']), 'trained');
    assert.ok(Number.isFinite(res.metrics['test/acc']), 'tested');
    assert.ok(res.bestCheckpoint, 'a checkpoint was written');

    const ck = loadCheckpoint(res.bestCheckpoint!);
    const sd = ck.state_dict as Record<string, torch.Tensor>;
    // frozen stages are exactly the file's weights; trained ones moved; the head has 2 classes
    for (const k of ['conv1.weight', 'layer1.0.conv1.weight', 'layer2.1.bn2.weight']) assert.ok(sd[`net.${k}`]!.equal(file[k]!), `${k} stayed frozen`);
    assert.ok(!sd['net.layer4.1.conv2.weight']!.equal(file['layer4.1.conv2.weight']!), 'layer4 was fine-tuned');
    assert.deepEqual(sd['net.fc.weight']!.shape, [2, 512]);
    const hp = ck.hyper_parameters as { model: { net: Record<string, unknown> } };
    assert.equal(hp.model.net._target_, 'copper.models.resnet18');
    assert.equal(hp.model.net.weights, null, 'the checkpoint does not point at the weights file');

    // the weights file is not needed any more
    rmSync(weights);
    const e = await hydraRun('eval', [...smallRun(dir), `hydra.run.dir=${join(dir, 'eval')}`, 'data.image_size=32', `ckpt_path=${res.bestCheckpoint}`, ...evalData()], (cfg) => evaluate(cfg));
    const em = (e.jobs[0]!.returnValue as { metrics: Record<string, number> }).metrics;
    assert.ok(Number.isFinite(em['test/acc']));
  });

  test('experiment=cat_dog_mobilenet_v3_small fine-tunes too', async () => {
    const weights = weightsFile(dir, 'mobilenet_v3_small');
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${join(dir, 'run-mnv3')}`, 'experiment=cat_dog_mobilenet_v3_small', `model.net.weights=${weights}`, 'trainer.max_epochs=1', 'data.batch_size=8'], (cfg) => train(cfg));
    const res = r.jobs[0]!.returnValue as { metrics: Record<string, number> };
    assert.ok(Number.isFinite(res.metrics['train/loss']));
  });

  test('the fine-tuning experiment without model.net.weights stops with a message naming it', async () => {
    await assert.rejects(
      hydraRun('train', [...smallRun(dir), `hydra.run.dir=${join(dir, 'run-missing')}`, 'experiment=cat_dog_resnet18', 'trainer.max_epochs=1'], (cfg) => train(cfg)),
      /model\.net\.weights/,
    );
  });
});

/** The eval config's data settings matching the fine-tuning run (ImageNet normalisation). */
function evalData(): string[] {
  return ['data.mean=[0.485,0.456,0.406]', 'data.std=[0.229,0.224,0.225]'];
}
