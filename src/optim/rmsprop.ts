import type { Storage } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmaF32, fmaF64 } from './fma.js';
import { gradF32, gradF64, squareAvgF32, squareAvgF64 } from './kernels.js';
import {
  Optimizer, type OptionSpec, type ParamGroup, type ParamState, type ParamsInput, type Slot, checkBuffer, spec, stepNumber,
  zerosLikeParam,
} from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Decay of the running average of squared gradients (default 0.99). */
  alpha: number;
  /** Added to the denominator (default 1e-8). */
  eps: number;
  /** Divide by an estimate of the gradient's variance instead of its second moment (default false). */
  centered: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

/** RMSprop's per-parameter state (`momentumBuffer` only with momentum > 0, `gradAvg` only when centered). */
export interface RMSpropState {
  step: number;
  squareAvg: Tensor;
  momentumBuffer?: Tensor;
  gradAvg?: Tensor;
}

const SPECS: readonly OptionSpec[] = [
  spec.f('lr'), spec.i('momentum'), spec.f('alpha'), spec.f('eps'), spec.b('centered'), spec.i('weight_decay'),
  spec.c('foreach', null), spec.b('maximize'), spec.c('differentiable', false),
];

/**
 * PyTorch's RMSprop (torch/optim/rmsprop.py, single-tensor path). Per element:
 *
 *     v ← α·v + (1-α)·g²;   avg = √v + eps   (centered: √(v - ḡ²) + eps with ḡ ← α·ḡ + (1-α)·g)
 *     momentum > 0:  buf ← momentum·buf + g/avg;  param ← param - lr·buf
 *     otherwise:     param ← param - lr·g/avg
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    const lr = options.lr ?? 1e-2;
    const momentum = options.momentum ?? 0;
    const alpha = options.alpha ?? 0.99;
    const eps = options.eps ?? 1e-8;
    const weightDecay = options.weightDecay ?? 0;
    if (!(0 <= lr)) throw new RangeError(`Invalid learning rate: ${lr}`);
    if (!(0 <= eps)) throw new RangeError(`Invalid epsilon value: ${eps}`);
    if (!(0 <= momentum)) throw new RangeError(`Invalid momentum value: ${momentum}`);
    if (!(0 <= weightDecay)) throw new RangeError(`Invalid weight_decay value: ${weightDecay}`);
    if (!(0 <= alpha)) throw new RangeError(`Invalid alpha value: ${alpha}`);
    super(params, { lr, momentum, alpha, eps, centered: options.centered ?? false, weightDecay, maximize: options.maximize ?? false });
  }

  /** The live state of `param` (undefined before its first step with a gradient), typed: `optimizer.state[p]`. */
  paramState(param: Tensor): RMSpropState | undefined {
    return this.state.get(param) as unknown as RMSpropState | undefined;
  }

  protected optionSpecs(): readonly OptionSpec[] {
    return SPECS;
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>, slots: readonly Slot[]): void {
    const momentum = group.momentum;
    const centered = group.centered;
    const decay = group.weightDecay !== 0;
    const maximize = group.maximize;
    const k = scalars(group);
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j];
      if (!this.bound(slot)) continue;
      const s = (slot.state ?? this.createState(slot, (q) => initState(q, momentum > 0, centered))) as unknown as RMSpropState;
      const buf = momentum > 0 ? required(s.momentumBuffer, 'momentum_buffer') : null;
      const avg = centered ? required(s.gradAvg, 'grad_avg') : null;
      s.step += 1;
      if (slot.f32) rmspropF32(slot.w, slot.wo, slot.g, slot.go, s.squareAvg.data, buf, avg, slot.n, k, decay, maximize);
      else rmspropF64(slot.w, slot.wo, slot.g, slot.go, s.squareAvg.data, buf, avg, slot.n, k, decay, maximize);
    }
  }

  protected adoptState(param: Tensor, s: ParamState): void {
    s.step = stepNumber(s.step);
    checkBuffer('RMSprop', param, s, 'squareAvg');
    if ('momentumBuffer' in s) checkBuffer('RMSprop', param, s, 'momentumBuffer');
    if ('gradAvg' in s) checkBuffer('RMSprop', param, s, 'gradAvg');
  }
}

function required(t: Tensor | undefined, name: string): Storage {
  if (t === undefined) throw new Error(`RMSprop: no state '${name}' (momentum or centered was turned on after the first step)`);
  return t.data;
}

