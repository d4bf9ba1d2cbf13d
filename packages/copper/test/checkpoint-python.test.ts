// Checkpoints Python can resume: a copper training checkpoint's optimizer and scheduler state load
// into Python's torch.optim (Lightning's layout: optimizer_states, lr_schedulers) and the next
// steps match; a checkpoint Python wrote for the same network resumes in copper the same way.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as torch from '@copper/torch';
import { makeData, scratch } from './helpers.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { SimpleCNN } from '../src/models/nets.js';
import { Trainer } from '../src/trainer/trainer.js';
import { ModelCheckpoint } from '../src/callbacks/model-checkpoint.js';

const PY = '/usr/bin/python3';
const skip = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0 && 'python3-torch not installed';

// copper's SimpleCNN(channels [8, 16], hidden 16, dropout 0) inside a module with `net`, as a
// LightningModule holds it, and the same optimizer and scheduler
const PY_MODEL = `
import torch, sys, json
from torch import nn
class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for o in (8, 16):
            layers += [nn.Conv2d(c, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
            c = o
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 2))
    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))
class Lit(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = SimpleCNN()
    def forward(self, x):
        return self.net(x)
def configure(model):
    o = torch.optim.Adam(model.parameters(), lr=0.003)
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode='max', patience=3, factor=0.5)
    return o, s
def one_step(model, o, s, batch, metric):
    model.train(); o.zero_grad()
    torch.nn.functional.cross_entropy(model(batch['x']), batch['y']).backward()
    o.step(); s.step(metric)
def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).tolist()
`;

function python(code: string, ...args: string[]): any {
  const r = spawnSync(PY, ['-c', PY_MODEL + code, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function model() {
  return new ImageClassifier({
    net: new SimpleCNN({ num_classes: 2, channels: [8, 16], hidden: 16, dropout: 0 }),
    optimizer: (p) => new torch.optim.Adam(p, { lr: 0.003 }) as never,
    scheduler: (o) => new torch.optim.ReduceLROnPlateau(o as never, { mode: 'max', patience: 3, factor: 0.5 }),
    scheduler_monitor: 'val/acc',
  });
}

/** One training step on a fixed batch and a scheduler step on `metric`, as one_step() in Python. */
function oneStep(m: ImageClassifier, t: Trainer, batch: { x: torch.Tensor; y: torch.Tensor }, metric: number): void {
  const { optimizer, lrScheduler } = t.optimizerConfig!;
  m.train();
  torch.tidy(() => {
    optimizer.zeroGrad();
    torch.F.crossEntropy(m.forward(batch.x), batch.y).backward();
  });
  optimizer.step();
  (lrScheduler!.scheduler as torch.optim.ReduceLROnPlateau).step(metric);
}

const flat = (m: ImageClassifier) => m.parameters().flatMap((p) => Array.from(p.toArray() as Float32Array));

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]!))));
  assert.ok(worst < tol, `${what}: copper and Python differ by ${worst}`);
}

