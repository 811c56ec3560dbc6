import { record } from '../autograd/record.js';
import { type DType, type Storage, allocate, torchDTypeName } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, numelOf, shapeString, viewStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

// Matrix products (matmul, mm, linear) and the two summation kernels every other family borrows: PyTorch's
// float sum (`sumDims`) and its BLAS dot-product orders (`gemm`). Results are rounded as PyTorch 1.13 rounds
// them on the CPU the reference fixtures came from (x86-64, ATen AVX2 kernels, OpenBLAS with AVX-512):
//
// - float32 BLAS products add their terms in k order with a fused multiply-add each (`fround(acc + a*b)`:
//   a product of two float32 is exact in a double), then add into C once when C already holds a bias;
// - except OpenBLAS's small-matrix "TN" kernel (both operands contiguous along k, k ≥ 32, M·N ≤ 1200,
//   M·N·K ≤ 100³), which spreads the terms over 16 lanes (term k into lane k mod 16) and sums the lanes
//   pairwise, (l0+l1)+(l2+l3)… — this is what `F.conv2d`'s weight gradient uses for small images;
// - batched products with K·M·N < 400 use ATen's own loop: product rounded, then added (no FMA);
// - float64 uses plain double arithmetic (PyTorch's results agree to ~1e-16 relative).
// Where PyTorch goes through BLAS gemv/dot (mv, dot) the order has not been checked: we add in k order.

/** Rounds after every step in float32; identity in float64. */
function rounding(dtype: DType): (x: number) => number {
  return dtype === 'float32' ? Math.fround : (x) => x;
}

// ---------------------------------------------------------------- PyTorch's float summation order

/** c10's CeilLog2, which is 1 for x ≤ 2 (also used by chain-codegen.ts's copy of sumAll). */
export function ceilLog2(x: number): number {
  return x <= 2 ? 1 : 32 - Math.clz32(x - 1);
}

/**
 * One lane of ATen's `multi_row_sum`: `size` values at `base`, `base+stride`, … summed in chunks of 16 (or
 * more for huge sizes) whose sums are carried up through four levels, so only similar magnitudes meet.
 */
function cascadeLane(src: Storage, base: number, stride: number, size: number, r: (x: number) => number): number {
  const levelPower = Math.max(4, Math.floor(ceilLog2(size) / 4));
  const step = 1 << levelPower;
  const mask = step - 1;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = 0;
  let p = base;
  while (i + step <= size) {
    for (let j = 0; j < step; j++, i++, p += stride) a0 = r(a0 + src[p]);
    a1 = r(a1 + a0);
    a0 = 0;
    if ((i & (mask << levelPower)) === 0) {
      a2 = r(a2 + a1);
      a1 = 0;
      if ((i & (mask << (2 * levelPower))) === 0) {
        a3 = r(a3 + a2);
        a2 = 0;
      }
    }
  }
  for (; i < size; i++, p += stride) a0 = r(a0 + src[p]);
  a0 = r(a0 + a1);
  a0 = r(a0 + a2);
  return r(a0 + a3);
}

/** ATen's `row_sum`: four interleaved partial sums (element i into partial i mod 4), the tail into the first. */
function rowSum(src: Storage, base: number, stride: number, size: number, r: (x: number) => number): number {
  const sizeIlp = Math.floor(size / 4);
  let p0 = cascadeLane(src, base, 4 * stride, sizeIlp, r);
  const p1 = cascadeLane(src, base + stride, 4 * stride, sizeIlp, r);
  const p2 = cascadeLane(src, base + 2 * stride, 4 * stride, sizeIlp, r);
  const p3 = cascadeLane(src, base + 3 * stride, 4 * stride, sizeIlp, r);
  for (let i = sizeIlp * 4; i < size; i++) p0 = r(p0 + src[base + i * stride]);
  p0 = r(p0 + p1);
  p0 = r(p0 + p2);
  return r(p0 + p3);
}

/** ATen's `vectorized_inner_sum` of one contiguous row: vectors of `V` lanes, then the scalar tail, then the lanes. */
function vectorRowSum(src: Storage, base: number, size: number, V: number, r: (x: number) => number): number {
  const vecSize = Math.floor(size / V);
  let acc = 0;
  for (let k = vecSize * V; k < size; k++) acc = r(acc + src[base + k]);
  for (let lane = 0; lane < V; lane++) acc = r(acc + rowSum(src, base + lane, V, vecSize, r));
  return acc;
}

interface IterDim { size: number; inStride: number; outStride: number }

/**
 * Sum of a row-major `src` of `shape` over the dims flagged in `reduce`, added in exactly the order of
 * PyTorch 1.13's CPU `sum` (TensorIterator's dim coalescing and `cascade_sum`, one thread, AVX2 vectors of
 * 8 floats / 4 doubles). Returns the kept elements in row-major order. `mean` is this divided by the count.
 */
