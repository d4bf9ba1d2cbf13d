// Shared test helpers: deterministic inputs (mirroring fixtures/make_reference.py) and closeness.
import assert from 'node:assert/strict';
import * as torch from '../src/index.js';

/** sin(i * 0.7 + seed) * scale in float64, the same formula as the Python reference script. */
export function det(shape: number[], seed: number, scale = 0.5, dtype: torch.DType = 'float64'): torch.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.7 + seed) * scale;
  return torch.tensor(v, { shape, dtype });
}

export function assertClose(actual: ArrayLike<number | bigint> | number, expected: ArrayLike<number> | number, tol = 1e-6, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual as ArrayLike<number>, Number);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length} != ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (!(d <= tol * (1 + Math.abs(e[i]!)))) {
      assert.fail(`${what}: element ${i}: got ${a[i]}, expected ${e[i]} (diff ${d})`);
    }
  }
}

/** Copies det values into every parameter in namedParameters order (seeds seed, seed+1, ...). */
export function loadDet(m: torch.nn.Module, seed: number): void {
  torch.noGrad(() => {
    m.namedParameters().forEach(([, p], i) => {
      const v = det(p.shape, seed + i);
      p.copy_(v);
      v.dispose();
    });
  });
}

export function values(t: torch.Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number>, Number);
}
