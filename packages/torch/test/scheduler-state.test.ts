// Optimizer and scheduler state dicts move between copper and Python's torch: saved by one, loaded
// by the other, the next steps give the same learning rates and weights. Older copper state dicts
// (camelCase scheduler keys) still load.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/index.js';
import { nn } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'copper-sched-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PY = '/usr/bin/python3';
const pythonHasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const skip = !pythonHasTorch && 'python3-torch not installed';

type AnyOpt = torch.optim.Optimizer<{ lr: number }>;
type Sched = { step(metric?: number): void; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void; getLastLr(): number[] };
interface Case {
  name: string;
  opt: (p: torch.Tensor[]) => AnyOpt;
  sched: (o: AnyOpt) => Sched;
  /** the same in Python, `p` the parameters, `o` the optimizer */
  pyOpt: string;
  pySched: string;
  plateau?: boolean;
}

const O = torch.optim;
const CASES: Case[] = [
  { name: 'SGD (Nesterov momentum) + StepLR', opt: (p) => new O.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }) as AnyOpt, sched: (o) => new O.StepLR(o, 2, 0.5), pyOpt: 'torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)', pySched: 'L.StepLR(o, step_size=2, gamma=0.5)' },
  { name: 'Adam + MultiStepLR (a repeated milestone)', opt: (p) => new O.Adam(p, { lr: 0.05 }) as AnyOpt, sched: (o) => new O.MultiStepLR(o, [2, 4, 4], 0.5), pyOpt: 'torch.optim.Adam(p, lr=0.05)', pySched: 'L.MultiStepLR(o, milestones=[2,4,4], gamma=0.5)' },
  { name: 'AdamW (amsgrad) + ExponentialLR', opt: (p) => new O.AdamW(p, { lr: 0.05, amsgrad: true }) as AnyOpt, sched: (o) => new O.ExponentialLR(o, 0.8), pyOpt: 'torch.optim.AdamW(p, lr=0.05, amsgrad=True)', pySched: 'L.ExponentialLR(o, gamma=0.8)' },
  { name: 'SGD + LinearLR', opt: (p) => new O.SGD(p, { lr: 0.2 }) as AnyOpt, sched: (o) => new O.LinearLR(o, 0.25, 1, 5), pyOpt: 'torch.optim.SGD(p, lr=0.2)', pySched: 'L.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=5)' },
  { name: 'Adam + CosineAnnealingLR', opt: (p) => new O.Adam(p, { lr: 0.05 }) as AnyOpt, sched: (o) => new O.CosineAnnealingLR(o, 5, 0.001), pyOpt: 'torch.optim.Adam(p, lr=0.05)', pySched: 'L.CosineAnnealingLR(o, T_max=5, eta_min=0.001)' },
  { name: 'SGD (momentum) + CosineAnnealingWarmRestarts', opt: (p) => new O.SGD(p, { lr: 0.1, momentum: 0.5 }) as AnyOpt, sched: (o) => new O.CosineAnnealingWarmRestarts(o, 2, 2, 0.01), pyOpt: 'torch.optim.SGD(p, lr=0.1, momentum=0.5)', pySched: 'L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=0.01)' },
  { name: 'SGD + LambdaLR', opt: (p) => new O.SGD(p, { lr: 0.1 }) as AnyOpt, sched: (o) => new O.LambdaLR(o, (e) => 0.9 ** e), pyOpt: 'torch.optim.SGD(p, lr=0.1)', pySched: 'L.LambdaLR(o, lambda e: 0.9 ** e)' },
  {
    name: 'Adam + ReduceLROnPlateau (a loss that never improves in max mode)',
    opt: (p) => new O.Adam(p, { lr: 0.05 }) as AnyOpt,
    sched: (o) => new O.ReduceLROnPlateau(o, { mode: 'max', patience: 2, factor: 0.5, cooldown: 1 }),
    pyOpt: 'torch.optim.Adam(p, lr=0.05)',
    pySched: 'L.ReduceLROnPlateau(o, mode="max", patience=2, factor=0.5, cooldown=1)',
    plateau: true,
  },
];

const X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-0.3, 0.8, 0.1]];
const W0 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]];
const B0 = [0.05, -0.05];
const BEFORE = 3; // epochs before the checkpoint
const AFTER = 5; // epochs after it

function model(): torch.nn.Linear {
  const m = new nn.Linear(3, 2);
  m.loadStateDict({ weight: torch.tensor(W0), bias: torch.tensor(B0) });
  return m;
}

