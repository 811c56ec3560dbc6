import { needsGrad, record, recordSaved } from '../autograd/record.js';
import { type DType, allocate, parseDType } from '../tensor/dtype.js';
import {
  inferShape, normalizeDim, numelOf, shapeString, viewStrides, isContiguousLayout,
} from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { castTo } from './kernels.js';

// Views share storage and change only shape, strides and offset; their backward reshapes the gradient back.

function makeView(x: Tensor, shape: readonly number[], strides: readonly number[] | undefined, offset: number): Tensor {
  const v = new Tensor(x.data, shape, strides, offset);
  v.base = x.base ?? x;
  return v;
}

function reshapeGrad(g: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(g.values(), shape.slice());
}

function shapeArgs(args: ReadonlyArray<number | readonly number[]>): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/** A view with a new shape (one size may be -1); fails, as PyTorch's does, when the strides forbid it. */
export function view(x: Tensor, ...shape: Array<number | readonly number[]>): Tensor {
  const target = inferShape(shapeArgs(shape), x.numel(), 'view');
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides === null) {
    throw new Error(
      `view: view size is not compatible with input tensor's size and stride (at least one dimension spans across two ` +
        `contiguous subspaces) for input of shape ${shapeString(x.shape)} and target ${shapeString(target)}. Use .reshape(...) instead.`,
    );
  }
  const out = makeView(x, target, strides, x.offset);
  return record(out, 'ViewBackward0', [x], (g) => [reshapeGrad(g, x.shape)]);
}

/** view when the layout allows it, otherwise a contiguous copy with the new shape. */
export function reshape(x: Tensor, ...shape: Array<number | readonly number[]>): Tensor {
  const target = inferShape(shapeArgs(shape), x.numel(), 'reshape');
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides !== null) {
    // PyTorch 1.13 reshapes a viewable tensor with _reshape_alias: same view, its own grad_fn name
    const alias = makeView(x, target, strides, x.offset);
    return record(alias, 'ReshapeAliasBackward0', [x], (g) => [reshapeGrad(g, x.shape)]);
  }
  const out = new Tensor(x.toStorage(), target);
  return record(out, 'UnsafeViewBackward0', [x], (g) => [reshapeGrad(g, x.shape)]);
}

/** Flattens dims startDim..endDim into one. @example flatten(zeros([2, 3, 4]), 1).shape // [2, 12] */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.shape.length === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.shape.length, 'flatten');
  const e = normalizeDim(endDim, x.shape.length, 'flatten');
  if (s > e) throw new RangeError('flatten: flatten() has invalid args: start_dim cannot come after end_dim');
  if (s === e) return x;
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Removes size-1 dims (all of them, or only `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  let keep: boolean[];
  if (dim === undefined) keep = x.shape.map((s) => s !== 1);
  else {
    const d = normalizeDim(dim, x.shape.length, 'squeeze');
    keep = x.shape.map((s, i) => i !== d || s !== 1);
  }
  const out = makeView(x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset);
  return record(out, dim === undefined ? 'SqueezeBackward0' : 'SqueezeBackward1', [x], (g) => [reshapeGrad(g, x.shape)]);
}

/** Inserts a size-1 dim at `dim`. @example unsqueeze(zeros([3]), 0).shape // [1, 3] */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.shape.length + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.strides];
  const stride = d < x.shape.length ? x.shape[d] * x.strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  const out = makeView(x, shape, strides, x.offset);
  return record(out, 'UnsqueezeBackward0', [x], (g) => [reshapeGrad(g, x.shape)]);
}

/** Reorders dims. @example permute(zeros([2, 3, 4]), [2, 0, 1]).shape // [4, 2, 3] */
export function permute(x: Tensor, ...dims: Array<number | readonly number[]>): Tensor {
  const order = shapeArgs(dims).map((d) => normalizeDim(d, x.shape.length, 'permute'));
  if (order.length !== x.shape.length || new Set(order).size !== order.length) {
    throw new RangeError(`permute: number of dims don't match in permute (got ${shapeString(order)} for a ${x.shape.length}-d tensor)`);
  }
  const out = makeView(x, order.map((d) => x.shape[d]), order.map((d) => x.strides[d]), x.offset);
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => { inverse[d] = i; });
  return record(out, 'PermuteBackward0', [x], (g) => [contiguous(permute(g, inverse))]);
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim(dim0, x.shape.length, 'transpose');
  const b = normalizeDim(dim1, x.shape.length, 'transpose');
  const shape = [...x.shape];
  const strides = [...x.strides];
  [shape[a], shape[b]] = [shape[b], shape[a]];
  [strides[a], strides[b]] = [strides[b], strides[a]];
  const out = makeView(x, shape, strides, x.offset);
  return record(out, 'TransposeBackward0', [x], (g) => [contiguous(transpose(g, a, b))]);
}

