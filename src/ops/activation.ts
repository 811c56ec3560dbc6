import { gradTensor } from '../autograd/engine.js';
import { needsGrad, record, recordSaved } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { type DType, type Storage, allocate } from '../tensor/dtype.js';
import { normalizeDim } from '../tensor/shape.js';
import { mapBinary, mapUnary, rounder, sameDenseLayout } from './kernels.js';

/**
 * 1 / (1 + e^-x), each step rounded in the tensor's dtype as PyTorch's CPU kernel does.
 * @example sigmoid(tensor([0])) // tensor([0.5000])
 */
export function sigmoid(x: Tensor): Tensor {
  const n = x.numel();
  const src = x.isDense ? x.data : x.values();
  const s0 = x.isDense ? x.offset : 0;
  const out = allocate(x.dtype, n);
  sigmoidInto(src, s0, out, 0, n, x.dtype === 'float32');
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x)) return y;
  return recordSaved(y, 'SigmoidBackward0', [x], sigmoidBackward, y);
}

/** sigmoid's values: `out[o0 + i]` from `src[s0 + i]` for i < n (also run by src/ops/fused-chain.ts). */
export function sigmoidInto(src: Storage, s0: number, out: Storage, o0: number, n: number, f32: boolean): void {
  if (f32) {
    const f = Math.fround;
    for (let i = 0; i < n; i++) out[o0 + i] = 1 / f(1 + f(Math.exp(-src[s0 + i])));
  } else {
    for (let i = 0; i < n; i++) out[o0 + i] = 1 / (1 + Math.exp(-src[s0 + i]));
  }
}

/** PyTorch's sigmoid_backward: grad * (1 - y) * y, rounding each step in the dtype. */
export function sigmoidBackward(g: Tensor, y: Tensor): Tensor {
  const r = rounder(y.dtype);
  if (!sameDenseLayout(g, y)) return mapBinary(g, y, (u, v) => r(u * r(1 - v)) * v, 'sigmoid backward');
  const n = y.data.length;
  const result = gradTensor(y.dtype, g.shape, n);
  sigmoidGradInto(g.data, g.offset, y.data, 0, result.data, n, y.dtype === 'float32');
  return result;
}

/** sigmoid_backward's values: `out[i]` from the gradient `gd[go + i]` and the output `yd[y0 + i]`, i < n. */
export function sigmoidGradInto(gd: Storage, go: number, yd: Storage, y0: number, out: Storage, n: number, f32: boolean): void {
  if (f32) {
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      const v = yd[y0 + i];
      out[i] = f(gd[go + i] * f(1 - v)) * v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = yd[y0 + i];
      out[i] = gd[go + i] * (1 - v) * v;
    }
  }
}

/** Hyperbolic tangent. @example tanh(tensor([0])) // tensor([0.]) */
export function tanh(x: Tensor): Tensor {
  const r = rounder(x.dtype);
  const out = mapUnary(x, Math.tanh);
  // PyTorch: grad * (1 - y²)
  return record(out, 'TanhBackward0', [x], (g) => [mapBinary(g, out, (u, y) => u * r(1 - r(y * y)), 'tanh backward')]);
}

/** max(x, 0). @example relu(tensor([-1, 2])) // tensor([0., 2.]) */
export function relu(x: Tensor): Tensor {
  const out = mapUnary(x, (v) => (v > 0 ? v : Number.isNaN(v) ? v : 0));
  return record(out, 'ReluBackward0', [x], (g) => [mapBinary(g, out, (u, y) => (y > 0 ? u : 0), 'relu backward')]);
}

