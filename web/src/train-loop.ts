import type { Trainer } from '../../src/lab/train.js';

// The training worker's inner loop, on its own so that bench/browser.ts runs the very same loop in Node when it
// compares the browser's µs/step with Node's (no DOM or worker globals here).

/** While running, the worker trains in slices of this many ms, posting one progress message per slice. */
export const SLICE_MS = 40;

export interface TrainLimit {
  /** Stop once this many milliseconds have passed (checked after each step). */
  ms?: number;
  /** Stop after this many steps. */
  steps?: number;
  /** Stop at the end of the current epoch. */
  epochEnd?: boolean;
}

/** What the loop accumulates over a run; updated in place, so a step that throws leaves it accurate. */
export interface TrainClock {
  /** Milliseconds inside the loop: the steps and one clock read per step, no messaging, drawing or idling. */
  trainMs: number;
  /** The loss of the last step taken. */
  lastLoss: number;
}

/** Steps `t` until the run ends or a limit is reached; returns the number of steps taken. */
export function trainFor(t: Trainer, limit: TrainLimit, clock: TrainClock): number {
  const start = performance.now();
  const epoch = t.epoch;
  const budget = limit.ms ?? Infinity;
  const steps = limit.steps ?? Infinity;
  let taken = 0;
  try {
    while (!t.done && taken < steps && !(limit.epochEnd && t.epoch !== epoch)) {
      clock.lastLoss = t.step();
      taken++;
      if (performance.now() - start >= budget) break;
    }
  } finally {
    clock.trainMs += performance.now() - start;
  }
  return taken;
}
