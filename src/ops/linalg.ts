import { record } from '../autograd/record.js';
import { allocate, promoteTypes } from '../tensor/dtype.js';
import { broadcastShapes, numelOf, shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mapBinary } from './kernels.js';
import { reshape, transpose, unsqueeze } from './view.js';

/**
 * Batched product of [..., n, k] and [..., k, m] with broadcast batch dims, on contiguous values.
 * Sums run over k in order, in float64, rounded once into the result's dtype.
 */
function batchedProduct(a: Tensor, b: Tensor, op: string): Tensor {
  const [n, k] = a.shape.slice(-2);
  const [k2, m] = b.shape.slice(-2);
  if (k !== k2) {
    throw new RangeError(`${op}: mat1 and mat2 shapes cannot be multiplied (${n}x${k} and ${k2}x${m})`);
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  const A = a.expand([...batch, n, k]).contiguous().values();
  const B = b.expand([...batch, k, m]).contiguous().values();
  const count = numelOf(batch);
  const out = allocate(promoteTypes(a.dtype, a.shape.length, b.dtype, b.shape.length), count * n * m);
  for (let p = 0; p < count; p++) {
    const ao = p * n * k;
    const bo = p * k * m;
    const oo = p * n * m;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[ao + i * k + q] * B[bo + q * m + j];
        out[oo + i * m + j] = s;
      }
    }
  }
  return new Tensor(out, [...batch, n, m]);
}

/**
 * Matrix product with PyTorch's rules for 1-D operands (prepended/appended dims removed afterwards) and
 * broadcasting of batch dims.
 * @example matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])) // tensor([3., 7.])
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new RangeError(`matmul: both arguments to matmul need to be at least 1D, but they are ${a.shape.length}D and ${b.shape.length}D`);
  }
  const A = a.shape.length === 1 ? unsqueeze(a, 0) : a;
  const B = b.shape.length === 1 ? unsqueeze(b, -1) : b;
  let out = batchedProduct(A, B, 'matmul');
  const shape = out.shape.slice();
  if (a.shape.length === 1) shape.splice(shape.length - 2, 1);
  if (b.shape.length === 1) shape.splice(shape.length - 1, 1);
  out = new Tensor(out.data, shape);
  const name = a.shape.length === 1 && b.shape.length === 1 ? 'DotBackward0'
    : a.shape.length <= 2 && b.shape.length === 1 ? 'MvBackward0'
      : a.shape.length <= 2 && b.shape.length === 2 ? 'MmBackward0' : 'UnsafeViewBackward0';
  return record(out, name, [a, b], (g) => {
    // Put the gradient back in the 2-D-or-more form, then gA = g·Bᵀ, gB = Aᵀ·g (batch dims summed by the engine).
    const full = reshape(g, [...out.shape.slice(0, out.shape.length - (a.shape.length === 1 ? 0 : 1) - (b.shape.length === 1 ? 0 : 1)),
      a.shape.length === 1 ? 1 : A.shape[A.shape.length - 2], b.shape.length === 1 ? 1 : B.shape[B.shape.length - 1]]);
    const ga = a.requiresGrad ? reshape(batchedProduct(full, transpose(B, -1, -2), 'matmul backward'), reshapeTarget(a, A, full)) : null;
    const gb = b.requiresGrad ? reshape(batchedProduct(transpose(A, -1, -2), full, 'matmul backward'), reshapeTarget(b, B, full, true)) : null;
    return [ga && ga.dtype !== a.dtype ? castLike(ga, a) : ga, gb && gb.dtype !== b.dtype ? castLike(gb, b) : gb];
  });
}

function reshapeTarget(orig: Tensor, lifted: Tensor, g: Tensor, isB = false): number[] {
  // A gradient with the lifted operand's matrix dims and the output's batch dims; 1-D operands drop their added dim.
  const batch = g.shape.slice(0, -2);
  const mat = lifted.shape.slice(-2);
  if (orig.shape.length === 1) return [...batch, isB ? mat[0] : mat[1]];
  return [...batch, ...mat];
}

function castLike(g: Tensor, like: Tensor): Tensor {
  const s = allocate(like.dtype, g.numel());
  s.set(g.values());
  return new Tensor(s, g.shape.slice());
}

/** 2-D matrix product only, as `torch.mm`. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new RangeError(`mm: expected 2-D tensors, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  return matmul(a, b);
}

/**
 * `F.linear(x, W, b)` = x·Wᵀ + b over the last dim of x.
 * @example linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1])) // tensor([[1., 2., 4.]])
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.shape.length !== 2) throw new RangeError(`linear: weight must be 2-D, got ${shapeString(weight.shape)}`);
  const inF = input.shape[input.shape.length - 1];
  if (inF !== weight.shape[1]) {
    throw new RangeError(`linear: mat1 and mat2 shapes cannot be multiplied (${numelOf(input.shape.slice(0, -1))}x${inF} and ${weight.shape[1]}x${weight.shape[0]})`);
  }
  const x2 = input.shape.length === 1 ? unsqueeze(input, 0) : reshape(input, [-1, inF]);
  const prod = batchedProduct(x2, transpose(weight, 0, 1), 'linear');
  const withBias = bias ? mapBinary(prod, bias, (u, v) => u + v, 'linear') : prod;
  const outShape = [...input.shape.slice(0, -1), weight.shape[0]];
  const out = new Tensor(withBias.data, outShape);
  const name = input.shape.length === 2 ? (bias ? 'AddmmBackward0' : 'MmBackward0') : input.shape.length === 1 ? (bias ? 'AddBackward0' : 'SqueezeBackward4') : 'ViewBackward0';
  return record(out, name, [input, weight, bias ?? null], (g) => {
    const g2 = reshape(g, [-1, weight.shape[0]]);
    return [
      input.requiresGrad ? reshape(batchedProduct(g2, weight, 'linear backward'), input.shape) : null,
      weight.requiresGrad ? batchedProduct(transpose(g2, 0, 1), x2, 'linear backward') : null,
      bias?.requiresGrad ? g2 : null,
    ];
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
  }
}

Tensor.prototype.matmul = function (this: Tensor, o: Tensor) { return matmul(this, o); };
Tensor.prototype.mm = function (this: Tensor, o: Tensor) { return mm(this, o); };
