// The data layer: decoding, resizing, the image folder, splits, loaders with and without workers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@copper/torch';
import { makeData, scratch, PKG_DIR } from './helpers.js';
import { decodeImage, encodeJpeg, encodePng } from '../src/data/image.js';
import { ImageFolder, splitSamples } from '../src/data/image-folder.js';
import { DataLoader, DecodePool } from '../src/data/loader.js';
import { parseTransforms } from '../src/data/transforms.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { Rng } from '../src/utils/rng.js';
import { syntheticImage, writeSyntheticDataset } from '../src/data/synthetic.js';

function solid(w: number, h: number, rgb: [number, number, number]) {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, data };
}

describe('images', () => {
  test('PNG round-trips exactly; JPEG closely; format from magic bytes, not the name', async () => {
    const img = syntheticImage(0, 16, new Rng(1));
    const back = await decodeImage(encodePng(img));
    assert.deepEqual({ ...back, data: Buffer.from(back.data) }, { width: 16, height: 16, channels: 3, data: Buffer.from(img.data) });
    const jpg = await decodeImage(encodeJpeg(img, 95));
    assert.equal(jpg.width, 16);
    assert.equal(jpg.height, 16);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(jpg.data[i]! - img.data[i]!);
    assert.ok(err / img.data.length < 12, `mean abs error ${err / img.data.length}`);
  });

  test('bad bytes give a short reason', async () => {
    await assert.rejects(decodeImage(Buffer.from('hello')), /not an image format libvips reads/);
    await assert.rejects(decodeImage(Buffer.alloc(0)), /empty file/);
    await assert.rejects(decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2])));
  });
});

