// The image pipeline: formats libvips reads into batches, channels as PIL converts them, and the
// torchvision transforms compared with torchvision itself (Debian's python3-torchvision).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import * as torch from '@copper/torch';
import { scratch, PKG_DIR } from './helpers.js';
import { decodeImage, loadImage } from '../src/data/image.js';
import { parseTransforms, randomResizedCropParams, type TransformSpec } from '../src/data/transforms.js';
import { ImageFolder } from '../src/data/image-folder.js';
import { DataLoader, DecodePool } from '../src/data/loader.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { Rng } from '../src/utils/rng.js';

const FIX = join(PKG_DIR, 'test', 'fixtures', 'images');
const rgbRef = (name = 'rgb.png') => {
  const b = readFileSync(join(FIX, `${name}.ppm`));
  const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(b.toString('latin1'))!;
  return b.subarray(m[0].length);
};

/** A python3 with torch, torchvision and PIL, or null. */
function findPython(): string | null {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x)) {
    if (spawnSync(py, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}
const PY = findPython();

const TV_SCRIPT = String.raw`
import sys, json, torch
from PIL import Image
from torchvision import transforms as T
def mk(name, kw):
    kw = dict(kw)
    for k in ('size', 'scale', 'ratio', 'degrees', 'brightness', 'contrast', 'saturation', 'hue'):
        if isinstance(kw.get(k), list): kw[k] = tuple(kw[k])
    if 'interpolation' in kw: kw['interpolation'] = T.InterpolationMode(kw['interpolation'])
    return getattr(T, name)(**kw)
for c in json.loads(sys.stdin.read()):
    img = Image.open(c['file']).convert({1: 'L', 3: 'RGB', 4: 'RGBA'}[c['channels']])
    ts = [mk(n, kw) for n, kw in c['list']]
    ts = ([T.ToTensor()] + ts) if c.get('tensorFirst') else (ts + [T.ToTensor()])
    out = T.Compose(ts)(img).contiguous().numpy().astype('float32')
    sys.stdout.buffer.write(json.dumps(list(out.shape)).encode() + b'\n' + out.tobytes())
`;

type Case = { file: string; channels: number; list: [string, object][]; tensorFirst?: boolean };
/** torchvision's outputs for the cases, from one Python process: [shape, values] each. */
function torchvision(cases: Case[]): [number[], Float32Array][] {
  const script = TV_SCRIPT;
  const r = spawnSync(PY!, ['-c', script], { input: JSON.stringify(cases), maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr?.toString());
  const out: [number[], Float32Array][] = [];
  let pos = 0;
  for (let i = 0; i < cases.length; i++) {
    const nl = r.stdout.indexOf(10, pos);
    const shape = JSON.parse(r.stdout.subarray(pos, nl).toString()) as number[];
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    const body = r.stdout.subarray(nl + 1, nl + 1 + n);
    out.push([shape, new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + n))]);
    pos = nl + 1 + n;
  }
  return out;
}

async function copper(file: string, channels: number, list: [string, object][]) {
  const specs = parseTransforms(list.map(([n, kw]) => ({ [n]: kw })), 'test', channels);
  return loadImage(readFileSync(file), specs, { channels });
}

function diff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) * 255;
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('image formats into batches', () => {
  let dir: string;
  let cleanup: () => void;
  before(async () => {
    ({ dir, cleanup } = scratch());
    const a = join(dir, 'formats', 'A');
    mkdirSync(a, { recursive: true });
    await sharp(join(FIX, 'rgb.png')).webp({ lossless: true }).toFile(join(a, 'lossless.webp'));
    // an animated GIF: a red frame, then a blue one
    const frame = (rgb: number[]) => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } } }).png().toBuffer();
    await sharp([await frame([255, 0, 0]), await frame([0, 0, 255])], { join: { animated: true } }).gif().toFile(join(a, 'anim.gif'));
    copyFileSync(join(FIX, 'cmyk.jpg'), join(a, 'cmyk.jpg'));
    copyFileSync(join(FIX, 'gray.jpg'), join(a, 'gray.jpg'));
    copyFileSync(join(FIX, 'rgba.png'), join(a, 'rgba.png'));
  });
  after(() => cleanup());

  test('WebP, an animated GIF (its first frame), CMYK and grayscale JPEGs, RGBA PNGs load into one RGB batch', async () => {
    const folder = new ImageFolder(join(dir, 'formats'));
    assert.deepEqual(folder.samples.map((s) => s.path.split('/').pop()), ['anim.gif', 'cmyk.jpg', 'gray.jpg', 'lossless.webp', 'rgba.png']);
    const warnings: string[] = [];
    const l = new DataLoader(folder.samples, { batchSize: 8, imageSize: [30, 40], mean: [0], std: [1], warn: (m) => warnings.push(m) });
    const ref = rgbRef();
    for await (const b of l) {
      assert.deepEqual(b.x.shape, [5, 3, 30, 40]);
      const x = b.x.toArray() as Float32Array;
      const img = (i: number) => x.subarray(i * 3600, (i + 1) * 3600);
      const hwc = (v: Float32Array) => Array.from({ length: 3600 }, (_, i) => Math.round(v[(i % 3) * 1200 + Math.floor(i / 3)]! * 255));
      // first GIF frame: red
      assert.deepEqual([img(0)[0], img(0)[1200], img(0)[2400]].map((v) => Math.round(v! * 255)), [255, 0, 0]);
      // CMYK as (255 - C)(255 - K)/255, lossless WebP and RGBA (alpha dropped): ImageMagick's pixels
      assert.deepEqual(hwc(img(1)), Array.from(rgbRef('cmyk.jpg')), 'CMYK JPEG');
      for (const i of [3, 4]) assert.deepEqual(hwc(img(i)), Array.from(ref), `image ${i}`);
      // grayscale expanded to three equal channels
      const g = img(2);
      for (let i = 0; i < 1200; i += 97) assert.ok(g[i] === g[1200 + i] && g[i] === g[2400 + i]);
      torch.dispose([b.x, b.y]);
    }
    assert.deepEqual(warnings, []);
  });

  test('channels: 1 is PIL\'s L, 4 keeps alpha, 3 drops it; the batch has that many planes', async () => {
    const ref = rgbRef();
    const l = await decodeImage(readFileSync(join(FIX, 'rgb.png')), 1);
    assert.equal(l.channels, 1);
    for (let i = 0; i < 1200; i++) {
      const want = (ref[i * 3]! * 19595 + ref[i * 3 + 1]! * 38470 + ref[i * 3 + 2]! * 7471 + 0x8000) >> 16;
      assert.equal(l.data[i], want);
    }
    const rgba = await decodeImage(readFileSync(join(FIX, 'rgba.png')), 4);
    assert.equal(rgba.channels, 4);
    assert.ok(Math.abs(rgba.data[3]! - 128) <= 1, `alpha ${rgba.data[3]}`);
    assert.deepEqual(Array.from(rgba.data.subarray(0, 3)), Array.from(ref.subarray(0, 3)));
    const opaque = await decodeImage(readFileSync(join(FIX, 'rgb.png')), 4);
    assert.equal(opaque.data[3], 255);
    for (const channels of [1, 4]) {
      const loader = new DataLoader(new ImageFolder(join(dir, 'formats')).samples, { batchSize: 8, imageSize: 16, channels, mean: [0.5], std: [0.5] });
      for await (const b of loader) {
        assert.deepEqual(b.x.shape, [5, channels, 16, 16]);
        torch.dispose([b.x, b.y]);
      }
    }
  });
});

