/**
 * `base ** n` for a whole number `n`, correctly rounded: exponentiation by squaring in double-double arithmetic
 * (about 106 bits), rounded once at the end. Adam's bias corrections `1 - beta ** step` need it: JavaScript's
 * `Math.pow(0.999, n)` is off by an ulp for about 10% of steps, while C's `pow` (which PyTorch's Python code
 * calls) is off far less often. This agrees with glibc's `pow` except where glibc itself misses the correctly
 * rounded result (its error bound is 0.52 ulp), and `1 - beta ** n` agrees in practice always.
 * Correctly rounded for results above 2^-960; below that the double-double's low part underflows and the last
 * bit may be off (harmless for `1 - beta ** n`).
 */
export function powInt(base: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) return Math.pow(base, n);
  let rh = 1;
  let rl = 0;
  let bh = base;
  let bl = 0;
  let k = n;
  while (k > 0) {
    if (k % 2 === 1) {
      ddMul(rh, rl, bh, bl);
      rh = ddHi;
      rl = ddLo;
    }
    k = Math.floor(k / 2);
    if (k > 0) {
      ddMul(bh, bl, bh, bl);
      bh = ddHi;
      bl = ddLo;
    }
  }
  return rh + rl;
}

let ddHi = 0;
let ddLo = 0;

/** (xh + xl) * (yh + yl) in double-double, left in ddHi/ddLo (no allocation). */
function ddMul(xh: number, xl: number, yh: number, yl: number): void {
  const p = xh * yh;
  // Dekker's exact product xh * yh = p + e, by Veltkamp splitting
  const SPLIT = 134217729; // 2^27 + 1
  let t = SPLIT * xh;
  const xhh = t - (t - xh);
  const xhl = xh - xhh;
  t = SPLIT * yh;
  const yhh = t - (t - yh);
  const yhl = yh - yhh;
  const e = ((xhh * yhh - p) + xhh * yhl + xhl * yhh) + xhl * yhl;
  const e2 = e + (xh * yl + xl * yh);
  const s = p + e2;
  ddHi = s;
  ddLo = e2 - (s - p);
}
