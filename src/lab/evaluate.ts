import { noGrad } from '../autograd/grad-mode.js';
import { StateDictFormatError } from '../io/errors.js';
import { defaultGenerator } from '../random/generator.js';
import type * as nn from '../nn/index.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { type HeldOutSet, makeHeldOutSet } from './data.js';
import { CNN } from './model.js';

// Judging a model: its verdict on given matrices and its accuracy on the held-out set. Pure computation
// (no printing, no files): the CLI and the playground render what these return.

/** A run "learned" when its held-out accuracy reaches this. */
export const LEARNED_ACCURACY = 0.9;

/** The output above which the network says "all elements equal" (the tutorial's "true", target 1). */
export const DECISION_THRESHOLD = 0.5;

export type Matrix = number[][];

export interface Prediction {
  /** The matrix as given. */
  matrix: Matrix;
  /** The model's output: its probability that all elements are equal. */
  probability: number;
  /** true: "all elements equal" (target 1); false: "random" (target 0). */
  verdict: boolean;
}

/** The model's output for each matrix (one forward pass per matrix, float32 input, no graph). */
export function predictMatrices(model: nn.Module, matrices: ReadonlyArray<Matrix>): Prediction[] {
  return noGrad(() =>
    matrices.map((m) => {
      const probability = model.call(tensor([[m.map((row) => [...row])]])).item();
      return { matrix: m.map((row) => [...row]), probability, verdict: probability > DECISION_THRESHOLD };
    }),
  );
}

/**
 * A model of the tutorial's shape holding the given state_dict. Anything that does not fit (missing or extra
 * keys, wrong shapes, non-finite values) throws a one-line StateDictFormatError naming `source` and every problem.
 */
export function modelFromStateDict(sd: ReadonlyMap<string, Tensor>, source = 'the state_dict'): CNN {
  const model = blankModel();
  try {
    model.loadStateDict(sd);
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err))
      .split('\n')
      .slice(1)
      .map((s) => s.trim().replace(/\s*\.\s*$/, ''))
      .filter(Boolean)
      .join('; ');
    throw new StateDictFormatError(`${source} does not fit the tutorial's CNN: ${detail || String(err)}`);
  }
  return model;
}

/**
 * A CNN whose weights are about to be overwritten. Building one draws its initial weights from the default
 * generator; the generator's state is restored afterwards, so a training run in progress (a shuffled one
 * draws every epoch) continues with exactly the numbers it would have drawn otherwise.
 */
function blankModel(): CNN {
  const state = defaultGenerator.getState();
  try {
    return new CNN();
  } finally {
    defaultGenerator.setState(state);
  }
}

/** A copy of `model` with its own parameters (the original is not touched by what is done to the copy). */
export function cloneModel(model: CNN, dtype: 'float32' | 'float64' = 'float32'): CNN {
  const copy = blankModel();
  copy.loadStateDict(model.stateDict());
  return dtype === 'float64' ? copy.to('float64') : copy;
}

let cachedHeldOut: HeldOutSet | undefined;

/** makeHeldOutSet() with its defaults, built once. */
export function defaultHeldOutSet(): HeldOutSet {
  cachedHeldOut ??= makeHeldOutSet();
  return cachedHeldOut;
}

export interface HeldOutEvaluation {
  /** Fraction of the held-out matrices whose verdict is right. */
  accuracy: number;
  /** The same over the constant matrices only, and over the random ones only. */
  accuracyConstant: number;
  accuracyRandom: number;
  /** Number of matrices judged (both classes). */
  count: number;
  /** The output for each held-out matrix, in the set's order (constant matrices first). */
  outputs: Float32Array;
}

/** The model's outputs on `inputs` ([n,1,3,3]) in one batched forward pass without a graph. */
export function outputsOn(model: nn.Module, inputs: Tensor): Float32Array {
  const out = noGrad(() => model.call(inputs));
  return Float32Array.from(out.values());
}

/** Accuracy of `model` on the held-out set (default: makeHeldOutSet(), 500 constant + 500 random matrices). */
export function evaluateHeldOut(model: nn.Module, set: HeldOutSet = defaultHeldOutSet()): HeldOutEvaluation {
  const outputs = outputsOn(model, set.inputs);
  return scoreOutputs(outputs, set.labels);
}

export function scoreOutputs(outputs: Float32Array, labels: Float32Array): HeldOutEvaluation {
  let right = 0, rightC = 0, rightR = 0, nC = 0, nR = 0;
  for (let i = 0; i < labels.length; i++) {
    const ok = (outputs[i] > DECISION_THRESHOLD ? 1 : 0) === labels[i];
    if (labels[i] === 1) {
      nC++;
      if (ok) rightC++;
    } else {
      nR++;
      if (ok) rightR++;
    }
    if (ok) right++;
  }
  return {
    accuracy: right / labels.length,
    accuracyConstant: nC ? rightC / nC : NaN,
    accuracyRandom: nR ? rightR / nR : NaN,
    count: labels.length,
    outputs,
  };
}

