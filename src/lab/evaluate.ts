import { noGrad } from '../autograd/grad-mode.js';
import { StateDictFormatError } from '../io/errors.js';
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
  const model = new CNN();
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

/** A copy of `model` with its own parameters (the original is not touched by what is done to the copy). */
export function cloneModel(model: CNN, dtype: 'float32' | 'float64' = 'float32'): CNN {
  const copy = new CNN();
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
