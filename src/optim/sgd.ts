import { rounder } from '../ops/kernels.js';
import type { Storage } from '../tensor/dtype.js';
import { gradValues } from './adadelta.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * PyTorch's SGD: d = g (+ wd·p); with momentum, buf ← μ·buf + (1-dampening)·d (buf = d at the first step),
 * d = buf, or d + μ·buf with Nesterov; then p ← p - lr·d.
 */
export class SGD extends Optimizer<SGDOptions> {
  protected readonly pyName = 'SGD';

  constructor(params: ParamsArg<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }

  protected validate(o: SGDOptions): void {
    if (o.lr === undefined || !(o.lr >= 0)) throw new RangeError(`Invalid learning rate: ${o.lr}`);
    if (!(o.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected pyOptions(o: SGDOptions) {
    return { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weight_decay: o.weightDecay, nesterov: o.nesterov, maximize: o.maximize, foreach: null, differentiable: false };
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      const r = rounder(p.dtype);
      const s = this.stateFor(p, () => ({}));
      const g = gradValues(p);
      const w = p.data;
      let buf = s.momentumBuffer as Storage | undefined;
      const first = momentum !== 0 && buf === undefined;
      if (first) {
        buf = this.buffer(p);
        s.momentumBuffer = buf;
      }
      for (let i = 0; i < w.length; i++) {
        let d = maximize ? -g[i] : g[i];
        if (weightDecay !== 0) d = r(d + r(weightDecay * w[i]));
        if (momentum !== 0 && buf) {
          buf[i] = first ? d : r(r(buf[i] * momentum) + r((1 - dampening) * d));
          d = nesterov ? r(d + r(momentum * buf[i])) : buf[i];
        }
        w[i] = r(w[i] - r(lr * d));
      }
    }
  }
}
