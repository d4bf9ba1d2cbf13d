import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/index.js';
import { nn, type Tensor } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'copper-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pythonHasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('save / load', () => {
  test('tensors of every dtype and nested values round-trip', () => {
    const value = {
      f32: torch.tensor([[1.5, 2], [3, 4]]),
      f64: torch.tensor([1e-300, -2], { dtype: 'float64' }),
      i64: torch.tensor([9007199254740991, -3], { dtype: 'int64' }),
      i32: torch.tensor([7], { dtype: 'int32' }),
      u8: torch.tensor([0, 255], { dtype: 'uint8' }),
      b: torch.tensor([true, false]),
      scalar: torch.scalar(3.25),
      view: torch.arange(10).slice(0, 2, 8, 2),
      list: [1, 2.5, 'x', null, true, [torch.ones(2)]],
      nested: { epoch: 3, name: 'run' },
    };
    const file = join(dir, 'all.pt');
    torch.save(value, file);
    const back = torch.load(file) as Record<string, any>;
    for (const k of ['f32', 'f64', 'i64', 'i32', 'u8', 'b', 'scalar', 'view']) {
      const a = (value as Record<string, Tensor>)[k]!;
      const b = back[k] as Tensor;
      assert.equal(b.dtype, a.dtype, k);
      assert.deepEqual(b.shape, a.shape, k);
      assert.ok(b.equal(a), k);
    }
    assert.deepEqual(back.list.slice(0, 5), [1, 2.5, 'x', null, true]);
    assert.deepEqual(back.list[5][0].tolist(), [1, 1]);
    assert.deepEqual(back.nested, { epoch: 3, name: 'run' });
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  });

  test('a model state dict restores the same outputs in a fresh model', () => {
    const make = () => new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(16, 2));
    const a = make();
    const x = torch.randn([2, 3, 4, 4]);
    a.forward(x); // update BatchNorm running stats
    a.eval();
    const file = join(dir, 'model.pt');
    torch.save(a.stateDict(), file);
    const b = make().eval();
    b.loadStateDict(torch.load(file) as Record<string, Tensor>);
    assert.ok(b.forward(x).allclose(a.forward(x), 0, 0));
    const sd = torch.load(file) as Record<string, Tensor>;
    assert.equal(sd['1.num_batches_tracked']!.dtype, 'int64');
    assert.equal(sd['1.num_batches_tracked']!.item(), 1);
  });

  test('loads a checkpoint written by Python torch.save', () => {
    const ck = torch.load(new URL('./fixtures/python_checkpoint.pt', import.meta.url).pathname) as Record<string, any>;
    const lin = new nn.Linear(3, 2);
    lin.loadStateDict(ck.model);
    assert.deepEqual(lin.forward(torch.tensor([[1, 1, 1]])).tolist(), [[6.5, 14.5]]);
    assert.equal(ck.f64.dtype, 'float64');
    assert.deepEqual(ck.f64.tolist(), [1.5, -2.25]);
    assert.equal(ck.i64.dtype, 'int64');
    assert.deepEqual(ck.i64.tolist(), [[1, 2], [3, 4]]);
    assert.deepEqual(ck.u8.tolist(), [0, 255]);
    assert.deepEqual(ck.flags.tolist(), [true, false]);
    assert.deepEqual(ck.view.tolist(), [2, 4, 6]);
    assert.equal(ck.epoch, 7);
    assert.equal(ck.lr, 0.001);
    assert.equal(ck.name, 'resnet');
    assert.deepEqual(ck.betas, [0.9, 0.999]);
    assert.deepEqual(ck.history, [1, 2.5, null, true]);
  });

  test('resumes a Python training checkpoint (OrderedDict state dict + Adam state) on the same trajectory', () => {
    const ck = torch.load(new URL('./fixtures/python_train_checkpoint.pt', import.meta.url).pathname) as Record<string, any>;
    const after = JSON.parse(readFileSync(new URL('./fixtures/python_train_after.json', import.meta.url), 'utf8')) as Record<string, number[]>;
    assert.equal(ck.epoch, 2);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    model.loadStateDict(ck.model);
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.5 });
    opt.loadStateDict(ck.optimizer);
    assert.equal(opt.paramGroups[0]!.lr, 0.01);
    assert.equal(opt.paramGroups[0]!.weightDecay, 0.01);
    const x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
    const target = torch.tensor([[1.0, 0.0], [0.0, 1.0]]);
    for (let i = 0; i < 3; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        model.forward(x).sub(target).pow(2).mean().backward();
        opt.step();
      });
    }
    const sd = model.stateDict();
    assert.deepEqual(Object.keys(sd), Object.keys(after));
    for (const [k, v] of Object.entries(after)) {
      const got = Array.from(sd[k]!.toArray() as Float32Array);
      v.forEach((e, i) => assert.ok(Math.abs(got[i]! - e) < 1e-6, `${k}[${i}]: ${got[i]} vs ${e}`));
    }
  });

  test('Python torch.load reads what save() writes', { skip: !pythonHasTorch && 'python3-torch not installed' }, () => {
    const m = new nn.Linear(2, 2);
    const file = join(dir, 'for-python.pt');
    torch.save({ model: m.stateDict(), step: 5, ids: torch.tensor([1, 2], { dtype: 'int64' }) }, file);
    const code = `import torch,sys,json\nd=torch.load(sys.argv[1])\nprint(json.dumps({'keys':sorted(d['model'].keys()),'w':d['model']['weight'].tolist(),'step':d['step'],'ids':d['ids'].tolist(),'dtype':str(d['ids'].dtype)}))`;
    const r = spawnSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.keys, ['bias', 'weight']);
    const w = m.weight.tolist() as number[][];
    out.w.forEach((row: number[], i: number) => row.forEach((v, j) => assert.ok(Math.abs(v - w[i]![j]!) < 1e-7)));
    assert.equal(out.step, 5);
    assert.deepEqual(out.ids, [1, 2]);
    assert.equal(out.dtype, 'torch.int64');
  });

  test('Python resumes a copper checkpoint (state dict + Adam state) on the same trajectory', { skip: !pythonHasTorch && 'python3-torch not installed' }, () => {
    torch.manualSeed(3);
    const model = new nn.Linear(3, 2);
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01, amsgrad: true });
    const x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
    const step = () =>
      torch.tidy(() => {
        opt.zeroGrad();
        model.forward(x).pow(2).mean().backward();
        opt.step();
      });
    step();
    step();
    const file = join(dir, 'resume-in-python.pt');
    torch.save({ model: model.stateDict(), optimizer: opt.stateDict() as unknown as torch.Saveable }, file);
    step();
    const code = [
      'import torch,sys,json',
      'ck=torch.load(sys.argv[1])',
      'm=torch.nn.Linear(3,2); m.load_state_dict(ck["model"])',
      'o=torch.optim.Adam(m.parameters(), lr=1.0); o.load_state_dict(ck["optimizer"])',
      'x=torch.tensor([[0.5,-1.0,2.0],[1.5,0.25,-0.5]])',
      'o.zero_grad(); (m(x)**2).mean().backward(); o.step()',
      'print(json.dumps(m.weight.reshape(-1).tolist()+m.bias.tolist()))',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout) as number[];
    const ours = [...(model.weight.toArray() as Float32Array), ...(model.bias!.toArray() as Float32Array)];
    py.forEach((v, i) => assert.ok(Math.abs(v - ours[i]!) < 1e-6, `${i}: python ${v}, copper ${ours[i]}`));
  });

  test('clear errors for missing files, bad files and unsupported values', () => {
    assert.throws(() => torch.load(join(dir, 'nope.pt')), /^SerializationError: load: cannot read .*nope\.pt: ENOENT$/);
    const bad = join(dir, 'bad.pt');
    writeFileSync(bad, 'not a checkpoint');
    assert.throws(() => torch.load(bad), /load: .*bad\.pt is not a PyTorch file libtorch can read/);
    assert.throws(() => torch.save({ a: 1 }, join(dir, 'no', 'such', 'dir.pt')), /^SerializationError: save: cannot write .*dir\.pt: ENOENT$/);
    assert.throws(() => torch.save({ when: new Date() } as unknown as torch.Saveable, join(dir, 'x.pt')), /save: cannot store a Date/);
    assert.throws(() => torch.deserialize(new Uint8Array([1, 2, 3])), /./);
    // a failed save leaves an existing file untouched
    const keepFile = join(dir, 'keep.pt');
    torch.save({ a: 1 }, keepFile);
    const before = readFileSync(keepFile);
    assert.throws(() => torch.save({ f: (() => 1) as unknown as torch.Saveable }, keepFile));
    assert.ok(readFileSync(keepFile).equals(before));
  });

  test('loadStateDict reports missing/unexpected keys and shape mismatches', () => {
    const m = new nn.Linear(2, 3);
    assert.throws(() => m.loadStateDict({ weight: torch.zeros([3, 2]) }), /loadStateDict: missing keys: bias/);
    assert.throws(() => m.loadStateDict({ weight: torch.zeros([3, 2]), bias: torch.zeros(3), extra: torch.zeros(1) }), /unexpected keys: extra/);
    assert.throws(() => m.loadStateDict({ weight: torch.zeros([2, 2]), bias: torch.zeros(3) }), /size mismatch for weight: checkpoint has \[2, 2\], the model \[3, 2\]/);
    const r = m.loadStateDict({ weight: torch.ones([3, 2]) }, false);
    assert.deepEqual(r.missingKeys, ['bias']);
    assert.deepEqual(m.weight.tolist(), [[1, 1], [1, 1], [1, 1]]);
  });
});