export function sumDims(src: Storage, shape: readonly number[], reduce: readonly boolean[]): Storage {
  const dtype: DType = src instanceof Float32Array ? 'float32' : 'float64';
  const nd = shape.length;
  let keptNumel = 1;
  for (let d = 0; d < nd; d++) if (!reduce[d]) keptNumel *= shape[d];
  const out = allocate(dtype, keptNumel);
  const numel = numelOf(shape);
  if (keptNumel === 1) {
    out[0] = sumAll(src, numel);
    return out;
  }
  if (numel === 0) return out;
  const r = rounding(dtype);
  const V = dtype === 'float32' ? 8 : 4;
  const outStrideOf = new Array<number>(nd);
  for (let d = nd - 1, stride = 1; d >= 0; d--) {
    if (reduce[d]) outStrideOf[d] = 0;
    else {
      outStrideOf[d] = stride;
      stride *= shape[d];
    }
  }
  // TensorIterator: innermost dim first, size-1 dims dropped, neighbours merged when every stride allows it.
  const inStrides = contiguousStrides(shape);
  const dims: IterDim[] = [];
  for (let d = nd - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    const last = dims[dims.length - 1];
    if (last && last.size * last.inStride === inStrides[d] && last.size * last.outStride === outStrideOf[d]) {
      last.size *= shape[d];
    } else dims.push({ size: shape[d], inStride: inStrides[d], outStride: outStrideOf[d] });
  }
  if (dims.length === 0) {
    out[0] = r(0 + src[0]);
    return out;
  }
  const d0 = dims[0];
  const d1 = dims[1] ?? { size: 1, inStride: 0, outStride: 0 };
  const outer = dims.slice(2);
  const counter = new Array<number>(outer.length).fill(0);
  let inBase = 0;
  let outBase = 0;
  for (;;) {
    sumPlane(src, out, inBase, outBase, d0, d1, V, r);
    let k = 0;
    for (; k < outer.length; k++) {
      counter[k]++;
      inBase += outer[k].inStride;
      outBase += outer[k].outStride;
      if (counter[k] < outer[k].size) break;
      inBase -= outer[k].inStride * outer[k].size;
      outBase -= outer[k].outStride * outer[k].size;
      counter[k] = 0;
    }
    if (k === outer.length) break;
  }
  return out;
}

/**
 * `sumDims` reducing everything, as one number: the sum of `src[0 .. n)` (a contiguous run, in the storage's
 * dtype) in PyTorch 1.13's order. Every dim is reduced, so TensorIterator coalesces the dims into one run (or
 * drops them all when n is 1), which cascade_sum adds with vectorRowSum when it spans a vector, else with
 * rowSum, into an output that starts at 0.
 */
export function sumAll(src: Storage, n: number): number {
  if (n === 0) return 0;
  const f32 = src instanceof Float32Array;
  const r = f32 ? Math.fround : identity;
  const V = f32 ? 8 : 4;
  if (n < V) return f32 ? Math.fround(0 + shortRowSumF32(src, n)) : 0 + shortRowSumF64(src, n);
  return r(0 + (n >= V ? vectorRowSum(src, 0, n, V, r) : rowSum(src, 0, 1, n, r)));
}

// rowSum(src, 0, 1, n) for n < 8, written out: at most one element per interleaved partial sum (each partial is
// then `0 + it`, as cascadeLane leaves a single element), the rest added into the first, then the partials in
// order. Once per dtype: the conv2d bias gradient of every training step takes this path, and a rounding function
// passed as an argument is a call V8 may not inline.

function shortRowSumF32(src: Storage, n: number): number {
  const f = Math.fround;
  if (n < 4) {
    let p0 = 0;
    for (let i = 0; i < n; i++) p0 = f(p0 + src[i]);
    return p0;
  }
  let p0 = f(0 + src[0]);
  for (let i = 4; i < n; i++) p0 = f(p0 + src[i]);
  return f(f(f(p0 + f(0 + src[1])) + f(0 + src[2])) + f(0 + src[3]));
}

function shortRowSumF64(src: Storage, n: number): number {
  if (n < 4) {
    let p0 = 0;
    for (let i = 0; i < n; i++) p0 = p0 + src[i];
    return p0;
  }
  let p0 = 0 + src[0];
  for (let i = 4; i < n; i++) p0 = p0 + src[i];
  return p0 + (0 + src[1]) + (0 + src[2]) + (0 + src[3]);
}

function identity(x: number): number {
  return x;
}

