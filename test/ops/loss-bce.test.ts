// binary_cross_entropy's per-element loss takes one logarithm where the target is exactly 0 or 1 (src/ops/loss.ts).
// Here it is compared, bit and sign, with PyTorch's full formula (t − 1)·max(log(1 − x), −100) − t·max(log(x), −100)
// computed the way the loss computed it before (both logs, float32 rounding after each operation), at the inputs
// where a signed zero could tell them apart (x = 0, x = 1, x so small that 1 − x rounds to 1) and at many others.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { binaryCrossEntropy } from '../../src/ops/loss.js';
import { stream } from '../helpers/stream.js';

type DType = 'float32' | 'float64';

function fullFormula(x: number, t: number, dtype: DType): number {
  const r = dtype === 'float32' ? Math.fround : (v: number) => v;
  const log1mX = Math.max(r(Math.log(r(1 - x))), -100);
  const logX = Math.max(r(Math.log(x)), -100);
  return r(r(r(t - 1) * log1mX) - r(t * logX));
}

function inputs(dtype: DType): number[] {
  const r = dtype === 'float32' ? Math.fround : (v: number) => v;
  const edges = [
    0, 1, 0.5, 2 ** -149, 2 ** -126, 2 ** -60, 2 ** -54, 2 ** -53, 2 ** -30, 2 ** -26, 2 ** -25, 2 ** -24, 2 ** -23,
    1 - 2 ** -53, 1 - 2 ** -24, 1 - 2 ** -23, 5e-324, 1e-300, 1e-45, 3e-44, 1e-40, 0.9999999, 1e-7,
  ];
  const next = stream(0x5eed);
  const random = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? next() : next() ** 8));
  return [...edges, ...random].map(r).filter((v) => v >= 0 && v <= 1);
}

describe('binary_cross_entropy with 0/1 targets: one log, the full formula\'s bits', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const target of [0, 1, 0.25, 0.5]) {
      it(`${dtype}, target ${target}`, () => {
        const xs = inputs(dtype);
        const input = torch.tensor(xs, { dtype });
        const targets = torch.full([xs.length], target, { dtype });
        const got = binaryCrossEntropy(input, targets, { reduction: 'none' }).toArray();
        const mismatches = xs.flatMap((x, i) => {
          const want = fullFormula(x, target, dtype);
          return Object.is(got[i], want) ? [] : [`x=${x}: got ${Object.is(got[i], -0) ? '-0' : got[i]}, want ${Object.is(want, -0) ? '-0' : want}`];
        });
        expect(mismatches).toEqual([]);
      });
    }
  }

  it('gives −0 at x = 1, t = 1 and +0 at a tiny x, t = 0, as the full formula does', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const one = binaryCrossEntropy(torch.tensor([1], { dtype }), torch.tensor([1], { dtype }), { reduction: 'none' }).item();
      expect(Object.is(one, -0)).toBe(true);
      const tiny = dtype === 'float32' ? 2 ** -30 : 2 ** -60;
      const zero = binaryCrossEntropy(torch.tensor([tiny], { dtype }), torch.tensor([0], { dtype }), { reduction: 'none' }).item();
      expect(Object.is(zero, 0)).toBe(true);
    }
  });

  it('weights multiply the one-log value as they did the full one, rounded in the dtype', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const r = dtype === 'float32' ? Math.fround : (v: number) => v;
      const xs = inputs(dtype).slice(0, 64);
      const weight = torch.tensor(xs.map((_, i) => (i % 7) - 3 + 0.37), { dtype });
      const w = weight.toArray();
      for (const target of [0, 1, 0.5]) {
        const got = binaryCrossEntropy(torch.tensor(xs, { dtype }), torch.full([xs.length], target, { dtype }), { reduction: 'none', weight }).toArray();
        xs.forEach((x, i) => expect(Object.is(got[i], r(fullFormula(x, target, dtype) * w[i]))).toBe(true));
      }
    }
  });
});