/** Matrices the atlas and the PyTorch fixture (test/fixtures/generate_atlas.py) both probe each run with. */
export const PROBE_MATRICES: readonly Matrix[] = [
  [[200, 200, 200], [200, 200, 200], [200, 200, 200]],
  [[11.11, 11.11, 11.11], [11.11, 11.11, 11.11], [11.11, 11.11, 11.11]],
  [[10, -43, 7], [49, 50, -51], [39, -59, 71]],
  [[5.6, 9.8, 100], [12, 65, 6], [0.7, 43, 4]],
  [[-200, -200, -200], [-200, -200, -200], [-200, -200, -200]],
  [[-20, -20, -20], [-20, -20, -20], [-20, -20, -20]],
  [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
  [[30, 30, 30], [30, 30, 30], [30, 30, 30]],
  [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
  [[-30, 40, -10], [25, -45, 5], [35, -15, 20]],
];

/** How far the "large" held-out set is scaled: its values lie in [-200, 200), four times the training range. */
export const LARGE_SCALE = 4;

let cachedLarge: HeldOutSet | undefined;

/** The held-out set with every value multiplied by LARGE_SCALE (same labels): inputs beyond the training range. */
export function largeHeldOutSet(): HeldOutSet {
  if (cachedLarge === undefined) {
    const base = defaultHeldOutSet();
    cachedLarge = { inputs: noGrad(() => base.inputs.mul(LARGE_SCALE)), labels: base.labels };
  }
  return cachedLarge;
}

/**
 * Area under the ROC curve of the outputs: the probability that a random constant matrix gets a higher output
 * than a random random one (ties count half). 1: the output orders the classes perfectly, whatever the
 * threshold; 0.5: it does not tell them apart; below 0.5: it orders them the wrong way round.
 */
export function rocAuc(outputs: Float32Array, labels: Float32Array): number {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(outputs[i]);
  if (pos.length === 0 || neg.length === 0) return NaN;
  neg.sort((a, b) => a - b);
  let wins = 0;
  for (const x of pos) {
    let lo = 0, hi = neg.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (neg[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    let eq = lo;
    while (eq < neg.length && neg[eq] === x) eq++;
    wins += lo + (eq - lo) / 2;
  }
  return wins / (pos.length * neg.length);
}

function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[at];
}

/** What a trained model does, in numbers, for classifying how a run turned out (see atlas.ts). */
export interface OutcomeFeatures {
  accuracy: number;
  accuracyConstant: number;
  accuracyRandom: number;
  /** rocAuc on the held-out set. */
  auc: number;
  /** Median output over the held-out set. */
  median: number;
  /** 95th minus 5th percentile of the held-out outputs: near 0 when the output hardly depends on the input. */
  spread: number;
  /** Fraction of held-out matrices called "all equal". */
  saidConstant: number;
  /** Mean output over the constant matrices and over the random ones. */
  meanConstant: number;
  meanRandom: number;
  /** The same judged on largeHeldOutSet() (values four times the training range). */
  large: { accuracy: number; accuracyConstant: number; accuracyRandom: number; auc: number };
  /**
   * Pearson correlation, over the held-out set, of the output with each matrix's mean (its level) and with its
   * standard deviation (how unequal its elements are, 0 for a constant matrix). A model that learned the task
   * follows the deviation (negatively); one that did not often follows the level instead.
   */
  levelCorrelation: number;
  deviationCorrelation: number;
  /** Outputs on PROBE_MATRICES. */
  probes: number[];
  /** Whether every output is finite. */
  finite: boolean;
}

export function outcomeFeatures(model: nn.Module): OutcomeFeatures {
  const set = defaultHeldOutSet();
  const held = evaluateHeldOut(model, set);
  const out = held.outputs;
  const sorted = Float32Array.from(out).sort();
  let said = 0, sumC = 0, sumR = 0, nC = 0, nR = 0;
  let finite = true;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) finite = false;
    if (out[i] > DECISION_THRESHOLD) said++;
    if (set.labels[i] === 1) {
      sumC += out[i];
      nC++;
    } else {
      sumR += out[i];
      nR++;
    }
  }
  const large = largeHeldOutSet();
  const largeEval = evaluateHeldOut(model, large);
  return {
    accuracy: held.accuracy,
    accuracyConstant: held.accuracyConstant,
    accuracyRandom: held.accuracyRandom,
    auc: rocAuc(out, set.labels),
    median: quantile(sorted, 0.5),
    spread: quantile(sorted, 0.95) - quantile(sorted, 0.05),
    saidConstant: said / out.length,
    meanConstant: sumC / nC,
    meanRandom: sumR / nR,
    large: {
      accuracy: largeEval.accuracy,
      accuracyConstant: largeEval.accuracyConstant,
      accuracyRandom: largeEval.accuracyRandom,
      auc: rocAuc(largeEval.outputs, large.labels),
    },
    levelCorrelation: pearson(out, matrixStats(set).mean),
    deviationCorrelation: pearson(out, matrixStats(set).std),
    probes: predictMatrices(model, PROBE_MATRICES).map((p) => p.probability),
    finite,
  };
}

const statsCache = new WeakMap<HeldOutSet, { mean: Float64Array; std: Float64Array }>();

/** Mean and (population) standard deviation of each 3×3 matrix of a held-out set. */
function matrixStats(set: HeldOutSet): { mean: Float64Array; std: Float64Array } {
  let s = statsCache.get(set);
  if (s === undefined) {
    const v = set.inputs.values();
    const n = set.labels.length;
    s = { mean: new Float64Array(n), std: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let k = 0; k < 9; k++) m += v[i * 9 + k];
      m /= 9;
      let q = 0;
      for (let k = 0; k < 9; k++) q += (v[i * 9 + k] - m) ** 2;
      s.mean[i] = m;
      s.std[i] = Math.sqrt(q / 9);
    }
    statsCache.set(set, s);
  }
  return s;
}

/** Pearson correlation of two equally long series (0 when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}
