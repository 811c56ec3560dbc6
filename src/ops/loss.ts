import { gradTensor } from '../autograd/engine.js';
import { needsGrad, record, recordSaved } from '../autograd/record.js';
import { type DType, type Storage, allocate } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, sameShape, shapeString, stridedOffsets } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './activation.js';
import { SCALAR_SHAPE, rounder } from './kernels.js';
import { sumDims } from './linalg.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default): the average over elements; 'sum'; 'none': the per-element losses. */
  reduction?: Reduction;
}

export interface WeightedLossOptions extends LossOptions {
  /** A rescaling weight: per element, broadcast to the input (BCE), or per class (NLL). */
  weight?: Tensor | null;
}

function checkReduction(op: string, r: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${op}: ${r} is not a valid value for reduction`);
  return r;
}

/** PyTorch's apply_loss_reduction: `loss.mean()` (the sum, divided once) / `loss.sum()` / the losses. */
function reduceLoss(per: Storage, shape: readonly number[], reduction: Reduction): Tensor {
  if (reduction === 'none') return new Tensor(per, shape);
  // One loss (the tutorial's per-sample steps): sumDims would give 0 + it; computed in place, no new storage.
  const total = per.length === 1 ? per : sumDims(per, [per.length], ALL_DIMS);
  if (per.length === 1) total[0] = 0 + per[0];
  if (reduction === 'mean') total[0] = total[0] / per.length;
  return new Tensor(total, SCALAR_SHAPE);
}

const ALL_DIMS: readonly boolean[] = [true];

/**
 * reduceLoss(per, shape, 'mean') for a single loss (the tutorial's per-sample steps), its roundings included: the
 * sum from 0, then ÷1, which changes no value and is left out.
 */
function meanOfOne(per: Storage): Tensor {
  per[0] = 0 + per[0];
  return new Tensor(per, SCALAR_SHAPE);
}

/** The value the upstream gradient has at element i: one scalar for mean/sum, elementwise for 'none'. */
function upstream(g: Storage, reduction: Reduction, i: number): number {
  return reduction === 'none' ? g[i] : g[0];
}

function checkTargetShape(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape) || input.dtype !== target.dtype) targetMismatch(op, input, target);
}

// Apart from checkTargetShape, so that the check every loss call makes stays small enough to inline. Called only
// when the shapes or the dtypes differ: with the shapes equal, the dtypes are what differs.
function targetMismatch(op: string, input: Tensor, target: Tensor): never {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `${op}: Using a target size (${shapeString(target.shape)}) that is different to the input size (${shapeString(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  throw new TypeError(`${op}: expected input and target of one dtype, got ${input.dtype} and ${target.dtype}`);
}

/** A weight read in the input's row-major order (broadcast to its shape), or null. */
function elementWeights(op: string, weight: Tensor | null | undefined, shape: readonly number[]): Float64Array | null {
  if (!weight) return null;
  const target = broadcastShapes(shape, weight.shape, op);
  if (!sameShape(target, shape)) {
    throw new RangeError(`${op}: output with shape ${shapeString(shape)} doesn't match the broadcast shape ${shapeString(target)} (weight of size ${shapeString(weight.shape)})`);
  }
  const idx = stridedOffsets(shape, broadcastStrides(weight.shape, weight.strides, shape), weight.offset);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = weight.data[idx[i]];
  return out;
}

/**
 * Binary cross-entropy between probabilities `input` and `target` of the same shape, exactly as PyTorch
 * 1.13 computes it on the CPU: per element `(t−1)·max(log(1−x), −100) − t·max(log(x), −100)` (each step
 * rounded in the dtype), times `weight` if given, then the mean (default), sum or none. Its gradient is
 * `g·(x−t) / max((1−x)·x, 1e−12)` (÷N for the mean); like PyTorch 1.13 it also differentiates with respect
 * to a target that requires grad: `g·(log(1−x) − log(x))`. grad_fn BinaryCrossEntropyBackward0.
 * Throws, as PyTorch does, when an input value is outside [0, 1].
 *
 * @example binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0])) // tensor(0.1643)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: WeightedLossOptions = {}): Tensor {
  const op = 'binary_cross_entropy';
  // the usual cases inline, the rest in calls that a training step never makes: V8 inlines by bytecode size within
  // a budget, and what is left of it then goes to the output's tensor and node
  const given = options.reduction;
  const reduction = given === undefined || given === 'mean' ? 'mean' : checkReduction(op, given);
  checkTargetShape(op, input, target);
  const wts = options.weight ? elementWeights(op, options.weight, input.shape) : null;
  const x = input.values();
  const t = target.values();
  const per = allocate(input.dtype, x.length);
  if (input.dtype === 'float32') bceLossF32(x, t, per);
  else bceLossF64(x, t, per);
  if (wts) weighLosses(per, wts, input.dtype);
  const out = per.length === 1 && reduction === 'mean' ? meanOfOne(per) : reduceLoss(per, input.shape, reduction);
  if (!needsGrad(input, target)) return out;
  const saved: BceSaved = { input, target, x, t, wts, reduction };
  return recordSaved(out, 'BinaryCrossEntropyBackward0', [input, target], bceBackward, saved);
}

const BCE_RANGE = 'binary_cross_entropy: all elements of input should be between 0 and 1';

// The per-element losses, written once per dtype: with the rounding a direct Math.fround (or none) rather than a
// function chosen at run time, the loop stays monomorphic and the roundings inline.
//
// A target of exactly 1 or 0 (a label, as in the tutorial) needs one logarithm, not two: PyTorch's
// (t − 1)·log(1 − x) − t·log(x) is then −log(x), or 0 − log(1 − x), to the bit and the sign. The term left out is 0
// times a log in [−100, 0], a signed zero, and subtracting one changes only a zero result. For t = 1 that is x = 1:
// (−0) − (+0) = −0 (log(1 − x) is clamped to −100, so the left-out term is −0), which −log(x) also gives. For t = 0 it
// is an x so small that 1 − x rounds to 1: (−(+0)) − (−0) = +0 (log(x) < 0), which 0 − log(1 − x) also gives.
// test/ops/loss-bce.test.ts compares both with the full formula, those edge cases included.

function bceLossF32(x: Storage, t: Storage, per: Storage): void {
  const f = Math.fround;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (!(xi >= 0 && xi <= 1)) bceRangeError();
    const ti = t[i];
    per[i] = ti === 1 ? -Math.max(f(Math.log(xi)), -100) : ti === 0 ? 0 - Math.max(f(Math.log(f(1 - xi))), -100) : bceTermF32(xi, ti);
  }
}

function bceTermF32(xi: number, ti: number): number {
  const f = Math.fround;
  const log1mX = Math.max(f(Math.log(f(1 - xi))), -100);
  const logX = Math.max(f(Math.log(xi)), -100);
  return f(f(f(ti - 1) * log1mX) - f(ti * logX));
}

function bceLossF64(x: Storage, t: Storage, per: Storage): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (!(xi >= 0 && xi <= 1)) bceRangeError();
    const ti = t[i];
    per[i] = ti === 1 ? -Math.max(Math.log(xi), -100) : ti === 0 ? 0 - Math.max(Math.log(1 - xi), -100)
      : (ti - 1) * Math.max(Math.log(1 - xi), -100) - ti * Math.max(Math.log(xi), -100);
  }
}

function bceRangeError(): never {
  throw new RangeError(BCE_RANGE);
}

/** Each loss times its weight, rounded in the dtype (the losses are already the dtype's values). */
function weighLosses(per: Storage, wts: Float64Array, dtype: DType): void {
  const r = rounder(dtype);
  for (let i = 0; i < per.length; i++) per[i] = r(per[i] * wts[i]);
}

/** What binary_cross_entropy's backward reads. */
interface BceSaved {
  input: Tensor;
  target: Tensor;
  x: Storage;
  t: Storage;
  wts: Float64Array | null;
  reduction: Reduction;
}

function bceBackward(g: Tensor, s: BceSaved): ReadonlyArray<Tensor | null> | Tensor {
  const { input, target, x, t, wts, reduction } = s;
  const n = x.length;
  const gv = g.values();
  let gi: Tensor | null = null;
  if (input.requiresGrad) {
    gi = gradTensor(input.dtype, input.shape, n);
    if (input.dtype === 'float32') bceInputGradF32(gv, x, t, wts, reduction, gi.data);
    else bceInputGradF64(gv, x, t, wts, reduction, gi.data);
  }
  // the usual case (a constant target): the input's gradient alone, without an array around it
  if (!target.requiresGrad && gi !== null) return gi;
  let gt: Storage | null = null;
  if (target.requiresGrad) {
    // PyTorch 1.13: (1 - x).log() - x.log(), times the gradient, the weight, ÷N for the mean
    const r = rounder(target.dtype);
    gt = allocate(target.dtype, n);
    for (let i = 0; i < n; i++) {
      let v = r(r(r(Math.log(r(1 - x[i]))) - r(Math.log(x[i]))) * upstream(gv, reduction, i));
      if (wts) v = r(v * wts[i]);
      gt[i] = reduction === 'mean' ? r(v / n) : v;
    }
  }
  return [gi, gt && new Tensor(gt, target.shape)];
}

/** g·(x−t) / max((1−x)·x, ε) per element, times the weight, ÷N for the mean; float32 rounding at every step. */
function bceInputGradF32(gv: Storage, x: Storage, t: Storage, wts: Float64Array | null, reduction: Reduction, gi: Storage): void {
  const f = Math.fround;
  const n = x.length;
  const eps = f(1e-12);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    let v = f(f(upstream(gv, reduction, i) * f(xi - t[i])) / Math.max(f(f(1 - xi) * xi), eps));
    if (wts) v = f(v * wts[i]);
    // ÷1 leaves every value as it is (−0, ±∞ and NaN too), so a single loss's mean skips a full-latency division
    gi[i] = reduction === 'mean' && n !== 1 ? f(v / n) : v;
  }
}

function bceInputGradF64(gv: Storage, x: Storage, t: Storage, wts: Float64Array | null, reduction: Reduction, gi: Storage): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    let v = (upstream(gv, reduction, i) * (xi - t[i])) / Math.max((1 - xi) * xi, 1e-12);
    if (wts) v = v * wts[i];
    gi[i] = reduction === 'mean' && n !== 1 ? v / n : v;
  }
}

