// The optimisers' fmaF32 takes a shortcut past the exact emulation (random/rounding's fmaFloat32) in the common
// case; it must return the same float32 for every input, midpoints and non-finite values included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmaF32 } from '../../src/optim/fma.js';
import { fmaFloat32 } from '../../src/random/rounding.js';

const f32 = fc.float({ noDefaultInfinity: false, noNaN: false });

describe('fmaF32 = fmaFloat32', () => {
  it('on random float32 triples (including ±0, ±∞, NaN, subnormals)', () => {
    fc.assert(fc.property(f32, f32, f32, (a, b, c) => {
      expect(Object.is(fmaF32(a, b, c), fmaFloat32(a, b, c))).toBe(true);
    }), { numRuns: 20_000 });
  });

  it('on triples whose double sum lands on a float32 midpoint while the exact sum does not (double-rounding traps)', () => {
    // c = r, a·b = half an ulp of r times (1 - 2^-46): the exact sum is just below the midpoint r + ulp/2, but
    // the double sum rounds onto it, so rounding the double again would break the tie to even — wrongly when r
    // is odd. Every such case must come out as the exact emulation says.
    let traps = 0;
    fc.assert(fc.property(fc.integer({ min: 0x00800000, max: 0x7e7fffff }), fc.boolean(), (bits, negative) => {
      const r = new Float32Array(new Uint32Array([bits | (negative ? 0x80000000 : 0)]).buffer)[0];
      const halfUlp = Math.abs(Math.fround(r * (1 + 2 ** -23)) - r) / 2 || 2 ** -150;
      const a = Math.fround(1 + 2 ** -23);
      const b = Math.fround(halfUlp * (1 - 2 ** -23)) * (negative ? -1 : 1);
      const want = fmaFloat32(a, b, r);
      if (Math.fround(a * b + r) !== want) traps++;
      expect(Object.is(fmaF32(a, b, r), want)).toBe(true);
    }), { numRuns: 5000 });
    expect(traps).toBeGreaterThan(100); // the cases really were traps for a plain fround(a*b + c)
  });

  it('overflow and the edges of the float32 range', () => {
    const big = 3.4028234663852886e38;
    for (const [a, b, c] of [[big, 1, big], [big, 2, -big], [-big, 1, -big], [1e-45, 1e-45, 0], [1e-45, 0.5, 0], [big, big, -Infinity]]) {
      expect(Object.is(fmaF32(a, b, c), fmaFloat32(a, b, c))).toBe(true);
    }
  });
});