/** One "epoch": a step on the loss, then the scheduler (with the loss for ReduceLROnPlateau). */
function epoch(m: torch.nn.Linear, o: AnyOpt, s: Sched, plateau: boolean): number {
  const loss = torch.tidy(() => {
    o.zeroGrad();
    const l = m.forward(torch.tensor(X)).pow(2).mean();
    l.backward();
    return l.item();
  });
  o.step();
  if (plateau) s.step(loss);
  else s.step();
  return loss;
}

const weights = (m: torch.nn.Linear) => [...(m.weight.toArray() as Float32Array), ...(m.bias!.toArray() as Float32Array)];

// the Python side: builds the same model, optimizer and scheduler (with a wrong lr, so only the
// loaded state can make it right), and either resumes from a copper file or writes one
const pyScript = (c: Case, mode: 'resume' | 'write') => `
import torch, sys, json
from torch.optim import lr_scheduler as L
torch.set_default_dtype(torch.float32)
m = torch.nn.Linear(3, 2)
with torch.no_grad():
    m.weight.copy_(torch.tensor(${JSON.stringify(W0)})); m.bias.copy_(torch.tensor(${JSON.stringify(B0)}))
p = list(m.parameters())
o = ${c.pyOpt}
s = ${c.pySched}
x = torch.tensor(${JSON.stringify(X)})
def epoch():
    o.zero_grad(); l = (m(x) ** 2).mean(); l.backward(); o.step()
    ${c.plateau ? 's.step(l.item())' : 's.step()'}
def lrs():
    return [g['lr'] for g in o.param_groups]
if '${mode}' == 'resume':
    ck = torch.load(sys.argv[1])
    m.load_state_dict(ck['model'])
    for g in o.param_groups: g['lr'] = 1.0
    o.load_state_dict(ck['optimizer'])
    s.load_state_dict(ck['scheduler'])
else:
    for _ in range(${BEFORE}): epoch()
    torch.save({'model': m.state_dict(), 'optimizer': o.state_dict(), 'scheduler': s.state_dict()}, sys.argv[1])
restored = {k: (v if not isinstance(v, float) or v == v and abs(v) != float('inf') else str(v)) for k, v in s.state_dict().items() if k not in ('lr_lambdas', 'milestones')}
out = {'lrs': [], 'restored': restored, 'nstate': len(o.state)}
for _ in range(${AFTER}):
    epoch(); out['lrs'].append(lrs())
out['w'] = m.weight.reshape(-1).tolist() + m.bias.tolist()
print(json.dumps(out))
`;

function python(c: Case, mode: 'resume' | 'write', file: string): { lrs: number[][]; w: number[]; restored: Record<string, unknown>; nstate: number } {
  const r = spawnSync(PY, ['-c', pyScript(c, mode), file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)), `${what}[${i}]: copper ${v}, python ${b[i]}`));
}

describe('optimizer + scheduler state: copper -> Python', () => {
  for (const c of CASES) {
    test(`${c.name}: Python resumes copper's state on the same trajectory`, { skip }, () => {
      const m = model();
      const o = c.opt(m.parameters());
      const s = c.sched(o);
      for (let i = 0; i < BEFORE; i++) epoch(m, o, s, !!c.plateau);
      const file = join(dir, `${c.name.replace(/\W+/g, '_')}.copper.pt`);
      torch.save({ model: m.stateDict(), optimizer: o.stateDict() as unknown as torch.Saveable, scheduler: s.stateDict() as torch.Saveable }, file);
      const py = python(c, 'resume', file);
      const ours: number[][] = [];
      for (let i = 0; i < AFTER; i++) {
        epoch(m, o, s, !!c.plateau);
        ours.push(o.paramGroups.map((g) => g.lr));
      }
      // the optimizer's per-parameter state came through (not dropped for mismatched ids)
      if (!(c.pyOpt.includes('SGD(p, lr=0.') && !c.pyOpt.includes('momentum'))) assert.equal(py.nstate, 2, 'optimizer state for both parameters');
      ours.forEach((lr, i) => close(lr, py.lrs[i]!, 1e-12, `lr after resumed epoch ${i}`));
      close(weights(m), py.w, 1e-5, 'weights');
    });
  }
});