/** Transpose of a tensor of at most 2 dims. */
export function t(x: Tensor): Tensor {
  if (x.shape.length > 2) throw new RangeError(`t: expects a tensor with <= 2 dimensions, but self is ${x.shape.length}D`);
  return x.shape.length < 2 ? x : transpose(x, 0, 1);
}

/** Repeats size-1 dims (and adds leading ones) without copying: stride 0. */
export function expand(x: Tensor, ...sizes: Array<number | readonly number[]>): Tensor {
  const target = shapeArgs(sizes);
  const lead = target.length - x.shape.length;
  if (lead < 0) {
    throw new RangeError(`expand: the number of sizes provided (${target.length}) must be greater or equal to the number of dimensions in the tensor (${x.shape.length})`);
  }
  const shape = new Array<number>(target.length);
  const strides = new Array<number>(target.length);
  for (let i = 0; i < target.length; i++) {
    const own = i - lead;
    const want = target[i];
    if (own < 0) {
      if (want < 0) throw new RangeError('expand: -1 is not allowed in a leading, non-existing dimension');
      shape[i] = want;
      strides[i] = 0;
    } else if (want === -1 || want === x.shape[own]) {
      shape[i] = x.shape[own];
      strides[i] = x.strides[own];
    } else if (x.shape[own] === 1) {
      shape[i] = want;
      strides[i] = 0;
    } else {
      throw new RangeError(
        `expand: The expanded size of the tensor (${want}) must match the existing size (${x.shape[own]}) at non-singleton dimension ${i}. ` +
          `Target sizes: ${shapeString(target)}. Tensor sizes: ${shapeString(x.shape)}`,
      );
    }
  }
  const out = makeView(x, shape, strides, x.offset);
  // the engine sums the expanded gradient back to x's shape
  return record(out, 'ExpandBackward0', [x], (g) => [g]);
}

/** This tensor when already contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return clone(x);
}

/** A copy with its own storage; gradients pass straight through. */
export function clone(x: Tensor): Tensor {
  const out = new Tensor(x.toStorage(), x.shape.slice());
  return record(out, 'CloneBackward0', [x], (g) => [g]);
}

/** Shares storage, cut from the graph: no grad, no gradFn. */
export function detach(x: Tensor): Tensor {
  const out = new Tensor(x.data, x.shape, x.strides, x.offset);
  out.base = x.base ?? x;
  return out;
}

/**
 * The slice at `index` along `dim` (negative indices count from the end), as a view.
 * @example select(tensor([[1, 2], [3, 4]]), 0, 1) // tensor([3., 4.])
 */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const nd = x.shape.length;
  if (nd === 0) throw new RangeError('select: select() cannot be applied to a 0-dim tensor.');
  const d = dim === 0 ? 0 : normalizeDim(dim, nd, 'select');
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select: index ${index} is out of bounds for dimension ${d} with size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  const xStrides = x.strides;
  const shape = new Array<number>(nd - 1);
  const strides = new Array<number>(nd - 1);
  for (let k = 0, j = 0; k < nd; k++) {
    if (k === d) continue;
    shape[j] = x.shape[k];
    strides[j++] = xStrides[k];
  }
  const out = makeView(x, shape, strides, x.offset + i * xStrides[d]);
  if (!needsGrad(x)) return out;
  return recordSelect(out, x, d, i);
}

/** select's graph record, apart so that select itself allocates no closure context when nothing needs grad. */
function recordSelect(out: Tensor, x: Tensor, d: number, i: number): Tensor {
  return record(out, 'SelectBackward0', [x], (g) => {
    const size = x.shape[d];
    const grad = allocate(g.dtype, x.numel());
    const inner = numelOf(x.shape.slice(d + 1));
    const outer = numelOf(x.shape.slice(0, d));
    const gv = g.values();
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) grad[(o * size + i) * inner + k] = gv[o * inner + k];
    }
    return [new Tensor(grad, x.shape.slice())];
  });
}

/** A copy in another dtype (this tensor itself when the dtype already matches, as in PyTorch). */
export function to(x: Tensor, dtype: DType | string): Tensor {
  const target = dtype === 'float32' || dtype === 'float64' ? dtype : parseDType(dtype);
  if (target === x.dtype) return x;
  const out = castTo(x, target);
  if (!needsGrad(x)) return out;
  return recordSaved(out, 'ToCopyBackward0', [x], toGrad, x);
}

function toGrad(g: Tensor, x: Tensor): Tensor {
  return castTo(g, x.dtype);
}

