/**
 * One lane of `log256_ps` and `sincos256_ps` from ATen's avx_mathfun.h (Cephes polynomials in float32), which
 * PyTorch's AVX2 build uses for `randn` on float32 tensors of 16 or more elements.
 *
 * Bit-exactness needs every float32 rounding in the order the compiled kernel performs it. The intrinsics
 * `_mm256_mul_ps` / `_mm256_add_ps` are plain vector `*` / `+` to GCC, and with `-mfma` and GCC's default
 * `-ffp-contract=fast` a product whose only use is an addition becomes one fused multiply-add. Where an addition
 * has two products as operands, the one computed first in the source is the one fused. Each `fma` below is such
 * a contraction; each `f32(a * b)` is a product that stayed separate (its result feeds another product, a
 * conversion or a bit mask). This was checked against Debian's PyTorch 1.13.1 (AVX2), bit for bit.
 */
import { fmaFloat32 } from './rounding.js';

const f32 = Math.fround;

const bits = new Float32Array(1);
const bitsInt = new Int32Array(bits.buffer);

const MIN_NORM_POS = 2 ** -126;
const SQRTHF = f32(0.7071067811865476); // Cephes writes 0.707106781186547524: the same double
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);

/** Natural logarithm of a positive float32, as one lane of `log256_ps` computes it. */
export function logAvx(input: number): number {
  let x = Math.max(f32(input), MIN_NORM_POS);
  bits[0] = x;
  const exponentField = bitsInt[0] >>> 23;
  // Keep the significand and give it the exponent of 0.5, so x lands in [0.5, 1).
  bitsInt[0] = (bitsInt[0] & ~0x7f800000) | 0x3f000000;
  x = bits[0];
  let e = exponentField - 127 + 1; // small integers: exact in float32
  const below = x < SQRTHF;
  // x - 1 and x - 1 + x are exact here (Sterbenz; multiples of 2^-24 below 1), so no f32() is needed.
  if (below) {
    e -= 1;
    x = x - 1 + x;
  } else {
    x = x - 1;
  }
  const z = f32(x * x);
  let y = LOG_P[0];
  for (let i = 1; i < LOG_P.length; i++) y = fmaFloat32(y, x, LOG_P[i]);
  y = f32(y * x);
  // `y * z + e * q1`: the first product is fused, the second rounded on its own.
  y = fmaFloat32(y, z, f32(e * LOG_Q1));
  y = f32(y - z * 0.5); // z * 0.5 is exact, fused or not
  x = f32(x + y);
  return f32(x + e * LOG_Q2); // e * q2 is exact: q2 has 9 significant bits and |e| <= 128
}

const FOPI = f32(1.27323954473516);
const MINUS_DP1 = f32(-0.78515625);
const MINUS_DP2 = f32(-2.4187564849853515625e-4);
const MINUS_DP3 = f32(-3.774894977445941e-8); // Cephes: -3.77489497744594108e-8, the same double
const SINCOF = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f32);
const COSCOF = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f32);

/** [sin, cos] of a float32 with |x| < 2^31, as one lane of `sincos256_ps` computes them. */
export function sinCosAvx(input: number): [number, number] {
  let x = f32(input);
  const negative = x < 0 || Object.is(x, -0);
  x = Math.abs(x);
  // cvttps truncates toward zero; then j = (j + 1) & ~1 picks the even octant.
  let j = Math.trunc(f32(x * FOPI)) | 0;
  j = (j + 1) & ~1;
  const y = j; // exact in float32 for the arguments this is used with
  const sinNegative = negative !== ((j & 4) !== 0);
  const cosNegative = ((j - 2) & 4) === 0;
  // In octants with (j & 2) === 0 the sine polynomial gives the sine; otherwise the two swap roles.
  const direct = (j & 2) === 0;
  // Cody–Waite reduction x - y * pi/4 with pi/4 split in three; each product is fused into its addition.
  x = fmaFloat32(y, MINUS_DP1, x);
  x = fmaFloat32(y, MINUS_DP2, x);
  x = fmaFloat32(y, MINUS_DP3, x);
  const z = f32(x * x);

  let c = fmaFloat32(COSCOF[0], z, COSCOF[1]);
  c = fmaFloat32(c, z, COSCOF[2]);
  c = f32(c * z);
  // `c * z - z * 0.5`: the first product is fused (z * 0.5 is exact anyway).
  c = fmaFloat32(c, z, -f32(z * 0.5));
  c = f32(c + 1);

  let s = fmaFloat32(SINCOF[0], z, SINCOF[1]);
  s = fmaFloat32(s, z, SINCOF[2]);
  s = f32(s * z);
  s = fmaFloat32(s, x, x);

  let sinValue = direct ? s : c;
  let cosValue = direct ? c : s;
  // The kernel flips signs by xor-ing the sign bit, which also turns +0 into -0.
  if (sinNegative) sinValue = -sinValue;
  if (cosNegative) cosValue = -cosValue;
  return [sinValue, cosValue];
}
