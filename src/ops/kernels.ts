import { type DType, allocate, promoteTypes } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numelOf, sameShape, stridedOffsets } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A tensor, or a JavaScript number standing for a scalar of the other operand's dtype (PyTorch's wrapped number). */
export type TensorOrScalar = Tensor | number;

/** The shape of 0-d tensors made by ops (shapes are never written, so one array serves them all). */
export const SCALAR_SHAPE: readonly number[] = [];

export function scalarTensor(value: number, dtype: DType): Tensor {
  const s = allocate(dtype, 1);
  s[0] = value;
  return new Tensor(s, SCALAR_SHAPE);
}

/**
 * True when `a` and `b` have one dtype and shape and both lie densely in their storages (from their offsets):
 * the common case of an elementwise backward, which then loops over the storages directly.
 */
export function sameDenseLayout(a: Tensor, b: Tensor): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape) && a.isDense && b.isDense;
}

/** Turns a number into a 0-d tensor of `like`'s dtype, rounding it as PyTorch casts a Python scalar. */
export function operand(x: TensorOrScalar, like: Tensor, op: string): Tensor {
  if (typeof x === 'number') return scalarTensor(x, like.dtype);
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor or a number, got ${typeof x}`);
  return x;
}

/** Applies `f` elementwise; the result is a new contiguous tensor of `dtype` (each value rounded on store). */
export function mapUnary(x: Tensor, f: (v: number) => number, dtype: DType = x.dtype): Tensor {
  const src = x.values();
  const out = allocate(dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return new Tensor(out, x.shape);
}

/** Applies `f` elementwise to two tensors with broadcasting, in the promoted dtype unless one is given. */
export function mapBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number, op: string, dtype?: DType): Tensor {
  const outDtype = dtype ?? promoteTypes(a.dtype, a.shape.length, b.dtype, b.shape.length);
  if (sameShape(a.shape, b.shape)) {
    const av = a.values();
    const bv = b.values();
    const out = allocate(outDtype, av.length);
    for (let i = 0; i < av.length; i++) out[i] = f(av[i], bv[i]);
    return new Tensor(out, a.shape);
  }
  if (b.shape.length === 0 || numelOf(b.shape) === 1 && b.shape.length <= a.shape.length) {
    const av = a.values();
    const y = b.data[b.offset];
    const out = allocate(outDtype, av.length);
    for (let i = 0; i < av.length; i++) out[i] = f(av[i], y);
    return new Tensor(out, a.shape);
  }
  if (a.shape.length === 0 || numelOf(a.shape) === 1 && a.shape.length <= b.shape.length) {
    const bv = b.values();
    const x = a.data[a.offset];
    const out = allocate(outDtype, bv.length);
    for (let i = 0; i < bv.length; i++) out[i] = f(x, bv[i]);
    return new Tensor(out, b.shape);
  }
  const shape = broadcastShapes(a.shape, b.shape, op);
  const ao = stridedOffsets(shape, broadcastStrides(a.shape, a.strides, shape), a.offset);
  const bo = stridedOffsets(shape, broadcastStrides(b.shape, b.strides, shape), b.offset);
  const ad = a.data;
  const bd = b.data;
  const out = allocate(outDtype, ao.length);
  for (let i = 0; i < out.length; i++) out[i] = f(ad[ao[i]], bd[bo[i]]);
  return new Tensor(out, shape);
}

/** Casts to a dtype, copying (a tensor already of that dtype is returned as is). */
export function castTo(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const n = t.numel();
  const out = allocate(dtype, n);
  if (t.isDense) {
    // straight from the storage (a row of a dataset, say), converting as each value is stored; one loop per
    // direction, so that each reads and writes a single array type (a training loop casts every sample)
    if (dtype === 'float32') copyInto32(out as Float32Array, t.data as Float64Array, t.offset, n);
    else copyInto64(out as Float64Array, t.data as Float32Array, t.offset, n);
  } else {
    out.set(t.values());
  }
  return new Tensor(out, t.shape);
}

function copyInto32(out: Float32Array, src: Float64Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = src[from + i];
}

function copyInto64(out: Float64Array, src: Float32Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = src[from + i];
}

/** Rounds to float32 when the result lives in float32, so multi-step formulas round after each step as PyTorch does. */
export function rounder(dtype: DType): (x: number) => number {
  return dtype === 'float32' ? Math.fround : identity;
}

function identity(x: number): number {
  return x;
}
