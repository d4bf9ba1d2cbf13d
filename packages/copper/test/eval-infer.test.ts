// copper_eval on a folder tests all of it by default and says how many images it tested;
// copper_infer takes an image, a folder or a glob, loads the model once, and prints one top-k
// block per image (under its path when there are several).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, hydraRun, makeData, scratch, DIST_CLI } from './helpers.js';
import { train } from '../src/tasks/train.js';
import { loadPredictor } from '../src/tasks/infer.js';

const PRED = /^Class: (Cat|Dog), Probability: (\d\.\d{4})$/;

/** stdout as blocks: [header, ...prediction lines]. */
function blocks(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n\n')
    .map((b) => b.split('\n'));
}

describe('copper_eval and copper_infer on folders', { skip: !existsSync(DIST_CLI('infer')) && 'build first' }, () => {
  let dir: string;
  let cleanup: () => void;
  let ckpt: string;
  before(async () => {
    ({ dir, cleanup } = scratch());
    makeData(dir, 15);
    ckpt = join(dir, 'model.ckpt');
    await hydraRun('train', [`paths.root_dir=${dir}`, `hydra.run.dir=${dir}/run`, 'data.image_size=16', 'data.num_workers=0', 'trainer.max_epochs=1', 'test=False', `export_ckpt=${ckpt}`, '~logger'], (cfg) =>
      train(cfg),
    );
  });
  after(() => cleanup());

  test('copper_eval tests every image of the folder by default and logs the count', () => {
    const r = cli('eval', [`ckpt_path=${ckpt}`, 'hydra.run.dir=eval-all'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Testing all 30 images of \S+PetImages \(split=all\)/);
    assert.match(r.stdout, /Tested 30 images/);
    assert.match(r.stdout, /Test: test\/loss=[\d.]+ test\/acc=[\d.]+/);
  });

  test('copper_eval split=test tests the held-out split and says so', () => {
    const r = cli('eval', [`ckpt_path=${ckpt}`, 'split=test', 'hydra.run.dir=eval-test'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Testing the test split of \S+PetImages: 3 of its 30 images \(data\.train_val_test_split=\[0\.8, 0\.1, 0\.1\], data\.seed=42\)/);
    assert.match(r.stdout, /Tested 3 images/);
    const bad = cli('eval', [`ckpt_path=${ckpt}`, 'split=some', 'hydra.run.dir=eval-bad'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: split must be one of all, train, val, test, got 'some'\n$/);
  });

  test('copper_infer on a folder: one block per image, in sorted order, under its path', () => {
    const r = cli('infer', ['img_path=data/PetImages/', `ckpt_path=${ckpt}`], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const bs = blocks(r.stdout);
    const expected = ['Cat', 'Dog'].flatMap((c) => readdirSync(join(dir, 'data', 'PetImages', c)).sort().map((f) => `data/PetImages/${c}/${f}`));
    assert.equal(expected.length, 30);
    assert.deepEqual(
      bs.map((b) => b[0]),
      expected,
    );
    for (const b of bs) {
      assert.equal(b.length, 3, b.join('\n'));
      const p = b.slice(1).map((l) => PRED.exec(l));
      assert.ok(p[0] && p[1], b.join('\n'));
      assert.notEqual(p[0]![1], p[1]![1]);
      assert.ok(Number(p[0]![2]) >= Number(p[1]![2]));
    }
    // the same numbers as one image at a time (seed format, no header)
    const one = cli('infer', ['img_path=data/PetImages/Dog/Dog_0007.jpg', `ckpt_path=${ckpt}`], dir);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^Class: \w+, Probability: \d\.\d{4}\nClass: \w+, Probability: \d\.\d{4}\n$/);
    const inFolder = bs.find((b) => b[0] === 'data/PetImages/Dog/Dog_0007.jpg')!;
    assert.equal(inFolder.slice(1).join('\n') + '\n', one.stdout);
  });

  test('copper_infer on a glob, with top_k', () => {
    const r = cli('infer', ["img_path='data/PetImages/*/*_000[0-2].jpg'", `ckpt_path=${ckpt}`, 'top_k=1'], dir);
    assert.equal(r.code, 0, r.stderr);
    const bs = blocks(r.stdout);
    assert.deepEqual(
      bs.map((b) => b[0]),
      ['Cat_0000', 'Cat_0001', 'Cat_0002'].map((f) => `data/PetImages/Cat/${f}.jpg`).concat(['Dog_0000', 'Dog_0001', 'Dog_0002'].map((f) => `data/PetImages/Dog/${f}.jpg`)),
    );
    for (const b of bs) {
      assert.equal(b.length, 2, 'top_k=1: one line per image');
      assert.match(b[1]!, PRED);
    }
    const deep = cli('infer', ["img_path='data/**/Dog_0001.jpg'", `ckpt_path=${ckpt}`], dir);
    assert.equal(deep.code, 0, deep.stderr);
    assert.deepEqual(blocks(deep.stdout).map((b) => b[0]), ['data/PetImages/Dog/Dog_0001.jpg']);
    const none = cli('infer', ["img_path='data/*.gif'", `ckpt_path=${ckpt}`], dir);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, "Error: img_path 'data/*.gif' matches no file\n");
  });

  test('an unreadable image in a folder: one Error line for it, the others classified, exit 1', () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a_broken.jpg'), 'not an image');
    for (const f of ['Cat_0001.jpg', 'Dog_0002.jpg']) writeFileSync(join(mixed, f), readFileSync(join(dir, 'data', 'PetImages', f.slice(0, 3), f)));
    const r = cli('infer', ['img_path=mixed', `ckpt_path=${ckpt}`], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: cannot decode image mixed\/a_broken.jpg: [^\n]+\n$/);
    assert.deepEqual(blocks(r.stdout).map((b) => b[0]), ['mixed/Cat_0001.jpg', 'mixed/Dog_0002.jpg']);
    mkdirSync(join(dir, 'empty'));
    const e = cli('infer', ['img_path=empty', `ckpt_path=${ckpt}`], dir);
    assert.equal(e.code, 1);
    assert.equal(e.stderr, 'Error: folder empty has no .jpg/.jpeg/.png/.webp/.gif/.tif/.tiff images\n');
  });

  test('--cfg job and --help show top_k like the other commands', () => {
    const c = cli('infer', ['--cfg', 'job'], dir);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^top_k: 2$/m);
    assert.match(c.stdout, /^batch_size: 32$/m);
    const h = cli('infer', ['--help'], dir);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /copper_infer is powered by Hydra/);
    assert.match(h.stdout, /^img_path: /m);
  });

  test('batched predictions equal one-image predictions, whatever the batch size', async () => {
    const p = loadPredictor(ckpt);
    const files = ['Cat_0000', 'Cat_0004', 'Dog_0003', 'Dog_0009', 'Cat_0011'].map((f) => join(dir, 'data', 'PetImages', f.slice(0, 3), `${f}.jpg`));
    const single = [];
    for (const f of files) single.push(await p.predict(f, 2));
    for (const bs of [1, 2, 5, 64]) {
      const many = await p.predictMany(files, 2, bs);
      assert.deepEqual(
        many.map((m) => m.path),
        files,
      );
      many.forEach((m, i) =>
        m.predictions.forEach((x, j) => {
          assert.equal(x.class, single[i]![j]!.class);
          assert.ok(Math.abs(x.probability - single[i]![j]!.probability) < 1e-5, `batch ${bs}: ${x.probability} vs ${single[i]![j]!.probability}`);
        }),
      );
    }
  });
});
