import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}

/** Python's json module writes NaN and ±Infinity as bare words; read them back as numbers. */
export function loadFixture<T>(name: string): T {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  const quoted = text.replace(/(?<=[\s[:,])(-?Infinity|NaN)(?=[\s,\]}])/g, '"$1"');
  return JSON.parse(quoted, (_, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as T;
}

export function fromFixture(t: FixtureTensor, requiresGrad = false): Tensor {
  return tensor(Float64Array.from(t.data), { dtype: t.dtype, requiresGrad: false }).reshape(t.shape).detach().requiresGrad_(requiresGrad);
}

/** Elementwise |a-e| ≤ atol + rtol·|e|, reporting the worst index on failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}
