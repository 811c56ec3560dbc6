import type { Storage } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { fmaF32, fmaF64 } from './fma.js';
import { gradF32, gradF64, squareAvgF32, squareAvgF64 } from './kernels.js';
import {
  Optimizer, type OptionSpec, type ParamGroup, type ParamState, type ParamsInput, type Slot, checkBuffer, spec, stepNumber,
  zerosLikeParam,
} from './optimizer.js';
import { PowCache } from './pow.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the running averages of the gradient and of its square (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Use the maximum of all squared-gradient averages so far (AMSGrad; default false). */
  amsgrad: boolean;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

/** Adam's per-parameter state; `step` is a 0-d float32 tensor, as in PyTorch 1.13. */
export interface AdamState {
  step: Tensor;
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Only with amsgrad. */
  maxExpAvgSq?: Tensor;
}

const SPECS: readonly OptionSpec[] = [
  spec.f('lr'), spec.t('betas'), spec.f('eps'), spec.i('weight_decay'), spec.b('amsgrad'), spec.b('maximize'),
  spec.c('foreach', null), spec.c('capturable', false), spec.c('differentiable', false), spec.c('fused', false),
];

/**
 * PyTorch's Adam (torch/optim/adam.py, single-tensor path). Per element, at step t:
 *
 *     m ← β1·m + (1-β1)·g,   v ← β2·v + (1-β2)·g²
 *     param ← param - lr/(1-β1^t) · m / (√v / √(1-β2^t) + eps)
 *
 * The bias corrections are computed in double as Python does; the element loop rounds as PyTorch's float32
 * kernels do.
 */
export class Adam extends Optimizer<AdamOptions> {
  /** beta ** step for the betas in use (a PowCache per beta value; a short list, as float Map keys hash slowly). */
  private powers: PowCache[] = [];

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    const lr = options.lr ?? 1e-3;
    const betas = options.betas ?? [0.9, 0.999];
    const eps = options.eps ?? 1e-8;
    const weightDecay = options.weightDecay ?? 0;
    if (!(0 <= lr)) throw new RangeError(`Invalid learning rate: ${lr}`);
    if (!(0 <= eps)) throw new RangeError(`Invalid epsilon value: ${eps}`);
    if (!(0 <= betas[0] && betas[0] < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${betas[0]}`);
    if (!(0 <= betas[1] && betas[1] < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${betas[1]}`);
    if (!(0 <= weightDecay)) throw new RangeError(`Invalid weight_decay value: ${weightDecay}`);
    super(params, {
      lr, betas: [betas[0], betas[1]], eps, weightDecay, amsgrad: options.amsgrad ?? false, maximize: options.maximize ?? false,
    });
  }

  /** The live state of `param` (undefined before its first step with a gradient), typed: `optimizer.state[p]`. */
  paramState(param: Tensor): AdamState | undefined {
    return this.state.get(param) as unknown as AdamState | undefined;
  }

  protected optionSpecs(): readonly OptionSpec[] {
    return SPECS;
  }

  protected updateGroup(group: ParamGroup<AdamOptions>, slots: readonly Slot[]): void {
    const lr = group.lr;
    const decay = group.weightDecay !== 0;
    const amsgrad = group.amsgrad;
    const maximize = group.maximize;
    const beta1 = group.betas[0];
    const beta2 = group.betas[1];
    const k = scalars(group);
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j];
      if (!this.bound(slot)) continue;
      const s = (slot.state ?? this.createState(slot, amsgrad ? initAmsgrad : initState)) as unknown as AdamState;
      let max: Storage | null = null;
      if (amsgrad) {
        if (s.maxExpAvgSq === undefined) throw new Error("Adam: amsgrad was turned on after the first step: no state 'max_exp_avg_sq'");
        max = s.maxExpAvgSq.data;
      }
      const stepT = s.step;
      stepT.data[stepT.offset] += 1; // step_t += 1 (a float32 tensor)
      const step = stepT.data[stepT.offset];
      const bc1 = 1 - this.pow(beta1, step);
      const bc2 = 1 - this.pow(beta2, step);
      const stepSize = lr / bc1;
      const bc2Sqrt = Math.sqrt(bc2);
      k[STEP_SIZE] = stepSize;
      k[BC2_SQRT] = bc2Sqrt;
      k[NEG_STEP_F] = Math.fround(-stepSize);
      k[BC2_SQRT_F] = Math.fround(bc2Sqrt);
      if (slot.f32) adamF32(slot.w, slot.wo, slot.g, slot.go, s.expAvg.data, s.expAvgSq.data, max, slot.n, k, decay, maximize);
      else adamF64(slot.w, slot.wo, slot.g, slot.go, s.expAvg.data, s.expAvgSq.data, max, slot.n, k, decay, maximize);
    }
  }

  protected adoptState(param: Tensor, s: ParamState): void {
    // PyTorch 1.13 keeps step as a tensor and converts a saved number (torch.tensor(float(step))).
    if (!(s.step instanceof Tensor)) s.step = stepTensor(stepNumber(s.step));
    checkBuffer('Adam', param, s, 'expAvg');
    checkBuffer('Adam', param, s, 'expAvgSq');
    if ('maxExpAvgSq' in s) checkBuffer('Adam', param, s, 'maxExpAvgSq');
  }

  /** `beta ** step` as Python computes it (correctly rounded; see powInt). */
  private pow(beta: number, step: number): number {
    const powers = this.powers;
    for (let i = 0; i < powers.length; i++) if (powers[i].base === beta) return powers[i].pow(step);
    if (powers.length >= 8) this.powers = []; // betas changed many times: keep the list short
    const cache = new PowCache(beta);
    this.powers.push(cache);
    return cache.pow(step);
  }
}

