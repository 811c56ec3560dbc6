import type { Storage } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmaF32, fmaF64 } from './fma.js';
import {
  Optimizer, type OptionSpec, type ParamGroup, type ParamState, type ParamsInput, checkBuffer, spec, stepNumber, zerosLikeParam,
} from './optimizer.js';

export interface AdadeltaOptions {
  /** Scales the step (default 1.0; the tutorial uses 0.5). */
  lr: number;
  /** Decay of both running averages (default 0.9). */
  rho: number;
  /** Added inside both square roots (default 1e-6); it also sets the size of the very first steps. */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

/** Adadelta's per-parameter state, as PyTorch names it (`step`, `square_avg`, `acc_delta`). */
export interface AdadeltaState {
  /** Steps taken with a gradient (a Python int in PyTorch 1.13). */
  step: number;
  /** Running average of squared gradients, E[g²]. */
  squareAvg: Tensor;
  /** Running average of squared updates, E[Δx²]. */
  accDelta: Tensor;
}

const SPECS: readonly OptionSpec[] = [
  spec.f('lr'), spec.f('rho'), spec.f('eps'), spec.i('weight_decay'), spec.b('maximize'), spec.c('foreach', null),
];

/**
 * PyTorch's Adadelta (torch/optim/adadelta.py, single-tensor path). Per element, with g the gradient:
 *
 *     squareAvg ← rho·squareAvg + (1-rho)·g²
 *     delta     = √(accDelta + eps) / √(squareAvg + eps) · g      (new squareAvg, old accDelta)
 *     accDelta  ← rho·accDelta + (1-rho)·delta²
 *     param     ← param - lr·delta
 *
 * (TF.js's Adadelta orders these differently and gives other numbers.) float32 and float64 parameters are
 * rounded as PyTorch's AVX2 CPU kernels round them, fused multiply-adds included, so the results agree bit for bit.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    const lr = options.lr ?? 1.0;
    const rho = options.rho ?? 0.9;
    const eps = options.eps ?? 1e-6;
    const weightDecay = options.weightDecay ?? 0;
    if (!(0 <= lr)) throw new RangeError(`Invalid learning rate: ${lr}`);
    if (!(0 <= rho && rho <= 1)) throw new RangeError(`Invalid rho value: ${rho}`);
    if (!(0 <= eps)) throw new RangeError(`Invalid epsilon value: ${eps}`);
    if (!(0 <= weightDecay)) throw new RangeError(`Invalid weight_decay value: ${weightDecay}`);
    super(params, { lr, rho, eps, weightDecay, maximize: options.maximize ?? false });
  }

  /** The live state of `param` (undefined before its first step with a gradient), typed: `optimizer.state[p]`. */
  paramState(param: Tensor): AdadeltaState | undefined {
    return this.state.get(param) as unknown as AdadeltaState | undefined;
  }

  protected optionSpecs(): readonly OptionSpec[] {
    return SPECS;
  }

  protected updateGroup(group: ParamGroup<AdadeltaOptions>): void {
    const { lr, rho, eps, weightDecay, maximize } = group;
    for (const p of group.params) {
      const g = this.gradOf(p);
      if (g === null) continue;
      const s = this.stateOf(p, initState) as unknown as AdadeltaState;
      s.step += 1;
      const sq = s.squareAvg;
      const acc = s.accDelta;
      const n = sq.data.length;
      if (p.dtype === 'float32') {
        adadeltaF32(p.data, p.offset, g.data, g.offset, sq.data, acc.data, n, lr, rho, eps, weightDecay, maximize);
      } else {
        adadeltaF64(p.data, p.offset, g.data, g.offset, sq.data, acc.data, n, lr, rho, eps, weightDecay, maximize);
      }
    }
  }

  protected adoptState(param: Tensor, s: ParamState): void {
    s.step = stepNumber(s.step);
    checkBuffer('Adadelta', param, s, 'squareAvg');
    checkBuffer('Adadelta', param, s, 'accDelta');
  }
}

function initState(p: Tensor): ParamState {
  return { step: 0, squareAvg: zerosLikeParam(p), accDelta: zerosLikeParam(p) };
}

/**
 * float32, in PyTorch's order of operations, each result rounded to float32 where its kernel stores it; the
 * addcmul_ and add_(alpha) kernels are fused multiply-adds on AVX2 builds (one rounding), emulated by fmaF32.
 * Python scalars enter the kernels as float32 (f(1 - rho), f(eps), f(-lr)).
 */
function adadeltaF32(
  w: Storage, wo: number, g: Storage, go: number, sq: Storage, acc: Storage, n: number,
  lr: number, rho: number, eps: number, weightDecay: number, maximize: boolean,
): void {
  const f = Math.fround;
  const rhoF = f(rho);
  const oneMinusRhoF = f(1 - rho);
  const epsF = f(eps);
  const negLrF = f(-lr);
  const wdF = f(weightDecay);
  const decay = weightDecay !== 0;
  for (let i = 0; i < n; i++) {
    let gi = maximize ? -g[go + i] : g[go + i];
    if (decay) gi = fmaF32(wdF, w[wo + i], gi); // grad.add(param, alpha=weight_decay)
    const s = fmaF32(f(oneMinusRhoF * gi), gi, f(sq[i] * rhoF)); // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
    sq[i] = s;
    const std = f(Math.sqrt(f(s + epsF))); // square_avg.add(eps).sqrt_()
    const delta = f(f(f(Math.sqrt(f(acc[i] + epsF))) / std) * gi); // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
    acc[i] = fmaF32(f(oneMinusRhoF * delta), delta, f(acc[i] * rhoF)); // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
    w[wo + i] = fmaF32(negLrF, delta, w[wo + i]); // param.add_(delta, alpha=-lr)
  }
}

/** float64: the same operations in double, fused where PyTorch's kernels fuse them. */
function adadeltaF64(
  w: Storage, wo: number, g: Storage, go: number, sq: Storage, acc: Storage, n: number,
  lr: number, rho: number, eps: number, weightDecay: number, maximize: boolean,
): void {
  const oneMinusRho = 1 - rho;
  const decay = weightDecay !== 0;
  for (let i = 0; i < n; i++) {
    let gi = maximize ? -g[go + i] : g[go + i];
    if (decay) gi = fmaF64(weightDecay, w[wo + i], gi);
    const s = fmaF64(oneMinusRho * gi, gi, sq[i] * rho);
    sq[i] = s;
    const std = Math.sqrt(s + eps);
    const delta = (Math.sqrt(acc[i] + eps) / std) * gi;
    acc[i] = fmaF64(oneMinusRho * delta, delta, acc[i] * rho);
    w[wo + i] = fmaF64(-lr, delta, w[wo + i]);
  }
}
