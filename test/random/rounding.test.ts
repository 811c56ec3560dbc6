// The exactly rounded helpers behind uniform_ (fused multiply-add) and the float64 normal sampler (log, sin,
// cos), checked against exact BigInt arithmetic, constructed hard cases, and values computed with mpmath.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logAvx, sinCosAvx } from '../../src/random/avx-mathfun.js';
import { logAccurate, sinCosAccurate } from '../../src/random/libm.js';
import {
  addRoundToOdd,
  addToFloat32,
  fmaExact,
  fmaFloat32,
  fmaFloat64,
  roundScaled,
} from '../../src/random/rounding.js';

const f32 = Math.fround;
/** The float32 nearest to a * b + c for float32 inputs, from exact integer arithmetic. */
const fma32Reference = (a: number, b: number, c: number): number => fmaExact(a, b, c, 24, -149);

const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const moderateDouble = fc.double({ min: -1e30, max: 1e30, noNaN: true });
const anyFloat32 = fc.float({ noNaN: true, min: Math.fround(-1e18), max: Math.fround(1e18) });

describe('roundScaled / fmaExact (the BigInt reference)', () => {
  it('rounds to nearest, ties to even', () => {
    expect(roundScaled(2n ** 53n + 1n, 0)).toBe(2 ** 53); // tie, even stays
    expect(roundScaled(2n ** 53n + 3n, 0)).toBe(2 ** 53 + 4); // tie, odd goes up
    expect(roundScaled(2n ** 54n + 3n, -1)).toBe(2 ** 53 + 2); // above the tie
    expect(roundScaled(-3n, -1075)).toBe(-(2 ** -1073)); // subnormal tie to even
    expect(roundScaled(1n, -1076)).toBe(0); // below half the smallest subnormal
    expect(roundScaled(2n ** 24n + 1n, 0, 24, -149)).toBe(2 ** 24);
    expect(roundScaled(2n ** 24n + 3n, 0, 24, -149)).toBe(2 ** 24 + 4);
  });

  it('equals ordinary arithmetic whenever that is exact or singly rounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), anyDouble, (a, b, c) => {
        // a * b is exact, so a * b + c is rounded once.
        expect(fmaExact(a, b, c)).toBe(a * b + c);
      }),
    );
  });
});

describe('fmaFloat64', () => {
  it('keeps the product bits a separate multiply would drop', () => {
    const a = 1 + 2 ** -30;
    expect(a * a - 1).toBe(2 ** -29); // unfused: 2^-60 is lost in the product
    expect(fmaFloat64(a, a, -1)).toBe(2 ** -29 + 2 ** -60);
    expect(fmaFloat64(0.1, 10, -1)).toBe(5.551115123125783e-17); // 0.1 is slightly above 1/10
  });

  it('breaks a tie that rounding the product first would create', () => {
    // (1 + 2^-27)^2 = 1 + 2^-26 + 2^-54; adding 2^-53 leaves it 3/4 of an ulp above 1 + 2^-26.
    const a = 1 + 2 ** -27;
    expect(a * a + 2 ** -53).toBe(1 + 2 ** -26); // unfused: a tie after the first rounding, to even
    expect(fmaFloat64(a, a, 2 ** -53)).toBe(1 + 2 ** -26 + 2 ** -52);
    expect(fmaExact(a, a, 2 ** -53)).toBe(1 + 2 ** -26 + 2 ** -52);
  });

  it('agrees with the exact reference on random operands', () => {
    fc.assert(fc.property(moderateDouble, moderateDouble, moderateDouble, (a, b, c) => {
      expect(Object.is(fmaFloat64(a, b, c), fmaExact(a, b, c))).toBe(true);
    }), { numRuns: 20000 });
  });

  it('agrees with the exact reference near cancellation', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), moderateDouble, (x, r) => {
      const c = -(x * r); // c cancels the rounded product, leaving only its rounding error
      expect(Object.is(fmaFloat64(x, r, c), fmaExact(x, r, c))).toBe(true);
    }), { numRuns: 20000 });
  });

  it('agrees with the exact reference over the whole range, extremes included', () => {
    fc.assert(fc.property(anyDouble, anyDouble, anyDouble, (a, b, c) => {
      const want = fmaExact(a, b, c);
      const got = fmaFloat64(a, b, c);
      if (Number.isFinite(a * b) && Math.abs(want) < 1e307) expect(Object.is(got, want)).toBe(true);
    }), { numRuns: 20000 });
  });
});