describe('transforms against torchvision', { skip: !PY && 'no python3 with torch, torchvision and PIL' }, () => {
  let dir: string;
  let cleanup: () => void;
  let photo: string;
  let small: string;
  before(async () => {
    ({ dir, cleanup } = scratch());
    // a photo-sized JPEG (smooth structure and grain) and a small PNG
    const rng = new Rng(5);
    const low = Buffer.alloc(25 * 19 * 3);
    for (let i = 0; i < low.length; i++) low[i] = Math.floor(rng.next() * 256);
    const big = await sharp(low, { raw: { width: 25, height: 19, channels: 3 } }).resize(500, 375, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer();
    for (let i = 0; i < big.length; i++) big[i] = Math.max(0, Math.min(255, big[i]! + Math.round((rng.next() - 0.5) * 30)));
    photo = join(dir, 'photo.jpg');
    small = join(dir, 'small.png');
    await sharp(big, { raw: { width: 500, height: 375, channels: 3 } }).jpeg({ quality: 90 }).toFile(photo);
    await sharp(big, { raw: { width: 500, height: 375, channels: 3 } }).resize(60, 45).png().toFile(small);
    const cases: Case[] = [
      ...exact.map(([, channels, list, tensorFirst]) => ({ file: small, channels, list, tensorFirst })),
      { file: photo, channels: 3, list: [['Resize', { size: [64, 64] }]] },
      { file: photo, channels: 1, list: [['Resize', { size: 72 }], ['CenterCrop', { size: 64 }]] },
      { file: small, channels: 3, list: [['Resize', { size: [30, 40] }]] },
    ];
    refs = torchvision(cases);
  });
  after(() => cleanup());
  let refs: [number[], Float32Array][] = [];

  const exact: [string, number, [string, object][], boolean?][] = [
    ['Resize shrinking a PNG', 3, [['Resize', { size: [30, 40] }]]],
    ['Resize enlarging', 3, [['Resize', { size: [90, 120] }]]],
    ['Resize enlarging, bicubic', 3, [['Resize', { size: [70, 100], interpolation: 'bicubic' }]]],
    ['Resize (shorter side) + CenterCrop', 3, [['Resize', { size: 50 }], ['CenterCrop', { size: 48 }]]],
    ['CenterCrop larger than the image (padding)', 3, [['CenterCrop', { size: [30, 70] }]]],
    ['RandomHorizontalFlip p=1, then CenterCrop', 3, [['RandomHorizontalFlip', { p: 1 }], ['CenterCrop', { size: [20, 30] }]]],
    ['RandomVerticalFlip p=1', 3, [['RandomVerticalFlip', { p: 1 }]]],
    ['RandomRotation 30 degrees (nearest)', 3, [['RandomRotation', { degrees: [30, 30] }]]],
    ['RandomRotation -50 degrees (bilinear)', 3, [['RandomRotation', { degrees: [-50, -50], interpolation: 'bilinear' }]]],
    ['RandomRotation on grayscale', 1, [['RandomRotation', { degrees: [12, 12] }]]],
    ['ColorJitter brightness', 3, [['ColorJitter', { brightness: [1.4, 1.4] }]], true],
    ['ColorJitter contrast', 3, [['ColorJitter', { contrast: [0.5, 0.5] }]], true],
    ['ColorJitter saturation', 3, [['ColorJitter', { saturation: [0.3, 0.3] }]], true],
    ['ColorJitter hue', 3, [['ColorJitter', { hue: [0.2, 0.2] }]], true],
    ['ColorJitter contrast on grayscale', 1, [['ColorJitter', { contrast: [1.5, 1.5] }]], true],
    ['Normalize', 3, [['Normalize', { mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.4] }]], true],
  ];
  exact.forEach(([name, channels, list], k) => {
    test(`${name}: torchvision's values`, async () => {
      const [shape, ref] = refs[k]!;
      const img = await copper(small, channels, list);
      assert.deepEqual([img.c, img.h, img.w], shape);
      const d = diff(img.data, ref);
      // torchvision on PIL rounds to 8 bits after each resize or rotation; copper keeps floats
      assert.ok(d.max <= 2.5 && d.mean <= 0.6, `max ${d.max.toFixed(2)}/255, mean ${d.mean.toFixed(3)}/255`);
    });
  });

  test('a 500x375 JPEG to 64x64 (decoded at reduced scale) stays close to torchvision\'s full decode + resize', async () => {
    for (const [k, channels, list] of [[0, 3, [['Resize', { size: [64, 64] }]]], [1, 1, [['Resize', { size: 72 }], ['CenterCrop', { size: 64 }]]]] as [number, number, [string, object][]][]) {
      const [shape, ref] = refs[exact.length + k]!;
      const img = await copper(photo, channels, list);
      assert.deepEqual([img.c, img.h, img.w], shape);
      const d = diff(img.data, ref);
      assert.ok(d.mean <= 8, `mean ${d.mean.toFixed(2)}/255`);
    }
  });

  test('RandomResizedCrop of the whole image is Resize; its crops follow torchvision\'s get_params', async () => {
    const whole = await copper(small, 3, [['RandomResizedCrop', { size: [30, 40], scale: [1, 1], ratio: [4 / 3, 4 / 3] }]]);
    const [, ref] = refs[exact.length + 2]!;
    assert.ok(diff(whole.data, ref).max <= 2.5);
    const rng = new Rng(1);
    const areas: number[] = [];
    for (let i = 0; i < 500; i++) {
      const [top, left, h, w] = randomResizedCropParams(500, 375, [0.2, 0.6], [0.5, 2], rng);
      assert.ok(top >= 0 && left >= 0 && top + h <= 375 && left + w <= 500, 'inside the image');
      const area = (w * h) / (500 * 375);
      assert.ok(area >= 0.19 && area <= 0.61, `area ${area}`);
      assert.ok(w / h >= 0.49 && w / h <= 2.02, `ratio ${w / h}`);
      areas.push(area);
    }
    assert.ok(Math.min(...areas) < 0.25 && Math.max(...areas) > 0.55, 'the whole scale range is drawn');
    // an impossible ratio falls back to the central crop
    assert.deepEqual(randomResizedCropParams(100, 10, [1, 1], [1, 1], new Rng(2)), [0, 45, 10, 10]);
  });
});

