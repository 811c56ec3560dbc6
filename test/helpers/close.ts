// Comparing numbers: relative tolerance with an absolute floor, reporting the worst element.
import { expect } from 'vitest';

export interface CloseOptions {
  /** Allowed |actual − expected| relative to |expected|. */
  rtol: number;
  /** Allowed |actual − expected| whatever the size of expected (the floor for values near 0). Default 0. */
  atol?: number;
  /** Names the compared quantity in the failure message. */
  what?: string;
}

/**
 * Index of the element where |a − e| exceeds atol + rtol·|e| by the most (NaN only matches NaN, ±∞ only
 * itself), or −1 when all are within tolerance.
 */
export function worstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): number {
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || a === e) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  return worst;
}

/** Fails the test unless every element is within atol + rtol·|expected| (lengths must match too). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CloseOptions): void {
  const { rtol, atol = 0, what = 'values' } = options;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const worst = worstMismatch(actual, expected, rtol, atol);
  if (worst >= 0) {
    const a = actual[worst];
    const e = expected[worst];
    expect.fail(`${what}: element ${worst} is ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > atol ${atol} + rtol ${rtol}·|expected|)`);
  }
}

/** Distance in float32 units in the last place between two float32 values (0 when equal). */
export function ulpDistance32(a: number, b: number): number {
  if (Object.is(a, b) || a === b) return 0;
  const buf = new Float32Array([a, b]);
  const bits = new Int32Array(buf.buffer);
  // map the sign-magnitude bit patterns onto a monotonic integer line
  const key = (i: number) => (bits[i] < 0 ? -2147483648 - bits[i] : bits[i]);
  return Math.abs(key(0) - key(1));
}