/** `cascade_sum`'s 2-D loop body: picks the inner/outer, vectorised/scalar kernel exactly as ATen does. */
function sumPlane(src: Storage, out: Storage, inBase: number, outBase: number, a: IterDim, b: IterDim, V: number, r: (x: number) => number): void {
  // the reduced dim goes inside: swap when only the first one is kept
  const swap = a.outStride !== 0 && b.outStride === 0;
  const size0 = swap ? b.size : a.size;
  const in0 = swap ? b.inStride : a.inStride;
  const o0 = swap ? b.outStride : a.outStride;
  const size1 = swap ? a.size : b.size;
  const in1 = swap ? a.inStride : b.inStride;
  const o1 = swap ? a.outStride : b.outStride;
  if (o0 !== 0 && o1 !== 0) {
    // not a reduction in these two dims: accumulate elementwise
    for (let j = 0; j < size1; j++) {
      for (let i = 0; i < size0; i++) {
        const o = outBase + j * o1 + i * o0;
        out[o] = r(out[o] + src[inBase + j * in1 + i * in0]);
      }
    }
    return;
  }
  if (in0 === 1 && size0 >= V) {
    for (let j = 0; j < size1; j++) addInto(out, outBase + j * o1, vectorRowSum(src, inBase + j * in1, size0, V, r), r);
  } else if (in1 === 1 && size1 >= V) {
    let j = 0;
    for (; j + 4 * V <= size1; j += 4 * V) {
      for (let c = 0; c < 4 * V; c++) addInto(out, outBase + (j + c) * o1, cascadeLane(src, inBase + j + c, in0, size0, r), r);
    }
    for (; j < size1; j++) addInto(out, outBase + j * o1, rowSum(src, inBase + j, in0, size0, r), r);
  } else if (in0 < in1) {
    for (let j = 0; j < size1; j++) addInto(out, outBase + j * o1, rowSum(src, inBase + j * in1, in0, size0, r), r);
  } else {
    let j = 0;
    for (; j + 3 < size1; j += 4) {
      for (let c = 0; c < 4; c++) addInto(out, outBase + (j + c) * o1, cascadeLane(src, inBase + (j + c) * in1, in0, size0, r), r);
    }
    for (; j < size1; j++) addInto(out, outBase + j * o1, rowSum(src, inBase + j * in1, in0, size0, r), r);
  }
}

/** out[o] += v, rounded in the dtype. */
function addInto(out: Storage, o: number, v: number, r: (x: number) => number): void {
  out[o] = r(out[o] + v);
}

/** Sums a gradient of `shape` down to `target` (broadcast undone) in PyTorch's order: `sum_to_size`. */
export function sumToShape(g: Storage, shape: readonly number[], target: readonly number[]): Storage {
  const lead = shape.length - target.length;
  const reduce = shape.map((s, i) => i < lead || (target[i - lead] === 1 && s !== 1));
  if (!reduce.some(Boolean)) return g;
  return sumDims(g, shape, reduce);
}

// ---------------------------------------------------------------- matrix kernels

/** A strided 2-D window onto a storage: element (i, j) is `data[offset + i*rs + j*cs]`. */
export interface Mat {
  data: Storage;
  offset: number;
  rows: number;
  cols: number;
  rs: number;
  cs: number;
}

export type DotOrder = 'fma' | 'unfused' | 'lanes16';

export function matOf(t: Tensor): Mat {
  return { data: t.data, offset: t.offset, rows: t.shape[0], cols: t.shape[1], rs: t.strides[0], cs: t.strides[1] };
}

/** The transposed window (no copy). */
export function matT(m: Mat): Mat {
  return { data: m.data, offset: m.offset, rows: m.cols, cols: m.rows, rs: m.cs, cs: m.rs };
}

/** A row-major window over a whole storage. */
export function rowMajor(data: Storage, rows: number, cols: number, offset = 0): Mat {
  return { data, offset, rows, cols, rs: cols, cs: 1 };
}

/**
 * Whether PyTorch's `addmm_impl_cpu_` hands OpenBLAS a "TN" call for C = a·b (C row-major): BLAS's first
 * operand is b, second a (C is seen column-major), and each is "transposed" when its layout says so.
 */
function isTN(a: Mat, b: Mat): boolean {
  const M = a.rows;
  const K = a.cols;
  const N = b.cols;
  if (N !== 1) {
    const transA = b.cs === 1 && b.rs >= Math.max(1, N) ? false : b.rs === 1 && b.cs >= Math.max(1, K);
    const transB = a.cs === 1 && a.rs >= Math.max(1, K) ? false : a.rs === 1 && a.cs >= Math.max(1, M);
    return transA && !transB;
  }
  const transA = a.rs === 1 && a.cs >= Math.max(1, M) ? false : true;
  const transB = b.rs === 1 && b.cs >= Math.max(1, K) ? false : true;
  return transA && !transB;
}

/** The term order a 2-D float product takes in PyTorch (see the top of this file). */
export function mmOrder(dtype: DType, a: Mat, b: Mat): DotOrder {
  if (dtype !== 'float32') return 'fma';
  return tnLanes(isTN(a, b), a.rows, b.cols, a.cols) ? 'lanes16' : 'fma';
}

/** OpenBLAS (skylakex) small-matrix permit for its TN kernel. */
export function tnLanes(tn: boolean, M: number, N: number, K: number): boolean {
  return tn && K >= 32 && M * N <= 1200 && M * N * K <= 1e6;
}

