// Channels come from the data: a grayscale dataset trains with in_channels 1 taken from
// data.channels, a model that disagrees is one clear line (no libtorch message, no `Error: Error:`),
// and a corrupt JPEG in the folder is skipped with one warning.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cli, hydraRun, scratch, DIST_CLI, PKG_DIR } from './helpers.js';
import { syntheticImage } from '../src/data/synthetic.js';
import { train } from '../src/tasks/train.js';
import { loadPredictor } from '../src/tasks/infer.js';
import { evaluate } from '../src/tasks/eval.js';
import { loadCheckpoint, disposeCheckpoint } from '../src/trainer/checkpoint.js';
import { Rng } from '../src/utils/rng.js';

/** `<dir>/data/PetImages/{Cat,Dog}`: grayscale PNGs (one channel), Cat bright discs, Dog dark squares. */
async function grayData(dir: string, perClass: number): Promise<string> {
  const root = join(dir, 'data', 'PetImages');
  const rng = new Rng(3);
  for (const [label, cls] of ['Cat', 'Dog'].entries()) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const img = syntheticImage(label, 24, rng);
      await sharp(Buffer.from(img.data), { raw: { width: 24, height: 24, channels: 3 } }).grayscale().png().toFile(join(root, cls, `${cls}_${i}.png`));
    }
  }
  return root;
}

const small = (dir: string) => [`paths.root_dir=${dir}`, `hydra.run.dir=${dir}/run`, 'data.image_size=16', 'data.batch_size=8', 'data.num_workers=0', 'trainer.max_epochs=1', 'logger=[]'];

function assertOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp) {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = r.stderr.trim().split('\n').filter((l) => !/\[(INFO|WARNING)\]/.test(l));
  assert.equal(lines.length, 1, `one error line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^Error: /);
  assert.doesNotMatch(lines[0]!, /^Error: Error:/);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('channels from the data', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  before(async () => {
    ({ dir, cleanup } = scratch());
    root = await grayData(dir, 12);
  });
  after(() => cleanup());

  test('a grayscale dataset trains with data.channels=1 (the model\'s in_channels follows); the checkpoint predicts from a grayscale file', async () => {
    const ckpt = join(dir, 'gray.ckpt');
    const r = await hydraRun('train', [...small(dir), 'data.channels=1', 'test=False', `export_ckpt=${ckpt}`], (cfg) => {
      assert.equal(cfg.model.net.in_channels, 1, 'interpolated from data.channels');
      return train(cfg);
    });
    const metrics = (await r.jobs[0]!.returnValue)!.metrics;
    assert.ok(Number.isFinite(metrics['train/loss']), JSON.stringify(metrics));
    const ck = loadCheckpoint(ckpt);
    try {
      const hp = ck.hyper_parameters as Record<string, any>;
      assert.equal(hp.channels, 1);
      assert.deepEqual(hp.mean, [0.5]);
      assert.equal((ck.state_dict as Record<string, any>)['net.features.0.weight'].shape[1], 1);
    } finally {
      disposeCheckpoint(ck);
    }
    // copper_eval takes the channels, size and transforms from the checkpoint
    const ev = await hydraRun('eval', [`paths.root_dir=${dir}`, `hydra.run.dir=${dir}/eval`, `ckpt_path=${ckpt}`, 'data.num_workers=0'], (cfg) => evaluate(cfg));
    assert.ok(Number.isFinite((await ev.jobs[0]!.returnValue)!.metrics['test/acc']));
    const p = loadPredictor(ckpt);
    const out = await p.predict(join(root, 'Cat', 'Cat_0.png'), 2);
    assert.deepEqual(out.map((x) => x.class).sort(), ['Cat', 'Dog']);
  });

  test('RGBA kept with data.channels=4, the network taking 4 channels', async () => {
    const rgba = join(dir, 'rgba');
    for (const cls of ['Cat', 'Dog']) {
      mkdirSync(join(rgba, cls), { recursive: true });
      for (let i = 0; i < 4; i++) copyFileSync(join(PKG_DIR, 'test', 'fixtures', 'images', 'rgba.png'), join(rgba, cls, `${i}.png`));
    }
    await hydraRun('train', [...small(dir), `data.data_dir=${rgba}`, 'data.channels=4', 'model=tiny_resnet', 'test=False', 'callbacks=none'], (cfg) => train(cfg));
  });

  describe('CLI', { skip: !existsSync(DIST_CLI('train')) && 'build first (npm run build)' }, () => {
    test('a model that takes other channels than the data is one line naming both and the fix', () => {
      assertOneLineError(cli('train', [...small(dir), 'data.channels=1', 'model.net.in_channels=3'], dir), /the model takes 3-channel images but the data has 1 channel \(data\.channels=1\): set model\.net\.in_channels=1/);
      assertOneLineError(cli('train', [...small(dir), 'model.net.in_channels=1'], dir), /the model takes 1-channel images but the data has 3 channels/);
      assertOneLineError(cli('train', [...small(dir), 'data.channels=1', 'data.mean=[0.5,0.5,0.5]'], dir), /data\.mean has 3 values but data\.channels is 1/);
      assertOneLineError(cli('train', [...small(dir), 'model.net.num_classes=5'], dir), /the model outputs 5 classes but .* has 2 \(Cat, Dog\): set model\.net\.num_classes=2/);
    });

    test('a corrupt JPEG among the images is skipped with one warning and training goes on', () => {
      const bad = join(root, 'Cat', 'Cat_broken.jpg');
      writeFileSync(bad, readFileSync(join(PKG_DIR, 'test', 'fixtures', 'images', 'truncated.jpg')));
      const r = cli('train', [...small(dir), 'data.channels=1', 'trainer.max_epochs=2', 'data.train_val_test_split=[1.0,0.0,0.0]', 'test=False'], dir);
      assert.equal(r.code, 0, r.stderr);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('Cat_broken.jpg'));
      assert.equal(warnings.length, 1, r.stderr);
      assert.match(warnings[0]!, /WARNING.*skipping .*Cat_broken\.jpg: cannot decode the image \(.+\)/);
    });
  });
});
