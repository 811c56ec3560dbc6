import { fmaFloat32 } from '../random/rounding.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * PyTorch's Adadelta (torch/optim/adadelta.py), per element:
 *   sq ← ρ·sq + (1-ρ)·g²;  δ = √(acc + ε) / √(sq + ε) · g;  acc ← ρ·acc + (1-ρ)·δ²;  p ← p - lr·δ
 * Note the order: the step uses the *old* acc_delta and the *new* square_avg (TF.js's differs).
 * float32 parameters follow PyTorch's CPU rounding, fused multiply-adds included, so results are bit-exact.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  protected readonly pyName = 'Adadelta';

  constructor(params: ParamsArg<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...options });
  }

  protected validate(o: AdadeltaOptions): void {
    if (!(o.lr >= 0)) throw new RangeError(`Invalid learning rate: ${o.lr}`);
    if (!(o.rho >= 0 && o.rho <= 1)) throw new RangeError(`Invalid rho value: ${o.rho}`);
    if (!(o.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${o.eps}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${o.weightDecay}`);
  }

  protected pyOptions(o: AdadeltaOptions) {
    return { lr: o.lr, rho: o.rho, eps: o.eps, weight_decay: o.weightDecay, foreach: null, maximize: o.maximize };
  }

  protected updateGroup(group: ParamGroup<AdadeltaOptions>): void {
    const { lr, rho, eps, weightDecay, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const s = this.stateFor(p, () => ({ step: 0, squareAvg: this.buffer(p), accDelta: this.buffer(p) }));
      s.step = (s.step as number) + 1;
      const sq = s.squareAvg as Float32Array | Float64Array;
      const acc = s.accDelta as Float32Array | Float64Array;
      const g = gradValues(p);
      const w = p.data;
      if (p.dtype === 'float32') updateF32(w, g, sq, acc, lr, rho, eps, weightDecay, maximize);
      else {
        for (let i = 0; i < w.length; i++) {
          let gi = maximize ? -g[i] : g[i];
          if (weightDecay !== 0) gi += weightDecay * w[i];
          sq[i] = sq[i] * rho + (1 - rho) * gi * gi;
          const std = Math.sqrt(sq[i] + eps);
          const delta = (Math.sqrt(acc[i] + eps) / std) * gi;
          acc[i] = acc[i] * rho + (1 - rho) * delta * delta;
          w[i] -= lr * delta;
        }
      }
    }
  }
}

function updateF32(
  w: Float32Array | Float64Array, g: ArrayLike<number>, sq: Float32Array | Float64Array, acc: Float32Array | Float64Array,
  lr: number, rho: number, eps: number, weightDecay: number, maximize: boolean,
): void {
  const f = Math.fround;
  const oneMinusRho = f(1 - rho);
  const rhoF = f(rho);
  const epsF = f(eps);
  const lrF = f(lr);
  const wdF = f(weightDecay);
  for (let i = 0; i < w.length; i++) {
    let gi = maximize ? -g[i] : g[i];
    if (weightDecay !== 0) gi = f(gi + f(wdF * w[i]));
    // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho): the addcmul is one fused multiply-add
    sq[i] = fmaFloat32(f(oneMinusRho * gi), gi, f(sq[i] * rhoF));
    const std = f(Math.sqrt(f(sq[i] + epsF)));
    const delta = f(f(f(Math.sqrt(f(acc[i] + epsF))) / std) * gi);
    acc[i] = fmaFloat32(f(oneMinusRho * delta), delta, f(acc[i] * rhoF));
    w[i] = f(w[i] - f(lrF * delta));
  }
}

export function gradValues(p: Tensor): ArrayLike<number> {
  const g = p.grad as Tensor;
  return g.values();
}
