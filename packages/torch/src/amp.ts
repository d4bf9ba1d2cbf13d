/**
 * Automatic mixed precision (torch.amp): `autocast` runs a block with libtorch's autocast on (matrix
 * products and convolutions in a lower precision, precision-sensitive ops kept in float32), and
 * `GradScaler` scales the loss so float16 gradients do not underflow.
 *
 *   const loss = torch.amp.autocast('cpu', () => F.crossEntropy(net.forward(x), y));   // bfloat16
 *   loss.backward();                                  // backward outside autocast, as in PyTorch
 *
 *   const scaler = new torch.amp.GradScaler();        // float16 on CUDA
 *   scaler.scale(loss).backward(); scaler.step(opt); scaler.update();
 *
 * Autocast state is per thread, as in PyTorch: the block must be synchronous (a function that returns
 * a Promise is refused, since its awaits would run other code under autocast).
 */
import { native } from './native.js';
import { dtypeCode, tidy, type DType, type Tensor } from './tensor.js';
import { ArgumentError } from './errors.js';

export type AutocastDevice = 'cpu' | 'cuda';

export interface AutocastOptions {
  /** bfloat16 (the default on the CPU) or float16 (the default on CUDA). */
  dtype?: DType;
  /** false runs the block with autocast off (torch.autocast(enabled=False)). */
  enabled?: boolean;
}

/** Whether autocast is on for the device in this thread (torch.is_autocast_enabled / is_autocast_cpu_enabled). */
export function isAutocastEnabled(device: AutocastDevice = 'cuda'): boolean {
  return native.autocastIsEnabled(device);
}

/** torch.autocast(device_type, dtype, enabled) around `fn` (synchronous). */
export function autocast<T>(device: AutocastDevice, fn: () => T, opts: AutocastOptions = {}): T {
  if (device !== 'cpu' && device !== 'cuda') throw new ArgumentError(`autocast: device must be 'cpu' or 'cuda', got '${String(device)}'`);
  const dtype = opts.dtype ?? (device === 'cpu' ? 'bfloat16' : 'float16');
  const enabled = opts.enabled !== false;
  if (enabled && device === 'cpu' && dtype !== 'bfloat16') throw new ArgumentError(`autocast('cpu'): libtorch's CPU autocast takes dtype bfloat16, got ${dtype}`);
  if (enabled && device === 'cuda' && dtype !== 'float16' && dtype !== 'bfloat16') throw new ArgumentError(`autocast('cuda'): dtype must be float16 or bfloat16, got ${dtype}`);
  if (enabled && device === 'cuda' && !native.cudaIsAvailable()) throw new ArgumentError("autocast('cuda'): CUDA is not available to this libtorch build (torch.cuda.isAvailable() is false)");
  const [was, prev] = native.autocastEnter(device, enabled, dtypeCode(dtype)) as [number, number];
  try {
    const out = fn();
    if (out && typeof (out as { then?: unknown }).then === 'function') throw new ArgumentError('autocast: the block must be synchronous (it returned a Promise)');
    return out;
  } finally {
    native.autocastExit(device, was === 1, prev);
  }
}

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  enabled?: boolean;
}

interface OptimizerLike {
  paramGroups: { params: Tensor[] }[];
  step(): void;
}

/**
 * torch.amp.GradScaler: multiplies the loss by a scale (65536 at first), divides the gradients back
 * before the optimizer step, skips the step when a gradient is inf/NaN (the scale then halves) and
 * doubles the scale after `growthInterval` steps without one.
 */
export class GradScaler {
  private scaleValue: number;
  private growthTracker = 0;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;
  /** Optimizers unscaled since the last update, and whether they found inf/NaN. */
  private unscaled = new Map<OptimizerLike, boolean>();

  constructor(opts: GradScalerOptions = {}) {
    this.scaleValue = opts.initScale ?? 2 ** 16;
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
    this.enabled = opts.enabled !== false;
    if (!(this.scaleValue > 0) || !(this.growthFactor > 1) || !(this.backoffFactor > 0 && this.backoffFactor < 1) || !(this.growthInterval >= 1)) {
      throw new ArgumentError('GradScaler: initScale > 0, growthFactor > 1, 0 < backoffFactor < 1 and growthInterval >= 1 expected');
    }
  }

  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  /** The loss times the scale (the loss itself when disabled). */
  scale(loss: Tensor): Tensor {
    return this.enabled ? loss.mul(this.scaleValue) : loss;
  }

  /** Divides the optimizer's gradients by the scale (once per step), e.g. before gradient clipping. */
  unscale_(optimizer: OptimizerLike): void {
    if (!this.enabled) return;
    if (this.unscaled.has(optimizer)) throw new ArgumentError('GradScaler.unscale_() has already been called on this optimizer since the last update()');
    const inv = 1 / this.scaleValue;
    let found = false;
    tidy(() => {
      for (const g of optimizer.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (!grad) continue;
          grad.mul_(inv);
          if (!found && !Number.isFinite(grad.abs().max().item())) found = true;
        }
      }
    });
    this.unscaled.set(optimizer, found);
  }

  /** optimizer.step() unless a gradient is inf/NaN; returns whether it stepped. */
  step(optimizer: OptimizerLike): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (!this.unscaled.has(optimizer)) this.unscale_(optimizer);
    if (this.unscaled.get(optimizer)) return false;
    optimizer.step();
    return true;
  }

  /** The next scale: halved after a skipped step, grown after growthInterval good ones. */
  update(newScale?: number): void {
    if (!this.enabled) return;
    if (newScale !== undefined) {
      if (!(newScale > 0)) throw new ArgumentError(`GradScaler.update: the new scale must be positive, got ${newScale}`);
      this.scaleValue = newScale;
    } else if ([...this.unscaled.values()].some(Boolean)) {
      this.scaleValue *= this.backoffFactor;
      this.growthTracker = 0;
    } else if (this.unscaled.size) {
      if (++this.growthTracker >= this.growthInterval) {
        this.scaleValue *= this.growthFactor;
        this.growthTracker = 0;
      }
    }
    this.unscaled.clear();
  }

  stateDict(): Record<string, number> {
    return this.enabled ? { scale: this.scaleValue, growth_factor: this.growthFactor, backoff_factor: this.backoffFactor, growth_interval: this.growthInterval, _growth_tracker: this.growthTracker } : {};
  }
  loadStateDict(sd: Record<string, number>): void {
    if (typeof sd.scale === 'number') this.scaleValue = sd.scale;
    if (typeof sd._growth_tracker === 'number') this.growthTracker = sd._growth_tracker;
  }
}
