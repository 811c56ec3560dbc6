// The WebAssembly SIMD kernel of conv2d's products (src/ops/conv-simd.ts) against the JavaScript sum it
// stands for, element for element: C[j, k] = init ⊕ A[4l + j]·B[bo[l] + b + k] over l in order, with float32
// lanes rounded as Math.fround rounds (ties to even, overflow to ±∞, float32 subnormals) and float64 lanes not.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { convSimd, simdRegions } from '../../src/ops/conv-simd.js';

afterEach(() => {
  convSimd.enabled = true;
});

/** Runs the kernel on A (4·L), B, bo (offsets into B) and the initial C (4 rows of 4·nq), and the JavaScript sum. */
function both(A: number[], B: number[], bo: number[], base: number, nq: number, init: number[] | null, f32: boolean): [number[], number[]] {
  const L = bo.length;
  const cw = 4 * nq;
  const s = simdRegions([4 * L, L, B.length, 4 * cw], f32);
  if (s === null) throw new Error('no WebAssembly SIMD here');
  const [aAt, boAt, bAt, cAt] = s.at;
  s.f64.set(A, aAt);
  s.f64.set(B, bAt);
  bo.forEach((o, l) => { s.i32[2 * boAt + l] = 8 * o; });
  if (init) s.f64.set(init, cAt);
  s.tile(8 * aAt, 8 * boAt, L, 8 * (bAt + base), 8 * cAt, 8 * cw, nq, init ? 1 : 0);
  const got = Array.from(s.f64.subarray(cAt, cAt + 4 * cw));
  const want: number[] = [];
  for (let j = 0; j < 4; j++) {
    for (let k = 0; k < cw; k++) {
      let c = init ? init[j * cw + k] : 0;
      for (let l = 0; l < L; l++) {
        const v = c + A[4 * l + j] * B[bo[l] + base + k];
        c = f32 ? Math.fround(v) : v;
      }
      want.push(c);
    }
  }
  return [got, want];
}

const f32Value = fc.oneof(
  fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround),
  fc.constantFrom(0, -0, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, 0.5, 1 + 2 ** -23),
);

describe('conv2d SIMD kernel = the JavaScript sum, bit for bit', () => {
  for (const f32 of [true, false]) {
    it(`${f32 ? 'float32 rounding' : 'float64'}: random terms, offsets, quads, with and without initial sums`, () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer({ min: 0, max: 1 << 30 }),
        fc.array(f32Value, { minLength: 64, maxLength: 64 }),
        (L, nq, withInit, seed, pool) => {
          let r = seed;
          const next = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
          const pick = () => pool[Math.floor(next() * pool.length)];
          const A = Array.from({ length: 4 * L }, pick);
          const B = Array.from({ length: 40 }, pick);
          const base = Math.floor(next() * 4);
          const bo = Array.from({ length: L }, () => Math.floor(next() * (40 - base - 4 * nq + 1)));
          const init = withInit ? Array.from({ length: 16 * nq }, pick) : null;
          const [got, want] = both(A, B, bo, base, nq, init, f32);
          expect(got).toEqual(want);
        },
      ), { numRuns: 300 });
    });
  }

  it('float32 lanes: ties to even, overflow to ∞, float32 subnormals and signed zeros as fround', () => {
    const e = 2 ** -24;
    // acc + a·b exactly halfway between float32 neighbours, at the largest float32, in the subnormal range, and −0
    const A = [1, 1, 1, 1, 1, 1, 1, 1];
    const B = [e, 3 * e, 3.4028234663852886e38, 2 ** -149 * 0.5, 2 ** -149 * 1.5, -0, 0, 0];
    for (const init of [[...Array(16)].map(() => 1), [...Array(16)].map(() => 3.4028234663852886e38), [...Array(16)].map(() => -0)]) {
      const [got, want] = both(A, B, [0, 4], 0, 1, init, true);
      expect(got).toEqual(want);
    }
  });

  it('is off when switched off, or for products larger than its memory bound (the products then run in JavaScript)', () => {
    expect(simdRegions([4], true)).not.toBeNull();
    expect(simdRegions([convSimd.maxBytes / 8], true)).toBeNull();
    convSimd.enabled = false;
    expect(simdRegions([4], true)).toBeNull();
  });
});
