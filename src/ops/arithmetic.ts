import { record } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { castTo, mapBinary, mapUnary, operand, rounder, type TensorOrScalar } from './kernels.js';

// Each op computes its output and, right beside it, the closure that sends the gradient back. Gradients
// come back in the broadcast output's shape; the engine sums them down to each input's shape.

/** `a + alpha * b` with broadcasting. @example add(tensor([1, 2]), 3) // tensor([4., 5.]) */
export function add(a: Tensor, b: TensorOrScalar, alpha = 1): Tensor {
  const B = operand(b, a, 'add');
  const out = alpha === 1 ? mapBinary(a, B, (x, y) => x + y, 'add') : mapBinary(a, B, (x, y) => x + alpha * y, 'add');
  return record(out, 'AddBackward0', [a, B], (g) => [
    a.requiresGrad ? castTo(g, a.dtype) : null,
    B.requiresGrad ? castTo(alpha === 1 ? g : mapUnary(g, (v) => v * alpha), B.dtype) : null,
  ]);
}

/** `a - alpha * b`. @example sub(tensor([5]), 2) // tensor([3.]) */
export function sub(a: Tensor, b: TensorOrScalar, alpha = 1): Tensor {
  const B = operand(b, a, 'sub');
  const out = mapBinary(a, B, alpha === 1 ? (x, y) => x - y : (x, y) => x - alpha * y, 'sub');
  return record(out, 'SubBackward0', [a, B], (g) => [
    a.requiresGrad ? castTo(g, a.dtype) : null,
    B.requiresGrad ? castTo(mapUnary(g, (v) => -alpha * v), B.dtype) : null,
  ]);
}

/** `scalar - a` (Python's `2 - t`), recorded as PyTorch records it. */
export function rsub(a: Tensor, b: TensorOrScalar): Tensor {
  const B = operand(b, a, 'rsub');
  const out = mapBinary(B, a, (x, y) => x - y, 'rsub');
  return record(out, 'RsubBackward1', [a, B], (g) => [
    a.requiresGrad ? castTo(mapUnary(g, (v) => -v), a.dtype) : null,
    B.requiresGrad ? castTo(g, B.dtype) : null,
  ]);
}

/** Elementwise product with broadcasting. @example mul(tensor([2, 3]), tensor([4, 5])) // tensor([ 8., 15.]) */
export function mul(a: Tensor, b: TensorOrScalar): Tensor {
  const B = operand(b, a, 'mul');
  const out = mapBinary(a, B, (x, y) => x * y, 'mul');
  return record(out, 'MulBackward0', [a, B], (g) => [
    a.requiresGrad ? castTo(mapBinary(g, B, (x, y) => x * y, 'mul backward'), a.dtype) : null,
    B.requiresGrad ? castTo(mapBinary(g, a, (x, y) => x * y, 'mul backward'), B.dtype) : null,
  ]);
}

/** Elementwise true division. @example div(tensor([1, 3]), 2) // tensor([0.5000, 1.5000]) */
export function div(a: Tensor, b: TensorOrScalar): Tensor {
  const B = operand(b, a, 'div');
  const out = mapBinary(a, B, (x, y) => x / y, 'div');
  return record(out, 'DivBackward0', [a, B], (g) => {
    const r = rounder(out.dtype);
    return [
      a.requiresGrad ? castTo(mapBinary(g, B, (x, y) => x / y, 'div backward'), a.dtype) : null,
      // PyTorch: -grad * ((self / other) / other), rounding each step
      B.requiresGrad
        ? castTo(mapBinary(g, mapBinary(a, B, (x, y) => r(r(x / y) / y), 'div backward'), (x, q) => -x * q, 'div backward'), B.dtype)
        : null,
    ];
  });
}

/** `-a` */
export function neg(a: Tensor): Tensor {
  const out = mapUnary(a, (x) => -x);
  return record(out, 'NegBackward0', [a], (g) => [mapUnary(g, (v) => -v)]);
}

/** x ** e for a scalar exponent; small integer and half exponents take PyTorch's exact shortcuts. */
function powScalarForward(x: Tensor, e: number): Tensor {
  const r = rounder(x.dtype);
  switch (e) {
    case 0: return mapUnary(x, () => 1);
    case 1: return mapUnary(x, (v) => v);
    case 2: return mapUnary(x, (v) => v * v);
    case 3: return mapUnary(x, (v) => r(v * v) * v);
    case 0.5: return mapUnary(x, (v) => Math.sqrt(v));
    case -0.5: return mapUnary(x, (v) => 1 / r(Math.sqrt(v)));
    case -1: return mapUnary(x, (v) => 1 / v);
    case -2: return mapUnary(x, (v) => 1 / r(v * v));
    default: return mapUnary(x, (v) => Math.pow(v, e));
  }
}

/**
 * `a ** b`. A number exponent records PowBackward0, a tensor exponent PowBackward1 (as PyTorch names them).
 * @example pow(tensor([1.], { dtype: 'float64' }), 3) // tensor([1.], dtype=torch.float64)
 */
export function pow(a: Tensor, b: TensorOrScalar): Tensor {
  if (typeof b === 'number') {
    const out = powScalarForward(a, b);
    return record(out, 'PowBackward0', [a], (g) => {
      if (b === 0) return [mapUnary(g, () => 0)];
      const r = rounder(a.dtype);
      const e = r(b);
      // PyTorch: grad * (exponent * self.pow(exponent - 1))
      const lowered = powScalarForward(a, b - 1);
      return [mapBinary(g, lowered, (gv, p) => gv * r(e * p), 'pow backward')];
    });
  }
  const out = mapBinary(a, b, (x, y) => Math.pow(x, y), 'pow');
  return record(out, 'PowBackward1', [a, b], (g) => {
    const r = rounder(out.dtype);
    return [
      a.requiresGrad
        ? castTo(mapBinary(g, mapBinary(a, b, (x, y) => (y === 0 ? 0 : r(y * r(Math.pow(x, y - 1)))), 'pow backward'), (u, v) => u * v, 'pow backward'), a.dtype)
        : null,
      b.requiresGrad
        ? castTo(mapBinary(g, mapBinary(out, a, (p, x) => (p === 0 && x === 0 ? 0 : r(p * r(Math.log(x)))), 'pow backward'), (u, v) => u * v, 'pow backward'), b.dtype)
        : null,
    ];
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: TensorOrScalar, alpha?: number): Tensor;
    sub(other: TensorOrScalar, alpha?: number): Tensor;
    rsub(other: TensorOrScalar): Tensor;
    mul(other: TensorOrScalar): Tensor;
    div(other: TensorOrScalar): Tensor;
    neg(): Tensor;
    pow(exponent: TensorOrScalar): Tensor;
  }
}

Tensor.prototype.add = function (this: Tensor, other: TensorOrScalar, alpha?: number) { return add(this, other, alpha); };
Tensor.prototype.sub = function (this: Tensor, other: TensorOrScalar, alpha?: number) { return sub(this, other, alpha); };
Tensor.prototype.rsub = function (this: Tensor, other: TensorOrScalar) { return rsub(this, other); };
Tensor.prototype.mul = function (this: Tensor, other: TensorOrScalar) { return mul(this, other); };
Tensor.prototype.div = function (this: Tensor, other: TensorOrScalar) { return div(this, other); };
Tensor.prototype.neg = function (this: Tensor) { return neg(this); };
Tensor.prototype.pow = function (this: Tensor, exponent: TensorOrScalar) { return pow(this, exponent); };
