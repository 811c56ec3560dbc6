// Checking analytic gradients against central finite differences, in float64.
import { expect } from 'vitest';
import type { Tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/autograd/grad-mode.js';

export interface FiniteDifferenceOptions {
  /** Step of the central difference (default 1e-6). */
  eps?: number;
  /** Allowed error relative to the larger of |analytic| and |numeric| (default 1e-5). */
  rtol?: number;
  /** Allowed absolute error (default 1e-7). */
  atol?: number;
  /** Names the check in failure messages. */
  what?: string;
}

export interface GradientComparison {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compares the gradient backward() gives for the scalar `f(...inputs)` with central differences
 * (f(x + h) − f(x − h)) / 2h, perturbing one element of one input at a time in place (so the inputs should
 * be float64 leaves that require grad; they may be views, e.g. a transpose: the perturbation goes to the
 * element the view shows). Inputs that do not require grad are left alone. Returns every comparison made
 * and fails the test on the first one out of tolerance.
 */
export function finiteDifferenceCheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: FiniteDifferenceOptions = {}): GradientComparison[] {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7, what = 'gradient' } = options;
  for (const x of inputs) {
    if (x.requiresGrad && x.dtype !== 'float64') throw new TypeError(`${what}: finite differences need float64 inputs, got ${x.dtype}`);
    x.grad = null;
  }
  const y = f(...inputs);
  if (y.numel() !== 1) throw new RangeError(`${what}: f must return one element, got shape [${y.shape.join(', ')}]`);
  y.backward();
  const results: GradientComparison[] = [];
  inputs.forEach((x, which) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.toArray() : new Array<number>(x.numel()).fill(0);
    const offsets = elementOffsets(x);
    offsets.forEach((pos, index) => {
      const saved = x.data[pos];
      const value = (v: number) => {
        x.data[pos] = v;
        try {
          return noGrad(() => f(...inputs).item());
        } finally {
          x.data[pos] = saved;
        }
      };
      const numeric = (value(saved + eps) - value(saved - eps)) / (2 * eps);
      results.push({ input: which, index, analytic: analytic[index], numeric });
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic[index]));
      if (!(Math.abs(numeric - analytic[index]) <= tol)) {
        expect.fail(`${what}: input ${which}, element ${index}: analytic ${analytic[index]}, numeric ${numeric} (tolerance ${tol})`);
      }
    });
  });
  return results;
}

/** Storage offset of each element of a (possibly strided) tensor, in row-major order. */
function elementOffsets(x: Tensor): number[] {
  const out: number[] = [];
  const idx = new Array<number>(x.shape.length).fill(0);
  const total = x.numel();
  for (let k = 0; k < total; k++) {
    let pos = x.offset;
    for (let d = 0; d < idx.length; d++) pos += idx[d] * x.strides[d];
    out.push(pos);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
