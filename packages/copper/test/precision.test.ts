// trainer.precision: bf16-mixed runs each step's forward under libtorch's CPU autocast (bfloat16
// convolutions, float32 weights and gradients, backward outside autocast) and trains; 16-mixed
// without a CUDA GPU, and precisions copper does not have, are one line each.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as torch from '@copper/torch';
import { cli, makeData, scratch, smallRun, DIST_CLI } from './helpers.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { SimpleCNN } from '../src/models/nets.js';
import { Trainer } from '../src/trainer/trainer.js';
import type { Batch } from '../src/data/loader.js';
import { loadCheckpoint, disposeCheckpoint } from '../src/trainer/checkpoint.js';

/** Records, in each step, whether autocast was on and the dtype of the logits. */
class Recording extends ImageClassifier {
  seen: { stage: string; autocast: boolean; logits: string }[] = [];
  private record(stage: string, b: Batch) {
    torch.tidy(() => this.seen.push({ stage, autocast: torch.isAutocastEnabled('cpu'), logits: this.forward(b.x).dtype }));
  }
  override trainingStep(b: Batch): torch.Tensor {
    this.record('train', b);
    return super.trainingStep(b);
  }
  override validationStep(b: Batch): void {
    this.record('val', b);
    super.validationStep(b);
  }
}

describe('trainer.precision', () => {
  let dir: string;
  let cleanup: () => void;
  let data: string;
  before(() => {
    ({ dir, cleanup } = scratch('copper-prec-'));
    data = makeData(dir, 12);
  });
  after(() => cleanup());

  const dm = () => new ImageFolderDataModule({ data_dir: data, image_size: 16, batch_size: 8, num_workers: 0, dvc_checkout: false });

  test('bf16-mixed: bfloat16 forward in training and validation, float32 weights and gradients', async () => {
    torch.manualSeed(0);
    const m = new Recording({ net: new SimpleCNN({ num_classes: 2, channels: [8] }) });
    const before = m.parameters().map((p) => p.clone());
    const t = new Trainer({ precision: 'bf16-mixed', max_epochs: 1, num_sanity_val_steps: 0, enable_checkpointing: false, info: () => {} });
    await t.fit(m, dm());
    assert.ok(m.seen.some((s) => s.stage === 'train') && m.seen.some((s) => s.stage === 'val'));
    for (const s of m.seen) assert.deepEqual([s.autocast, s.logits], [true, 'bfloat16'], `${s.stage} step`);
    assert.equal(torch.isAutocastEnabled('cpu'), false, 'off between steps');
    for (const p of m.parameters()) {
      assert.equal(p.dtype, 'float32');
      assert.equal(p.grad?.dtype ?? 'float32', 'float32');
    }
    assert.ok(m.parameters().some((p, i) => !p.equal(before[i]!)), 'the weights moved');
    assert.ok(Number.isFinite(t.callbackMetrics['train/loss']!));
    // 32 (the default): no autocast
    const m32 = new Recording({ net: new SimpleCNN({ num_classes: 2, channels: [8] }) });
    await new Trainer({ max_epochs: 1, limit_train_batches: 1, limit_val_batches: 1, num_sanity_val_steps: 0, enable_checkpointing: false, info: () => {} }).fit(m32, dm());
    for (const s of m32.seen) assert.deepEqual([s.autocast, s.logits], [false, 'float32']);
  });

  test('copper_train trainer.precision=bf16-mixed trains and saves a float32 checkpoint; 16-mixed without CUDA is one line', { skip: !existsSync(DIST_CLI('train')) && 'build first' }, () => {
    const ok = cli('train', ['-q', ...smallRun(dir), 'trainer.max_epochs=1', 'trainer.precision=bf16-mixed', `hydra.run.dir=${dir}/bf16`, `export_ckpt=${dir}/bf16.ckpt`], dir);
    assert.equal(ok.code, 0, ok.stderr);
    const ck = loadCheckpoint(`${dir}/bf16.ckpt`);
    for (const v of Object.values(ck.state_dict)) if ((v as torch.Tensor).dtype.startsWith('float') || (v as torch.Tensor).dtype === 'bfloat16') assert.equal((v as torch.Tensor).dtype, 'float32');
    disposeCheckpoint(ck);
    const half = cli('train', ['-q', ...smallRun(dir), 'trainer.precision=16-mixed', `hydra.run.dir=${dir}/f16`], dir);
    assert.equal(half.code, 1);
    const want = torch.cuda.isAvailable() ? /16-mixed .*needs accelerator=gpu/ : /^Error: .*trainer\.precision=16-mixed \(float16 with a GradScaler\) needs a CUDA GPU and torch\.cuda\.isAvailable\(\) is false: use trainer\.precision=bf16-mixed on the CPU\n$/;
    assert.match(half.stderr, want);
    const other = cli('train', ['-q', ...smallRun(dir), 'trainer.precision=bf16-true', `hydra.run.dir=${dir}/bt`], dir);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^Error: .*trainer\.precision bf16-true is not supported \(32, 64, bf16-mixed; 16-mixed needs a CUDA GPU\)\n$/);
  });
});
