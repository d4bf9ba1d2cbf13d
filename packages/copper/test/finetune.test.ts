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
import { models, BackboneFinetuning, Callback, ImageClassifier, ImageFolderDataModule, Trainer, type LightningModule } from '../src/index.js';

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

  test('BackboneFinetuning trains the head alone, then adds the backbone as a parameter group at 0.1x, growing 1.5x per epoch up to the head rate', async () => {
    torch.manualSeed(0);
    const net = models.resnet18({ num_classes: 2 });
    const before = net.stateDict();
    const start = { conv1: before['conv1.weight']!.clone(), bn1: before['bn1.weight']!.clone(), fc: before['fc.weight']!.clone() };
    torch.dispose(before);
    const model = new ImageClassifier({ net, optimizer: (p) => new torch.optim.SGD(p, { lr: 0.01 }) as never });
    const seen: { epoch: number; groups: number; lrs: number[]; conv1Trains: boolean; conv1: torch.Tensor }[] = [];
    class Probe extends Callback {
      override onTrainEpochStart(trainer: Trainer, m: LightningModule): void {
        void m;
        const g = trainer.optimizerConfig!.optimizer.paramGroups;
        seen.push({ epoch: trainer.currentEpoch, groups: g.length, lrs: g.map((x) => x.lr), conv1Trains: net.conv1.weight.requiresGrad, conv1: net.stateDict()['conv1.weight']!.clone() });
      }
    }
    const dm = new ImageFolderDataModule({ data_dir: join(dir, 'data', 'PetImages'), image_size: 32, batch_size: 8, num_workers: 0, train_val_test_split: [0.7, 0.15, 0.15], seed: 1 });
    const trainer = new Trainer({ max_epochs: 4, enable_checkpointing: false, logger: [], enable_progress_bar: false, num_sanity_val_steps: 0, callbacks: [new BackboneFinetuning({ unfreeze_backbone_at_epoch: 1, lambda_func: 4 }), new Probe()], info: () => {} } as never);
    await trainer.fit(model, dm);
    assert.deepEqual(seen.map((s) => [s.epoch, s.groups, s.conv1Trains]), [[0, 1, false], [1, 2, true], [2, 2, true], [3, 2, true]]);
    // 0.1 x 0.01 at the unfreeze epoch, then x4 (lambda_func) but never above the head's 0.01
    assert.ok(Math.abs(seen[1]!.lrs[1]! - 0.001) < 1e-12, String(seen[1]!.lrs));
    assert.ok(Math.abs(seen[2]!.lrs[1]! - 0.004) < 1e-12, String(seen[2]!.lrs));
    assert.ok(Math.abs(seen[3]!.lrs[1]! - 0.01) < 1e-12, String(seen[3]!.lrs));
    // frozen during epoch 0 (BatchNorm kept training: train_bn), trained afterwards
    assert.ok(seen[1]!.conv1.equal(start.conv1), 'conv1 unchanged while frozen');
    const after = net.stateDict();
    assert.ok(!after['conv1.weight']!.equal(start.conv1), 'conv1 trained after unfreezing');
    assert.ok(!after['fc.weight']!.equal(start.fc), 'the head trained');
  });

  test('experiment=cat_dog_efficientnet_b0 composes with its BackboneFinetuning callback', async () => {
    const weights = join(dir, 'efficientnet_b0-copper.pth');
    torch.manualSeed(2);
    torch.save(models.efficientnet_b0().stateDict(), weights);
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${join(dir, 'run-eff')}`, 'experiment=cat_dog_efficientnet_b0', `model.net.weights=${weights}`, 'trainer.max_epochs=1', 'callbacks.backbone_finetuning.unfreeze_backbone_at_epoch=0', 'data.batch_size=8'], (cfg) => train(cfg));
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
