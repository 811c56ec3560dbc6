/**
 * conv2d on batches and real channel counts as register-blocked products: 4×4 tiles of results kept in
 * registers while their operands stream through (8 loads per 16 multiply-adds, where a direct loop does 2 per 1
 * plus index arithmetic and padding tests), read from a zero-padded copy of the input or output gradient, or
 * from an unfolded matrix (the output gradient's columns, for strided input gradients).
 *
 * Every result element is summed in exactly the order of the direct loops in conv.ts (PyTorch 1.13's CPU
 * order for the backend the call would take): products only reorder *which element* is computed when, never
 * the terms within one element. The unfolded matrices hold 0 where the direct loops skip a tap (padding, or
 * an output position a tap does not reach); a finite product with 0 is ±0, and adding ±0 to a running sum that
 * started at +0 leaves it unchanged, so the zeros change nothing — unless a weight or an output gradient is
 * ±∞ or NaN (∞·0 = NaN). conv.ts therefore takes this path only when they are finite (`allFinite`).
 *
 * float32 sums round after every step as PyTorch's fused multiply-adds do: `fround(acc + a·b)`, the product
 * of two float32 values being exact in a double.
 *
 * Where WebAssembly SIMD runs (src/ops/conv-simd.ts), the products with contiguous columns — the forward and
 * the oneDNN input gradient at stride 1 (`blockedProducts`), the native input gradient's columns
 * (`leftProduct`), the weight gradient (`weightProductsSimd`) — run on its kernel, two lanes per instruction,
 * the same terms in the same order; the JavaScript tiles below are the rest (strided columns) and the fallback.
 */
import type { Storage } from '../tensor/dtype.js';
import { simdRegions } from './conv-simd.js';

/**
 * From how many multiply-adds a conv2d call runs on these products instead of conv.ts's direct loops: 2^16,
 * where the products pay for their padded copies. Both give the same bits; tests set `minMacs` to 0 or
 * Infinity to compare them. (Not part of the public API: src/ops/index.ts does not export this module.)
 */
export const convProducts = { minMacs: 1 << 16 };

