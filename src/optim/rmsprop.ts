import { rounder } from '../ops/kernels.js';
import type { Storage } from '../tensor/dtype.js';
import { gradValues } from './adadelta.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** PyTorch's RMSprop: v ← αv + (1-α)g², p ← p - lr·g/(√v + ε) (centred and momentum variants as PyTorch). */
export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly pyName = 'RMSprop';

  constructor(params: ParamsArg<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...options });
  }

  protected validate(o: RMSpropOptions): void {
    if (!(o.lr >= 0)) throw new RangeError(`Invalid learning rate: ${o.lr}`);
    if (!(o.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${o.eps}`);
    if (!(o.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (!(o.alpha >= 0)) throw new RangeError(`Invalid alpha value: ${o.alpha}`);
  }

  protected pyOptions(o: RMSpropOptions) {
    return { lr: o.lr, alpha: o.alpha, eps: o.eps, weight_decay: o.weightDecay, momentum: o.momentum, centered: o.centered, maximize: o.maximize, foreach: null, differentiable: false };
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const r = rounder(p.dtype);
      const s = this.stateFor(p, () => ({
        step: 0, squareAvg: this.buffer(p),
        ...(momentum > 0 ? { momentumBuffer: this.buffer(p) } : {}),
        ...(centered ? { gradAvg: this.buffer(p) } : {}),
      }));
      s.step = (s.step as number) + 1;
      const v = s.squareAvg as Storage;
      const buf = s.momentumBuffer as Storage | undefined;
      const ga = s.gradAvg as Storage | undefined;
      const g = gradValues(p);
      const w = p.data;
      for (let i = 0; i < w.length; i++) {
        let gi = maximize ? -g[i] : g[i];
        if (weightDecay !== 0) gi = r(gi + r(weightDecay * w[i]));
        v[i] = r(r(v[i] * alpha) + r(r((1 - alpha) * gi) * gi));
        let avg: number;
        if (centered && ga) {
          ga[i] = r(r(ga[i] * alpha) + r((1 - alpha) * gi));
          avg = r(r(Math.sqrt(r(v[i] - r(ga[i] * ga[i])))) + eps);
        } else {
          avg = r(r(Math.sqrt(v[i])) + eps);
        }
        if (momentum > 0 && buf) {
          buf[i] = r(r(buf[i] * momentum) + r(gi / avg));
          w[i] = r(w[i] - r(lr * buf[i]));
        } else {
          w[i] = r(w[i] + r(r(-lr * gi) / avg));
        }
      }
    }
  }
}