/**
 * Mean squared error `(x − t)²` per element, then the mean (default), sum or none, as
 * `F.mse_loss`; the gradient is `(2/N)·(x − t)·g` (2·(x − t)·g without the mean), and the target gets the
 * negative of it when it requires grad. grad_fn MseLossBackward0. Input and target must have one shape
 * (PyTorch would broadcast them with a warning).
 *
 * @example mseLoss(tensor([1, 2]), tensor([1, 4])) // tensor(2.)
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'mse_loss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  checkTargetShape(op, input, target);
  const r = rounder(input.dtype);
  const x = input.values();
  const t = target.values();
  const n = x.length;
  const per = allocate(input.dtype, n);
  for (let i = 0; i < n; i++) {
    const d = r(x[i] - t[i]);
    per[i] = r(d * d);
  }
  const out = reduceLoss(per, input.shape, reduction);
  return record(out, 'MseLossBackward0', [input, target], (g) => {
    const gv = g.values();
    const alpha = r(reduction === 'mean' ? 2 / n : 2);
    const gi = allocate(input.dtype, n);
    for (let i = 0; i < n; i++) gi[i] = r(r(alpha * r(x[i] - t[i])) * upstream(gv, reduction, i));
    let gt: Storage | null = null;
    if (target.requiresGrad) {
      gt = allocate(target.dtype, n);
      for (let i = 0; i < n; i++) gt[i] = -gi[i];
    }
    return [input.requiresGrad ? new Tensor(gi, input.shape.slice()) : null, gt && new Tensor(gt, target.shape.slice())];
  });
}

/** Class indices from a tensor or an array, checked as PyTorch checks them. */
function classIndices(op: string, target: Tensor | readonly number[], batch: number | null, classes: number): number[] {
  const isTensor = target instanceof Tensor;
  if (isTensor && batch === null && target.shape.length !== 0) {
    throw new RangeError(`${op}: 1D target tensor expected, multi-target not supported (for unbatched input the target must be 0-D, got ${shapeString(target.shape)})`);
  }
  if (isTensor && batch !== null && target.shape.length !== 1) {
    throw new RangeError(`${op}: 1D target tensor expected, multi-target not supported (got target of size ${shapeString(target.shape)})`);
  }
  const t = isTensor ? target.toArray() : [...target];
  const expected = batch ?? 1;
  if (t.length !== expected) {
    throw new RangeError(`${op}: Expected input batch_size (${expected}) to match target batch_size (${t.length}).`);
  }
  for (const c of t) {
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`${op}: Target ${c} is out of bounds.`);
  }
  return t;
}