/**
 * x for x > 0, else x · negativeSlope (the slope rounded to the dtype first, as PyTorch casts it).
 * @example leakyRelu(tensor([-100, 2])) // tensor([-1.,  2.])
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const slope = leakyReluSlope(x.dtype, negativeSlope);
  const n = x.numel();
  const src = x.isDense ? x.data : x.values();
  const s0 = x.isDense ? x.offset : 0;
  const out = allocate(x.dtype, n);
  leakyReluInto(src, s0, out, 0, n, slope);
  const y = new Tensor(out, x.shape);
  if (!needsGrad(x)) return y;
  return recordSaved(y, 'LeakyReluBackward0', [x], leakyReluGrad, { x, slope });
}

/** The slope as PyTorch casts it: rounded to the dtype first. */
export function leakyReluSlope(dtype: DType, negativeSlope: number): number {
  return dtype === 'float32' ? Math.fround(negativeSlope) : negativeSlope;
}

/** leaky_relu's values: `out[o0 + i]` from `src[s0 + i]`, i < n (also run by src/ops/fused-chain.ts). */
export function leakyReluInto(src: Storage, s0: number, out: Storage, o0: number, n: number, slope: number): void {
  for (let i = 0; i < n; i++) {
    const v = src[s0 + i];
    out[o0 + i] = v > 0 ? v : v * slope;
  }
}

export function leakyReluGrad(g: Tensor, s: { x: Tensor; slope: number }): Tensor {
  return leakyReluBackward(g, s.x, s.slope);
}

/** grad where x > 0, else grad · slope. */
function leakyReluBackward(g: Tensor, x: Tensor, slope: number): Tensor {
  if (!sameDenseLayout(g, x)) return mapBinary(g, x, (u, v) => (v > 0 ? u : u * slope), 'leaky_relu backward');
  const n = x.numel();
  const result = gradTensor(x.dtype, g.shape, n);
  leakyReluGradInto(g.data, g.offset, x.data, x.offset, result.data, n, slope);
  return result;
}

/** leaky_relu's gradient: `out[i]` from the gradient `gd[go + i]` and the input `xd[x0 + i]`, i < n. */
export function leakyReluGradInto(gd: Storage, go: number, xd: Storage, x0: number, out: Storage, n: number, slope: number): void {
  for (let i = 0; i < n; i++) {
    const u = gd[go + i];
    out[i] = xd[x0 + i] > 0 ? u : u * slope;
  }
}

function softmaxCore(x: Tensor, dim: number, log: boolean): Tensor {
  const d = normalizeDim(dim, x.shape.length, log ? 'log_softmax' : 'softmax');
  const shape = x.shape.slice();
  const size = shape.length === 0 ? 1 : shape[d];
  const inner = shape.slice(d + 1).reduce((p, q) => p * q, 1);
  const outer = shape.slice(0, d).reduce((p, q) => p * q, 1);
  const src = x.values();
  const out = allocate(x.dtype, src.length);
  const r = rounder(x.dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = -Infinity;
      for (let k = 0; k < size; k++) max = Math.max(max, src[base + k * inner]);
      let sum = 0;
      if (log && inner === 1 && x.dtype === 'float32') {
        // PyTorch's vectorised last-dim kernel: exp(x - max) rounded to float, summed over 8 lanes
        const terms = new Float32Array(size);
        for (let k = 0; k < size; k++) terms[k] = Math.exp(Math.fround(src[base + k] - max));
        sum = lanesRowSum(terms, 0, size);
      } else {
        for (let k = 0; k < size; k++) sum += Math.exp(src[base + k * inner] - max);
      }
      if (log) {
        const logSum = r(Math.log(sum));
        for (let k = 0; k < size; k++) out[base + k * inner] = r(src[base + k * inner] - max) - logSum;
      } else {
        for (let k = 0; k < size; k++) out[base + k * inner] = Math.exp(src[base + k * inner] - max) / sum;
      }
    }
  }
  return new Tensor(out, shape);
}

/** Sums `v` along `dim` for each (outer, inner) lane, returning one value per lane. */
function laneSums(v: ArrayLike<number>, shape: readonly number[], d: number): { sums: Float64Array; size: number; inner: number } {
  const size = shape.length === 0 ? 1 : shape[d];
  const inner = shape.slice(d + 1).reduce((p, q) => p * q, 1);
  const outer = shape.slice(0, d).reduce((p, q) => p * q, 1);
  const sums = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = 0; k < size; k++) s += v[o * size * inner + k * inner + i];
      sums[o * inner + i] = s;
    }
  }
  return { sums, size, inner };
}

