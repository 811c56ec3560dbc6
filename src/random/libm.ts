/**
 * log, sin and cos rounded correctly (to within ~2^-100 before the final rounding), for the float64 normal
 * sampler. PyTorch calls glibc there, whose results are correctly rounded in all but rare cases; V8's
 * Math.log / Math.sin / Math.cos (fdlibm) are off by one ulp for several percent of arguments, which would
 * make float64 `randn` differ from PyTorch's in about 6% of values. Evaluating in double-double arithmetic
 * leaves only the rare arguments where glibc itself is not correctly rounded.
 */
import { twoProductError } from './rounding.js';

// A double-double value is hi + lo with |lo| <= ulp(hi) / 2. The helpers return through these two slots
// rather than allocating a pair per operation.
let rh = 0;
let rl = 0;

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const v = s - ah;
  const e = ah - (s - v) + (bh - v) + al + bl;
  rh = s + e;
  rl = e - (rh - s);
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  const e = twoProductError(ah, bh, p) + (ah * bl + al * bh);
  rh = p + e;
  rl = e - (rh - p);
}

function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  // Long division: each step divides the remainder left by the previous quotient digits.
  const q1 = ah / bh;
  ddMul(q1, 0, bh, bl);
  ddAdd(ah, al, -rh, -rl);
  const q2 = rh / bh;
  const remH = rh;
  const remL = rl;
  ddMul(q2, 0, bh, bl);
  ddAdd(remH, remL, -rh, -rl);
  const q3 = rh / bh;
  ddAdd(q1, 0, q2, 0);
  ddAdd(rh, rl, q3, 0);
}

const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const SQRT2 = Math.SQRT2;

// Horner steps carried in double-double at the end of each series; earlier (smaller) terms use doubles.
const DD_TERMS = 4;

// 1 / (2i + 1) as double-doubles, for the atanh series of log: |f| <= 0.172, so 24 terms reach 2^-110.
const ATANH_TERMS = 24;
const ODD_INV_H = new Float64Array(ATANH_TERMS);
const ODD_INV_L = new Float64Array(ATANH_TERMS);
for (let i = 0; i < ATANH_TERMS; i++) {
  ddDiv(1, 0, 2 * i + 1, 0);
  ODD_INV_H[i] = rh;
  ODD_INV_L[i] = rl;
}

/** Natural logarithm of a positive finite double, correctly rounded except in vanishingly rare cases. */
export function logAccurate(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  if (x === 1) return 0;
  let k = 0;
  let m = x;
  if (m < 2 ** -1022) {
    m *= 2 ** 64;
    k -= 64;
  }
  const e = Math.floor(Math.log2(m));
  // log2 may be off by one near powers of two; the loops make m exactly land in [1, 2).
  m /= 2 ** e;
  k += e;
  while (m >= 2) {
    m /= 2;
    k += 1;
  }
  while (m < 1) {
    m *= 2;
    k -= 1;
  }
  if (m > SQRT2) {
    m /= 2;
    k += 1;
  }
  // log m = 2 atanh(f), f = (m - 1) / (m + 1); m - 1 is exact for m in [1/sqrt2, sqrt2].
  const sumH = m + 1;
  const back = sumH - m;
  const sumL = m - (sumH - back) + (1 - back);
  ddDiv(m - 1, 0, sumH, sumL);
  const fH = rh;
  const fL = rl;
  ddMul(fH, fL, fH, fL);
  const sH = rh;
  const sL = rl;
  // The small high-order terms are summed in plain double (their rounding errors stay below 2^-75 of the
  // result); the last DD_TERMS steps of Horner's scheme carry double-double precision.
  let tail = ODD_INV_H[ATANH_TERMS - 1];
  for (let i = ATANH_TERMS - 2; i >= DD_TERMS; i--) tail = tail * sH + ODD_INV_H[i];
  let accH = tail;
  let accL = 0;
  for (let i = DD_TERMS - 1; i >= 0; i--) {
    ddMul(accH, accL, sH, sL);
    ddAdd(rh, rl, ODD_INV_H[i], ODD_INV_L[i]);
    accH = rh;
    accL = rl;
  }
  ddMul(accH, accL, fH, fL);
  const logMH = 2 * rh;
  const logML = 2 * rl;
  const kH = k * LN2_HI;
  const kL = twoProductError(k, LN2_HI, kH) + k * LN2_LO;
  ddAdd(kH, kL, logMH, logML);
  return rh + rl;
}

