/**
 * `npm run bench` in packages/torch: the CNN (conv3x3 32-64-128, each ReLU + maxpool,
 * global average pool, dense 2; 64x64x3 input, batch 32, Adam), training and inference images/s
 * in the default layout (NCHW) and channels-last, and the time of a small element-wise op, beside
 * the same network in Python PyTorch when `/usr/bin/python3 -c "import torch"` works.
 * Options: --steps N, --rounds N, --threads N, --no-python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../index.js';
import { F, nn, optim, type MemoryFormat, type Tensor } from '../index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const steps = opt('--steps', 20);
const rounds = opt('--rounds', 3);
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

type Rates = { train: number; infer: number; train_cpu: number; infer_cpu: number };
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

torch.manualSeed(0);
function setup(format: MemoryFormat) {
  const net = new Net().toMemoryFormat(format);
  const adam = new optim.Adam(net.parameters(), { lr: 1e-3 });
  const x = torch.keep(torch.randn([B, 3, 64, 64]).contiguous(format));
  const y = torch.keep(torch.randint(0, 2, [B]));
  return { net, adam, x, y };
}
const nets = { contiguous: setup('contiguous'), channelsLast: setup('channelsLast') };

function measureOurs(format: 'contiguous' | 'channelsLast'): Rates {
  const { net, adam, x, y } = nets[format];
  const trainStep = () =>
    torch.tidy(() => {
      adam.zeroGrad();
      F.crossEntropy(net.forward(x), y).backward();
      adam.step();
    });
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

type Result = { nchw: Rates; cl: Rates; op_us: number };
type PyJson = Rates & { cl_train: number; cl_infer: number; cl_train_cpu: number; cl_infer_cpu: number; op_us: number; threads: number; version: string };
const pyBin = '/usr/bin/python3';
const havePython =
  !args.includes('--no-python') && existsSync(pyBin) && spawnSync(pyBin, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'cnn.py');
function measurePython(): Result | null {
  const r = spawnSync(pyBin, [script, String(steps), String(torch.getNumThreads())], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`(python benchmark failed: ${r.stderr.trim().split('\n').pop()})`);
    return null;
  }
  const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as PyJson;
  return {
    nchw: { train: p.train, infer: p.infer, train_cpu: p.train_cpu, infer_cpu: p.infer_cpu },
    cl: { train: p.cl_train, infer: p.cl_infer, train_cpu: p.cl_train_cpu, infer_cpu: p.cl_infer_cpu },
    op_us: p.op_us,
  };
}

const bestRates = (a: Rates, b: Rates): Rates => ({
  train: Math.max(a.train, b.train),
  infer: Math.max(a.infer, b.infer),
  train_cpu: Math.max(a.train_cpu, b.train_cpu),
  infer_cpu: Math.max(a.infer_cpu, b.infer_cpu),
});
const best = (a: Result | null, b: Result): Result =>
  a ? { nchw: bestRates(a.nchw, b.nchw), cl: bestRates(a.cl, b.cl), op_us: Math.min(a.op_us, b.op_us) } : b;

// Alternate rounds of both, keep each side's best: the machine may be shared and timings noisy.
let ours: Result | null = null;
let py: Result | null = null;
for (let r = 0; r < rounds; r++) {
  ours = best(ours, { nchw: measureOurs('contiguous'), cl: measureOurs('channelsLast'), op_us: measureOp() });
  if (havePython) {
    const p = measurePython();
    if (p) py = best(py, p);
  }
}
const o = ours!;

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(9);
console.log(
  `@copper/torch bench: CNN 32-64-128, batch ${B}, 64x64x3, Adam; libtorch ${torch.libtorchVersion}, ${torch.getNumThreads()} thread(s), ${steps} steps, best of ${rounds} alternating rounds`,
);
console.log(`${''.padEnd(30)}   copper   pytorch    ratio`);
const row = (name: string, ours: number, theirs: number | undefined, note: string, ratio = true) => {
  const r = theirs === undefined || !ratio ? '' : `${(ours / theirs).toFixed(2)}x`;
  console.log(`${name.padEnd(30)}${fmt(ours)}${fmt(theirs)}${r.padStart(9)}   ${note}`);
};
row('train (images/s)', o.nchw.train, py?.nchw.train, 'target >= 0.90x');
row('infer (images/s)', o.nchw.infer, py?.nchw.infer, 'target >= 1.00x');
row('train (images/cpu-s)', o.nchw.train_cpu, py?.nchw.train_cpu, 'per CPU-second: steadier on a busy machine');
row('infer (images/cpu-s)', o.nchw.infer_cpu, py?.nchw.infer_cpu, '');
row('train channels-last (img/s)', o.cl.train, py?.cl.train, 'both sides channels-last');
row('infer channels-last (img/s)', o.cl.infer, py?.cl.infer, '');
row('per-op time, add (us)', o.op_us, py?.op_us, 'target <= ~5 us', false);
console.log("(copper keeps freed blocks up to 32 MiB in glibc's heap, see src/native/addon.cc; COPPER_TORCH_MALLOC=default turns that off. Python runs with glibc's defaults.)");
if (!py) console.log('(Python PyTorch not available: /usr/bin/python3 -c "import torch" failed; no comparison)');