const KB = 128;
const JB = 512;

/**
 * C = a·b into the row-major `out` at `outOff` (or C += a·b when `accumulate`: the product is formed first,
 * then added once, as BLAS does with beta = 1). Terms are added in k order (see `DotOrder`); blocking over
 * j and k keeps rows of b in cache without changing any rounding, since each partial sum is stored rounded.
 */
export function gemm(a: Mat, b: Mat, out: Storage, outOff: number, accumulate: boolean, order: DotOrder, scratch?: Storage): void {
  const M = a.rows;
  const K = a.cols;
  const N = b.cols;
  if (order === 'lanes16') {
    gemmLanes16(a, b, out, outOff, accumulate);
    return;
  }
  const acc = accumulate ? scratch ?? allocate(out instanceof Float32Array ? 'float32' : 'float64', M * N) : out;
  const accOff = accumulate ? 0 : outOff;
  acc.fill(0, accOff, accOff + M * N);
  const ad = a.data;
  const bd = b.data;
  const unfused = order === 'unfused';
  for (let j0 = 0; j0 < N; j0 += JB) {
    const j1 = Math.min(N, j0 + JB);
    for (let k0 = 0; k0 < K; k0 += KB) {
      const k1 = Math.min(K, k0 + KB);
      for (let i = 0; i < M; i++) {
        const row = accOff + i * N;
        let ap = a.offset + i * a.rs + k0 * a.cs;
        for (let k = k0; k < k1; k++, ap += a.cs) {
          const aik = ad[ap];
          let bp = b.offset + k * b.rs + j0 * b.cs;
          // the store into a Float32Array rounds once: fround(acc + a*b), a fused multiply-add
          if (unfused) for (let j = j0; j < j1; j++, bp += b.cs) acc[row + j] += Math.fround(aik * bd[bp]);
          else for (let j = j0; j < j1; j++, bp += b.cs) acc[row + j] += aik * bd[bp];
        }
      }
    }
  }
  if (accumulate) for (let i = 0; i < M * N; i++) out[outOff + i] += acc[i];
}

function gemmLanes16(a: Mat, b: Mat, out: Storage, outOff: number, accumulate: boolean): void {
  const M = a.rows;
  const K = a.cols;
  const N = b.cols;
  const lanes = new Float32Array(16);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      lanes.fill(0);
      let ap = a.offset + i * a.rs;
      let bp = b.offset + j * b.cs;
      for (let k = 0; k < K; k++, ap += a.cs, bp += b.rs) lanes[k & 15] += a.data[ap] * b.data[bp];
      for (let w = 8; w >= 1; w >>= 1) for (let l = 0; l < w; l++) lanes[l] = lanes[2 * l] + lanes[2 * l + 1];
      const o = outOff + i * N + j;
      out[o] = accumulate ? out[o] + lanes[0] : lanes[0];
    }
  }
}

/** y = A·x (A a window, x strided), terms in k order. */
function gemv(A: Mat, x: Storage, xOff: number, xStride: number, out: Storage, outOff: number): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < A.rows; i++) {
    let acc = 0;
    let ap = A.offset + i * A.rs;
    let xp = xOff;
    if (f32) for (let k = 0; k < A.cols; k++, ap += A.cs, xp += xStride) acc = Math.fround(acc + A.data[ap] * x[xp]);
    else for (let k = 0; k < A.cols; k++, ap += A.cs, xp += xStride) acc += A.data[ap] * x[xp];
    out[outOff + i] = acc;
  }
}

// ---------------------------------------------------------------- checks

function checkSameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    const name = (d: DType) => (d === 'float32' ? 'Float' : 'Double');
    throw new TypeError(`${op}: expected scalar type ${name(a.dtype)} but found ${name(b.dtype)} (${torchDTypeName(a.dtype)} and ${torchDTypeName(b.dtype)})`);
  }
}

function mismatch(op: string, a: readonly number[], b: readonly number[]): RangeError {
  return new RangeError(`${op}: mat1 and mat2 shapes cannot be multiplied (${a[0]}x${a[1]} and ${b[0]}x${b[1]})`);
}

// ---------------------------------------------------------------- 2-D building blocks (no graph)

/** mm of two windows into a fresh row-major storage, optionally starting from a bias row (addmm). */
function mmRaw(dtype: DType, a: Mat, b: Mat, bias: Storage | null = null, biasStride = 1): Storage {
  const out = allocate(dtype, a.rows * b.cols);
  if (bias) {
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < b.cols; j++) out[i * b.cols + j] = bias[j * biasStride];
  }
  gemm(a, b, out, 0, bias !== null, mmOrder(dtype, a, b));
  return out;
}