/** The conv2d call's shape, as conv.ts resolves it (see its Geometry). */
export interface GemmGeometry {
  N: number; C: number; H: number; W: number;
  CO: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

// ------------------------------------------------------------------------------------------- unfolding

/**
 * The output gradient of sample n unfolded for the input gradient: gcol[rowOf[t], q] = the output gradient
 * that reaches input pixel q = (ih, iw) through tap t = (co, kh, kw), or 0 where none does.
 */
export function gradCol(g: GemmGeometry, gv: Storage, n: number, rowOf: Int32Array, gcol: Float64Array): void {
  const { H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const Q = H * W;
  for (let co = 0; co < CO; co++) {
    const plane = (n * CO + co) * OH;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        let q = rowOf[(co * KH + kh) * KW + kw] * Q;
        for (let ih = 0; ih < H; ih++) {
          const th = ih + ph - kh * dh;
          const oh = th / sh;
          if (th < 0 || th % sh !== 0 || oh >= OH) {
            gcol.fill(0, q, q + W);
            q += W;
            continue;
          }
          const row = (plane + oh) * OW;
          const shift = pw - kw * dw;
          if (sw === 1) {
            // the pixels a tap reaches from this output row: ow = iw + shift in [0, OW)
            const lo = Math.min(W, Math.max(0, -shift));
            const hi = Math.max(lo, Math.min(W, OW - shift));
            for (let iw = 0; iw < lo; iw++) gcol[q + iw] = 0;
            for (let iw = lo; iw < hi; iw++) gcol[q + iw] = gv[row + iw + shift];
            for (let iw = hi; iw < W; iw++) gcol[q + iw] = 0;
            q += W;
            continue;
          }
          for (let iw = 0; iw < W; iw++, q++) {
            const tw = iw + shift;
            const ow = tw / sw;
            gcol[q] = tw >= 0 && tw % sw === 0 && ow < OW ? gv[row + ow] : 0;
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------- products

/**
 * C[m, q] = Σ over k ascending of A[m, k]·B[k, q] (A is M×K, B is K×N, both row-major; C is M×N), starting
 * from 0: in double, or (`f32`) rounded to float32 after every multiply-add.
 */
export function matmul(A: Float64Array, B: Float64Array, M: number, K: number, N: number, C: Float64Array, f32: boolean): void {
  if (f32) matmulF32(A, B, M, K, N, C);
  else matmulF64(A, B, M, K, N, C);
}

function matmulF64(A: Float64Array, B: Float64Array, M: number, K: number, N: number, C: Float64Array): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = m * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    let q = 0;
    for (; q + 4 <= N; q += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, b = q; k < K; k++, b += N) {
        const b0 = B[b], b1 = B[b + 1], b2 = B[b + 2], b3 = B[b + 3];
        let a = A[a0 + k];
        c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
        a = A[a1 + k];
        c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
        a = A[a2 + k];
        c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
        a = A[a3 + k];
        c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
      }
      let o = m * N + q;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (; q < N; q++) for (let r = m; r < m + 4; r++) C[r * N + q] = dotF64(A, r * K, 1, B, q, N, K, 0);
  }
  for (; m < M; m++) for (let q = 0; q < N; q++) C[m * N + q] = dotF64(A, m * K, 1, B, q, N, K, 0);
}

function matmulF32(A: Float64Array, B: Float64Array, M: number, K: number, N: number, C: Float64Array): void {
  const f = Math.fround;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = m * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    let q = 0;
    for (; q + 4 <= N; q += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, b = q; k < K; k++, b += N) {
        const b0 = B[b], b1 = B[b + 1], b2 = B[b + 2], b3 = B[b + 3];
        let a = A[a0 + k];
        c00 = f(c00 + a * b0); c01 = f(c01 + a * b1); c02 = f(c02 + a * b2); c03 = f(c03 + a * b3);
        a = A[a1 + k];
        c10 = f(c10 + a * b0); c11 = f(c11 + a * b1); c12 = f(c12 + a * b2); c13 = f(c13 + a * b3);
        a = A[a2 + k];
        c20 = f(c20 + a * b0); c21 = f(c21 + a * b1); c22 = f(c22 + a * b2); c23 = f(c23 + a * b3);
        a = A[a3 + k];
        c30 = f(c30 + a * b0); c31 = f(c31 + a * b1); c32 = f(c32 + a * b2); c33 = f(c33 + a * b3);
      }
      let o = m * N + q;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (; q < N; q++) for (let r = m; r < m + 4; r++) C[r * N + q] = dotF32(A, r * K, 1, B, q, N, K, 0);
  }
  for (; m < M; m++) for (let q = 0; q < N; q++) C[m * N + q] = dotF32(A, m * K, 1, B, q, N, K, 0);
}

/** start + Σ over k of A[a + k·as]·B[b + k·bs], in double. */
function dotF64(A: Float64Array, a: number, as: number, B: Float64Array, b: number, bs: number, K: number, start: number): number {
  let c = start;
  for (let k = 0; k < K; k++, a += as, b += bs) c += A[a] * B[b];
  return c;
}

/** The same, rounded to float32 after every multiply-add. */
function dotF32(A: Float64Array, a: number, as: number, B: Float64Array, b: number, bs: number, K: number, start: number): number {
  const f = Math.fround;
  let c = start;
  for (let k = 0; k < K; k++, a += as, b += bs) c = f(c + A[a] * B[b]);
  return c;
}

// ------------------------------------------------------------------------------------------- register-blocked direct loops
//
// The same products without unfolding: the input (or output gradient) of one sample is copied once into a
// zero-padded plane set, and each 4×4 tile of results reads its operands straight from it. Unfolding copies
// every value KH·KW times; these read it in place.

/** Where a sample's planes go in a zero-padded copy: `channels` planes of H×W at (top, left) of Hp×Wp planes. */
export interface PadSpec { src: Storage; channels: number; H: number; W: number; top: number; left: number; Hp: number; Wp: number }

/**
 * Sample n's planes written into the padded copy at dst[at …], interior only: the borders are zeros the copy
 * was made with, which every sample leaves alone — so one buffer serves all samples.
 */
export function padPlanesInto(p: PadSpec, n: number, dst: Float64Array, at: number): void {
  const { src, channels, H, W, Hp, Wp } = p;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < H; i++) {
      const s = ((n * channels + c) * H + i) * W;
      const d = at + (c * Hp + p.top + i) * Wp + p.left;
      for (let j = 0; j < W; j++) dst[d + j] = src[s + j];
    }
  }
}

/**
 * A 4×4 tile of sums from zero over l < L of A[4·l + j]·B[bo[l] + base + p·bs] (j, p < 4): A holds 4 rows
 * packed side by side, columns p read B at offsets bo[l] and a stride; `f32` rounds every step to float32.
 * out[o + j·rs + p] receives row j, column p (the first `rows` rows), as is or (`add`) added to what it holds,
 * the store rounding to the storage's dtype.
 */
export function tile4x4Out(
  A: Float64Array, B: Float64Array, bo: Int32Array, base: number, bs: number, L: number,
  out: Storage, o: number, rs: number, rows: number, add: boolean, f32: boolean,
): void {
  if (f32) tile4x4OutF32(A, B, bo, base, bs, L, out, o, rs, rows, add);
  else tile4x4OutF64(A, B, bo, base, bs, L, out, o, rs, rows, add);
}

function tile4x4OutF32(
  A: Float64Array, B: Float64Array, bo: Int32Array, base: number, bs: number, L: number, out: Storage, o: number, rs: number, rows: number, add: boolean,
): void {
  const f = Math.fround;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const bs2 = 2 * bs;
  const bs3 = 3 * bs;
  for (let l = 0, a = 0; l < L; l++, a += 4) {
    const b = bo[l] + base;
    const b0 = B[b], b1 = B[b + bs], b2 = B[b + bs2], b3 = B[b + bs3];
    let v = A[a];
    c00 = f(c00 + v * b0); c01 = f(c01 + v * b1); c02 = f(c02 + v * b2); c03 = f(c03 + v * b3);
    v = A[a + 1];
    c10 = f(c10 + v * b0); c11 = f(c11 + v * b1); c12 = f(c12 + v * b2); c13 = f(c13 + v * b3);
    v = A[a + 2];
    c20 = f(c20 + v * b0); c21 = f(c21 + v * b1); c22 = f(c22 + v * b2); c23 = f(c23 + v * b3);
    v = A[a + 3];
    c30 = f(c30 + v * b0); c31 = f(c31 + v * b1); c32 = f(c32 + v * b2); c33 = f(c33 + v * b3);
  }
  // (written out: a helper taking the sums as arguments would box each one)
  if (add) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
    if (rows > 1) { o += rs; out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13; }
    if (rows > 2) { o += rs; out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23; }
    if (rows > 3) { o += rs; out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33; }
  } else {
    out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
    if (rows > 1) { o += rs; out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; }
    if (rows > 2) { o += rs; out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; }
    if (rows > 3) { o += rs; out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33; }
  }
}

