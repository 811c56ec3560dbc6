import { noGrad } from '../autograd/grad-mode.js';
import * as nn from '../nn/index.js';
import { tensor } from '../tensor/creation.js';
import { DECISION_THRESHOLD, type Matrix } from './evaluate.js';
import type { CNN } from './model.js';
import { type Weights, weightsOf } from './model.js';

// The hand calculation the tutorial invites: the forward pass of the tutorial's CNN written out cell by cell
// with the model's own numbers, then the tutorial's reading of the weights, computed for these weights.
// Arithmetic is in float64 on the float32 weights and inputs, so every sum shown is exact to ~1e-16; the
// model's own float32 forward pass is returned beside it (they agree to float32 rounding).

export interface Term {
  /** Position in the kernel (row, col). */
  at: [number, number];
  weight: number;
  input: number;
  product: number;
}

export interface ConvCell {
  /** Position of the output cell (row, col). */
  at: [number, number];
  /** kernel ⊙ patch, element by element. */
  terms: Term[];
  /** Σ kernel ⊙ patch. */
  sum: number;
  bias: number;
  /** sum + bias. */
  value: number;
}

export interface FirstLayerCell extends ConvCell {
  /** Mean of the 2×2 patch. */
  patchMean: number;
  /** Σw · mean(patch): what the cell would be (less the bias) if the patch were constant at its mean. */
  levelPart: number;
  /** Σ w·(patch − mean): the part that comes from the patch's variation (0 for a constant patch). */
  variationPart: number;
  /** LeakyReLU(value): value when positive, slope·value otherwise. */
  activated: number;
  /** Whether LeakyReLU scaled the value by its negative slope. */
  negative: boolean;
}

export interface ConstantResponse {
  /** The constant every element of the input holds. */
  c: number;
  /** Every first-layer cell: c·Σw1 + b1. */
  firstLayer: number;
  activated: number;
  /** activated·Σw2 + b2. */
  logit: number;
  probability: number;
}

export interface Reading {
  kernel1: number[];
  /** Σ of the first kernel's four elements. */
  kernel1Sum: number;
  /** Σ |w| of the first kernel (to judge how close Σw is to 0). */
  kernel1AbsSum: number;
  bias1: number;
  /** What a constant input c becomes, for the ends of the training range and for 0. */
  constant: ConstantResponse[];
  /** The largest |c·Σw1 + b1| over the training constants c = -50 … 49. */
  constantFirstLayerMax: number;
  kernel2: number[];
  kernel2Signs: Array<'+' | '-' | '0'>;
  kernel2Sum: number;
  bias2: number;
  /** sigmoid(b2): the output when the first layer gives 0. */
  bias2Probability: number;
  /** Σ w2·a for this matrix (the second kernel's contribution to the logit). */
  kernelTerm: number;
  /** Which part of logit = kernelTerm + b2 sets the sign of the logit, hence the verdict. */
  decider: 'kernel' | 'bias' | 'both';
  /** The single largest of the five terms w2·a (four) and b2, by magnitude. */
  largestTerm: { name: string; value: number };
  /** The first-layer cell whose second-layer product w2·a is largest in magnitude. */
  strongestCell: number;
}

export interface Explanation {
  /** The matrix as the model sees it (float32). */
  input: Matrix;
  weights: Weights;
  negativeSlope: number;
  firstLayer: FirstLayerCell[];
  secondLayer: ConvCell;
  logit: number;
  probability: number;
  verdict: boolean;
  /** The model's own float32 forward pass, for comparison. */
  forward: { firstLayer: number[]; activated: number[]; logit: number; probability: number };
  reading: Reading;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Every first-layer output cell as kernel ⊙ patch + bias, LeakyReLU, the second layer, the sigmoid. */
export function explain(model: CNN, matrix: Matrix): Explanation {
  const w = weightsOf(model);
  const layers = model.model;
  const leaky = layers.at(1);
  const negativeSlope = leaky instanceof nn.LeakyReLU ? leaky.negativeSlope : 0.01;
  const slope = Math.fround(negativeSlope);
  const x = matrix.map((row) => row.map((v) => Math.fround(v)));
  const k1 = w['model.0.weight'];
  const b1 = w['model.0.bias'][0];
  const k2 = w['model.2.weight'];
  const b2 = w['model.2.bias'][0];

  const firstLayer: FirstLayerCell[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const cell = convCell([i, j], k1, (r, c) => x[i + r][j + c], b1);
      const patch = cell.terms.map((t) => t.input);
      const patchMean = (patch[0] + patch[1] + patch[2] + patch[3]) / 4;
      const levelPart = sum(k1) * patchMean;
      const variationPart = cell.terms.reduce((s, t) => s + t.weight * (t.input - patchMean), 0);
      const negative = cell.value < 0;
      firstLayer.push({ ...cell, patchMean, levelPart, variationPart, negative, activated: negative ? cell.value * slope : cell.value });
    }
  }
  const activated = firstLayer.map((c) => c.activated);
  const secondLayer = convCell([0, 0], k2, (r, c) => activated[r * 2 + c], b2);
  const logit = secondLayer.value;
  const probability = sigmoid(logit);