/** Iterates the first dimension (`for x in tensor`): slice i is `select(t, 0, i)`, made when `next()` asks. */
class RowIterator implements IterableIterator<Tensor> {
  #i = 0;
  // Every row has one shape and one set of strides: made at the first row, shared by the rows (views never write
  // them). Until then #rows is 0, which sends next() to #otherRow.
  #rows = 0;
  #rowStep = 0;
  #rowShape: readonly number[] = [];
  #rowStrides: readonly number[] | undefined = undefined;

  constructor(private readonly t: Tensor) {}

  // Kept this small so that V8 inlines it into the loop that iterates: the result object then need not exist.
  next(): IteratorResult<Tensor> {
    const t = this.t;
    const i = this.#i;
    if (i < this.#rows && !t.requiresGrad) {
      this.#i = i + 1;
      return { value: makeView(t, this.#rowShape, this.#rowStrides, t.offset + i * this.#rowStep), done: false };
    }
    return this.#otherRow();
  }

  /** The first row, a row of a tensor that requires grad (recorded, as select records it), or the end. */
  #otherRow(): IteratorResult<Tensor> {
    const t = this.t;
    if (t.shape.length === 0) throw new TypeError('iteration over a 0-d tensor');
    if (this.#i >= t.shape[0]) return { value: undefined, done: true };
    const i = this.#i++;
    if (needsGrad(t)) return { value: select(t, 0, i), done: false };
    if (this.#rows === 0) {
      const strides = t.strides;
      this.#rowShape = t.shape.slice(1);
      const rowStrides = strides.slice(1);
      // a row-major row keeps its strides implicit, so every op sees at once that it is dense
      this.#rowStrides = isContiguousLayout(this.#rowShape, rowStrides) ? undefined : rowStrides;
      this.#rowStep = strides[0];
      this.#rows = t.shape[0];
    }
    return { value: makeView(t, this.#rowShape, this.#rowStrides, t.offset + i * this.#rowStep), done: false };
  }

  [Symbol.iterator](): IterableIterator<Tensor> {
    return this;
  }
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    view(...shape: Array<number | readonly number[]>): Tensor;
    reshape(...shape: Array<number | readonly number[]>): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(...dims: Array<number | readonly number[]>): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    /** PyTorch's `.T` for at most 2 dims. */
    readonly T: Tensor;
    expand(...sizes: Array<number | readonly number[]>): Tensor;
    expandAs(other: Tensor): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    select(dim: number, index: number): Tensor;
    /** `t[i]`: the i-th slice along the first dim. */
    get(index: number): Tensor;
    to(dtype: DType | string): Tensor;
    float(): Tensor;
    double(): Tensor;
    /** Iterates the first dimension, as `for x in tensor` does in Python. */
    [Symbol.iterator](): IterableIterator<Tensor>;
    viewAs(other: Tensor): Tensor;
  }
}

Tensor.prototype.view = function (this: Tensor, ...s: Array<number | readonly number[]>) { return view(this, ...s); };
Tensor.prototype.reshape = function (this: Tensor, ...s: Array<number | readonly number[]>) { return reshape(this, ...s); };
Tensor.prototype.viewAs = function (this: Tensor, other: Tensor) { return view(this, other.shape); };
Tensor.prototype.flatten = function (this: Tensor, s?: number, e?: number) { return flatten(this, s, e); };
Tensor.prototype.squeeze = function (this: Tensor, d?: number) { return squeeze(this, d); };
Tensor.prototype.unsqueeze = function (this: Tensor, d: number) { return unsqueeze(this, d); };
Tensor.prototype.permute = function (this: Tensor, ...d: Array<number | readonly number[]>) { return permute(this, ...d); };
Tensor.prototype.transpose = function (this: Tensor, a: number, b: number) { return transpose(this, a, b); };
Tensor.prototype.t = function (this: Tensor) { return t(this); };
Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return t(this); } });
Tensor.prototype.expand = function (this: Tensor, ...s: Array<number | readonly number[]>) { return expand(this, ...s); };
Tensor.prototype.expandAs = function (this: Tensor, other: Tensor) { return expand(this, other.shape); };
Tensor.prototype.contiguous = function (this: Tensor) { return contiguous(this); };
Tensor.prototype.clone = function (this: Tensor) { return clone(this); };
Tensor.prototype.detach = function (this: Tensor) { return detach(this); };
Tensor.prototype.select = function (this: Tensor, d: number, i: number) { return select(this, d, i); };
Tensor.prototype.get = function (this: Tensor, i: number) { return select(this, 0, i); };
Tensor.prototype.to = function (this: Tensor, dtype: DType | string) { return to(this, dtype); };
Tensor.prototype.float = function (this: Tensor) { return to(this, 'float32'); };
Tensor.prototype.double = function (this: Tensor) { return to(this, 'float64'); };
Tensor.prototype[Symbol.iterator] = function (this: Tensor): IterableIterator<Tensor> {
  return new RowIterator(this);
};
