/**
 * Fused multiply-add as PyTorch's CPU kernels do it, for the optimisers' update loops.
 *
 * PyTorch's float32 kernels compute in float32 and round after every operation; where the compiler
 * contracts `a + b * c` into one fused multiply-add instruction (addcmul_, add_ with alpha — checked against
 * PyTorch 1.13's AVX2 build, both its vectorised and its scalar loops), the result is rounded once. `fmaF32`
 * emulates that single rounding exactly in double arithmetic; `fmaF64` does the same for float64 kernels.
 * (A build without AVX rounds the product first; torchlet follows the AVX2 build, as PyTorch's x86-64 wheels run.)
 */

/**
 * The float32 nearest to `a * b + c` (ties to even), rounded once — the result of a hardware float32 fused
 * multiply-add, for float32 inputs `a`, `b`, `c`.
 *
 * Why it is exact: the product of two float32 values has at most 48 significant bits, so `a * b` is exact in
 * double. The double sum `s = a*b + c` is rounded once; rounding `s` again to float32 gives the right answer
 * unless `s` landed exactly on a midpoint between two float32 values while the exact sum did not (double
 * rounding). Then the exact rounding error of the addition (TwoSum) tells on which side the exact sum lies.
 *
 * Inputs that are not float32 values give the float32 rounding of the double fma (`a*b` may then round).
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r;
  // t = 2s - r is exact here; s is a float32 midpoint exactly when t is the float32 on s's other side.
  const t = r + 2 * (s - r);
  if (Math.fround(t) !== t) {
    return r !== Infinity && r !== -Infinity ? r : overflowed(p, c, s, r);
  }
  const err = twoSumError(p, c, s);
  if (err === 0) return r; // a true tie: Math.fround already rounded it to even
  return (err > 0) === (t > r) ? t : r;
}

/** The exact error `(p + c) - s` of the rounded double sum `s = p + c` (Knuth's TwoSum). */
function twoSumError(p: number, c: number, s: number): number {
  const bv = s - p;
  const av = s - bv;
  return (p - av) + (c - bv);
}

const FLT_MAX = 3.4028234663852886e38;
/** The float32 overflow threshold 2^128 - 2^103: halfway between FLT_MAX and 2^128. */
const FLT_OVERFLOW_MIDPOINT = 3.4028235677973366e38;

/** `s` rounded to ±Infinity in float32: correct unless s sits exactly on the threshold and the exact sum is below it. */
function overflowed(p: number, c: number, s: number, r: number): number {
  if (Math.abs(s) !== FLT_OVERFLOW_MIDPOINT) return r;
  const err = twoSumError(p, c, s);
  if (s > 0 && err < 0) return FLT_MAX;
  if (s < 0 && err > 0) return -FLT_MAX;
  return r;
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for doubles
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Index of the low 32-bit word of a double in `words` (0 on little-endian machines). */
const LO = (() => {
  bits[0] = 1; // 0x3FF00000_00000000
  return words[0] === 0 ? 0 : 1;
})();
const HI = 1 - LO;
const BIG = 2 ** 995;
const TINY = 2 ** -900;
const PRODUCT_MIN = 2 ** -960;

/**
 * The double nearest to `a * b + c`, rounded once (a hardware double fused multiply-add), for the float64
 * update loops. Dekker's exact product, then Boldo and Melquiond's correctly rounded three-term sum
 * (TwoSum, then the low parts added with rounding to odd). Exact when |a|, |b| < 2^995, |a*b| > 2^-960 and
 * c is 0 or |c| > 2^-900; outside that range (never met by an optimiser's values) it returns `a * b + c`
 * rounded twice.
 */
export function fmaF64(a: number, b: number, c: number): number {
  const p = a * b;
  const ap = Math.abs(p);
  const ac = Math.abs(c);
  if (!(ap > PRODUCT_MIN && ap < Infinity && Math.abs(a) < BIG && Math.abs(b) < BIG && (c === 0 || (ac > TINY && ac < Infinity)))) {
    return p + c;
  }
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ((ah * bh - p) + ah * bl + al * bh) + al * bl; // a*b = p + pl exactly
  const sh = c + p; // c + p = sh + sl exactly
  let bv = sh - c;
  const sl = (c - (sh - bv)) + (p - bv);
  let v = sl + pl; // rounded to odd below
  bv = v - sl;
  const e = (sl - (v - bv)) + (pl - bv);
  if (e !== 0) {
    bits[0] = v;
    if ((words[LO] & 1) === 0) {
      // inexact with an even last bit: step one ulp towards the exact value (its odd neighbour)
      if ((v > 0) === (e > 0)) {
        words[LO] += 1;
      } else if (words[LO] === 0) {
        words[LO] = 0xffffffff;
        words[HI] -= 1;
      } else {
        words[LO] -= 1;
      }
      v = bits[0];
    }
  }
  return sh + v;
}
