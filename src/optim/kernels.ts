/**
 * Per-element pieces that several optimisers' update loops share, each in PyTorch's order of operations and
 * roundings (see the loops that call them). They are small enough for V8 to inline into every loop.
 */
import type { Storage } from '../tensor/dtype.js';
import { fmaF32, fmaF64 } from './fma.js';

const f = Math.fround;

/** The gradient as the update uses it: negated when maximising, then `grad.add(param, alpha=weight_decay)`. */
export function gradF32(g: Storage, go: number, w: Storage, wo: number, i: number, wdF: number, decay: boolean, maximize: boolean): number {
  const gi = maximize ? -g[go + i] : g[go + i];
  return decay ? fmaF32(wdF, w[wo + i], gi) : gi;
}

export function gradF64(g: Storage, go: number, w: Storage, wo: number, i: number, wd: number, decay: boolean, maximize: boolean): number {
  const gi = maximize ? -g[go + i] : g[go + i];
  return decay ? fmaF64(wd, w[wo + i], gi) : gi;
}

/**
 * The running average of squared gradients, stored and returned: `avg.mul_(rho).addcmul_(grad, grad,
 * value=1-rho)` (Adadelta's square_avg, RMSprop's square_avg with alpha, Adam's exp_avg_sq with beta2).
 */
export function squareAvgF32(avg: Storage, i: number, gi: number, rhoF: number, keepF: number): number {
  const v = fmaF32(f(keepF * gi), gi, f(avg[i] * rhoF));
  avg[i] = v;
  return v;
}

export function squareAvgF64(avg: Storage, i: number, gi: number, rho: number, keep: number): number {
  const v = fmaF64(keep * gi, gi, avg[i] * rho);
  avg[i] = v;
  return v;
}