/**
 * Negative log-likelihood of class indices under log-probabilities [N, C] (or [C] with one index), as
 * `F.nll_loss`: `−logProbs[i, target[i]]` (times `weight[target[i]]`), then the weighted mean (default),
 * sum or none. The batch is summed in PyTorch 1.13's cascade order. grad_fn NllLossBackward0; the target
 * (a tensor of whole numbers or a number array) never gets a gradient.
 *
 * @example nllLoss(tensor([[-0.1, -2.3], [-1.2, -0.4]]), [0, 1]) // tensor(0.2500)
 */
export function nllLoss(logProbs: Tensor, target: Tensor | readonly number[], options: WeightedLossOptions = {}): Tensor {
  const op = 'nll_loss';
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const nd = logProbs.shape.length;
  if (nd !== 1 && nd !== 2) {
    throw new RangeError(`${op}: expected input of 1 or 2 dimensions ([C] or [N, C]), got ${shapeString(logProbs.shape)} (spatial nll_loss is not supported)`);
  }
  const N = nd === 2 ? logProbs.shape[0] : 1;
  const C = logProbs.shape[nd - 1];
  const t = classIndices(op, target, nd === 2 ? N : null, C);
  const weight = options.weight ?? null;
  if (weight && (weight.shape.length !== 1 || weight.shape[0] !== C)) {
    throw new RangeError(`${op}: weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${shapeString(weight.shape)}`);
  }
  const wv = weight ? weight.values() : null;
  const r = rounder(logProbs.dtype);
  const v = logProbs.values();
  const dtype: DType = logProbs.dtype;
  let out: Tensor;
  let totalWeight = 0;
  if (reduction === 'none') {
    const per = allocate(dtype, N);
    for (let i = 0; i < N; i++) per[i] = wv ? r(-v[i * C + t[i]] * wv[t[i]]) : -v[i * C + t[i]];
    out = new Tensor(per, nd === 2 ? [N] : []);
  } else {
    // PyTorch 1.13's nll_loss_out_frame: a cascade over the batch in levels of 16, eight levels deep
    const loss = new Float64Array(8);
    const wsum = new Float64Array(8);
    for (let i = 0; i < N; i++) {
      const w = wv ? wv[t[i]] : 1;
      loss[0] = r(loss[0] - (wv ? r(v[i * C + t[i]] * w) : v[i * C + t[i]]));
      wsum[0] = r(wsum[0] + w);
      for (let j = 0; j + 1 < 8; j++) {
        if ((i & (15 * 2 ** (4 * j))) !== 0) break;
        loss[j + 1] = r(loss[j + 1] + loss[j]);
        loss[j] = 0;
        wsum[j + 1] = r(wsum[j + 1] + wsum[j]);
        wsum[j] = 0;
      }
    }
    let total = 0;
    for (let j = 0; j < 8; j++) {
      total = r(total + loss[j]);
      totalWeight = r(totalWeight + wsum[j]);
    }
    if (!wv) totalWeight = N;
    const s = allocate(dtype, 1);
    s[0] = reduction === 'mean' ? total / totalWeight : total;
    out = new Tensor(s, []);
  }
  return record(out, 'NllLossBackward0', [logProbs], (g) => {
    const gv = g.values();
    const gi = allocate(dtype, N * C);
    for (let i = 0; i < N; i++) {
      const up = reduction === 'none' ? gv[i] : reduction === 'mean' ? r(gv[0] / totalWeight) : gv[0];
      gi[i * C + t[i]] = wv ? r(wv[t[i]] * -up) : -up;
    }
    return [new Tensor(gi, logProbs.shape.slice())];
  });
}

/**
 * Cross-entropy of logits [N, C] (or [C]) against class indices: `nllLoss(logSoftmax(logits, classDim))`,
 * two graph nodes as in PyTorch (NllLossBackward0 over LogSoftmaxBackward0).
 *
 * @example crossEntropy(tensor([[2, 0], [0, 2]]), [0, 1]) // tensor(0.1269)
 */
export function crossEntropy(logits: Tensor, target: Tensor | readonly number[], options: WeightedLossOptions = {}): Tensor {
  if (logits.shape.length !== 1 && logits.shape.length !== 2) {
    throw new RangeError(`cross_entropy: expected input of 1 or 2 dimensions ([C] or [N, C]), got ${shapeString(logits.shape)}`);
  }
  return nllLoss(logSoftmax(logits, logits.shape.length === 1 ? 0 : 1), target, options);
}