function stepTensor(value: number): Tensor {
  const t = new Tensor(new Float32Array(1), []);
  t.data[0] = value;
  return t;
}

function initState(p: Tensor): ParamState {
  return { step: stepTensor(0), expAvg: zerosLikeParam(p), expAvgSq: zerosLikeParam(p) };
}

function initAmsgrad(p: Tensor): ParamState {
  return { ...initState(p), maxExpAvgSq: zerosLikeParam(p) };
}

/**
 * The scalars for one step: the group's (as given for the float64 loop, rounded to float32 as PyTorch's float32
 * kernels receive Python scalars) computed once per group, then each parameter's step size and bias correction
 * (they depend on its step count). In a typed array because V8 passes a number argument to a function it does
 * not inline as a fresh heap object.
 */
const K = new Float64Array(14);
const B1 = 0;
const B2 = 1;
const EPS = 2;
const WD = 3;
const B1_F = 4;
const KEEP1_F = 5;
const B2_F = 6;
const KEEP2_F = 7;
const EPS_F = 8;
const WD_F = 9;
const STEP_SIZE = 10;
const BC2_SQRT = 11;
const NEG_STEP_F = 12;
const BC2_SQRT_F = 13;

function scalars(group: ParamGroup<AdamOptions>): Float64Array {
  const f = Math.fround;
  const beta1 = group.betas[0];
  const beta2 = group.betas[1];
  K[B1] = beta1;
  K[B2] = beta2;
  K[EPS] = group.eps;
  K[WD] = group.weightDecay;
  K[B1_F] = f(beta1);
  K[KEEP1_F] = f(1 - beta1);
  K[B2_F] = f(beta2);
  K[KEEP2_F] = f(1 - beta2);
  K[EPS_F] = f(group.eps);
  K[WD_F] = f(group.weightDecay);
  return K;
}

/** float32 with PyTorch's roundings: add_ with alpha and addcmul_ fused; addcdiv_ computes (value·m)/denom, then adds. */
function adamF32(
  w: Storage, wo: number, g: Storage, go: number, m: Storage, v: Storage, max: Storage | null, n: number,
  k: Float64Array, decay: boolean, maximize: boolean,
): void {
  const f = Math.fround;
  const b1F = k[B1_F];
  const keep1F = k[KEEP1_F];
  const b2F = k[B2_F];
  const keep2F = k[KEEP2_F];
  const bc2SqrtF = k[BC2_SQRT_F];
  const epsF = k[EPS_F];
  const negStepF = k[NEG_STEP_F];
  const wdF = k[WD_F];
  for (let i = 0; i < n; i++) {
    const gi = gradF32(g, go, w, wo, i, wdF, decay, maximize); // grad.add(param, alpha=weight_decay)
    const mi = fmaF32(keep1F, gi, f(m[i] * b1F)); // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
    m[i] = mi;
    let vi = squareAvgF32(v, i, gi, b2F, keep2F); // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
    if (max !== null) {
      vi = Math.max(max[i], vi); // torch.maximum (NaN propagates)
      max[i] = vi;
    }
    const denom = f(f(f(Math.sqrt(vi)) / bc2SqrtF) + epsF); // (sqrt() / bias_correction2_sqrt).add_(eps)
    w[wo + i] = f(w[wo + i] + f(f(negStepF * mi) / denom)); // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

function adamF64(
  w: Storage, wo: number, g: Storage, go: number, m: Storage, v: Storage, max: Storage | null, n: number,
  k: Float64Array, decay: boolean, maximize: boolean,
): void {
  const beta1 = k[B1];
  const beta2 = k[B2];
  const stepSize = k[STEP_SIZE];
  const bc2Sqrt = k[BC2_SQRT];
  const eps = k[EPS];
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const gi = gradF64(g, go, w, wo, i, k[WD], decay, maximize);
    const mi = fmaF64(keep1, gi, m[i] * beta1);
    m[i] = mi;
    let vi = squareAvgF64(v, i, gi, beta2, keep2);
    if (max !== null) {
      vi = Math.max(max[i], vi);
      max[i] = vi;
    }
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    w[wo + i] = w[wo + i] + (-stepSize * mi) / denom;
  }
}
