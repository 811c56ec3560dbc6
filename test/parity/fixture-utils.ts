import { expect } from 'vitest';

// The fixtures are read as everywhere else in the tests (test/helpers/fixtures.ts).
export { type FixtureTensor, fromFixture, loadFixture } from '../helpers/fixtures.js';

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
