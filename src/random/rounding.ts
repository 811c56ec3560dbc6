/**
 * Exactly rounded arithmetic that JavaScript lacks: the fused multiply-adds that PyTorch's AVX2 kernels execute
 * (GCC contracts `x * range + from` into one `vfmadd`), and float32 sums without double rounding.
 *
 * The trick throughout is rounding to odd (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums:
 * proved algorithms using rounding to odd", IEEE TC 2008): a sum rounded to odd in double and then rounded to
 * nearest in a format at least two bits narrower equals the exact sum rounded to nearest once.
 */

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
// The low word's position in a Float64Array's bytes depends on the platform's endianness.
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/** The double next to `x` (finite, non-zero) in the direction of `towardPositive`. */
function nextDouble(x: number, towardPositive: boolean): number {
  scratch[0] = x;
  // Moving away from zero adds one to the magnitude's bit pattern; moving toward zero subtracts one.
  if (x > 0 === towardPositive) {
    scratchWords[LOW] = (scratchWords[LOW] + 1) >>> 0;
    if (scratchWords[LOW] === 0) scratchWords[HIGH] += 1;
  } else {
    if (scratchWords[LOW] === 0) scratchWords[HIGH] -= 1;
    scratchWords[LOW] = (scratchWords[LOW] - 1) >>> 0;
  }
  return scratch[0];
}

/** a + b rounded to odd: exact sums stay, inexact ones land on the neighbour whose last significand bit is 1. */
export function addRoundToOdd(a: number, b: number): number {
  const s = a + b;
  if (!Number.isFinite(s)) return s;
  // Knuth's TwoSum: the rounding error of s, exactly.
  const bv = s - a;
  const err = a - (s - bv) + (b - bv);
  if (err === 0) return s;
  scratch[0] = s;
  if ((scratchWords[LOW] & 1) === 1) return s;
  return nextDouble(s, err > 0);
}

/** float32(a + b) for doubles a and b, with a single rounding of the exact sum. */
export function addToFloat32(a: number, b: number): number {
  return Math.fround(addRoundToOdd(a, b));
}

/**
 * float32 fused multiply-add of float32 operands: the product of two 24-bit significands fits in a double,
 * so only the addition needs care.
 */
export function fmaFloat32(a: number, b: number, c: number): number {
  return Math.fround(addRoundToOdd(a * b, c));
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's constant for splitting a double into two 26-bit halves

/**
 * Dekker's TwoProduct: for p = a * b rounded, the exact error a·b − p (a double-double's low part), from a and b
 * split into 26-bit halves. Exact unless a product of halves overflows or underflows.
 */
export function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}
// Beyond these magnitudes the splitting overflows or the product's error underflows; the BigInt path is used.
const SAFE_MAX = 2 ** 995;
const SAFE_MIN = 2 ** -968;

/** Double fused multiply-add, a * b + c with one rounding (what `vfmadd…sd` returns). */
export function fmaFloat64(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || !Number.isFinite(c)) return p + c;
  if (a === 0 || b === 0) return p + c; // an exact zero product, with IEEE's sign
  const ap = Math.abs(p);
  const ac = Math.abs(c);
  if (
    Math.abs(a) > SAFE_MAX ||
    Math.abs(b) > SAFE_MAX ||
    ac > SAFE_MAX ||
    ap < SAFE_MIN ||
    (ac !== 0 && ac < SAFE_MIN)
  ) {
    return fmaExact(a, b, c);
  }
  const e = twoProductError(a, b, p);
  // Boldo–Melquiond: (p + c) by TwoSum, the two small parts added rounded to odd, one final rounding.
  const th = c + p;
  const bv = th - c;
  const tl = c - (th - bv) + (p - bv);
  return th + addRoundToOdd(tl, e);
}

/** Significand and exponent of a finite double: x = m * 2^k with integer m. */
function decompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  scratch[0] = x;
  const hi = scratchWords[HIGH];
  const lo = scratchWords[LOW];
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let k: number;
  if (biased === 0) {
    k = -1074;
  } else {
    m |= 1n << 52n;
    k = biased - 1075;
  }
  return [x < 0 ? -m : m, k];
}

/**
 * n * 2^k rounded to nearest, ties to even, in a binary format with `precision` significand bits whose
 * smallest subnormal is 2^minExponent (double by default; 24 and -149 give float32). Overflow is not handled.
 */
export function roundScaled(n: bigint, k: number, precision = 53, minExponent = -1074): number {
  if (n === 0n) return 0;
  const negative = n < 0n;
  let m = negative ? -n : n;
  const bits = m.toString(2).length;
  const ulpExponent = Math.max(k + bits - precision, minExponent);
  if (ulpExponent > k) {
    const shift = BigInt(ulpExponent - k);
    const kept = m >> shift;
    const rest = m - (kept << shift);
    const half = 1n << (shift - 1n);
    m = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    k = ulpExponent;
  }
  // m now has at most precision + 1 bits and is exact as a double; scale in two steps so 2^k never underflows.
  const half1 = Math.trunc(k / 2);
  const value = Number(m) * 2 ** half1 * 2 ** (k - half1);
  return negative ? -value : value;
}

/**
 * a * b + c rounded once, by exact integer arithmetic: slow, but valid over the whole double range. The
 * optional format arguments are those of `roundScaled` (tests use them for a float32 reference).
 */
export function fmaExact(a: number, b: number, c: number, precision = 53, minExponent = -1074): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const [ma, ka] = decompose(a);
  const [mb, kb] = decompose(b);
  const [mc, kc] = decompose(c);
  const mp = ma * mb;
  const kp = ka + kb;
  if (mp === 0n && mc === 0n) return a * b + c; // keeps IEEE's sign of zero
  const k = Math.min(kp, kc);
  const sum = (mp << BigInt(kp - k)) + (mc << BigInt(kc - k));
  if (sum === 0n) return 0; // exact cancellation gives +0 in round-to-nearest
  return roundScaled(sum, k, precision, minExponent);
}
