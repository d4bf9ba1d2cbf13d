/**
 * trainer.precision (Lightning's precision plugins): `32`/`32-true` and `64`/`64-true` as before;
 * `bf16-mixed` runs the forward of every training/validation/test step under libtorch's CPU autocast
 * (bfloat16 matrix products and convolutions, float32 weights, gradients and optimizer state;
 * backward outside autocast, as Lightning's MixedPrecision does). `16-mixed` (float16 with a
 * GradScaler) needs a CUDA GPU, which the Trainer does not use yet: it is refused with one line.
 */
import * as torch from '@copper/torch';
import { CopperError } from '../utils/errors.js';

export interface Precision {
  readonly name: string;
  /** Runs a step's forward under this precision's autocast (or as is). */
  forward<T>(fn: () => T): T;
}

const plain = (name: string): Precision => ({ name, forward: (fn) => fn() });

export function parsePrecision(v: unknown): Precision {
  const p = String(v ?? '32');
  if (['32', '32-true', '64', '64-true'].includes(p)) return plain(p);
  if (p === 'bf16-mixed' || p === 'bf16') {
    return { name: 'bf16-mixed', forward: (fn) => torch.autocast('cpu', fn, { dtype: 'bfloat16' }) };
  }
  if (p === '16-mixed' || p === '16') {
    throw new CopperError(
      torch.cuda.isAvailable()
        ? 'trainer.precision=16-mixed (float16 with a GradScaler) needs accelerator=gpu, which copper does not run yet: use trainer.precision=bf16-mixed on the CPU'
        : 'trainer.precision=16-mixed (float16 with a GradScaler) needs a CUDA GPU and torch.cuda.isAvailable() is false: use trainer.precision=bf16-mixed on the CPU',
    );
  }
  throw new CopperError(`trainer.precision ${p} is not supported (32, 64, bf16-mixed; 16-mixed needs a CUDA GPU)`);
}