function tile4x4OutF64(
  A: Float64Array, B: Float64Array, bo: Int32Array, base: number, bs: number, L: number, out: Storage, o: number, rs: number, rows: number, add: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const bs2 = 2 * bs;
  const bs3 = 3 * bs;
  for (let l = 0, a = 0; l < L; l++, a += 4) {
    const b = bo[l] + base;
    const b0 = B[b], b1 = B[b + bs], b2 = B[b + bs2], b3 = B[b + bs3];
    let v = A[a];
    c00 += v * b0; c01 += v * b1; c02 += v * b2; c03 += v * b3;
    v = A[a + 1];
    c10 += v * b0; c11 += v * b1; c12 += v * b2; c13 += v * b3;
    v = A[a + 2];
    c20 += v * b0; c21 += v * b1; c22 += v * b2; c23 += v * b3;
    v = A[a + 3];
    c30 += v * b0; c31 += v * b1; c32 += v * b2; c33 += v * b3;
  }
  // (written out: a helper taking the sums as arguments would box each one)
  if (add) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03;
    if (rows > 1) { o += rs; out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13; }
    if (rows > 2) { o += rs; out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23; }
    if (rows > 3) { o += rs; out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33; }
  } else {
    out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
    if (rows > 1) { o += rs; out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; }
    if (rows > 2) { o += rs; out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; }
    if (rows > 3) { o += rs; out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33; }
  }
}

