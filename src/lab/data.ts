import { Generator } from '../random/generator.js';
import { rand, tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import '../ops/index.js';

/** The tutorial's constant matrices: 100 samples of shape [1,1,3,3] filled with v = -50 … 49, as float64. */
export function makeTrueSet(): Tensor {
  const data: number[][][][][] = [];
  for (let v = -50; v < 50; v++) data.push([[[[v, v, v], [v, v, v], [v, v, v]]]]);
  return tensor(data, { dtype: 'float64' });
}

/**
 * The tutorial's random matrices: `torch.rand(100,1,1,3,3)*100-50` in float32, then cast to float64. Draws from
 * the default generator unless one is given, so it must run right after the model is built (as in the original).
 */
export function makeFalseSet(generator?: Generator): Tensor {
  return rand([100, 1, 1, 3, 3], { generator }).mul(100).sub(50).to('float64');
}

/** The four matrices the tutorial predicts after training, in its order. */
export const TEST_MATRICES: readonly (readonly (readonly number[])[])[] = [
  [[200, 200, 200], [200, 200, 200], [200, 200, 200]],
  [[11.11, 11.11, 11.11], [11.11, 11.11, 11.11], [11.11, 11.11, 11.11]],
  [[10, -43, 7], [49, 50, -51], [39, -59, 71]],
  [[5.6, 9.8, 100], [12, 65, 6], [0.7, 43, 4]],
];

/** The fixed seed of the held-out generator; independent of the training seed so every run is judged alike. */
export const HELD_OUT_SEED = 20240601;

export interface HeldOutSet {
  /** [n, 1, 3, 3] float32 inputs, constant matrices first. */
  inputs: Tensor;
  /** 1 for a constant matrix, 0 for a random one. */
  labels: Float32Array;
}

/**
 * Held-out data for judging whether a run learned: `perClass` constant matrices with values uniform in
 * [-50, 50) and `perClass` random matrices uniform in [-50, 50), both from a separate generator seeded with
 * HELD_OUT_SEED (the training run's generator is untouched).
 */
export function makeHeldOutSet(perClass = 500, seed: number | bigint = HELD_OUT_SEED): HeldOutSet {
  const gen = new Generator(seed);
  const constants = new Float32Array(perClass);
  gen.fillUniform(constants, -50, 50);
  const randoms = new Float32Array(perClass * 9);
  gen.fillUniform(randoms, -50, 50);
  const values = new Float32Array(perClass * 2 * 9);
  for (let i = 0; i < perClass; i++) values.fill(constants[i], i * 9, i * 9 + 9);
  values.set(randoms, perClass * 9);
  const labels = new Float32Array(perClass * 2);
  labels.fill(1, 0, perClass);
  return { inputs: tensor(values).view([perClass * 2, 1, 3, 3]), labels };
}

/** Parses a 3×3 matrix from JSON (`[[1,2,3],[4,5,6],[7,8,9]]`) or nine comma-separated numbers. */
export function parseMatrix(text: string): number[][] {
  const trimmed = text.trim();
  let flat: unknown[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new MatrixFormatError(`not valid JSON: ${abbreviate(trimmed)}`);
    }
    if (!Array.isArray(parsed)) throw new MatrixFormatError('expected a list of 3 rows');
    if (parsed.length === 3 && parsed.every(Array.isArray)) {
      parsed.forEach((row, i) => {
        if ((row as unknown[]).length !== 3) throw new MatrixFormatError(`row ${i + 1} has ${(row as unknown[]).length} numbers, expected 3`);
      });
      flat = (parsed as unknown[][]).flat();
    } else if (parsed.every((x) => !Array.isArray(x))) {
      flat = parsed;
    } else {
      throw new MatrixFormatError(`expected 3 rows of 3 numbers, got ${parsed.length} rows`);
    }
  } else {
    flat = trimmed.split(/[\s,;]+/).filter((s) => s.length > 0);
  }
  if (flat.length !== 9) throw new MatrixFormatError(`expected 9 numbers, got ${flat.length}`);
  const nums = flat.map((x, i) => {
    const v = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
    if (!Number.isFinite(v)) throw new MatrixFormatError(`element ${i + 1} (${abbreviate(String(x))}) is not a finite number`);
    return v;
  });
  return [nums.slice(0, 3), nums.slice(3, 6), nums.slice(6, 9)];
}

export class MatrixFormatError extends Error {
  override name = 'MatrixFormatError';
  constructor(message: string) {
    super(`invalid matrix: ${message}`);
  }
}

function abbreviate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