describe('augmentation seeding and config errors', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch());
    mkdirSync(join(dir, 'd', 'A'), { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(join(dir, 'd', 'A', `${i}.png`), readFileSync(join(FIX, 'rgb.png')));
  });
  after(() => cleanup());

  const aug = (size: number) => parseTransforms([{ RandomResizedCrop: { size, scale: [0.3, 1] } }, { RandomHorizontalFlip: 0.5 }, { ColorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } }, { RandomRotation: 20 }], 't', 3);

  test('each image gets its own draw from the seed: same seed, same batch (with or without workers); another epoch differs', async () => {
    const batches = async (seed: number, epoch: number, pool: DecodePool | null) => {
      const l = new DataLoader(new ImageFolder(join(dir, 'd')).samples, { batchSize: 6, imageSize: 16, seed, transforms: aug(16), pool });
      l.epoch = epoch;
      const out: number[][] = [];
      for await (const b of l) {
        out.push(Array.from(b.x.toArray() as Float32Array));
        torch.dispose([b.x, b.y]);
      }
      return out[0]!;
    };
    const a = await batches(7, 0, null);
    const pool = new DecodePool(2);
    try {
      assert.deepEqual(await batches(7, 0, pool), a);
    } finally {
      await pool.close();
    }
    assert.notDeepEqual(await batches(7, 1, null), a);
    assert.notDeepEqual(await batches(8, 0, null), a);
    // the six copies of one file were augmented differently
    const per = 3 * 16 * 16;
    assert.notDeepEqual(a.slice(0, per), a.slice(per, 2 * per));
  });

  test('transform lists are checked with one clear line', () => {
    assert.throws(() => parseTransforms([{ RandomHorizontalFlips: { p: 0.5 } }], 'data.train_transforms', 3), /data\.train_transforms\[0\]: unknown transform 'RandomHorizontalFlips' \(known: RandomHorizontalFlip, /);
    assert.throws(() => parseTransforms([{ ColorJitter: { brightnes: 0.5 } }], 'data.train_transforms', 3), /ColorJitter takes no parameter 'brightnes' \(it takes: brightness, /);
    assert.throws(() => parseTransforms([{ Normalize: { mean: [0.5, 0.5], std: [0.5] } }], 'x', 3), /Normalize\.mean has 2 values but the images have 3 channels/);
    assert.throws(() => parseTransforms([{ RandomResizedCrop: { size: 32, scale: [0, 2] } }], 'x', 3), /RandomResizedCrop\.scale must be \[min, max\]/);
    assert.throws(() => parseTransforms('RandomHorizontalFlip', 'x', 3), /must be a list of transforms/);
    const root = join(dir, 'd');
    assert.throws(() => new ImageFolderDataModule({ data_dir: root, image_size: 64, train_transforms: [{ RandomResizedCrop: 32 }] }), /data\.train_transforms make 32x32 images .* but the batch size is 64x64 \(data\.image_size\)/);
    assert.throws(() => new ImageFolderDataModule({ data_dir: root, image_size: 64, eval_transforms: [{ Resize: 64 }] }), /data\.eval_transforms: Resize: 64 sets only the shorter side, so images would differ in size: end with CenterCrop: 64/);
    assert.throws(() => new ImageFolderDataModule({ data_dir: root, channels: 1, mean: [0.5, 0.5, 0.5] }), /data\.mean has 3 values but data\.channels is 1: give 1 value/);
    assert.throws(() => new ImageFolderDataModule({ data_dir: root, channels: 2 }), /data\.channels must be 1 \(grayscale\), 3 \(RGB\) or 4 \(RGBA\), got 2/);
    const dm = new ImageFolderDataModule({ data_dir: root, channels: 1, mean: 0.5, std: [0.25], eval_transforms: [{ Resize: 72 }, { CenterCrop: 64 }] });
    assert.deepEqual([dm.hparams.mean, dm.hparams.std], [[0.5], [0.25]]);
    assert.deepEqual(dm.evalTransforms.map((t: TransformSpec) => t.name), ['Resize', 'CenterCrop', 'Normalize']);
  });
});
