// A libtorch error during training reaches the user as one line naming its class, not as
// "Error: Error: ..." (the CLI adds "Error: ", @copper/torch's error classes give the name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, makeData, scratch } from './helpers.js';

test('copper_train with a network that does not fit the images prints one clean ShapeError line', () => {
  const { dir, cleanup } = scratch();
  try {
    makeData(dir, 4);
    const r = cli('train', ['model.net.in_channels=1', 'data.image_size=32', 'data.num_workers=0', 'trainer.max_epochs=1', `paths.root_dir=${dir}`, 'hydra.run.dir=run'], dir);
    assert.equal(r.code, 1);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^Error: ShapeError: Given groups=1, weight of size \[16, 1, 3, 3\], expected input\[\d+, 3, 32, 32\] to have 1 channels, but got 3 channels instead$/);
    assert.ok(!r.stderr.includes('Error: Error:'));
    assert.ok(!/Exception raised from|at [A-Za-z.]+ \(/.test(r.stderr), 'no backtrace');
  } finally {
    cleanup();
  }
});