describe('checkpoints between copper and Python', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  let batchFile: string;
  let batch: { x: torch.Tensor; y: torch.Tensor };
  before(() => {
    ({ dir, cleanup } = scratch());
    root = makeData(dir, 12);
    torch.manualSeed(7);
    batch = { x: torch.randn([4, 3, 16, 16]), y: torch.tensor([0, 1, 1, 0], { dtype: 'int64' }) };
    batchFile = join(dir, 'batch.pt');
    torch.save(batch, batchFile);
  });
  after(() => cleanup());
  const dm = () => new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 8, train_val_test_split: [0.6, 0.2, 0.2], seed: 5 });

  test("Python loads a copper checkpoint's optimizer and scheduler state and takes the same next step", { skip }, async () => {
    torch.manualSeed(1);
    const out = join(dir, 'copper');
    const m = model();
    const t = new Trainer({ max_epochs: 3, callbacks: [new ModelCheckpoint({ dirpath: out, save_last: true })], num_sanity_val_steps: 0, info: () => {} });
    await t.fit(m, dm());
    const sched = t.optimizerConfig!.lrScheduler!.scheduler as torch.optim.ReduceLROnPlateau;
    const py = python(
      `
ck = torch.load(sys.argv[1])
batch = torch.load(sys.argv[2])
model = Lit(); model.load_state_dict(ck['state_dict'])
o, s = configure(model)
for g in o.param_groups: g['lr'] = 1.0
o.load_state_dict(ck['optimizer_states'][0])
s.load_state_dict(ck['lr_schedulers'][0])
restored = {'num_bad_epochs': s.num_bad_epochs, 'best': s.best, 'last_epoch': s.last_epoch, 'cooldown_counter': s.cooldown_counter,
            'lr': o.param_groups[0]['lr'], 'nstate': len(o.state), 'step': float(o.state[o.param_groups[0]['params'][0]]['step'])}
one_step(model, o, s, batch, 0.0)
print(json.dumps({'restored': restored, 'num_bad_epochs': s.num_bad_epochs, 'lr': o.param_groups[0]['lr'], 'w': flat(model)}))
`,
      join(out, 'last.ckpt'),
      batchFile,
    );
    assert.equal(py.restored.num_bad_epochs, sched.numBadEpochs);
    assert.equal(py.restored.best, sched.best);
    assert.equal(py.restored.last_epoch, 3);
    assert.equal(py.restored.lr, 0.003);
    assert.equal(py.restored.nstate, m.parameters().length, 'Adam state for every parameter');
    assert.equal(py.restored.step, t.globalStep);
    oneStep(m, t, batch, 0.0);
    assert.equal(py.num_bad_epochs, sched.numBadEpochs);
    assert.equal(py.lr, t.optimizerConfig!.optimizer.paramGroups[0]!.lr);
    close(flat(m), py.w, 1e-5, 'weights after the next step');
  });

  test('a Lightning-layout checkpoint Python wrote for the same network (partials and modules in hyper_parameters) resumes in copper on the same trajectory', { skip }, async () => {
    const file = join(dir, 'python.ckpt');
    const py = python(
      `
torch.manual_seed(3)
batch = torch.load(sys.argv[2])
model = Lit(); o, s = configure(model)
for step, metric in enumerate([0.6, 0.5, 0.55]):
    x = torch.randn(8, 3, 16, 16); y = torch.randint(0, 2, (8,))
    model.train(); o.zero_grad(); torch.nn.functional.cross_entropy(model(x), y).backward(); o.step(); s.step(metric)
# Lightning's layout, hyper_parameters as lightning-hydra-template saves them (a partial, the net itself)
import functools
torch.save({'epoch': 2, 'global_step': 3, 'pytorch-lightning_version': '2.1.0', 'state_dict': model.state_dict(),
            'loops': {'fit_loop': {'state_dict': {}, 'epoch_progress': {'total': {'ready': 3, 'completed': 3}}}},
            'callbacks': {"ModelCheckpoint{'monitor': 'val/acc', 'mode': 'max'}": {'best_model_score': torch.tensor(0.6), 'best_model_path': 'x.ckpt'}},
            'optimizer_states': [o.state_dict()], 'lr_schedulers': [s.state_dict()],
            'hparams_name': 'kwargs',
            'hyper_parameters': {'optimizer': functools.partial(torch.optim.Adam, lr=0.003), 'net': model.net, 'compile': False}}, sys.argv[1])
state = {'num_bad_epochs': s.num_bad_epochs, 'best': s.best, 'lr': o.param_groups[0]['lr']}
one_step(model, o, s, batch, 0.0)
print(json.dumps({'state': state, 'num_bad_epochs': s.num_bad_epochs, 'lr': o.param_groups[0]['lr'], 'w': flat(model)}))
`,
      file,
      batchFile,
    );
    assert.deepEqual(py.state, { num_bad_epochs: 2, best: 0.6, lr: 0.003 });
    // resuming with max_epochs 3 restores epoch 2's state and trains no further
    const m = model();
    const t = new Trainer({ max_epochs: 3, num_sanity_val_steps: 0, info: () => {} });
    await t.fit(m, dm(), { ckptPath: file });
    assert.equal(t.globalStep, 3);
    const sched = t.optimizerConfig!.lrScheduler!.scheduler as torch.optim.ReduceLROnPlateau;
    assert.equal(sched.numBadEpochs, 2);
    assert.equal(sched.best, 0.6);
    assert.equal(t.optimizerConfig!.optimizer.state.get(m.parameters()[0]!)!.step, 3);
    oneStep(m, t, batch, 0.0);
    assert.equal(sched.numBadEpochs, py.num_bad_epochs);
    assert.equal(t.optimizerConfig!.optimizer.paramGroups[0]!.lr, py.lr);
    close(flat(m), py.w, 1e-5, 'weights after the next step');
  });
});