/** PyTorch's `mm_mat1_backward`: the gradient of `mat1` in mat1·mat2, laid out as PyTorch computes it. */
function mmGradA(dtype: DType, g: Mat, a: Mat, b: Mat): Storage {
  if (a.rs === 1 && a.cs === a.rows) {
    // (mat2 · gᵀ)ᵀ: computed [K, M], read back transposed
    const p = mmRaw(dtype, b, matT(g));
    return transposeCopy(p, a.cols, a.rows);
  }
  return mmRaw(dtype, g, matT(b));
}

/** PyTorch's `mm_mat2_backward`. */
function mmGradB(dtype: DType, g: Mat, a: Mat, b: Mat): Storage {
  if (b.rs === 1 && b.cs === b.rows) {
    const p = mmRaw(dtype, matT(g), a);
    return transposeCopy(p, b.cols, b.rows);
  }
  return mmRaw(dtype, matT(a), g);
}

/** Row-major [cols, rows] copy of a row-major [rows, cols] storage. */
function transposeCopy(p: Storage, rows: number, cols: number): Storage {
  const out = allocate(p instanceof Float32Array ? 'float32' : 'float64', p.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = p[i * cols + j];
  return out;
}

/** A 2-D window on `t` reshaped to [rows, cols]: a view when the strides allow it (as reshape), else a copy. */
function foldedMat(t: Tensor, rows: number, cols: number): Mat {
  const strides = viewStrides(t.shape, t.strides, [rows, cols]);
  if (strides) return { data: t.data, offset: t.offset, rows, cols, rs: strides[0], cs: strides[1] };
  return rowMajor(t.toStorage(), rows, cols);
}

function vecOf(t: Tensor): { data: Storage; offset: number; stride: number } {
  return { data: t.data, offset: t.offset, stride: t.strides[0] };
}

// ---------------------------------------------------------------- public ops

/**
 * Matrix product with PyTorch 1.13's dispatch: 1-D·1-D is a dot product (DotBackward0), 2-D·1-D a
 * matrix-vector product (MvBackward0), 1-D·2-D a row times a matrix (SqueezeBackward3), 2-D·2-D `mm`
 * (MmBackward0); a ≥3-D operand against a 1-D/2-D one is folded into one `mm`/`mv` (UnsafeViewBackward0;
 * 2-D·≥3-D comes back through a transpose and a copy, CloneBackward0), and everything else broadcasts the
 * batch dims and runs a batched product (UnsafeViewBackward0).
 *
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])) // tensor([3., 7.])
 * matmul(zeros([5, 2, 3]), zeros([3, 4])).shape      // [5, 2, 4]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const da = a.shape.length;
  const db = b.shape.length;
  if (da === 0 || db === 0) {
    throw new RangeError(`matmul: both arguments to matmul need to be at least 1D, but they are ${da}D and ${db}D`);
  }
  checkSameDtype('matmul', a, b);
  if (da === 1 && db === 1) return dot(a, b);
  if (da === 2 && db === 1) return mv(a, b);
  if (da === 1 && db === 2) return rowTimesMatrix(a, b);
  if (da === 2 && db === 2) return mmOp(a, b, 'matmul');
  if (shouldFold(a, db) || shouldFold(b, da)) return foldedMatmul(a, b);
  return batchedMatmul(a, b);
}

/**
 * at::matmul folds a ≥3-D operand into one matrix unless it is a 3-D tensor whose last two dims are swapped
 * over a slowest first dim (e.g. `permute(0, 2, 1)`), which a batched product reads without copying.
 */
function shouldFold(t: Tensor, otherDim: number): boolean {
  if (t.shape.length < 3 || otherDim > 2) return false;
  const [, s1, s2] = t.shape;
  return !(t.shape.length === 3 && otherDim === 2 && t.strides[2] !== 1 && t.strides[0] === s1 * s2);
}

/**
 * `torch.mm`: 2-D × 2-D only.
 * @example mm(tensor([[1, 2]]), tensor([[3], [4]])) // tensor([[11.]])
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2) throw new RangeError(`mm: self must be a matrix (got size ${shapeString(a.shape)})`);
  if (b.shape.length !== 2) throw new RangeError(`mm: mat2 must be a matrix (got size ${shapeString(b.shape)})`);
  checkSameDtype('mm', a, b);
  return mmOp(a, b, 'mm');
}

function mmOp(a: Tensor, b: Tensor, op: string): Tensor {
  if (a.shape[1] !== b.shape[0]) throw mismatch(op, a.shape, b.shape);
  const A = matOf(a);
  const B = matOf(b);
  const out = new Tensor(mmRaw(a.dtype, A, B), [a.shape[0], b.shape[1]]);
  return record(out, 'MmBackward0', [a, b], (g) => {
    const G = rowMajor(g.values(), a.shape[0], b.shape[1]);
    return [
      a.requiresGrad ? new Tensor(mmGradA(a.dtype, G, A, B), a.shape.slice()) : null,
      b.requiresGrad ? new Tensor(mmGradB(a.dtype, G, A, B), b.shape.slice()) : null,
    ];
  });
}

function dot(a: Tensor, b: Tensor): Tensor {
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(
      `matmul: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
    );
  }
  const out = allocate(a.dtype, 1);
  const va = vecOf(a);
  gemv({ data: va.data, offset: va.offset, rows: 1, cols: a.shape[0], rs: 0, cs: va.stride }, b.data, b.offset, b.strides[0], out, 0);
  const result = new Tensor(out, []);
  return record(result, 'DotBackward0', [a, b], (g) => {
    const gv = g.values()[0];
    const scaled = (t: Tensor) => {
      const v = t.values();
      const s = allocate(t.dtype, v.length);
      for (let i = 0; i < v.length; i++) s[i] = gv * v[i];
      return new Tensor(s, t.shape.slice());
    };
    return [a.requiresGrad ? scaled(b) : null, b.requiresGrad ? scaled(a) : null];
  });
}

function mv(A: Tensor, x: Tensor): Tensor {
  if (A.shape[1] !== x.shape[0]) {
    throw new RangeError(`matmul: size mismatch, got ${A.shape[0]}, ${A.shape[0]}x${A.shape[1]},${x.shape[0]}`);
  }
  const out = allocate(A.dtype, A.shape[0]);
  const Am = matOf(A);
  gemv(Am, x.data, x.offset, x.strides[0], out, 0);
  const result = new Tensor(out, [A.shape[0]]);
  return record(result, 'MvBackward0', [A, x], (g) => mvBackward(g.values(), Am, x, A.requiresGrad, x.requiresGrad));
}

/** Gradients of y = A·x: gA = g ⊗ x (outer product), gx = Aᵀ·g. */
function mvBackward(gv: Storage, Am: Mat, x: Tensor, needA: boolean, needX: boolean): [Tensor | null, Tensor | null] {
  const dtype: DType = gv instanceof Float32Array ? 'float32' : 'float64';
  let gA: Tensor | null = null;
  if (needA) {
    const xv = x.values();
    const s = allocate(dtype, Am.rows * Am.cols);
    for (let i = 0; i < Am.rows; i++) for (let j = 0; j < Am.cols; j++) s[i * Am.cols + j] = gv[i] * xv[j];
    gA = new Tensor(s, [Am.rows, Am.cols]);
  }
  let gx: Tensor | null = null;
  if (needX) {
    const s = allocate(dtype, Am.cols);
    gemv(matT(Am), gv, 0, 1, s, 0);
    gx = new Tensor(s, [Am.cols]);
  }
  return [gA, gx];
}

/** 1-D · 2-D: `a.unsqueeze(0).mm(b).squeeze_(0)`, recorded as PyTorch's SqueezeBackward3. */
function rowTimesMatrix(a: Tensor, b: Tensor): Tensor {
  if (a.shape[0] !== b.shape[0]) throw mismatch('matmul', [1, a.shape[0]], b.shape);
  const A: Mat = { data: a.data, offset: a.offset, rows: 1, cols: a.shape[0], rs: a.shape[0] * a.strides[0], cs: a.strides[0] };
  const B = matOf(b);
  const out = new Tensor(mmRaw(a.dtype, A, B), [b.shape[1]]);
  return record(out, 'SqueezeBackward3', [a, b], (g) => {
    const G = rowMajor(g.values(), 1, b.shape[1]);
    return [
      a.requiresGrad ? new Tensor(mmGradA(a.dtype, G, A, B), a.shape.slice()) : null,
      b.requiresGrad ? new Tensor(mmGradB(a.dtype, G, A, B), b.shape.slice()) : null,
    ];
  });
}

/** mᵀ of a ≥2-D tensor as a view (no graph): the last two dims swapped. */
function mT(t: Tensor): Tensor {
  const n = t.shape.length;
  const shape = t.shape.slice();
  const strides = t.strides.slice();
  [shape[n - 1], shape[n - 2]] = [shape[n - 2], shape[n - 1]];
  [strides[n - 1], strides[n - 2]] = [strides[n - 2], strides[n - 1]];
  return new Tensor(t.data, shape, strides, t.offset);
}

/** ≥3-D against 1-D/2-D: the batch folded into the rows of one mm/mv, as `at::matmul` does. */
function foldedMatmul(a: Tensor, b: Tensor): Tensor {
  const transpose = b.shape.length > a.shape.length;
  const t1 = transpose ? mT(b) : a;
  const t2 = transpose ? (a.shape.length === 2 ? mT(a) : a) : b;
  const K = t1.shape[t1.shape.length - 1];
  const lead = t1.shape.slice(0, -1);
  const rows = numelOf(lead);
  const T1 = foldedMat(t1, rows, K);
  if (t2.shape.length === 1) {
    if (t2.shape[0] !== K) throw new RangeError(`matmul: size mismatch, got ${rows}, ${rows}x${K},${t2.shape[0]}`);
    const out = allocate(a.dtype, rows);
    gemv(T1, t2.data, t2.offset, t2.strides[0], out, 0);
    const result = new Tensor(out, lead);
    return record(result, 'UnsafeViewBackward0', [a, b], (g) => {
      const [g1, g2] = mvBackward(g.values(), T1, t2, transpose ? b.requiresGrad : a.requiresGrad, transpose ? a.requiresGrad : b.requiresGrad);
      const g1Full = g1 ? unfold(g1.data, t1, transpose) : null;
      return transpose ? [g2, g1Full] : [g1Full, g2];
    });
  }
  const T2 = matOf(t2);
  if (T2.rows !== K) throw mismatch('matmul', [rows, K], t2.shape);
  const N = T2.cols;
  const prod = mmRaw(a.dtype, T1, T2);
  const outShape = [...lead, N];
  const result = transpose ? new Tensor(mT(new Tensor(prod, outShape)).toStorage(), [...lead.slice(0, -1), N, lead[lead.length - 1]])
    : new Tensor(prod, outShape);
  return record(result, transpose ? 'CloneBackward0' : 'UnsafeViewBackward0', [a, b], (g) => {
    // the gradient of the folded product, [rows, N] row-major (through the transpose when there was one)
    const gFolded = transpose ? mT(g).toStorage() : g.values();
    const G = rowMajor(gFolded, rows, N);
    const need1 = transpose ? b.requiresGrad : a.requiresGrad;
    const need2 = transpose ? a.requiresGrad : b.requiresGrad;
    const g1 = need1 ? unfold(mmGradA(a.dtype, G, T1, T2), t1, transpose) : null;
    let g2: Tensor | null = null;
    if (need2) {
      const s = mmGradB(a.dtype, G, T1, T2);
      // t2 was aᵀ when transposed: hand back the gradient of a itself
      g2 = transpose ? new Tensor(transposeCopy(s, K, N), a.shape.slice()) : new Tensor(s, b.shape.slice());
    }
    return transpose ? [g2, g1] : [g1, g2];
  });
}

/** A row-major gradient of t1 (a ≥3-D operand, maybe mᵀ of the original) as a tensor of the original's shape. */
function unfold(s: Storage, t1: Tensor, transposed: boolean): Tensor {
  const asT1 = new Tensor(s, t1.shape.slice());
  return transposed ? new Tensor(mT(asT1).toStorage(), mT(asT1).shape.slice()) : asT1;
}

/** Both operands batched (at least one ≥3-D): broadcast batch dims, one product per batch (`bmm`). */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const A = a.shape.length === 1 ? new Tensor(a.data, [1, a.shape[0]], [0, a.strides[0]], a.offset) : a;
  const B = b.shape.length === 1 ? new Tensor(b.data, [b.shape[0], 1], [b.strides[0], 0], b.offset) : b;
  const [n, k] = A.shape.slice(-2);
  const [k2, m] = B.shape.slice(-2);
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  if (k !== k2) {
    throw new RangeError(`matmul: Expected size for first two dimensions of batch2 tensor to be: [${numelOf(broadcastShapes(batchA, batchB, 'matmul'))}, ${k}] but got: [${numelOf(batchB)}, ${k2}].`);
  }
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const count = numelOf(batch);
  const aOffsets = batchOffsets(A, batch);
  const bOffsets = batchOffsets(B, batch);
  const aMat = (p: number): Mat => ({ data: A.data, offset: aOffsets[p], rows: n, cols: k, rs: A.strides[A.shape.length - 2], cs: A.strides[A.shape.length - 1] });
  const bMat = (p: number): Mat => ({ data: B.data, offset: bOffsets[p], rows: k, cols: m, rs: B.strides[B.shape.length - 2], cs: B.strides[B.shape.length - 1] });
  const out = allocate(a.dtype, count * n * m);
  for (let p = 0; p < count; p++) bmmOne(a.dtype, aMat(p), bMat(p), out, p * n * m);
  const outShape = [...batch, ...(a.shape.length === 1 ? [] : [n]), ...(b.shape.length === 1 ? [] : [m])];
  const result = new Tensor(out, outShape);
  return record(result, 'UnsafeViewBackward0', [a, b], (g) => {
    const gv = g.values();
    const G = (p: number) => rowMajor(gv, n, m, p * n * m);
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      const s = allocate(a.dtype, count * n * k);
      for (let p = 0; p < count; p++) bmmOne(a.dtype, G(p), matT(bMat(p)), s, p * n * k);
      ga = new Tensor(sumToShape(s, [...batch, n, k], A.shape), a.shape.slice());
    }
    if (b.requiresGrad) {
      const s = allocate(a.dtype, count * k * m);
      for (let p = 0; p < count; p++) bmmOne(a.dtype, matT(aMat(p)), G(p), s, p * k * m);
      gb = new Tensor(sumToShape(s, [...batch, k, m], B.shape), b.shape.slice());
    }
    return [ga, gb];
  });
}

