// fmaF32/fmaF64/powInt against exact rational arithmetic (BigInt): every result must be the correctly rounded
// value of the exact a*b + c (or base^n), ties to even, subnormals and overflow included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmaF32, fmaF64 } from '../../src/optim/fma.js';
import { PowCache, powInt } from '../../src/optim/pow.js';

interface Format { precision: number; minQuantum: number; maxExp: number }
const F32: Format = { precision: 24, minQuantum: -149, maxExp: 128 };
const F64: Format = { precision: 53, minQuantum: -1074, maxExp: 1024 };

/** A finite double as sign * m * 2^e with integer m. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (biased === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  return { m: sign * m, e };
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** The exact value n * 2^e rounded to the format, ties to even. */
function roundExact(n: bigint, e: number, fmt: Format, zeroSign: number): number {
  if (n === 0n) return zeroSign < 0 ? -0 : 0;
  const negative = n < 0n;
  let mag = negative ? -n : n;
  let q = Math.max(e + bitLength(mag) - fmt.precision, fmt.minQuantum);
  if (q > e) {
    const shift = BigInt(q - e);
    const quotient = mag >> shift;
    const rem = mag - (quotient << shift);
    const half = 1n << (shift - 1n);
    mag = rem > half || (rem === half && (quotient & 1n) === 1n) ? quotient + 1n : quotient;
  } else {
    q = e;
  }
  // mag * 2^q, computed exactly in two steps (mag has at most precision+1 bits)
  const value = bitLength(mag) + q > fmt.maxExp ? Infinity : Number(mag) * 2 ** q;
  return negative ? -value : value;
}

/** The exact a*b + c rounded once to the format. */
function exactFma(a: number, b: number, c: number, fmt: Format): number {
  const A = decompose(a);
  const B = decompose(b);
  const C = decompose(c);
  const pe = A.e + B.e;
  const e = Math.min(pe, C.e);
  const n = ((A.m * B.m) << BigInt(pe - e)) + (C.m << BigInt(C.e - e));
  // an exact zero: -0 only when both terms are -0 (IEEE 754 rounding to nearest)
  const productNegZero = a * b === 0 && Object.is(a * b, -0);
  const zeroSign = A.m * B.m === 0n && C.m === 0n ? (productNegZero && Object.is(c, -0) ? -1 : 1) : 1;
  return roundExact(n, e, fmt, zeroSign);
}

const f = Math.fround;

