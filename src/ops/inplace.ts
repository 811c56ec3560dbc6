import { isGradEnabled } from '../autograd/grad-mode.js';
import { stridedOffsets, broadcastShapes, broadcastStrides, sameShape, shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { operand, type TensorOrScalar } from './kernels.js';

// In-place updates write through to the storage (and so to every view of it). Like PyTorch, they are refused on a
// leaf that requires grad while grad mode is on: optimisers update parameters under noGrad().

function checkWritable(x: Tensor, op: string): void {
  if (isGradEnabled() && x.requiresGrad && x.isLeaf) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  if (isGradEnabled() && x.gradFn !== null) {
    throw new Error(`${op}: in-place operations on tensors that are part of a graph are not supported by torchlet; use the out-of-place op`);
  }
}

function writeEach(x: Tensor, f: (old: number, k: number) => number): void {
  const d = x.data;
  if (x.isDense) {
    const n = x.numel();
    for (let k = 0; k < n; k++) d[x.offset + k] = f(d[x.offset + k], k);
    return;
  }
  const offsets = stridedOffsets(x.shape, x.strides, x.offset);
  for (let k = 0; k < offsets.length; k++) d[offsets[k]] = f(d[offsets[k]], k);
}

/** Reads `src` broadcast to `x`'s shape, in x's row-major order. */
function sourceReader(x: Tensor, src: Tensor, op: string): (k: number) => number {
  const shape = broadcastShapes(x.shape, src.shape, op);
  if (!sameShape(shape, x.shape)) {
    throw new RangeError(`${op}: output with shape ${shapeString(x.shape)} doesn't match the broadcast shape ${shapeString(shape)}`);
  }
  if (sameShape(src.shape, x.shape)) {
    const v = src.values();
    return (k) => v[k];
  }
  const offsets = stridedOffsets(x.shape, broadcastStrides(src.shape, src.strides, x.shape), src.offset);
  const d = src.data;
  return (k) => d[offsets[k]];
}

export function zero_(x: Tensor): Tensor {
  checkWritable(x, 'zero_');
  writeEach(x, () => 0);
  return x;
}

export function fill_(x: Tensor, value: number): Tensor {
  checkWritable(x, 'fill_');
  writeEach(x, () => value);
  return x;
}

export function copy_(x: Tensor, src: Tensor): Tensor {
  checkWritable(x, 'copy_');
  const read = sourceReader(x, src, 'copy_');
  writeEach(x, (_, k) => read(k));
  return x;
}

export function add_(x: Tensor, other: TensorOrScalar, alpha = 1): Tensor {
  checkWritable(x, 'add_');
  const read = sourceReader(x, operand(other, x, 'add_'), 'add_');
  writeEach(x, (v, k) => v + alpha * read(k));
  return x;
}

export function sub_(x: Tensor, other: TensorOrScalar, alpha = 1): Tensor {
  return add_(x, other, -alpha);
}

export function mul_(x: Tensor, other: TensorOrScalar): Tensor {
  checkWritable(x, 'mul_');
  const read = sourceReader(x, operand(other, x, 'mul_'), 'mul_');
  writeEach(x, (v, k) => v * read(k));
  return x;
}

export function div_(x: Tensor, other: TensorOrScalar): Tensor {
  checkWritable(x, 'div_');
  const read = sourceReader(x, operand(other, x, 'div_'), 'div_');
  writeEach(x, (v, k) => v / read(k));
  return x;
}

/** Rewrites every element through `f(old, index)`; the init functions build on it. */
export function mapInPlace(x: Tensor, f: (old: number, k: number) => number, op: string): Tensor {
  checkWritable(x, op);
  writeEach(x, f);
  return x;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    zero_(): Tensor;
    fill_(value: number): Tensor;
    copy_(src: Tensor): Tensor;
    add_(other: TensorOrScalar, alpha?: number): Tensor;
    sub_(other: TensorOrScalar, alpha?: number): Tensor;
    mul_(other: TensorOrScalar): Tensor;
    div_(other: TensorOrScalar): Tensor;
  }
}

Tensor.prototype.zero_ = function (this: Tensor) { return zero_(this); };
Tensor.prototype.fill_ = function (this: Tensor, v: number) { return fill_(this, v); };
Tensor.prototype.copy_ = function (this: Tensor, src: Tensor) { return copy_(this, src); };
Tensor.prototype.add_ = function (this: Tensor, o: TensorOrScalar, a?: number) { return add_(this, o, a); };
Tensor.prototype.sub_ = function (this: Tensor, o: TensorOrScalar, a?: number) { return sub_(this, o, a); };
Tensor.prototype.mul_ = function (this: Tensor, o: TensorOrScalar) { return mul_(this, o); };
Tensor.prototype.div_ = function (this: Tensor, o: TensorOrScalar) { return div_(this, o); };
