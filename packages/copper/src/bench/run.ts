/**
 * Benchmark of the photo pipeline: `npm run bench -w packages/copper`.
 *
 * On photo-sized JPEGs (default 1,200 of 500x375 at quality 90, generated once with libvips and
 * cached under packages/copper/.bench/), trains simple_cnn at 64 px, batch 32, 2 loader workers,
 * 2 epochs, and prints images/s of:
 *   - the loader alone (decode + resize + flip + normalize into batches for the same epochs),
 *   - the network alone (the same batches already in memory),
 *   - copper_train end to end (the train task through Hydra, as the CLI runs it),
 *   - Python PyTorch with a DataLoader + PIL (same files, network, batch and workers), when a
 *     python3 with torch, torchvision and PIL is found (PYTHON=... to choose one), and the ratio.
 *   - strategy=ddp: copper_train with trainer.devices=1 and =2 (CPU, Gloo; each process with the
 *     same batch and loader workers), images/s over the epochs after the first (process start and
 *     rendezvous left out) and the scaling 2 processes / 1.
 * Options: --images N (total, default 1200), --size S (64), --batch B (32), --workers W (2),
 * --epochs E (2), --ddp-epochs E (3; 0 skips the DDP runs), --no-python, --only-ddp (just the DDP runs).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import * as torch from '@copper/torch';
import { runHydra } from '@copper/hydra';
import { ImageFolderDataModule } from '../data/datamodule.js';
import { ImageClassifier } from '../models/classifier.js';
import { SimpleCNN } from '../models/nets.js';
import { train } from '../tasks/train.js';
import { Rng } from '../utils/rng.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '1200' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    workers: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '2' },
    'ddp-epochs': { type: 'string', default: '3' },
    'no-python': { type: 'boolean', default: false },
    'only-ddp': { type: 'boolean', default: false },
  },
});
const total = Number(values.images);
const size = Number(values.size);
const batch = Number(values.batch);
const workers = Number(values.workers);
const epochs = Number(values.epochs);
const onlyDdp = values['only-ddp'];
const PKG = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG_DIR = join(PKG, 'configs');

/** A photo-like 500x375 image: smooth structure at several scales, a tint per class, grain. */
async function photo(label: number, rng: Rng): Promise<Buffer> {
  const W = 500;
  const H = 375;
  const layers: Buffer[] = [];
  for (const [w, h] of [[8, 6], [32, 24], [125, 94]] as const) {
    const small = Buffer.alloc(w * h * 3);
    for (let i = 0; i < small.length; i++) small[i] = Math.floor(rng.next() * 256);
    layers.push(await sharp(small, { raw: { width: w, height: h, channels: 3 } }).resize(W, H, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer());
  }
  const px = Buffer.alloc(W * H * 3);
  const tint = label === 0 ? [30, 0, -30] : [-30, 0, 30];
  for (let i = 0; i < px.length; i++) {
    const v = 0.55 * layers[0]![i]! + 0.3 * layers[1]![i]! + 0.15 * layers[2]![i]! + tint[i % 3]! + (rng.next() - 0.5) * 24;
    px[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return sharp(px, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function dataset(): Promise<string> {
  const root = join(PKG, '.bench', `photos-${total}-500x375-q90`);
  if (existsSync(join(root, '.complete'))) return root;
  console.log(`generating ${total} photo-sized JPEGs in ${root} (once)...`);
  const tmp = `${root}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const rng = new Rng(20261204);
  for (const [label, cls] of ['Cat', 'Dog'].entries()) {
    mkdirSync(join(tmp, cls), { recursive: true });
    const n = label === 0 ? Math.ceil(total / 2) : Math.floor(total / 2);
    for (let i = 0; i < n; i++) writeFileSync(join(tmp, cls, `${i}.jpg`), await photo(label, rng));
  }
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  return root;
}

const PYTHON_SCRIPT = String.raw`
import sys, time, torch, torchvision
from torch import nn
from torchvision import datasets, transforms
root, size, batch, workers, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.manual_seed(0)
tf = transforms.Compose([transforms.Resize((size, size)), transforms.RandomHorizontalFlip(0.5), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
ds = datasets.ImageFolder(root, transform=tf)
dl = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers)
layers, c = [], 3
for o in [16, 32, 64]:
    layers += [nn.Conv2d(c, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
    c = o
net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 2))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net.train()
t0 = time.perf_counter()
n = 0
for e in range(epochs):
    for x, y in dl:
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        n += len(y)
print(n, time.perf_counter() - t0)
`;

function findPython(): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function line(name: string, images: number, seconds: number): number {
  const rate = images / seconds;
  console.log(`${name.padEnd(58)} ${rate.toFixed(0).padStart(6)} images/s  (${images} images, ${seconds.toFixed(2)} s)`);
  return rate;
}

const root = await dataset();
const nFiles = readdirSync(join(root, 'Cat')).length + readdirSync(join(root, 'Dog')).length;
console.log(
  `photo pipeline benchmark: ${nFiles} JPEGs 500x375 q90 -> ${size}x${size}, simple_cnn, batch ${batch}, ${workers} loader workers, ${epochs} epochs; ` +
    `${cpus().length} CPUs, libtorch ${torch.libtorchVersion} (${torch.getNumThreads()} threads), libvips ${sharp.versions.vips}`,
);

// the loader alone: the same epochs of decoded, augmented, normalized batches, no training
const common = { data_dir: root, image_size: size, batch_size: batch, num_workers: workers, train_val_test_split: [1, 0, 0], seed: 1, dvc_checkout: false };
const batches: { x: torch.Tensor; y: torch.Tensor }[] = [];
if (!onlyDdp) {
  const dm = new ImageFolderDataModule(common);
  await dm.prepareData();
  dm.setup();
  const t0 = performance.now();
  let n = 0;
  for (let e = 0; e < epochs; e++) {
    const loader = dm.trainDataloader();
    loader.epoch = e;
    for await (const b of loader) {
      n += b.y.shape[0]!;
      if (e === 0) batches.push({ x: torch.keep(b.x), y: torch.keep(b.y) });
      else torch.dispose([b.x, b.y]);
    }
  }
  line(`loader alone (decode+resize+flip+normalize, ${workers} workers)`, n, (performance.now() - t0) / 1000);
  await dm.teardown();
}

// the network alone on those batches in memory
if (!onlyDdp) {
  torch.manualSeed(0);
  const m = new ImageClassifier({ net: new SimpleCNN({ num_classes: 2 }) });
  const opt = m.configureOptimizers().optimizer;
  m.train();
  const t0 = performance.now();
  let n = 0;
  for (let e = 0; e < epochs; e++) {
    for (const b of batches) {
      torch.tidy(() => torch.F.crossEntropy(m.forward(b.x), b.y).backward());
      opt.step();
      opt.zeroGrad();
      n += b.y.shape[0]!;
    }
  }
  line('network alone (batches already in memory)', n, (performance.now() - t0) / 1000);
  for (const b of batches) torch.dispose([b.x, b.y]);
}

/** The train task's overrides every copper run of this bench shares (`extra` go before test/seed). */
function trainOverrides(maxEpochs: number, out: string, extra: string[] = []): string[] {
  return [
    `data.data_dir=${root}`,
    `data.image_size=${size}`,
    `data.batch_size=${batch}`,
    `data.num_workers=${workers}`,
    'data.train_val_test_split=[1,0,0]',
    'data.dvc_checkout=False',
    'model=simple_cnn',
    'callbacks=none',
    'logger=[]',
    `trainer.max_epochs=${maxEpochs}`,
    'trainer.min_epochs=1',
    'trainer.num_sanity_val_steps=0',
    ...extra,
    'test=False',
    'seed=1',
    `paths.root_dir=${out}`,
    `hydra.run.dir=${out}/run`,
  ];
}

// copper_train end to end: the train task through Hydra, as the CLI runs it
let copperRate = 0;
if (!onlyDdp) {
  const out = join(tmpdir(), `copper-bench-${process.pid}`);
  const argv = trainOverrides(epochs, out);
  let seconds = 0;
  try {
    await runHydra({ configPath: CONFIG_DIR, configName: 'train', argv, quiet: true, jobName: 'train' }, async (cfg: any) => {
      const t0 = performance.now();
      await train(cfg);
      seconds = (performance.now() - t0) / 1000;
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  copperRate = line(`copper_train end to end (${workers} workers)`, nFiles * epochs, seconds);
}

// Python PyTorch DataLoader + PIL on the same files and network
if (!values['no-python'] && !onlyDdp) {
  const py = findPython();
  if (!py) console.log('python: no python3 with torch, torchvision and PIL found (PYTHON=...): Python baseline skipped');
  else {
    const r = spawnSync(py, ['-c', PYTHON_SCRIPT, root, String(size), String(batch), String(workers), String(epochs)], { encoding: 'utf8' });
    const m = /^(\d+) ([\d.]+)\s*$/m.exec(r.stdout ?? '');
    if (r.status !== 0 || !m) console.log(`python: the baseline failed (${(r.stderr || r.stdout || '').trim().split('\n').pop()})`);
    else {
      const pyRate = line(`Python PyTorch DataLoader+PIL (${workers} workers)`, Number(m[1]), Number(m[2]));
      console.log(`copper_train / Python: ${(copperRate / pyRate).toFixed(2)}x`);
    }
  }
}

// strategy=ddp: 1 vs 2 processes through the CLI (rank 0 starts rank 1 by running the command again)
const ddpEpochs = Number(values['ddp-epochs']);
if (ddpEpochs >= 2) {
  const rates: number[] = [];
  for (const devices of [1, 2]) {
    const out = join(tmpdir(), `copper-bench-ddp-${process.pid}-${devices}`);
    const args = [
      join(PKG, 'dist', 'cli', 'train.js'),
      ...trainOverrides(ddpEpochs, out, [`trainer.devices=${devices}`, `trainer.strategy=${devices > 1 ? 'ddp' : 'auto'}`]),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    rmSync(out, { recursive: true, force: true });
    // the epochs after the first, from the timestamps of the `Epoch N:` log lines
    const stamps = [...(r.stdout ?? '').matchAll(/^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\]\S* - Epoch \d+:/gm)].map((m) => Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`));
    if (r.status !== 0 || stamps.length !== ddpEpochs) {
      console.log(`ddp devices=${devices}: the run failed (${(r.stderr || r.stdout || '').trim().split('\n').pop()})`);
      break;
    }
    const secs = (stamps[stamps.length - 1]! - stamps[0]!) / 1000;
    rates.push(line(`copper_train strategy=ddp devices=${devices} (${workers} workers each)`, nFiles * (ddpEpochs - 1), secs));
  }
  if (rates.length === 2) {
    const cores = cpus().length;
    console.log(
      `ddp scaling, 2 processes / 1: ${(rates[1]! / rates[0]!).toFixed(2)}x on ${cores} CPU${cores === 1 ? '' : 's'}` +
        (cores <= 2 ? ' (each process and its loader workers share the same cores: expect little gain here)' : ''),
    );
  }
}