describe('image folder and loaders', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  before(() => {
    ({ dir, cleanup } = scratch());
    root = makeData(dir, 10);
  });
  after(() => cleanup());

  test('classes are the sorted folder names; files sorted; other files ignored', () => {
    mkdirSync(join(root, 'Cat'), { recursive: true });
    writeFileSync(join(root, 'notes.txt'), 'x');
    writeFileSync(join(root, 'Cat', 'readme.md'), 'x');
    const f = new ImageFolder(root);
    assert.deepEqual(f.classes, ['Cat', 'Dog']);
    assert.equal(f.length, 20);
    assert.equal(f.samples[0]!.label, 0);
    assert.equal(f.samples[19]!.label, 1);
    const cats = f.samples.filter((s) => s.label === 0).map((s) => s.path);
    assert.deepEqual(cats, [...cats].sort());
  });

  test('the synthetic generator never overwrites different files without force', () => {
    const d = join(dir, 'synth');
    writeSyntheticDataset(d, { perClass: 2, size: 8, seed: 1 });
    writeSyntheticDataset(d, { perClass: 2, size: 8, seed: 1 });
    assert.throws(() => writeSyntheticDataset(d, { perClass: 2, size: 8, seed: 2 }), /exists and differs: not overwriting it/);
    writeSyntheticDataset(d, { perClass: 2, size: 8, seed: 2, force: true });
    assert.deepEqual(readdirSync(join(d, 'Cat')), ['Cat_0000.jpg', 'Cat_0001.jpg']);
  });

  test('empty or missing folders are clear errors', () => {
    assert.throws(() => new ImageFolder(join(dir, 'nope')), /cannot be read/);
    mkdirSync(join(dir, 'empty'));
    assert.throws(() => new ImageFolder(join(dir, 'empty')), /no class sub-folders/);
  });

  test('splits: fractions or counts, same seed same split, disjoint', () => {
    const f = new ImageFolder(root);
    const a = splitSamples(f.samples, [0.6, 0.2, 0.2], new Rng(7).shuffle(f.samples));
    const b = splitSamples(f.samples, [0.6, 0.2, 0.2], new Rng(7).shuffle(f.samples));
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((x) => x.length), [12, 4, 4]);
    const all = new Set(a.flat().map((s) => s.path));
    assert.equal(all.size, 20);
    const c = splitSamples(f.samples, [10, 5, 5], new Rng(7).shuffle(f.samples));
    assert.deepEqual(c.map((x) => x.length), [10, 5, 5]);
    assert.throws(() => splitSamples(f.samples, [0.5, 0.2, 0.2], f.samples), /sum to 1/);
    assert.throws(() => splitSamples(f.samples, [30, 5, 5], f.samples), /asks for 40 images/);
  });

  test('worker threads give the same batches as the main thread, in order', async () => {
    const f = new ImageFolder(root);
    const pool = new DecodePool(2);
    try {
      const transforms = parseTransforms([{ RandomResizedCrop: { size: 16, scale: [0.5, 1] } }, { RandomHorizontalFlip: 0.5 }, { ColorJitter: { brightness: 0.3, hue: 0.1 } }, { RandomRotation: 10 }], 't', 3);
      const opts = { batchSize: 6, imageSize: 16, shuffle: true, seed: 3, transforms };
      const a = new DataLoader(f.samples, opts);
      const b = new DataLoader(f.samples, { ...opts, pool });
      a.epoch = b.epoch = 1;
      const xs: number[][] = [];
      const ys: number[][] = [];
      for await (const batch of a) {
        assert.deepEqual(batch.x.shape.slice(1), [3, 16, 16]);
        assert.equal(batch.x.dtype, 'float32');
        assert.equal(batch.y.dtype, 'int64');
        xs.push(Array.from(batch.x.toArray() as Float32Array));
        ys.push(Array.from(batch.y.toArray() as BigInt64Array, Number));
        torch.dispose([batch.x, batch.y]);
      }
      assert.equal(xs.length, 4);
      assert.equal(a.length, 4);
      let i = 0;
      for await (const batch of b) {
        assert.deepEqual(Array.from(batch.x.toArray() as Float32Array), xs[i]);
        assert.deepEqual(Array.from(batch.y.toArray() as BigInt64Array, Number), ys[i]);
        torch.dispose([batch.x, batch.y]);
        i++;
      }
      assert.equal(i, 4);
      // another epoch shuffles differently
      a.epoch = 2;
      const first: number[] = [];
      for await (const batch of a) {
        first.push(...Array.from(batch.y.toArray() as BigInt64Array, Number));
        torch.dispose([batch.x, batch.y]);
      }
      assert.notDeepEqual(first, ys.flat());
      assert.deepEqual([...first].sort(), [...ys.flat()].sort());
    } finally {
      await pool.close();
    }
  });

  test('values are normalized with mean/std', async () => {
    const d = join(dir, 'solid', 'A');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'a.png'), encodePng(solid(8, 8, [255, 0, 128])));
    const l = new DataLoader(new ImageFolder(join(dir, 'solid')).samples, { batchSize: 1, imageSize: 4, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    for await (const b of l) {
      const v = b.x.mean([2, 3]).tolist() as number[][];
      assert.ok(Math.abs(v[0]![0]! - 1) < 1e-6 && Math.abs(v[0]![1]! + 1) < 1e-6 && Math.abs(v[0]![2]! - (128 / 255 - 0.5) / 0.5) < 1e-6);
      torch.dispose([b.x, b.y]);
    }
  });

  test('broken images are skipped with one warning each', async () => {
    const bad = join(dir, 'bad');
    makeData(bad, 3);
    writeFileSync(join(bad, 'data', 'PetImages', 'Cat', 'Cat_9999.jpg'), 'not an image');
    writeFileSync(join(bad, 'data', 'PetImages', 'Dog', 'Dog_9999.jpg'), Buffer.alloc(0));
    // a JPEG cut short (as PetImages has): skipped too, as PIL refuses it
    writeFileSync(join(bad, 'data', 'PetImages', 'Dog', 'Dog_9998.jpg'), readFileSync(join(PKG_DIR, 'test', 'fixtures', 'images', 'truncated.jpg')));
    const warnings: string[] = [];
    for (const pool of [null, new DecodePool(1)]) {
      const l = new DataLoader(new ImageFolder(join(bad, 'data', 'PetImages')).samples, { batchSize: 4, imageSize: 8, pool, warn: (m) => warnings.push(m) });
      let n = 0;
      for (let epoch = 0; epoch < 2; epoch++) {
        for await (const b of l) {
          n += b.y.shape[0]!;
          torch.dispose([b.x, b.y]);
        }
      }
      await pool?.close();
      assert.equal(n, 12, 'the 6 good images, twice');
    }
    assert.equal(warnings.length, 6, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('Cat_9999.jpg') && w.includes('not an image format')));
    // libvips keeps one error text for all its threads: the reason for a cut-short JPEG reads
    // 'premature end of JPEG' or, now and then, another decoder message; the file is always named.
    assert.ok(warnings.some((w) => w.includes('Dog_9998.jpg')), warnings.join('\n'));
  });

  test('data module: split by seed, loaders share one worker pool', async () => {
    const dm = new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 4, num_workers: 2, train_val_test_split: [0.5, 0.25, 0.25], seed: 1 });
    await dm.prepareData();
    dm.setup();
    assert.deepEqual(dm.classes, ['Cat', 'Dog']);
    assert.deepEqual([dm.train.length, dm.val.length, dm.test.length], [10, 5, 5]);
    let n = 0;
    for await (const b of dm.valDataloader()) {
      n += b.y.shape[0]!;
      torch.dispose([b.x, b.y]);
    }
    assert.equal(n, 5);
    await dm.teardown();
    assert.deepEqual(readdirSync(root).sort(), ['Cat', 'Dog', 'notes.txt']);
    assert.throws(() => new ImageFolderDataModule({ data_dir: root, num_workers: -1 }), /num_workers/);
  });
});