const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;

// 1 / n! as double-doubles, n = 0..30, for the Taylor series of sin and cos on |r| <= pi/4.
const FACT_TERMS = 31;
const INV_FACT_H = new Float64Array(FACT_TERMS);
const INV_FACT_L = new Float64Array(FACT_TERMS);
INV_FACT_H[0] = 1;
for (let n = 1; n < FACT_TERMS; n++) {
  ddDiv(INV_FACT_H[n - 1], INV_FACT_L[n - 1], n, 0);
  INV_FACT_H[n] = rh;
  INV_FACT_L[n] = rl;
}

/**
 * [sin x, cos x] for |x| <= 2^20, correctly rounded except in vanishingly rare cases (the reduction by pi/2
 * keeps about 160 bits of pi, enough for such arguments). Larger arguments fall back to Math.sin/Math.cos.
 */
export function sinCosAccurate(x: number): [number, number] {
  if (!(Math.abs(x) <= 2 ** 20)) return [Math.sin(x), Math.cos(x)];
  const q = Math.round(x / PIO2_1);
  // r = x - q * pi/2 in double-double; q * PIO2_1 is formed exactly.
  const p1 = q * PIO2_1;
  ddAdd(x, 0, -p1, -twoProductError(q, PIO2_1, p1));
  const p2 = q * PIO2_2;
  ddAdd(rh, rl, -p2, -twoProductError(q, PIO2_2, p2));
  ddAdd(rh, rl, -q * PIO2_3, 0);
  const r = rh;
  const rLow = rl;
  ddMul(r, rLow, r, rLow);
  const r2H = rh;
  const r2L = rl;
  // sin r = r * sum (-1)^i r^2i / (2i+1)!,  cos r = sum (-1)^i r^2i / (2i)!
  // As in logAccurate: high-order terms in double, the last DD_TERMS + 1 Horner steps in double-double.
  let sTail = INV_FACT_H[29];
  let cTail = -INV_FACT_H[30];
  for (let i = 14; i > DD_TERMS; i--) {
    const sign = i % 2 === 0 ? 1 : -1;
    if (i < 14) sTail = sTail * r2H + sign * INV_FACT_H[2 * i + 1];
    cTail = cTail * r2H + sign * INV_FACT_H[2 * i];
  }
  let sH = sTail;
  let sL = 0;
  let cH = cTail;
  let cL = 0;
  for (let i = DD_TERMS; i >= 0; i--) {
    const sign = i % 2 === 0 ? 1 : -1;
    ddMul(sH, sL, r2H, r2L);
    ddAdd(rh, rl, sign * INV_FACT_H[2 * i + 1], sign * INV_FACT_L[2 * i + 1]);
    sH = rh;
    sL = rl;
    ddMul(cH, cL, r2H, r2L);
    ddAdd(rh, rl, sign * INV_FACT_H[2 * i], sign * INV_FACT_L[2 * i]);
    cH = rh;
    cL = rl;
  }
  ddMul(sH, sL, r, rLow);
  const sinR = rh + rl;
  const cosR = cH + cL;
  switch (((q % 4) + 4) % 4) {
    case 0:
      return [sinR, cosR];
    case 1:
      return [cosR, -sinR];
    case 2:
      return [-sinR, -cosR];
    default:
      return [-cosR, sinR];
  }
}
