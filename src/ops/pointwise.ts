import { record } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { mapBinary, mapUnary, rounder } from './kernels.js';

/** e^x. @example exp(tensor([0, 1])) // tensor([1.0000, 2.7183]) */
export function exp(x: Tensor): Tensor {
  const out = mapUnary(x, Math.exp);
  return record(out, 'ExpBackward0', [x], (g) => [mapBinary(g, out, (u, y) => u * y, 'exp backward')]);
}

/** Natural log. @example log(tensor([1, Math.E])) // tensor([0., 1.]) */
export function log(x: Tensor): Tensor {
  const out = mapUnary(x, Math.log);
  return record(out, 'LogBackward0', [x], (g) => [mapBinary(g, x, (u, v) => u / v, 'log backward')]);
}

/** √x. @example sqrt(tensor([4, 9])) // tensor([2., 3.]) */
export function sqrt(x: Tensor): Tensor {
  const out = mapUnary(x, Math.sqrt);
  const r = rounder(x.dtype);
  // PyTorch: grad / (2 * result)
  return record(out, 'SqrtBackward0', [x], (g) => [mapBinary(g, out, (u, y) => u / r(2 * y), 'sqrt backward')]);
}

/** |x|; the gradient at 0 is 0, as PyTorch's sign(x). */
export function abs(x: Tensor): Tensor {
  const out = mapUnary(x, Math.abs);
  return record(out, 'AbsBackward0', [x], (g) => [mapBinary(g, x, (u, v) => u * Math.sign(v), 'abs backward')]);
}

/**
 * Limits x to [min, max] (either may be omitted). The gradient passes where min ≤ x ≤ max, as in PyTorch.
 * @example clamp(tensor([-2, 0.5, 3]), 0, 1) // tensor([0.0000, 0.5000, 1.0000])
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (min == null && max == null) throw new RangeError("clamp: At least one of 'min' or 'max' must not be None");
  const out = mapUnary(x, (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi)));
  return record(out, 'ClampBackward1', [x], (g) => [mapBinary(g, x, (u, v) => (v >= lo && v <= hi ? u : 0), 'clamp backward')]);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
  }
}

Tensor.prototype.exp = function (this: Tensor) { return exp(this); };
Tensor.prototype.log = function (this: Tensor) { return log(this); };
Tensor.prototype.sqrt = function (this: Tensor) { return sqrt(this); };
Tensor.prototype.abs = function (this: Tensor) { return abs(this); };
Tensor.prototype.clamp = function (this: Tensor, min?: number | null, max?: number | null) { return clamp(this, min, max); };