describe('float32 rounding without double rounding', () => {
  it('addToFloat32 breaks a tie that rounding to double first would create', () => {
    const tie = 1 + 2 ** -24; // halfway between the float32 values 1 and 1 + 2^-23
    expect(f32(tie + 2 ** -60)).toBe(1); // double rounding: 2^-60 vanishes, then ties-to-even
    expect(addToFloat32(tie, 2 ** -60)).toBe(1 + 2 ** -23);
    expect(addToFloat32(tie, -(2 ** -60))).toBe(1);
    expect(addToFloat32(tie, 0)).toBe(1); // a true tie still goes to even
  });

  it('fmaFloat32 breaks a tie held in the product', () => {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: a float32 midpoint; + 2^-60 puts it just above.
    const a = 1 + 2 ** -12;
    expect(f32(a * a + 2 ** -60)).toBe(1 + 2 ** -11);
    expect(fmaFloat32(a, a, 2 ** -60)).toBe(1 + 2 ** -11 + 2 ** -23);
    expect(fmaFloat32(a, a, -(2 ** -60))).toBe(1 + 2 ** -11);
    // Rounding the product to float32 first, as builds without FMA do, gives yet another answer here.
    expect(f32(f32(a * a) - 1)).toBe(2 ** -11);
    expect(fmaFloat32(a, a, -1)).toBe(2 ** -11 + 2 ** -24);
  });

  it('addRoundToOdd lands on an odd neighbour when inexact', () => {
    const view = new DataView(new ArrayBuffer(8));
    const lastBit = (x: number): number => {
      view.setFloat64(0, x);
      return view.getUint8(7) & 1;
    };
    expect(addRoundToOdd(1, 2 ** -60)).toBe(1 + 2 ** -52);
    expect(addRoundToOdd(1, -(2 ** -60))).toBe(1 - 2 ** -53);
    expect(addRoundToOdd(1, 2 ** -52)).toBe(1 + 2 ** -52); // exact sums stay
    fc.assert(fc.property(moderateDouble, moderateDouble, (a, b) => {
      const nearest = a + b;
      const back = nearest - a;
      const error = a - (nearest - back) + (b - back);
      const s = addRoundToOdd(a, b);
      if (error === 0) {
        expect(s).toBe(nearest);
      } else {
        expect(lastBit(s)).toBe(1);
        // s is the nearest sum or its neighbour on the side of the exact sum.
        expect(s === nearest || Math.sign(s - nearest) === Math.sign(error)).toBe(true);
      }
    }), { numRuns: 20000 });
  });

  it('fmaFloat32 and addToFloat32 agree with the exact reference', () => {
    fc.assert(fc.property(anyFloat32, anyFloat32, anyFloat32, (a, b, c) => {
      expect(Object.is(fmaFloat32(a, b, c), fma32Reference(a, b, c))).toBe(true);
      expect(Object.is(addToFloat32(a, c), fma32Reference(1, a, c))).toBe(true);
    }), { numRuns: 20000 });
  });

  it('fmaFloat32 agrees with the exact reference for uniform_-shaped operands', () => {
    // x = k * 2^-24, range and from are float32: exactly the uniform_ computation.
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 24 - 1 }), anyFloat32, anyFloat32, (k, range, from) => {
      const x = k * 2 ** -24;
      expect(Object.is(fmaFloat32(x, range, from), fma32Reference(x, range, from))).toBe(true);
    }), { numRuns: 20000 });
  });
});

