/**
 * A small group's kernel run written out as straight-line JavaScript (made with `new Function` when the group is
 * planned): each entry's own check (Entry.current), the copies into the kernel's planes, the kernel call and the
 * copies back, one statement per parameter and element, with every index a constant. It does what SimdBatch.run's loops do
 * (src/optim/adadelta-plan.ts), in the same order of effects, for groups of a few small parameters, where those
 * loops cost more in bookkeeping (a loop and eight field reads per parameter, for one to a few elements) than the
 * copies themselves: the tutorial's four parameters have 4, 1, 4 and 1 elements.
 *
 * The offsets written into the code stay right while the plan stands: an entry is used only while its parameter's
 * and gradient's storages are the ones it was made from, and a tensor's offset never changes. Where a
 * Content-Security-Policy refuses `new Function`, the loops run (the refusal is remembered).
 */
import type { Entry } from './adadelta-plan.js';
import type { Kernel } from './adadelta-simd.js';

/**
 * `enabled`: whether plans may use straight-line runs (tests switch it off to compare with the loops);
 * `evalRefused`: set once `new Function` has thrown EvalError; `runs`: how many times one ran, for tests to see it.
 */
export const adadeltaUnrolled = { enabled: true, evalRefused: false, runs: 0 };

/** Groups up to this many elements, and parameters up to this many each, are written out. */
const MAX_ELEMENTS = 64;
const MAX_PER_PARAM = 16;

/**
 * Runs the kernel over the entries: -1 if an entry's tensors or storages are no longer the ones it was made from
 * (nothing user-visible written), 1 if the kernel flagged a lane (nothing copied back: the caller sorts that out),
 * 0 when every parameter and its state were updated and each state's step counted.
 */
export type UnrolledRun = (
  entries: readonly Entry[], m: Float32Array, step: Kernel['step'], k: Float64Array, at: number, mode: number,
) => number;

const made = new Map<string, UnrolledRun>();

/**
 * The straight-line run for these entries (planes `plane` floats apart; the code holds their places, and reads
 * the entries it is given, which must be these), or null where the loops should run.
 */
export function unrolledRun(places: readonly Entry[], plane: number): UnrolledRun | null {
  if (!adadeltaUnrolled.enabled || adadeltaUnrolled.evalRefused) return null;
  let elements = 0;
  for (const p of places) {
    if (p.n > MAX_PER_PARAM) return null;
    elements += p.n;
  }
  if (elements === 0 || elements > MAX_ELEMENTS) return null;
  const body = source(places, plane, elements);
  const known = made.get(body);
  if (known !== undefined) return known;
  let run: UnrolledRun;
  try {
    run = new Function('entries', 'm', 'step', 'k', 'at', 'mode', body) as UnrolledRun;
  } catch (e) {
    if (!(e instanceof EvalError)) throw e; // anything else is a bug in the text: let it surface
    adadeltaUnrolled.evalRefused = true;
    return null;
  }
  made.set(body, run);
  return run;
}

function source(places: readonly Entry[], plane: number, elements: number): string {
  const checks: string[] = [];
  const copyIn: string[] = [];
  const copyOut: string[] = [];
  places.forEach(({ n, at, wo, go }, j) => {
    // the entry's own check (Entry.current), every entry before anything is written
    checks.push(`const e${j} = entries[${j}], t${j} = e${j}.state;`, `if (!e${j}.current()) return -1;`);
    copyIn.push(`const w${j} = e${j}.w, d${j} = e${j}.g, q${j} = e${j}.sq, a${j} = e${j}.acc;`);
    copyOut.push(`t${j}.step += 1;`);
    for (let i = 0; i < n; i++) {
      const x = at + i;
      copyIn.push(`m[${x}] = w${j}[${wo + i}]; m[${plane + x}] = d${j}[${go + i}]; m[${2 * plane + x}] = q${j}[${i}]; m[${3 * plane + x}] = a${j}[${i}];`);
      copyOut.push(`w${j}[${wo + i}] = m[${x}]; q${j}[${i}] = m[${2 * plane + x}]; a${j}[${i}] = m[${3 * plane + x}];`);
    }
  });
  return [
    '"use strict";',
    ...checks,
    ...copyIn,
    `if (step(${elements}, ${4 * plane}, k[at], k[at + 1], k[at + 2], k[at + 3], k[at + 4], mode) !== 0) return 1;`,
    ...copyOut,
    'return 0;',
  ].join('\n');
}