/**
 * ATen's `vec::reduce_all` sum of a float32 row (AVX2, 8 lanes): whole vectors added lane-wise, the tail into
 * the first lanes, then the lanes folded in halves ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7)); a row shorter than a
 * vector is added in order.
 */
function lanesRowSum(v: ArrayLike<number>, base: number, size: number): number {
  const f = Math.fround;
  if (size < 8) {
    let s = size > 0 ? v[base] : 0;
    for (let i = 1; i < size; i++) s = f(s + v[base + i]);
    return s;
  }
  const l = new Float32Array(8);
  for (let i = 0; i < 8; i++) l[i] = v[base + i];
  let d = 8;
  for (; d < size - (size % 8); d += 8) for (let i = 0; i < 8; i++) l[i] += v[base + d + i];
  for (let i = 0; d + i < size; i++) l[i] += v[base + d + i];
  return f(f(f(l[0] + l[4]) + f(l[2] + l[6])) + f(f(l[1] + l[5]) + f(l[3] + l[7])));
}

function laneOf(index: number, size: number, inner: number): number {
  return Math.floor(index / (size * inner)) * inner + (index % inner);
}

/** Softmax along `dim`, computed with the max subtracted for stability. */
export function softmax(x: Tensor, dim: number): Tensor {
  const out = softmaxCore(x, dim, false);
  const d = normalizeDim(dim, x.shape.length, 'softmax');
  return record(out, 'SoftmaxBackward0', [x], (g) => {
    const gv = g.values();
    const yv = out.values();
    const prod = new Float64Array(gv.length);
    for (let i = 0; i < gv.length; i++) prod[i] = gv[i] * yv[i];
    const { sums, size, inner } = laneSums(prod, out.shape, d);
    // grad_in = y * (g - Σ g·y)
    const res = mapUnary(g, (v) => v);
    for (let i = 0; i < gv.length; i++) res.data[i] = yv[i] * (gv[i] - sums[laneOf(i, size, inner)]);
    return [res];
  });
}

/** log(softmax(x)) along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const out = softmaxCore(x, dim, true);
  const d = normalizeDim(dim, x.shape.length, 'log_softmax');
  return record(out, 'LogSoftmaxBackward0', [x], (g) => {
    const gv = g.values();
    const yv = out.values();
    const { sums, size, inner } = laneSums(gv, out.shape, d);
    // grad_in = g - exp(y) * Σ g
    const res = mapUnary(g, (v) => v);
    if (inner === 1 && x.dtype === 'float32') {
      // PyTorch's vectorised last-dim kernel: the row sum over 8 float lanes, then g - exp(y)·Σ fused (one rounding)
      for (let base = 0; base < gv.length; base += size) {
        const s = lanesRowSum(gv, base, size);
        for (let k = base; k < base + size; k++) res.data[k] = gv[k] - Math.fround(Math.exp(yv[k])) * s;
      }
      return [res];
    }
    for (let i = 0; i < gv.length; i++) res.data[i] = gv[i] - Math.exp(yv[i]) * sums[laneOf(i, size, inner)];
    return [res];
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    sigmoid(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
  }
}

Tensor.prototype.sigmoid = function (this: Tensor) { return sigmoid(this); };
Tensor.prototype.tanh = function (this: Tensor) { return tanh(this); };
Tensor.prototype.relu = function (this: Tensor) { return relu(this); };
Tensor.prototype.leakyRelu = function (this: Tensor, s?: number) { return leakyRelu(this, s); };
Tensor.prototype.softmax = function (this: Tensor, dim: number) { return softmax(this, dim); };
Tensor.prototype.logSoftmax = function (this: Tensor, dim: number) { return logSoftmax(this, dim); };
