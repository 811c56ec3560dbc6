import type { Storage } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { fmaF32, fmaF64 } from './fma.js';
import { gradF32, gradF64 } from './kernels.js';
import {
  Optimizer, type OptionSpec, type ParamGroup, type ParamState, type ParamsInput, REQUIRED, type Slot, checkBuffer, spec,
  zerosLikeParam,
} from './optimizer.js';

export interface SGDOptions {
  /** Learning rate. Required: give it here or in every parameter group. */
  lr: number;
  /** Momentum factor (default 0: plain gradient descent). */
  momentum: number;
  /** Dampening of the gradient's share of the momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

/** SGD's per-parameter state: `momentumBuffer` is null while momentum is 0 (PyTorch keeps `None`). */
export interface SGDState {
  momentumBuffer: Tensor | null;
}

const SPECS: readonly OptionSpec[] = [
  spec.f('lr'), spec.i('momentum'), spec.i('dampening'), spec.i('weight_decay'), spec.b('nesterov'), spec.b('maximize'),
  spec.c('foreach', null), spec.c('differentiable', false),
];

/**
 * PyTorch's SGD (torch/optim/sgd.py, single-tensor path). Per element, with d the gradient (plus
 * weightDecay·param):
 *
 *     buf   ← d at the first step, then momentum·buf + (1-dampening)·d     (when momentum ≠ 0)
 *     d     ← d + momentum·buf (nesterov) or buf
 *     param ← param - lr·d
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    const lr = options.lr;
    const momentum = options.momentum ?? 0;
    const dampening = options.dampening ?? 0;
    const weightDecay = options.weightDecay ?? 0;
    const nesterov = options.nesterov ?? false;
    if (lr !== undefined && lr < 0) throw new RangeError(`Invalid learning rate: ${lr}`);
    if (momentum < 0) throw new RangeError(`Invalid momentum value: ${momentum}`);
    if (weightDecay < 0) throw new RangeError(`Invalid weight_decay value: ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
    // Without lr every group must bring its own (PyTorch's `required`).
    const lrDefault = lr ?? (REQUIRED as unknown as number);
    super(params, { lr: lrDefault, momentum, dampening, weightDecay, nesterov, maximize: options.maximize ?? false });
  }

  /** The live state of `param` (undefined before its first step with a gradient), typed: `optimizer.state[p]`. */
  paramState(param: Tensor): SGDState | undefined {
    return this.state.get(param) as unknown as SGDState | undefined;
  }

  protected optionSpecs(): readonly OptionSpec[] {
    return SPECS;
  }

  protected updateGroup(group: ParamGroup<SGDOptions>, slots: readonly Slot[]): void {
    const momentum = group.momentum;
    const decay = group.weightDecay !== 0;
    const nesterov = group.nesterov;
    const maximize = group.maximize;
    const k = scalars(group);
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j];
      if (!this.bound(slot)) continue;
      const s = (slot.state ?? this.createState(slot, initState)) as unknown as SGDState;
      let fresh = false;
      if (momentum !== 0 && s.momentumBuffer === null) {
        s.momentumBuffer = zerosLikeParam(slot.param); // filled with the gradient below (PyTorch's clone)
        fresh = true;
      }
      const buf = momentum !== 0 ? (s.momentumBuffer as Tensor).data : null;
      if (slot.f32) sgdF32(slot.w, slot.wo, slot.g, slot.go, buf, fresh, slot.n, k, decay, nesterov, maximize);
      else sgdF64(slot.w, slot.wo, slot.g, slot.go, buf, fresh, slot.n, k, decay, nesterov, maximize);
    }
  }

  protected adoptState(param: Tensor, s: ParamState): void {
    if (!('momentumBuffer' in s)) s.momentumBuffer = null;
    if (s.momentumBuffer !== null) checkBuffer('SGD', param, s, 'momentumBuffer');
  }
}

function initState(): ParamState {
  return { momentumBuffer: null };
}

/**
 * A group's scalars for one step, computed once for all its parameters: as given (the float64 loop's), then
 * rounded to float32 as PyTorch's float32 kernels receive Python scalars. In a typed array because V8 passes
 * a number argument to a function it does not inline as a fresh heap object.
 */
const K = new Float64Array(8);
const LR = 0;
const MOM = 1;
const KEEP = 2;
const WD = 3;
const NEG_LR_F = 4;
const WD_F = 5;
const MOM_F = 6;
const KEEP_F = 7;

function scalars(group: ParamGroup<SGDOptions>): Float64Array {
  const f = Math.fround;
  K[LR] = group.lr;
  K[MOM] = group.momentum;
  K[KEEP] = 1 - group.dampening;
  K[WD] = group.weightDecay;
  K[NEG_LR_F] = f(-group.lr);
  K[WD_F] = f(group.weightDecay);
  K[MOM_F] = f(group.momentum);
  K[KEEP_F] = f(1 - group.dampening);
  return K;
}

/** float32 with PyTorch's roundings; add_/add with alpha are fused multiply-adds on AVX2 builds. */
function sgdF32(
  w: Storage, wo: number, g: Storage, go: number, buf: Storage | null, fresh: boolean, n: number,
  k: Float64Array, decay: boolean, nesterov: boolean, maximize: boolean,
): void {
  const f = Math.fround;
  const negLrF = k[NEG_LR_F];
  const wdF = k[WD_F];
  const momF = k[MOM_F];
  const keepF = k[KEEP_F];
  for (let i = 0; i < n; i++) {
    let d = gradF32(g, go, w, wo, i, wdF, decay, maximize); // d_p.add(param, alpha=weight_decay)
    if (buf !== null) {
      const b = fresh ? d : fmaF32(keepF, d, f(buf[i] * momF)); // buf.mul_(momentum).add_(d_p, alpha=1-dampening)
      buf[i] = b;
      d = nesterov ? fmaF32(momF, b, d) : b; // d_p.add(buf, alpha=momentum)
    }
    w[wo + i] = fmaF32(negLrF, d, w[wo + i]); // param.add_(d_p, alpha=-lr)
  }
}

function sgdF64(
  w: Storage, wo: number, g: Storage, go: number, buf: Storage | null, fresh: boolean, n: number,
  k: Float64Array, decay: boolean, nesterov: boolean, maximize: boolean,
): void {
  const lr = k[LR];
  const momentum = k[MOM];
  const keep = k[KEEP];
  const weightDecay = k[WD];
  for (let i = 0; i < n; i++) {
    let d = gradF64(g, go, w, wo, i, weightDecay, decay, maximize);
    if (buf !== null) {
      const b = fresh ? d : fmaF64(keep, d, buf[i] * momentum);
      buf[i] = b;
      d = nesterov ? fmaF64(momentum, b, d) : b;
    }
    w[wo + i] = fmaF64(-lr, d, w[wo + i]);
  }
}