/** One element of a tile (row j, column p) continued over l < L, for the edges a 4×4 tile does not cover. */
export function tileElement(A: Float64Array, j: number, B: Float64Array, bo: Int32Array, at: number, L: number, start: number, f32: boolean): number {
  let c = start;
  if (f32) {
    const f = Math.fround;
    for (let l = 0; l < L; l++) c = f(c + A[4 * l + j] * B[bo[l] + at]);
  } else {
    for (let l = 0; l < L; l++) c = c + A[4 * l + j] * B[bo[l] + at];
  }
  return c;
}

/**
 * The weight-gradient tile: acc[4·j + k] (out-channel j, tap k) continues its sums over the output positions
 * (oh, ow) in order with g[gBase + j·P + oh·OW + ow] · X[xo[k] + oh·rs + ow·cs] — the output gradient of
 * 4 channels against the padded input under 4 taps.
 */
export function weightTile4x4(
  gv: Float64Array, gBase: number, P: number, X: Float64Array, xo: Int32Array, OH: number, OW: number, rs: number, cs: number,
  acc: Float64Array, f32: boolean,
): void {
  if (f32) weightTile4x4F32(gv, gBase, P, X, xo, OH, OW, rs, cs, acc);
  else weightTile4x4F64(gv, gBase, P, X, xo, OH, OW, rs, cs, acc);
}

function weightTile4x4F32(
  gv: Float64Array, gBase: number, P: number, X: Float64Array, xo: Int32Array, OH: number, OW: number, rs: number, cs: number, acc: Float64Array,
): void {
  const f = Math.fround;
  let c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3], c10 = acc[4], c11 = acc[5], c12 = acc[6], c13 = acc[7];
  let c20 = acc[8], c21 = acc[9], c22 = acc[10], c23 = acc[11], c30 = acc[12], c31 = acc[13], c32 = acc[14], c33 = acc[15];
  const x0 = xo[0], x1 = xo[1], x2 = xo[2], x3 = xo[3];
  const g1 = gBase + P, g2 = g1 + P, g3 = g2 + P;
  for (let oh = 0; oh < OH; oh++) {
    const gr = oh * OW;
    let xr = oh * rs;
    for (let ow = 0; ow < OW; ow++, xr += cs) {
      const p = gr + ow;
      const b0 = X[x0 + xr], b1 = X[x1 + xr], b2 = X[x2 + xr], b3 = X[x3 + xr];
      let v = gv[gBase + p];
      c00 = f(c00 + v * b0); c01 = f(c01 + v * b1); c02 = f(c02 + v * b2); c03 = f(c03 + v * b3);
      v = gv[g1 + p];
      c10 = f(c10 + v * b0); c11 = f(c11 + v * b1); c12 = f(c12 + v * b2); c13 = f(c13 + v * b3);
      v = gv[g2 + p];
      c20 = f(c20 + v * b0); c21 = f(c21 + v * b1); c22 = f(c22 + v * b2); c23 = f(c23 + v * b3);
      v = gv[g3 + p];
      c30 = f(c30 + v * b0); c31 = f(c31 + v * b1); c32 = f(c32 + v * b2); c33 = f(c33 + v * b3);
    }
  }
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03; acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
  acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23; acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
}

function weightTile4x4F64(
  gv: Float64Array, gBase: number, P: number, X: Float64Array, xo: Int32Array, OH: number, OW: number, rs: number, cs: number, acc: Float64Array,
): void {
  let c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3], c10 = acc[4], c11 = acc[5], c12 = acc[6], c13 = acc[7];
  let c20 = acc[8], c21 = acc[9], c22 = acc[10], c23 = acc[11], c30 = acc[12], c31 = acc[13], c32 = acc[14], c33 = acc[15];
  const x0 = xo[0], x1 = xo[1], x2 = xo[2], x3 = xo[3];
  const g1 = gBase + P, g2 = g1 + P, g3 = g2 + P;
  for (let oh = 0; oh < OH; oh++) {
    const gr = oh * OW;
    let xr = oh * rs;
    for (let ow = 0; ow < OW; ow++, xr += cs) {
      const p = gr + ow;
      const b0 = X[x0 + xr], b1 = X[x1 + xr], b2 = X[x2 + xr], b3 = X[x3 + xr];
      let v = gv[gBase + p];
      c00 += v * b0; c01 += v * b1; c02 += v * b2; c03 += v * b3;
      v = gv[g1 + p];
      c10 += v * b0; c11 += v * b1; c12 += v * b2; c13 += v * b3;
      v = gv[g2 + p];
      c20 += v * b0; c21 += v * b1; c22 += v * b2; c23 += v * b3;
      v = gv[g3 + p];
      c30 += v * b0; c31 += v * b1; c32 += v * b2; c33 += v * b3;
    }
  }
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03; acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
  acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23; acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
}