  const forward = noGrad(() => {
    const input = tensor([[x]]);
    const h1 = layers.at(0).call(input);
    const a1 = layers.at(1).call(h1);
    const z = layers.at(2).call(a1);
    const p = layers.at(3).call(z);
    return { firstLayer: h1.toArray(), activated: a1.toArray(), logit: z.item(), probability: p.item() };
  });

  return {
    input: x, weights: w, negativeSlope: slope, firstLayer, secondLayer, logit, probability,
    verdict: probability > DECISION_THRESHOLD, forward, reading: reading(k1, b1, k2, b2, slope, secondLayer),
  };
}

function convCell(at: [number, number], kernel: number[], input: (r: number, c: number) => number, bias: number): ConvCell {
  const terms: Term[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const weight = kernel[r * 2 + c];
      const v = input(r, c);
      terms.push({ at: [r, c], weight, input: v, product: weight * v });
    }
  }
  const s = sum(terms.map((t) => t.product));
  return { at, terms, sum: s, bias, value: s + bias };
}

function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

/** The chain for an input whose nine elements all equal c. */
export function constantResponse(w: Weights, c: number, negativeSlope = 0.01): ConstantResponse {
  const s1 = sum(w['model.0.weight']);
  const firstLayer = Math.fround(c) * s1 + w['model.0.bias'][0];
  const activated = firstLayer < 0 ? firstLayer * Math.fround(negativeSlope) : firstLayer;
  const logit = activated * sum(w['model.2.weight']) + w['model.2.bias'][0];
  return { c, firstLayer, activated, logit, probability: sigmoid(logit) };
}

function reading(k1: number[], b1: number, k2: number[], b2: number, slope: number, second: ConvCell): Reading {
  const w = { 'model.0.weight': k1, 'model.0.bias': [b1], 'model.2.weight': k2, 'model.2.bias': [b2] } as Weights;
  const kernel1Sum = sum(k1);
  const kernelTerm = second.sum;
  const logit = second.value;
  let decider: Reading['decider'];
  if (Math.sign(kernelTerm) === Math.sign(b2) || kernelTerm === 0 || b2 === 0) decider = kernelTerm === 0 ? 'bias' : b2 === 0 ? 'kernel' : 'both';
  else decider = Math.sign(logit) === Math.sign(b2) ? 'bias' : 'kernel';
  const candidates = [
    ...second.terms.map((t, i) => ({ name: `w2[${t.at[0]},${t.at[1]}]·a${i + 1}`, value: t.product })),
    { name: 'b2', value: b2 },
  ];
  const largestTerm = candidates.reduce((a, b) => (Math.abs(b.value) > Math.abs(a.value) ? b : a));
  const strongestCell = second.terms.reduce((best, t, i) => (Math.abs(t.product) > Math.abs(second.terms[best].product) ? i : best), 0);
  return {
    kernel1: [...k1],
    kernel1Sum,
    kernel1AbsSum: sum(k1.map(Math.abs)),
    bias1: b1,
    constant: [-50, 0, 49].map((c) => constantResponse(w, c, slope)),
    constantFirstLayerMax: Math.max(Math.abs(-50 * kernel1Sum + b1), Math.abs(49 * kernel1Sum + b1)),
    kernel2: [...k2],
    kernel2Signs: k2.map((v) => (v > 0 ? '+' : v < 0 ? '-' : '0')),
    kernel2Sum: sum(k2),
    bias2: b2,
    bias2Probability: sigmoid(b2),
    kernelTerm,
    decider,
    largestTerm,
    strongestCell,
  };
}
