/**
 * Benchmark: images/s of training and inference through the template (DataLoader with JPEG
 * decoding in 0 or N workers + Trainer) against a raw @copper/torch loop over tensors already in
 * memory (the cost of data loading and the Trainer's bookkeeping). `npm run bench -w packages/copper`
 * Options: --images N (per class, default 256), --size S (model input, default 32), --epochs E (2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@copper/torch';
import { writeSyntheticDataset } from '../data/synthetic.js';
import { ImageFolderDataModule } from '../data/datamodule.js';
import { ImageClassifier } from '../models/classifier.js';
import { SimpleCNN } from '../models/nets.js';
import { Trainer } from '../trainer/trainer.js';
import { loadPredictor } from '../tasks/infer.js';
import { ModelCheckpoint } from '../callbacks/model-checkpoint.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '256' }, size: { type: 'string', default: '32' }, epochs: { type: 'string', default: '2' }, batch: { type: 'string', default: '32' } } });
const perClass = Number(values.images);
const size = Number(values.size);
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);

function makeModel() {
  torch.manualSeed(0);
  return new ImageClassifier({ net: new SimpleCNN({ num_classes: 2 }), optimizer: (p) => new torch.optim.Adam(p, { lr: 1e-3 }) as never });
}

const rows: [string, number][] = [];
function report(name: string, images: number, ms: number) {
  const rate = images / (ms / 1000);
  rows.push([name, rate]);
  console.log(`${name.padEnd(52)} ${rate.toFixed(0).padStart(8)} images/s  (${images} images, ${(ms / 1000).toFixed(2)} s)`);
}

const work = mkdtempSync(join(tmpdir(), 'copper-bench-'));
try {
  const root = join(work, 'PetImages');
  writeSyntheticDataset(root, { perClass, size: 64, seed: 7 });
  console.log(`copper template benchmark: ${2 * perClass} JPEGs of 64x64 -> ${size}x${size}, batch ${batchSize}, ${epochs} epochs, ${cpus().length} CPUs, libtorch ${torch.libtorchVersion} (${torch.getNumThreads()} threads)`);
  const dm0 = new ImageFolderDataModule({ data_dir: root, image_size: size, batch_size: batchSize, num_workers: 0, train_val_test_split: [1, 0, 0], seed: 1, hflip: 0.5, dvc_checkout: false });
  await dm0.prepareData();
  dm0.setup();
  const n = dm0.train.length;

  // decoded once into memory for the raw loops
  const batches: { x: torch.Tensor; y: torch.Tensor }[] = [];
  for await (const b of dm0.trainDataloader()) batches.push({ x: torch.keep(b.x), y: torch.keep(b.y) });

  // raw @copper/torch training loop
  {
    const m = makeModel();
    const opt = m.configureOptimizers().optimizer;
    m.train();
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) {
      for (const b of batches) {
        torch.tidy(() => torch.F.crossEntropy(m.forward(b.x), b.y).backward());
        opt.step();
        opt.zeroGrad();
      }
    }
    report('train: raw torch loop (tensors in memory)', n * epochs, performance.now() - t0);
  }

  // the Trainer with decoding in the main thread / in workers
  for (const workers of [0, 2]) {
    const dm = new ImageFolderDataModule({ data_dir: root, image_size: size, batch_size: batchSize, num_workers: workers, train_val_test_split: [1, 0, 0], seed: 1, hflip: 0.5, dvc_checkout: false });
    const t = new Trainer({ max_epochs: epochs, num_sanity_val_steps: 0, limit_val_batches: 0, info: () => {} });
    const t0 = performance.now();
    await t.fit(makeModel(), dm);
    report(`train: Trainer + DataLoader (num_workers=${workers})`, n * epochs, performance.now() - t0);
    await dm.teardown();
  }

  // inference
  const m = makeModel();
  m.eval();
  {
    const t0 = performance.now();
    for (const b of batches) torch.noGrad(() => torch.tidy(() => m.predictStep(b.x)));
    report('infer: raw torch forward (tensors in memory)', n, performance.now() - t0);
  }
  for (const workers of [0, 2]) {
    const dm = new ImageFolderDataModule({ data_dir: root, image_size: size, batch_size: batchSize, num_workers: workers, train_val_test_split: [0, 0, 1], seed: 1, dvc_checkout: false });
    const t = new Trainer({ info: () => {} });
    const t0 = performance.now();
    await t.test(m, dm);
    report(`infer: Trainer.test + DataLoader (num_workers=${workers})`, n, performance.now() - t0);
    await dm.teardown();
  }
  {
    const ckDir = join(work, 'ck');
    const cb = new ModelCheckpoint({ dirpath: ckDir, save_last: true });
    const dm = new ImageFolderDataModule({ data_dir: root, image_size: size, batch_size: batchSize, train_val_test_split: [1, 0, 0], dvc_checkout: false });
    const mm = makeModel();
    mm.hparams = { model: { _target_: 'copper.models.ImageClassifier', net: { _target_: 'copper.models.SimpleCNN', num_classes: 2 } }, classes: ['Cat', 'Dog'], image_size: size };
    await new Trainer({ max_epochs: 1, limit_train_batches: 1, limit_val_batches: 0, callbacks: [cb], info: () => {} }).fit(mm, dm);
    const p = loadPredictor(join(ckDir, 'last.ckpt'));
    const files = dm0.train.slice(0, 100).map((s) => s.path);
    const t0 = performance.now();
    for (const f of files) p.predict(f, 2);
    report('infer: copper_infer path, one image at a time', files.length, performance.now() - t0);
    const t1 = performance.now();
    p.predictMany(files, 2, 32);
    report('infer: copper_infer on a folder (batches of 32)', files.length, performance.now() - t1);
  }
  const raw = rows.find((r) => r[0].startsWith('train: raw'))![1];
  for (const [name, rate] of rows.filter((r) => r[0].startsWith('train: Trainer'))) console.log(`${name}: ${((rate / raw) * 100).toFixed(0)}% of the raw loop`);
  for (const b of batches) torch.dispose([b.x, b.y]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