/** One weight-gradient element (channel row gRow, tap offset xOff) continued over the positions, for the edges. */
export function weightElement(
  gv: Float64Array, gRow: number, X: Float64Array, xOff: number, OH: number, OW: number, rs: number, cs: number, start: number, f32: boolean,
): number {
  let c = start;
  const f = Math.fround;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const t = gv[gRow + oh * OW + ow] * X[xOff + oh * rs + ow * cs];
      c = f32 ? f(c + t) : c + t;
    }
  }
  return c;
}

// ------------------------------------------------------------------------------------------- blocked products
//
// The forward and the oneDNN input gradient are the same product: per sample, results (row, r, k) — a channel,
// an output row, a column — each summing a block's taps over a zero-padded operand, blocks' sums then added.

/**
 * One block of taps (forward: of input channels; input gradient: of out-channels), in the backend's order:
 * where tap l reads the padded operand (bo[l], in doubles) and its weights by groups of 4 result rows
 * (A[g][4l + j]: result row 4g + j).
 */
export interface TapBlock { L: number; bo: Int32Array; A: Float64Array[] }

/** A sample's results: `rows` planes of outRows × cols; result (r, k) reads the operand at r·rowStride + k·colStride. */
export interface BlockedShape { rows: number; outRows: number; cols: number; rowStride: number; colStride: number }

/**
 * For each of N samples, its padded operand (`pad`), then out[(n·rows + row)·plane + r·cols + k] receives each
 * block's sum from 0 over l of A[4l + j]·B[bo[l] + r·rowStride + k·colStride]: stored by the first block unless
 * `addFirst` (a bias already there), added by the others, each addition rounding to out's dtype as the
 * backend adds block partial sums.
 */
export function blockedProducts(
  blocks: readonly TapBlock[], shape: BlockedShape, N: number, pad: PadSpec, out: Storage, addFirst: boolean, f32: boolean,
): void {
  const size = pad.channels * pad.Hp * pad.Wp;
  if (shape.colStride === 1 && blockedSimd(blocks, shape, N, pad, size, out, addFirst, f32)) return;
  const B = new Float64Array(size);
  const { rows, outRows, cols, rowStride, colStride } = shape;
  const plane = outRows * cols;
  for (let n = 0; n < N; n++) {
    padPlanesInto(pad, n, B, 0);
    const outOff = n * rows * plane;
    for (let bi = 0; bi < blocks.length; bi++) {
      const { L, bo, A } = blocks[bi];
      const add = addFirst || bi > 0;
      for (let r0 = 0; r0 < rows; r0 += 4) {
        const nr = Math.min(4, rows - r0);
        const a = A[r0 >> 2];
        for (let r = 0; r < outRows; r++) {
          const base = r * rowStride;
          const o = outOff + r0 * plane + r * cols;
          let k = 0;
          for (; k + 4 <= cols; k += 4) tile4x4Out(a, B, bo, base + k * colStride, colStride, L, out, o + k, plane, nr, add, f32);
          for (; k < cols; k++) {
            for (let j = 0; j < nr; j++) {
              const v = tileElement(a, j, B, bo, base + k * colStride, L, 0, f32);
              const i = o + j * plane + k;
              out[i] = add ? out[i] + v : v;
            }
          }
        }
      }
    }
  }
}

