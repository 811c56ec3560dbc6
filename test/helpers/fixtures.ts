// Loading the PyTorch reference fixtures (test/fixtures/*.json, written by shared/reference/generate.py).
import { readFileSync } from 'node:fs';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A tensor as the fixtures store it: shape, dtype and the row-major values (float32 values exact as doubles). */
export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}

/** One case of ops.json: `y = op(*inputs); y.backward(grad_output)`; `grad_inputs[i]` is `inputs[i].grad`. */
export interface OpCase {
  name: string;
  args: Record<string, number | string>;
  inputs: FixtureTensor[];
  output: FixtureTensor;
  grad_output: FixtureTensor;
  grad_inputs: Array<FixtureTensor | null>;
}

/**
 * Reads test/fixtures/<name>. Python's json module writes NaN and ±Infinity as bare words, which JSON.parse
 * refuses; they are read back as numbers.
 */
export function loadFixture<T>(name: string): T {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  const quoted = text.replace(/(?<=[\s[:,])(-?Infinity|NaN)(?=[\s,\]}])/g, '"$1"');
  return JSON.parse(quoted, (_, v: unknown) =>
    v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v) as T;
}

/** A fresh leaf tensor holding a fixture tensor's values in its dtype. */
export function fromFixture(t: FixtureTensor, requiresGrad = false): Tensor {
  const flat = tensor(Float64Array.from(t.data), { dtype: t.dtype });
  const shaped = flat.reshape(t.shape).detach();
  return shaped.requiresGrad_(requiresGrad);
}