describe('optimizer + scheduler state: Python -> copper', () => {
  for (const c of CASES) {
    test(`${c.name}: copper resumes Python's state on the same trajectory`, { skip }, () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '_')}.python.pt`);
      const py = python(c, 'write', file);
      const ck = torch.load(file) as Record<string, any>;
      const m = model();
      m.loadStateDict(ck.model);
      const o = c.opt(m.parameters());
      const s = c.sched(o);
      for (const g of o.paramGroups) g.lr = 1.0;
      o.loadStateDict(ck.optimizer);
      s.loadStateDict(ck.scheduler);
      // what Python restored from its own dict, copper writes back the same
      const mine = s.stateDict();
      for (const [k, v] of Object.entries(py.restored)) {
        if (k === 'mode_worse' || k === 'best') continue;
        if (typeof v === 'number') assert.ok(Math.abs((mine[k] as number) - v) < 1e-12, `${k}: ${String(mine[k])} vs ${v}`);
        else if (Array.isArray(v)) close(mine[k] as number[], v as number[], 1e-12, k);
        else assert.deepEqual(mine[k], v, k);
      }
      const ours: number[][] = [];
      for (let i = 0; i < AFTER; i++) {
        epoch(m, o, s, !!c.plateau);
        ours.push(o.paramGroups.map((g) => g.lr));
      }
      ours.forEach((lr, i) => close(lr, py.lrs[i]!, 1e-12, `lr after resumed epoch ${i}`));
      close(weights(m), py.w, 1e-5, 'weights');
    });
  }
});

describe('scheduler state dict keys', () => {
  test("state dicts use PyTorch's names", () => {
    const o = new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt;
    const p = new O.ReduceLROnPlateau(o, { patience: 2 });
    p.step(1);
    p.step(2);
    assert.deepEqual(Object.keys(p.stateDict()), ['factor', 'min_lrs', 'patience', 'verbose', 'cooldown', 'cooldown_counter', 'mode', 'threshold', 'threshold_mode', 'best', 'num_bad_epochs', 'mode_worse', 'eps', 'last_epoch', '_last_lr']);
    assert.equal(p.stateDict().num_bad_epochs, 1);
    const st = new O.StepLR(new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt, 3);
    assert.deepEqual(Object.keys(st.stateDict()), ['step_size', 'gamma', 'base_lrs', 'last_epoch', 'verbose', '_step_count', '_get_lr_called_within_step', '_last_lr']);
    const ms = new O.MultiStepLR(new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt, [2, 5, 5]);
    assert.deepEqual(ms.stateDict().milestones, { 2: 1, 5: 2 });
    const w = new O.CosineAnnealingWarmRestarts(new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt, 4);
    for (const k of ['T_0', 'T_i', 'T_mult', 'eta_min', 'T_cur']) assert.ok(k in w.stateDict(), k);
  });

  test('state dicts of older copper versions (camelCase keys) still load', () => {
    const o = new O.Adam([torch.zeros(2).requiresGrad_()], { lr: 0.05 }) as AnyOpt;
    const p = new O.ReduceLROnPlateau(o, { patience: 2, factor: 0.5 });
    // what copper 0.1.0 wrote for a ReduceLROnPlateau three epochs in, two of them bad
    p.loadStateDict({ mode: 'min', factor: 0.5, patience: 2, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLrs: [0], eps: 1e-8, best: 0.3, numBadEpochs: 2, cooldownCounter: 0, lastEpoch: 3, lastLr: [0.05] });
    assert.equal(p.numBadEpochs, 2);
    assert.equal(p.best, 0.3);
    assert.equal(p.stateDict().num_bad_epochs, 2);
    p.step(0.4); // a third bad epoch > patience: the rate halves
    assert.equal(o.paramGroups[0]!.lr, 0.025);
    const s = new O.StepLR(new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt, 2, 0.5);
    s.loadStateDict({ stepSize: 2, gamma: 0.5, lastEpoch: 3, baseLrs: [0.1], lastLr: [0.05], stepCount: 4 });
    assert.deepEqual(s.stateDict().last_epoch, 3);
    assert.deepEqual(s.stateDict()._step_count, 4);
    const ms = new O.MultiStepLR(new O.SGD([torch.zeros(2).requiresGrad_()], { lr: 0.1 }) as AnyOpt, [9]);
    ms.loadStateDict({ milestones: [2, 4], gamma: 0.5, lastEpoch: 1, baseLrs: [0.1], lastLr: [0.1], stepCount: 2 });
    assert.deepEqual(ms.stateDict().milestones, { 2: 1, 4: 1 });
  });
});