/** One batch of `bmm`: ATen's own unfused loop below 400 multiply-adds, else a BLAS gemm. */
function bmmOne(dtype: DType, a: Mat, b: Mat, out: Storage, outOff: number): void {
  const small = a.rows * a.cols * b.cols < 400;
  gemm(a, b, out, outOff, false, small && dtype === 'float32' ? 'unfused' : mmOrder(dtype, a, b));
}

/** Storage offset of each batch (row-major over `batch`) of a tensor broadcast to it. */
function batchOffsets(t: Tensor, batch: readonly number[]): Int32Array {
  const own = t.shape.slice(0, -2);
  const strides = broadcastStrides(own, t.strides.slice(0, -2), batch);
  const out = new Int32Array(numelOf(batch));
  const idx = new Array<number>(batch.length).fill(0);
  let pos = t.offset;
  for (let p = 0; p < out.length; p++) {
    out[p] = pos;
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d]++;
      pos += strides[d];
      if (idx[d] < batch[d]) break;
      pos -= strides[d] * batch[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * `F.linear(x, W, b)` = x·Wᵀ + b over the last dim of x, with PyTorch 1.13's dispatch and grad_fn names:
 * 2-D input with bias is `addmm` (AddmmBackward0); contiguous 3-D input with bias is a folded `addmm` viewed
 * back (ViewBackward0); otherwise `matmul(x, Wᵀ)` (MmBackward0, SqueezeBackward3, UnsafeViewBackward0) and,
 * with a bias, an in-place add (AddBackward0). The bias is added to the finished product, rounding once.
 *
 * @example linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1])) // tensor([[1., 2., 4.]])
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.shape.length !== 2) {
    throw new RangeError(`linear: weight must be 2-D [out_features, in_features], got ${shapeString(weight.shape)}`);
  }
  if (input.shape.length === 0) throw new RangeError('linear: both arguments to linear need to be at least 1D, but they are 0D and 2D');
  checkSameDtype('linear', input, weight);
  const [outF, inF] = weight.shape;
  const K = input.shape[input.shape.length - 1];
  const rows = numelOf(input.shape.slice(0, -1));
  if (K !== inF) throw mismatch('linear', [rows, K], [inF, outF]);
  if (bias) {
    checkSameDtype('linear', input, bias);
    if (numelOf(bias.shape) !== outF && !(bias.shape.length <= 1 && numelOf(bias.shape) === 1)) {
      throw new RangeError(
        `linear: The expanded size of the tensor (${outF}) must match the existing size (${bias.shape[bias.shape.length - 1]}) at non-singleton dimension ${Math.max(input.shape.length - 1, 1)}.  Target sizes: ${shapeString([...input.shape.slice(0, -1), outF])}.  Tensor sizes: ${shapeString(bias.shape)}`,
      );
    }
  }
  const X = input.shape.length === 1
    ? { data: input.data, offset: input.offset, rows: 1, cols: K, rs: K * input.strides[0], cs: input.strides[0] }
    : foldedMat(input, rows, K);
  const Wt = matT(matOf(weight));
  const bv = bias ? bias.values() : null;
  const bStride = bv && bv.length === 1 ? 0 : 1;
  const out = mmRaw(input.dtype, X, Wt, bv, bStride);
  const outShape = [...input.shape.slice(0, -1), outF];
  const name = linearName(input, Boolean(bias));
  return record(new Tensor(out, outShape), name, [input, weight, bias ?? null], (g) => {
    const G = rowMajor(g.values(), rows, outF);
    return [
      input.requiresGrad ? new Tensor(mmGradA(input.dtype, G, X, Wt), input.shape.slice()) : null,
      // the gradient of Wᵀ, transposed back: W's own gradient
      weight.requiresGrad ? new Tensor(transposeCopy(mmGradB(input.dtype, G, X, Wt), inF, outF), weight.shape.slice()) : null,
      bias?.requiresGrad ? new Tensor(sumToShape(G.data, [rows, outF], bias.shape.length === 0 ? [] : [numelOf(bias.shape)]), bias.shape.slice()) : null,
    ];
  });
}

function linearName(input: Tensor, hasBias: boolean): string {
  const d = input.shape.length;
  if (hasBias) {
    if (d === 2) return 'AddmmBackward0';
    if (d === 3 && input.isContiguous()) return 'ViewBackward0';
    return 'AddBackward0';
  }
  if (d === 1) return 'SqueezeBackward3';
  if (d === 2) return 'MmBackward0';
  return 'UnsafeViewBackward0';
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** `a @ b` with PyTorch's rules (see `matmul`). */
    matmul(other: Tensor): Tensor;
    /** 2-D matrix product (see `mm`). */
    mm(other: Tensor): Tensor;
  }
}

Tensor.prototype.matmul = function (this: Tensor, o: Tensor) { return matmul(this, o); };
Tensor.prototype.mm = function (this: Tensor, o: Tensor) { return mm(this, o); };