describe('image formats against ImageMagick', () => {
  const FIX = join(PKG_DIR, 'test', 'fixtures', 'images');
  function ppm(b: Buffer) {
    const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(b.toString('latin1'))!;
    return { width: Number(m[1]), height: Number(m[2]), data: b.subarray(m[0].length) };
  }
  const cases: [string, number][] = [
    ['baseline.jpg', 0], ['progressive.jpg', 0], ['gray.jpg', 0], ['cmyk.jpg', 0],
    ['rgb.png', 0], ['rgba.png', 0], ['rgb16.png', 0], ['palette.png', 0], ['gray.png', 0],
  ];
  for (const [name, tol] of cases) {
    test(`${name} decodes to ImageMagick's pixels (max difference ${tol})`, async () => {
      const img = await decodeImage(readFileSync(join(FIX, name)));
      const ref = ppm(readFileSync(join(FIX, `${name}.ppm`)));
      assert.equal(img.width, ref.width);
      assert.equal(img.height, ref.height);
      let max = 0;
      for (let i = 0; i < ref.data.length; i++) max = Math.max(max, Math.abs(ref.data[i]! - img.data[i]!));
      assert.ok(max <= tol, `max difference ${max}`);
    });
  }
  test('a GIF named .jpg decodes (format from the bytes); BMP and truncated files are refused with a reason', async () => {
    const gif = await decodeImage(readFileSync(join(FIX, 'gif.jpg')));
    const ref = ppm(readFileSync(join(FIX, 'rgb.png.ppm')));
    let sum = 0;
    for (let i = 0; i < ref.data.length; i++) sum += Math.abs(ref.data[i]! - gif.data[i]!);
    assert.ok(sum / ref.data.length < 2, 'a 256-colour GIF of rgb.png is close to it');
    await assert.rejects(decodeImage(readFileSync(join(FIX, 'bmp.jpg'))), /not an image format libvips reads/);
    await assert.rejects(decodeImage(readFileSync(join(FIX, 'truncated.jpg'))), /premature end of JPEG/);
  });
});
