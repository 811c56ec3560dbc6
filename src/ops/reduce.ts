import { record } from '../autograd/record.js';
import { allocate } from '../tensor/dtype.js';
import { broadcastStrides, contiguousStrides, normalizeDim, stridedOffsets } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumDims } from './linalg.js';

function reducedDims(op: string, ndim: number, dim: number | readonly number[]): boolean[] {
  const mask = new Array<boolean>(ndim).fill(false);
  for (const d of typeof dim === 'number' ? [dim] : dim) {
    const n = normalizeDim(d, ndim, op);
    if (mask[n]) throw new RangeError(`${op}: dim ${n} appears multiple times in the list of dims`);
    mask[n] = true;
  }
  return mask;
}

/** Spreads `g` (of `keptShape`, reduced dims as size 1) over `shape`: the gradient of a sum. */
function spread(g: Tensor, keptShape: readonly number[], shape: readonly number[], scale: number): Tensor {
  const src = g.values();
  const idx = stridedOffsets(shape, broadcastStrides(keptShape, contiguousStrides(keptShape), shape), 0);
  const out = allocate(g.dtype, idx.length);
  if (scale === 1) for (let k = 0; k < idx.length; k++) out[k] = src[idx[k]];
  else for (let k = 0; k < idx.length; k++) out[k] = src[idx[k]] / scale;
  return new Tensor(out, shape.slice());
}

function reduceSum(x: Tensor, mask: boolean[], keepdim: boolean): { out: Tensor; kept: number[]; count: number } {
  const kept = x.shape.map((s, i) => (mask[i] ? 1 : s));
  const count = x.shape.reduce((p, s, i) => (mask[i] ? p * s : p), 1);
  // PyTorch's own order (cascade_sum, float32 partial sums): a float64 sum differs by many ulps under cancellation
  const data = sumDims(x.values(), x.shape, mask);
  const shape = keepdim ? kept : x.shape.filter((_, i) => !mask[i]);
  return { out: new Tensor(data, shape), kept, count };
}

/**
 * Sum of all elements, or over `dim` (a number or a list) with optional `keepdim`.
 * @example sum(tensor([[1, 2], [3, 4]]), 1) // tensor([3., 7.])
 */
export function sum(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (dim === undefined || dim === null) {
    const { out } = reduceSum(x, x.shape.map(() => true), false);
    return record(out, 'SumBackward0', [x], (g) => [spread(g, x.shape.map(() => 1), x.shape, 1)]);
  }
  const { out, kept } = reduceSum(x, reducedDims('sum', x.shape.length, dim), keepdim);
  return record(out, 'SumBackward1', [x], (g) => [spread(g, kept, x.shape, 1)]);
}

/**
 * Mean of all elements, or over `dim` with optional `keepdim`.
 * @example mean(tensor([1, 2, 3, 4])) // tensor(2.5000)
 */
export function mean(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  const all = dim === undefined || dim === null;
  const mask = all ? x.shape.map(() => true) : reducedDims('mean', x.shape.length, dim);
  const { out, kept, count } = reduceSum(x, mask, all ? false : keepdim);
  for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i] / count;
  return record(out, all ? 'MeanBackward0' : 'MeanBackward1', [x], (g) => [spread(g, kept, x.shape, count)]);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
  }
}

Tensor.prototype.sum = function (this: Tensor, dim?: number | readonly number[] | null, keepdim?: boolean) { return sum(this, dim, keepdim); };
Tensor.prototype.mean = function (this: Tensor, dim?: number | readonly number[] | null, keepdim?: boolean) { return mean(this, dim, keepdim); };