describe('fmaF32', () => {
  it('equals the exactly rounded float32 of a*b + c (property, random float32 including subnormals and huge values)', () => {
    const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(f32, f32, f32, (a, b, c) => {
        expect(Object.is(fmaF32(a, b, c), exactFma(a, b, c, F32))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('equals exact rounding where double rounding would go wrong (sums within 2^-70 of a float32 midpoint)', () => {
    // c ± h(1 - 2^-46), h half an ulp of c: the double sum is the midpoint next to c, the exact sum lies just
    // inside it (towards c). Rounding the double sum again would go to even, which is wrong for odd c.
    let naiveWrong = 0;
    fc.assert(
      fc.property(fc.float({ min: f(1e-30), max: f(1e30), noNaN: true }), fc.boolean(), (c, below) => {
        let e = Math.floor(Math.log2(c));
        if (2 ** e > c) e -= 1;
        if (2 ** (e + 1) <= c) e += 1;
        const ulp = 2 ** (e - 23);
        const h = below && c === 2 ** e ? ulp / 4 : ulp / 2; // the ulp below a power of two is half as large
        const a = (below ? -h : h) * f(1 + 2 ** -23);
        const b = f(1 - 2 ** -23);
        const want = exactFma(a, b, c, F32);
        if (f(a * b + c) !== want) naiveWrong++;
        expect(Object.is(fmaF32(a, b, c), want)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(naiveWrong).toBeGreaterThan(1000); // the cases do exercise the correction (about half of them)
  });

  it('handles exact ties, signed zeros, overflow and non-finite inputs', () => {
    // 1 + 2^-24 is a true tie: to even (1); 1 + 3*2^-24 rounds up to even 1 + 2^-22
    expect(fmaF32(2 ** -24, 1, 1)).toBe(1);
    expect(fmaF32(3 * 2 ** -24, 1, 1)).toBe(1 + 2 ** -22);
    expect(Object.is(fmaF32(-0, 1, -0), -0)).toBe(true);
    expect(Object.is(fmaF32(0, 1, -0), 0)).toBe(true);
    expect(Object.is(fmaF32(1, 1, -1), 0)).toBe(true);
    const max = 3.4028234663852886e38;
    expect(fmaF32(max, 2, 0)).toBe(Infinity);
    expect(fmaF32(-max, 2, 0)).toBe(-Infinity);
    // exactly at the overflow threshold 2^128 - 2^103 minus a little: stays finite
    expect(fmaF32(2 ** 103 * f(1 - 2 ** -23), f(1 - 2 ** -23), max)).toBe(exactFma(2 ** 103 * f(1 - 2 ** -23), f(1 - 2 ** -23), max, F32));
    expect(fmaF32(2 ** 103, 1, max)).toBe(Infinity); // the true tie at the threshold rounds to even 2^128: overflow
    expect(fmaF32(2 ** 102, 1, max)).toBe(max);
    expect(fmaF32(Infinity, 1, -Infinity)).toBeNaN();
    expect(fmaF32(NaN, 1, 1)).toBeNaN();
    expect(fmaF32(Infinity, 2, 1)).toBe(Infinity);
  });
});

describe('fmaF64', () => {
  const wide = fc.double({ min: -(2 ** 200), max: 2 ** 200, noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 2 ** -200);
  it('equals the exactly rounded double of a*b + c (property)', () => {
    fc.assert(
      fc.property(wide, wide, wide, (a, b, c) => {
        expect(Object.is(fmaF64(a, b, c), exactFma(a, b, c, F64))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('equals exact rounding next to double midpoints (where a*b + c in double rounds twice)', () => {
    let naiveWrong = 0;
    fc.assert(
      fc.property(fc.double({ min: 1e-100, max: 1e100, noNaN: true }), fc.boolean(), (c, below) => {
        let e = Math.floor(Math.log2(c));
        if (2 ** e > c) e -= 1;
        if (2 ** (e + 1) <= c) e += 1;
        const ulp = 2 ** (e - 52);
        const h = below && c === 2 ** e ? ulp / 4 : ulp / 2;
        const a = (below ? -h : h) * (1 + 2 ** -52);
        const b = 1 - 2 ** -52;
        const want = exactFma(a, b, c, F64);
        if (a * b + c !== want) naiveWrong++;
        expect(Object.is(fmaF64(a, b, c), want)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(naiveWrong).toBeGreaterThan(1000);
  });

  it('values of the size an optimiser meets', () => {
    const g = fc.double({ min: -1e3, max: 1e3, noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 1e-30);
    fc.assert(fc.property(g, g, g, (a, b, c) => Object.is(fmaF64(a, b, c), exactFma(a, b, c, F64))), { numRuns: 20000 });
  });
});

describe('powInt', () => {
  it('is the correctly rounded base^n (exact BigInt power) down to 2^-960', () => {
    const bases = [0.9, 0.999, 0.99, 0.8, 0.95, 0.9999, 0.85, 0.123456789, 1.0000001];
    for (const base of bases) {
      const { m, e } = decompose(base);
      for (let n = 0; n <= 400; n++) {
        const want = roundExact(m ** BigInt(n), e * n, F64, 1);
        if (want < 2 ** -960) break; // documented limit: the double-double's low part underflows there
        expect(powInt(base, n), `${base}^${n}`).toBe(want);
      }
    }
  });

  it('PowCache gives powInt results exactly, for any order of calls', () => {
    for (const base of [0.9, 0.999, 0.85]) {
      const cache = new PowCache(base);
      const ns = [...Array.from({ length: 300 }, (_, i) => i), 1000, 40000, 12345, 2 ** 24, 7, 7, 2 ** 40 + 3];
      for (const n of ns) expect(cache.pow(n), `${base}^${n}`).toBe(powInt(base, n));
    }
  });

  it('matches values printed by Python 3 (glibc pow) for Adam-style bias corrections', () => {
    // Python: 1 - 0.999 ** 1000.0, 1 - 0.9 ** 10.0, 1 - 0.99 ** 503.0 (glibc's pow itself is 0.502 ulp off there)
    expect(1 - powInt(0.999, 1000)).toBe(0.6323045752290363);
    expect(1 - powInt(0.9, 10)).toBe(0.6513215599);
    expect(powInt(0.5, 1074)).toBe(5e-324);
    expect(powInt(2, 10)).toBe(1024);
  });

  it('leaves negative and fractional exponents to Math.pow, on the first call of a cache too', () => {
    for (const n of [-1, -3, 0.5, 2.5]) {
      expect(powInt(2, n), `2^${n}`).toBe(Math.pow(2, n));
      expect(new PowCache(2).pow(n), `fresh cache, 2^${n}`).toBe(Math.pow(2, n));
    }
  });
});