describe('correctly rounded log, sin, cos (float64 normal sampler)', () => {
  // Expected values: the correctly rounded results, computed with mpmath at 300 bits. At the first two
  // arguments V8's Math.log or glibc's log is off by one ulp.
  it('log', () => {
    expect(logAccurate(0.8004833361992144)).toBe(-0.22253956350255819);
    expect(logAccurate(1 - 0.20761446958978125)).toBe(-0.2327072247860773);
    expect(logAccurate(1)).toBe(0);
    expect(logAccurate(2 ** -53)).toBe(-36.7368005696771);
    expect(logAccurate(5e-324)).toBe(-744.4400719213812);
    expect(logAccurate(2)).toBe(Math.LN2);
    expect(Number.isNaN(logAccurate(-1))).toBe(true);
  });

  it('sin and cos near multiples of pi/2 and elsewhere', () => {
    const [s1, c1] = sinCosAccurate(Math.PI / 2);
    expect(s1).toBe(1);
    expect(c1).toBe(6.123233995736766e-17);
    const [s2, c2] = sinCosAccurate(Math.PI);
    expect(s2).toBe(1.2246467991473532e-16);
    expect(c2).toBe(-1);
    const [s3] = sinCosAccurate(2 * Math.PI);
    expect(s3).toBe(-2.4492935982947064e-16);
    expect(sinCosAccurate(0)).toEqual([0, 1]);
    expect(sinCosAccurate(1)).toEqual([0.8414709848078965, 0.5403023058681398]);
  });

  it('stay within one ulp of V8 (a sanity check over many arguments)', () => {
    const ulp = (x: number): number => 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
    fc.assert(fc.property(fc.double({ min: 1e-300, max: 1, noNaN: true }), fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), (x, t) => {
      expect(Math.abs(logAccurate(x) - Math.log(x))).toBeLessThanOrEqual(ulp(Math.log(x)) || 0);
      const [s, c] = sinCosAccurate(t);
      expect(Math.abs(s - Math.sin(t))).toBeLessThanOrEqual(Math.max(ulp(Math.sin(t)), 2 ** -1074));
      expect(Math.abs(c - Math.cos(t))).toBeLessThanOrEqual(Math.max(ulp(Math.cos(t)), 2 ** -1074));
    }), { numRuns: 5000 });
  });
});

describe('avx_mathfun lanes (float32 normal sampler)', () => {
  it('log256_ps: exact at 1 and powers of two, accurate elsewhere', () => {
    expect(logAvx(1)).toBe(0);
    expect(logAvx(0.5)).toBe(f32(-Math.LN2));
    expect(logAvx(2 ** -24)).toBe(f32(-24 * Math.LN2));
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 24 }), (k) => {
      const x = k * 2 ** -24;
      const y = logAvx(x);
      expect(y).toBe(f32(y));
      expect(Math.abs(y - Math.log(x))).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(Math.log(x))));
    }));
  });

  it('sincos256_ps: float32 results close to sin/cos, with the symmetries of the octant logic', () => {
    expect(sinCosAvx(0)).toEqual([0, 1]);
    fc.assert(fc.property(fc.float({ min: 0, max: f32(2 * Math.PI), noNaN: true }), (t) => {
      const [s, c] = sinCosAvx(t);
      expect(s).toBe(f32(s));
      expect(c).toBe(f32(c));
      expect(Math.abs(s - Math.sin(t))).toBeLessThanOrEqual(3e-7);
      expect(Math.abs(c - Math.cos(t))).toBeLessThanOrEqual(3e-7);
      const [sn, cn] = sinCosAvx(-t);
      expect(sn).toBe(-s);
      expect(cn).toBe(c);
    }));
  });
});