function initState(p: Tensor, momentum: boolean, centered: boolean): ParamState {
  const s: ParamState = { step: 0, squareAvg: zerosLikeParam(p) };
  if (momentum) s.momentumBuffer = zerosLikeParam(p);
  if (centered) s.gradAvg = zerosLikeParam(p);
  return s;
}

/**
 * A group's scalars for one step, computed once for all its parameters: as given (the float64 loop's), then
 * rounded to float32 as PyTorch's float32 kernels receive Python scalars. In a typed array because V8 passes
 * a number argument to a function it does not inline as a fresh heap object.
 */
const K = new Float64Array(11);
const LR = 0;
const MOM = 1;
const ALPHA = 2;
const EPS = 3;
const WD = 4;
const ALPHA_F = 5;
const KEEP_F = 6;
const EPS_F = 7;
const MOM_F = 8;
const NEG_LR_F = 9;
const WD_F = 10;

function scalars(group: ParamGroup<RMSpropOptions>): Float64Array {
  const f = Math.fround;
  K[LR] = group.lr;
  K[MOM] = group.momentum;
  K[ALPHA] = group.alpha;
  K[EPS] = group.eps;
  K[WD] = group.weightDecay;
  K[ALPHA_F] = f(group.alpha);
  K[KEEP_F] = f(1 - group.alpha);
  K[EPS_F] = f(group.eps);
  K[MOM_F] = f(group.momentum);
  K[NEG_LR_F] = f(-group.lr);
  K[WD_F] = f(group.weightDecay);
  return K;
}

/** float32 with PyTorch's roundings: addcmul_ and add_ with alpha fused, addcdiv_ divides then adds. */
function rmspropF32(
  w: Storage, wo: number, g: Storage, go: number, sq: Storage, buf: Storage | null, ga: Storage | null, n: number,
  k: Float64Array, decay: boolean, maximize: boolean,
): void {
  const f = Math.fround;
  const alphaF = k[ALPHA_F];
  const keepF = k[KEEP_F];
  const epsF = k[EPS_F];
  const momF = k[MOM_F];
  const negLrF = k[NEG_LR_F];
  const wdF = k[WD_F];
  for (let i = 0; i < n; i++) {
    const gi = gradF32(g, go, w, wo, i, wdF, decay, maximize); // grad.add(param, alpha=weight_decay)
    const v = squareAvgF32(sq, i, gi, alphaF, keepF); // square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
    let avg: number;
    if (ga !== null) {
      const a = fmaF32(keepF, gi, f(ga[i] * alphaF)); // grad_avg.mul_(alpha).add_(grad, alpha=1-alpha)
      ga[i] = a;
      avg = f(Math.sqrt(fmaF32(-a, a, v))); // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
    } else {
      avg = f(Math.sqrt(v));
    }
    avg = f(avg + epsF); // avg.add_(eps)
    if (buf !== null) {
      const b = f(f(buf[i] * momF) + f(gi / avg)); // buf.mul_(momentum).addcdiv_(grad, avg)
      buf[i] = b;
      w[wo + i] = fmaF32(negLrF, b, w[wo + i]); // param.add_(buf, alpha=-lr)
    } else {
      w[wo + i] = f(w[wo + i] + f(f(negLrF * gi) / avg)); // param.addcdiv_(grad, avg, value=-lr)
    }
  }
}

function rmspropF64(
  w: Storage, wo: number, g: Storage, go: number, sq: Storage, buf: Storage | null, ga: Storage | null, n: number,
  k: Float64Array, decay: boolean, maximize: boolean,
): void {
  const lr = k[LR];
  const momentum = k[MOM];
  const alpha = k[ALPHA];
  const eps = k[EPS];
  const keep = 1 - alpha;
  for (let i = 0; i < n; i++) {
    const gi = gradF64(g, go, w, wo, i, k[WD], decay, maximize);
    const v = squareAvgF64(sq, i, gi, alpha, keep);
    let avg: number;
    if (ga !== null) {
      const a = fmaF64(keep, gi, ga[i] * alpha);
      ga[i] = a;
      avg = Math.sqrt(fmaF64(-a, a, v));
    } else {
      avg = Math.sqrt(v);
    }
    avg = avg + eps;
    if (buf !== null) {
      const b = buf[i] * momentum + gi / avg;
      buf[i] = b;
      w[wo + i] = fmaF64(-lr, b, w[wo + i]);
    } else {
      w[wo + i] = w[wo + i] + (-lr * gi) / avg;
    }
  }
}
