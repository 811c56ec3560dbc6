import { twoProductError } from '../random/rounding.js';

/**
 * `base ** n` for a whole number `n`, correctly rounded: exponentiation by squaring in double-double arithmetic
 * (about 106 bits), rounded once at the end. Adam's bias corrections `1 - beta ** step` need it: JavaScript's
 * `Math.pow(0.999, n)` is off by an ulp for about 10% of steps, while C's `pow` (which PyTorch's Python code
 * calls) is off far less often. This agrees with glibc's `pow` except where glibc itself misses the correctly
 * rounded result (its error bound is 0.52 ulp), and `1 - beta ** n` agrees in practice always.
 * Correctly rounded for results above 2^-960; below that the double-double's low part underflows and the last
 * bit may be off (harmless for `1 - beta ** n`). The result depends only on `base` and `n`.
 */
export function powInt(base: number, n: number): number {
  return new PowCache(base).pow(n); // (the squares it keeps beyond n's highest bit are never read)
}

/**
 * `powInt(base, n)` for one base and many `n` (Adam's `beta ** step` at every step): the squares
 * base^(2^j) are kept, so each call multiplies only the factors of n's set bits.
 */
export class PowCache {
  /** base^(2^j) as double-double: hi at 2j, lo at 2j+1. */
  private readonly squares: Float64Array;
  private lastN = NaN; // no n equals it, so the first call computes
  private lastValue = NaN;

  constructor(readonly base: number) {
    const SPLIT = 134217729; // 2^27 + 1: Veltkamp's splitter
    const sq = new Float64Array(2 * 54);
    let bh = base;
    let bl = 0;
    for (let j = 0; j < 54; j++) {
      sq[2 * j] = bh;
      sq[2 * j + 1] = bl;
      // (bh + bl)^2 in double-double, the square's cross term taken once, doubled
      const p = bh * bh;
      const t = SPLIT * bh;
      const xh = t - (t - bh);
      const xl = bh - xh;
      const e = ((xh * xh - p) + 2 * xh * xl) + xl * xl + 2 * bh * bl;
      bh = p + e;
      bl = e - (bh - p);
    }
    this.squares = sq;
  }

  pow(n: number): number {
    if (n === this.lastN) return this.lastValue;
    if (!Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) return Math.pow(this.base, n);
    const sq = this.squares;
    let rh = 1;
    let rl = 0;
    let k = n;
    for (let j = 0; k > 0; j++) {
      if (k % 2 === 1) {
        const bh = sq[2 * j];
        const bl = sq[2 * j + 1];
        // (rh + rl) * (bh + bl) in double-double
        const p = rh * bh;
        const e = twoProductError(rh, bh, p) + (rh * bl + rl * bh);
        rh = p + e;
        rl = e - (rh - p);
      }
      k = Math.floor(k / 2);
    }
    this.lastN = n;
    this.lastValue = rh + rl;
    return this.lastValue;
  }
}
