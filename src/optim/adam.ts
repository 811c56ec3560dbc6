import { rounder } from '../ops/kernels.js';
import type { Storage } from '../tensor/dtype.js';
import { gradValues } from './adadelta.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * PyTorch's Adam: m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², p ← p - lr/(1-β₁ᵗ) · m / (√v/√(1-β₂ᵗ) + ε)
 * (with amsgrad, √ of the running maximum of v).
 */
export class Adam extends Optimizer<AdamOptions> {
  protected readonly pyName = 'Adam';

  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...options });
  }

  protected validate(o: AdamOptions): void {
    if (!(o.lr >= 0)) throw new RangeError(`Invalid learning rate: ${o.lr}`);
    if (!(o.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${o.eps}`);
    if (!(o.betas[0] >= 0 && o.betas[0] < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${o.betas[0]}`);
    if (!(o.betas[1] >= 0 && o.betas[1] < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${o.betas[1]}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${o.weightDecay}`);
  }

  protected pyOptions(o: AdamOptions) {
    return { lr: o.lr, betas: [o.betas[0], o.betas[1]], eps: o.eps, weight_decay: o.weightDecay, amsgrad: o.amsgrad, maximize: o.maximize, foreach: null, capturable: false, differentiable: false, fused: false };
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const r = rounder(p.dtype);
      const s = this.stateFor(p, () => ({
        step: 0, expAvg: this.buffer(p), expAvgSq: this.buffer(p), ...(amsgrad ? { maxExpAvgSq: this.buffer(p) } : {}),
      }));
      const step = (s.step as number) + 1;
      s.step = step;
      const m = s.expAvg as Storage;
      const v = s.expAvgSq as Storage;
      const vmax = s.maxExpAvgSq as Storage | undefined;
      const g = gradValues(p);
      const w = p.data;
      const bc1 = 1 - beta1 ** step;
      const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
      const stepSize = lr / bc1;
      for (let i = 0; i < w.length; i++) {
        let gi = maximize ? -g[i] : g[i];
        if (weightDecay !== 0) gi = r(gi + r(weightDecay * w[i]));
        m[i] = r(r(m[i] * beta1) + r((1 - beta1) * gi));
        v[i] = r(r(v[i] * beta2) + r(r((1 - beta2) * gi) * gi));
        let second = v[i];
        if (amsgrad && vmax) {
          vmax[i] = Math.max(vmax[i], v[i]);
          second = vmax[i];
        }
        const denom = r(r(r(Math.sqrt(second)) / bc2Sqrt) + eps);
        w[i] = r(w[i] + r(r(-stepSize * m[i]) / denom));
      }
    }
  }
}
