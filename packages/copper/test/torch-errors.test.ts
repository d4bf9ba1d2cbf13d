// A libtorch error during training reaches the user as one line naming its class, not as
// "Error: Error: ..." (the CLI adds "Error: ", @copper/torch's error classes give the name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, makeData, scratch } from './helpers.js';

test('copper_train with a network that does not fit the images prints one clean line (no "Error: Error:", no backtrace)', () => {
  const { dir, cleanup } = scratch();
  try {
    makeData(dir, 4);
    const r = cli('train', ['model.net.in_channels=1', 'data.image_size=32', 'data.num_workers=0', 'trainer.max_epochs=1', `paths.root_dir=${dir}`, 'hydra.run.dir=run'], dir);
    assert.equal(r.code, 1);
    const last = r.stderr.trim().split('\n').pop()!;
    // The data/model check names the setting before libtorch would raise its ShapeError.
    assert.equal(last, 'Error: the model takes 1-channel images but the data has 3 channels (data.channels=3): set model.net.in_channels=3, or leave it at ${data.channels}');
    assert.ok(!r.stderr.includes('Error: Error:'));
    assert.ok(!/Exception raised from|at [A-Za-z.]+ \(/.test(r.stderr), 'no backtrace');
  } finally {
    cleanup();
  }
});
