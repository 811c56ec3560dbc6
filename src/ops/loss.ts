import { record } from '../autograd/record.js';
import { allocate } from '../tensor/dtype.js';
import { sameShape, shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { rounder } from './kernels.js';
import { logSoftmax } from './activation.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

function checkReduction(op: string, r: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${op}: ${r} is not a valid value for reduction`);
  return r;
}

/** Reduces per-element losses held in float64 `acc`, rounding once into the dtype. */
function reduce(values: Float64Array, dtype: Tensor['dtype'], shape: readonly number[], reduction: Reduction): Tensor {
  if (reduction === 'none') {
    const s = allocate(dtype, values.length);
    s.set(values);
    return new Tensor(s, shape.slice());
  }
  const r = rounder(dtype);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const s = allocate(dtype, 1);
  s[0] = reduction === 'sum' ? sum : r(sum) / values.length;
  return new Tensor(s, []);
}

/**
 * Binary cross-entropy between probabilities and targets, as PyTorch 1.13 computes it:
 * `(t-1)·max(log(1-x), -100) - t·max(log(x), -100)`, mean over all elements by default.
 *
 * @example binaryCrossEntropy(tensor([0.9]), tensor([1])) // tensor(0.1054)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = checkReduction('binary_cross_entropy', options.reduction ?? 'mean');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `binary_cross_entropy: Using a target size (${shapeString(target.shape)}) that is different to the input size (${shapeString(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  const r = rounder(input.dtype);
  const x = input.values();
  const t = target.values();
  const n = x.length;
  const per = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (!(xi >= 0 && xi <= 1)) throw new RangeError('binary_cross_entropy: all elements of input should be between 0 and 1');
    const ti = r(t[i]);
    const logX = Math.max(r(Math.log(xi)), -100);
    const log1mX = Math.max(r(Math.log(r(1 - xi))), -100);
    per[i] = r(r(r(ti - 1) * log1mX) - r(ti * logX));
  }
  const out = reduce(per, input.dtype, input.shape, reduction);
  return record(out, 'BinaryCrossEntropyBackward0', [input, target], (g) => {
    const gv = g.values();
    const gi = allocate(input.dtype, n);
    const gt = target.requiresGrad ? allocate(target.dtype, n) : null;
    for (let i = 0; i < n; i++) {
      const go = reduction === 'none' ? gv[i] : gv[0];
      const xi = x[i];
      const ti = t[i];
      let v = r(r(go * r(xi - ti)) / Math.max(r(r(1 - xi) * xi), 1e-12));
      if (reduction === 'mean') v = r(v / n);
      gi[i] = v;
      if (gt) {
        // d/dt of the loss: log(1-x) - log(x), clamped as in the forward
        let u = r(go * r(Math.max(r(Math.log(r(1 - xi))), -100) - Math.max(r(Math.log(xi)), -100)));
        if (reduction === 'mean') u = r(u / n);
        gt[i] = u;
      }
    }
    return [new Tensor(gi, input.shape.slice()), gt ? new Tensor(gt, target.shape.slice()) : null];
  });
}

/** Mean squared error. @example mseLoss(tensor([1, 2]), tensor([1, 4])) // tensor(2.) */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = checkReduction('mse_loss', options.reduction ?? 'mean');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`mse_loss: target size (${shapeString(target.shape)}) must be the same as input size (${shapeString(input.shape)})`);
  }
  const r = rounder(input.dtype);
  const x = input.values();
  const t = target.values();
  const per = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = r(x[i] - t[i]);
    per[i] = r(d * d);
  }
  const out = reduce(per, input.dtype, input.shape, reduction);
  return record(out, 'MseLossBackward0', [input, target], (g) => {
    const gv = g.values();
    const gi = allocate(input.dtype, x.length);
    const scale = reduction === 'mean' ? 2 / x.length : 2;
    for (let i = 0; i < x.length; i++) gi[i] = r(r(scale * r(x[i] - t[i])) * (reduction === 'none' ? gv[i] : gv[0]));
    const gt = target.requiresGrad ? allocate(target.dtype, x.length) : null;
    if (gt) for (let i = 0; i < x.length; i++) gt[i] = -gi[i];
    return [new Tensor(gi, input.shape.slice()), gt ? new Tensor(gt, target.shape.slice()) : null];
  });
}

function classIndices(target: Tensor | readonly number[], n: number, classes: number, op: string): number[] {
  const t = Array.isArray(target) ? [...(target as readonly number[])] : (target as Tensor).toArray();
  if (t.length !== n) throw new RangeError(`${op}: Expected input batch_size (${n}) to match target batch_size (${t.length}).`);
  for (const c of t) {
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`${op}: Target ${c} is out of bounds.`);
  }
  return t;
}

/**
 * Negative log-likelihood of class indices under log-probabilities [N, C].
 * @example nllLoss(tensor([[-0.1, -2.3]]), [0]) // tensor(0.1000)
 */
export function nllLoss(logProbs: Tensor, target: Tensor | readonly number[], options: LossOptions = {}): Tensor {
  const reduction = checkReduction('nll_loss', options.reduction ?? 'mean');
  if (logProbs.shape.length !== 2) throw new RangeError(`nll_loss: expected 2-D input [N, C], got ${shapeString(logProbs.shape)}`);
  const [N, C] = logProbs.shape;
  const t = classIndices(target, N, C, 'nll_loss');
  const v = logProbs.values();
  const per = new Float64Array(N);
  for (let i = 0; i < N; i++) per[i] = -v[i * C + t[i]];
  const out = reduce(per, logProbs.dtype, [N], reduction);
  return record(out, 'NllLossBackward0', [logProbs], (g) => {
    const gv = g.values();
    const gi = allocate(logProbs.dtype, N * C);
    for (let i = 0; i < N; i++) {
      const go = reduction === 'none' ? gv[i] : gv[0];
      gi[i * C + t[i]] = reduction === 'mean' ? -go / N : -go;
    }
    return [new Tensor(gi, [N, C])];
  });
}

/** Cross-entropy of logits [N, C] against class indices: nllLoss(logSoftmax(x, 1)). */
export function crossEntropy(logits: Tensor, target: Tensor | readonly number[], options: LossOptions = {}): Tensor {
  return nllLoss(logSoftmax(logits, 1), target, options);
}
