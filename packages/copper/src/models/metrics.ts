/** Metrics: accuracy of a batch, and a running mean/max tracker (torchmetrics' MeanMetric/MaxMetric). */
import * as torch from '@copper/torch';

/** Number of correct top-1 predictions in a batch. */
export function correctCount(logits: torch.Tensor, target: torch.Tensor): number {
  return torch.tidy(() => logits.argmax(-1).eq(target).sum().item());
}

/** Fraction of correct top-1 predictions. */
export function accuracy(logits: torch.Tensor, target: torch.Tensor): number {
  const n = target.shape[0] ?? 0;
  return n ? correctCount(logits, target) / n : 0;
}

/** Weighted running mean (reset each epoch). */
export class MeanMetric {
  /** Sum of value x weight so far (what strategy=ddp adds up over the ranks). */
  sum = 0;
  weight = 0;
  update(v: number, w = 1): void {
    this.sum += v * w;
    this.weight += w;
  }
  compute(): number {
    return this.weight ? this.sum / this.weight : NaN;
  }
  reset(): void {
    this.sum = 0;
    this.weight = 0;
  }
}

/** Best value seen so far (MaxMetric). */
export class MaxMetric {
  value = -Infinity;
  update(v: number): void {
    if (v > this.value) this.value = v;
  }
  compute(): number {
    return this.value;
  }
  reset(): void {
    this.value = -Infinity;
  }
}
