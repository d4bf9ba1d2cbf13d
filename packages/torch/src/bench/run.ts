/**
 * `npm run bench` in packages/torch: the CNN (conv3x3 32-64-128, each ReLU + maxpool,
 * global average pool, dense 2; 64x64x3 input, batch 32, Adam), training and inference images/s,
 * and the per-op overhead of a small element-wise op, beside the same network in Python PyTorch
 * when `/usr/bin/python3 -c "import torch"` works. Options: --steps N, --rounds N, --threads N, --no-python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../index.js';
import { F, nn, optim, type Tensor } from '../index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const steps = opt('--steps', 20);
const threads = opt('--threads', 0);
if (threads > 0) torch.setNumThreads(threads);
const B = 32;

class Net extends nn.Module {
  c1 = new nn.Conv2d(3, 32, 3, { padding: 1 });
  c2 = new nn.Conv2d(32, 64, 3, { padding: 1 });
  c3 = new nn.Conv2d(64, 128, 3, { padding: 1 });
  fc = new nn.Linear(128, 2);
  forward(x: Tensor): Tensor {
    let h = F.maxPool2d(this.c1.forward(x).relu_(), 2);
    h = F.maxPool2d(this.c2.forward(h).relu_(), 2);
    h = F.maxPool2d(this.c3.forward(h).relu_(), 2);
    return this.fc.forward(h.mean([2, 3]));
  }
}

torch.manualSeed(0);
const net = new Net();
const adam = new optim.Adam(net.parameters(), { lr: 1e-3 });
const x = torch.keep(torch.randn([B, 3, 64, 64]));
const y = torch.keep(torch.randint(0, 2, [B]));

const trainStep = () =>
  torch.tidy(() => {
    adam.zeroGrad();
    const loss = F.crossEntropy(net.forward(x), y);
    loss.backward();
    adam.step();
  });

type Rates = { train: number; infer: number; train_cpu: number; infer_cpu: number };
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

function measureOurs(): Rates {
  net.train();
  for (let i = 0; i < 3; i++) trainStep();
  let t = performance.now();
  let c = process.cpuUsage();
  for (let i = 0; i < steps; i++) trainStep();
  const train = (steps * B) / ((performance.now() - t) / 1000);
  const train_cpu = (steps * B) / cpuSeconds(c);
  net.eval();
  return torch.noGrad(() => {
    for (let i = 0; i < 3; i++) torch.tidy(() => net.forward(x).dispose());
    t = performance.now();
    c = process.cpuUsage();
    for (let i = 0; i < steps; i++) torch.tidy(() => net.forward(x).dispose());
    const infer = (steps * B) / ((performance.now() - t) / 1000);
    return { train, train_cpu, infer, infer_cpu: (steps * B) / cpuSeconds(c) };
  });
}

function measureOp(): number {
  const a = torch.keep(torch.ones([4]));
  const b = torch.keep(torch.ones([4]));
  const n = 100000;
  for (let i = 0; i < 1000; i++) a.add(b).dispose();
  const t = performance.now();
  for (let i = 0; i < n; i++) a.add(b).dispose();
  return ((performance.now() - t) / n) * 1000;
}

type PyResult = Rates & { op_us: number; threads: number; version: string };
const pyBin = '/usr/bin/python3';
const havePython =
  !args.includes('--no-python') && existsSync(pyBin) && spawnSync(pyBin, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'cnn.py');
function measurePython(): PyResult | null {
  const r = spawnSync(pyBin, [script, String(steps), String(torch.getNumThreads())], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`(python benchmark failed: ${r.stderr.trim().split('\n').pop()})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PyResult;
}

// Alternate rounds of both, keep each side's best: the machine is shared and timings are noisy.
const rounds = opt('--rounds', 3);
let ours: Rates = { train: 0, infer: 0, train_cpu: 0, infer_cpu: 0 };
const best = (a: Rates, b: Rates): Rates => ({
  train: Math.max(a.train, b.train),
  infer: Math.max(a.infer, b.infer),
  train_cpu: Math.max(a.train_cpu, b.train_cpu),
  infer_cpu: Math.max(a.infer_cpu, b.infer_cpu),
});
let opUs = Infinity;
let py: PyResult | null = null;
for (let r = 0; r < rounds; r++) {
  const o = measureOurs();
  ours = best(ours, o);
  opUs = Math.min(opUs, measureOp());
  if (havePython) {
    const p = measurePython();
    if (p) py = py ? { ...p, ...best(py, p), op_us: Math.min(py.op_us, p.op_us) } : p;
  }
}
const train = ours.train;
const infer = ours.infer;

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(9);
console.log(
  `@copper/torch bench: CNN 32-64-128, batch ${B}, 64x64x3, Adam; libtorch ${torch.libtorchVersion}, ${torch.getNumThreads()} thread(s), ${steps} steps, best of ${rounds} alternating rounds`,
);
console.log(`${''.padEnd(26)}   copper   pytorch    ratio`);
const row = (name: string, ours: number, theirs: number | undefined, target: string) => {
  const ratio = theirs === undefined || name.startsWith('per-op') ? '' : `${(ours / theirs).toFixed(2)}x`;
  console.log(`${name.padEnd(26)}${fmt(ours)}${fmt(theirs)}${ratio.padStart(9)}   ${target}`);
};
row('train (images/s)', train, py?.train, 'target >= 0.90x');
row('infer (images/s)', infer, py?.infer, 'target >= 1.00x');
row('train (images/cpu-s)', ours.train_cpu, py?.train_cpu, 'per CPU-second: steadier on a busy machine');
row('infer (images/cpu-s)', ours.infer_cpu, py?.infer_cpu, '');
row('per-op time, add (us)', opUs, py?.op_us, 'target <= ~5 us');
console.log('(copper keeps freed blocks up to 32 MiB in glibc\'s heap, see src/native/addon.cc; COPPER_TORCH_MALLOC=default turns that off. Python runs with glibc\'s defaults.)');
if (!py) console.log('(Python PyTorch not available: /usr/bin/python3 -c "import torch" failed; no comparison)');