/** blockedProducts on the SIMD kernel (contiguous columns only); false when it cannot run here. */
function blockedSimd(
  blocks: readonly TapBlock[], shape: BlockedShape, N: number, pad: PadSpec, size: number, out: Storage, addFirst: boolean, f32: boolean,
): boolean {
  const { rows, outRows, cols, rowStride } = shape;
  const nq = Math.ceil(cols / 4);
  const cw = 4 * nq; // a scratch row: whole quads of columns (those past `cols` are dropped)
  const sizes = [size, 16 * nq];
  for (const b of blocks) sizes.push(b.A.length * 4 * b.L, b.L);
  const s = simdRegions(sizes, f32);
  if (s === null) return false;
  const { f64, i32, at, tile } = s;
  const B = at[0];
  const C = at[1];
  blocks.forEach((b, bi) => {
    b.A.forEach((a, g) => f64.set(a, at[2 + 2 * bi] + g * 4 * b.L));
    for (let l = 0; l < b.L; l++) i32[2 * at[3 + 2 * bi] + l] = 8 * b.bo[l];
  });
  const plane = outRows * cols;
  for (let n = 0; n < N; n++) {
    padPlanesInto(pad, n, f64, B);
    const outOff = n * rows * plane;
    for (let bi = 0; bi < blocks.length; bi++) {
      const L = blocks[bi].L;
      const add = addFirst || bi > 0;
      for (let r0 = 0; r0 < rows; r0 += 4) {
        const nr = Math.min(4, rows - r0);
        const a = 8 * (at[2 + 2 * bi] + r0 * L);
        for (let r = 0; r < outRows; r++) {
          tile(a, 8 * at[3 + 2 * bi], L, 8 * (B + r * rowStride), 8 * C, 8 * cw, nq, 0);
          const o = outOff + r0 * plane + r * cols;
          for (let j = 0; j < nr; j++) {
            const d = o + j * plane;
            const c = C + j * cw;
            if (add) for (let k = 0; k < cols; k++) out[d + k] += f64[c + k];
            else for (let k = 0; k < cols; k++) out[d + k] = f64[c + k];
          }
        }
      }
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------- a fixed left factor

/** C = A·B for a fixed A and one B after another (the native input gradient's columns, per sample). */
export interface LeftProduct {
  /** Computes C for B = the K×N row-major matrix at src[from …]. */
  run(src: Storage, from: number): void;
  /** C's element (m, q) is out[at + m·stride + q]. */
  out: Float64Array; at: number; stride: number;
}

/**
 * A (M×K, row-major) ready for products with K×N matrices: each C[m, q] = Σ over k ascending of
 * A[m, k]·B[k, q] from 0, rounded to float32 after every step when `f32` — on the SIMD kernel where it runs
 * (4 rows of A by quads of columns; C's rows padded to whole quads), else with `matmul`.
 */
export function leftProduct(A: Float64Array, M: number, K: number, N: number, f32: boolean): LeftProduct {
  const G = Math.ceil(M / 4);
  const Nq = 4 * Math.ceil(N / 4);
  const s = simdRegions([G * 4 * K, K * N, G * 4 * Nq, K], f32);
  if (s === null) {
    const B = new Float64Array(K * N);
    const C = new Float64Array(M * N);
    return {
      run(src, from) {
        for (let i = 0; i < K * N; i++) B[i] = src[from + i];
        matmul(A, B, M, K, N, C, f32);
      },
      out: C, at: 0, stride: N,
    };
  }
  const { f64, i32, at, tile } = s;
  const [aAt, bAt, cAt, boAt] = at;
  // panel g: A[4g + j, k] at 4k + j (rows past M stay 0, their results unread)
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) f64[aAt + (m >> 2) * 4 * K + 4 * k + (m & 3)] = A[m * K + k];
  for (let k = 0; k < K; k++) i32[2 * boAt + k] = 8 * k * N;
  return {
    run(src, from) {
      for (let i = 0; i < K * N; i++) f64[bAt + i] = src[from + i];
      for (let g = 0; g < G; g++) tile(8 * (aAt + g * 4 * K), 8 * boAt, K, 8 * bAt, 8 * (cAt + 4 * g * Nq), 8 * Nq, Nq / 4, 0);
    },
    out: f64, at: cAt, stride: Nq,
  };
}

// ------------------------------------------------------------------------------------------- weight gradient

/** The weight gradient's operands: a sample's padded input (`pad`), where tap t reads it (xo), the output grid. */
export interface WeightShape { CO: number; K: number; OH: number; OW: number; rs: number; cs: number; xo: Int32Array }

/**
 * gw[co, t] = Σ over samples and output positions (n, oh, ow) in order of g[n, co, oh, ow]·X_n[xo[t] + oh·rs + ow·cs]
 * on the SIMD kernel: per sample the input unfolded (by quads of taps: position × 4 taps) and the output
 * gradient packed 4 channels side by side, then one product per 4 channels. oneDNN (`chain`) continues one
 * sum over (n, oh, ow); the native backend sums each sample from 0 and adds the samples' sums in turn.
 * False when the kernel cannot run here.
 */
export function weightProductsSimd(
  gv: Storage, N: number, pad: PadSpec, w: WeightShape, chain: boolean, gw: Storage, f32: boolean,
): boolean {
  const { CO, K, OH, OW, rs, cs, xo } = w;
  const P = OH * OW;
  const G = Math.ceil(CO / 4);
  const Kq = 4 * Math.ceil(K / 4);
  const s = simdRegions([pad.channels * pad.Hp * pad.Wp, P * Kq, G * 4 * P, G * 4 * Kq, P], f32);
  if (s === null) return false;
  const { f64, i32, at, tile } = s;
  const [xAt, colAt, gAt, accAt, boAt] = at;
  // the unfolded input by quads of taps, each quad's P rows of 4 in turn: a product streams it in order
  for (let p = 0; p < P; p++) i32[2 * boAt + p] = 32 * p;
  const total = chain ? null : new Float64Array(CO * K);
  for (let n = 0; n < N; n++) {
    padPlanesInto(pad, n, f64, xAt);
    for (let q = 0; q < Kq / 4; q++) unfoldQuad(f64, xAt, xo, 4 * q, Math.min(4, K - 4 * q), OH, OW, rs, cs, colAt + 4 * q * P);
    // the output gradient 4 channels side by side per position (a short group's missing rows stay zeros)
    for (let co0 = 0; co0 < CO; co0 += 4) {
      const src = (n * CO + co0) * P;
      const dst = gAt + co0 * P;
      if (co0 + 4 <= CO) {
        for (let p = 0, d = dst; p < P; p++, d += 4) {
          f64[d] = gv[src + p]; f64[d + 1] = gv[src + P + p]; f64[d + 2] = gv[src + 2 * P + p]; f64[d + 3] = gv[src + 3 * P + p];
        }
      } else {
        for (let j = 0; co0 + j < CO; j++) for (let p = 0; p < P; p++) f64[dst + 4 * p + j] = gv[src + j * P + p];
      }
    }
    for (let g = 0; g < G; g++) {
      const a = 8 * (gAt + g * 4 * P);
      for (let q = 0; q < Kq / 4; q++) tile(a, 8 * boAt, P, 8 * (colAt + q * 4 * P), 8 * (accAt + 4 * g * Kq + 4 * q), 8 * Kq, 1, chain ? 1 : 0);
    }
    if (total !== null) {
      for (let co = 0; co < CO; co++) {
        for (let t = 0; t < K; t++) {
          const v = total[co * K + t] + f64[accAt + co * Kq + t];
          total[co * K + t] = f32 ? Math.fround(v) : v;
        }
      }
    }
  }
  for (let co = 0; co < CO; co++) for (let t = 0; t < K; t++) gw[co * K + t] = total === null ? f64[accAt + co * Kq + t] : total[co * K + t];
  return true;
}

/**
 * Taps t0 … t0 + count − 1 (count ≤ 4) of the padded input at X[xAt …] unfolded into rows of 4 at dst, one
 * row per output position (oh, ow) in order: written row by row, each row's four values from four places.
 * Columns past `count` are left as they are (zeros: taps past the last).
 */
function unfoldQuad(
  X: Float64Array, xAt: number, xo: Int32Array, t0: number, count: number, OH: number, OW: number, rs: number, cs: number, dst: number,
): void {
  if (count === 4) {
    const x0 = xAt + xo[t0], x1 = xAt + xo[t0 + 1], x2 = xAt + xo[t0 + 2], x3 = xAt + xo[t0 + 3];
    for (let oh = 0, d = dst; oh < OH; oh++) {
      for (let ow = 0, s = oh * rs; ow < OW; ow++, s += cs, d += 4) {
        X[d] = X[x0 + s]; X[d + 1] = X[x1 + s]; X[d + 2] = X[x2 + s]; X[d + 3] = X[x3 + s];
      }
    }
    return;
  }
  for (let j = 0; j < count; j++) {
    const x = xAt + xo[t0 + j];
    for (let oh = 0, d = dst + j; oh < OH; oh++) {
      for (let ow = 0, s = oh * rs; ow < OW; ow++, s += cs, d += 4) X[d] = X[x + s];
    }
  }
}
