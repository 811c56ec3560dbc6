import type { Tensor } from '../tensor/tensor.js';
import { AdadeltaPlan } from './adadelta-plan.js';
import { MODE_DECAY, MODE_MAXIMIZE } from './adadelta-simd.js';
import { fmaF32, fmaF64 } from './fma.js';
import { gradF32, gradF64, squareAvgF32, squareAvgF64 } from './kernels.js';
import {
  Optimizer, type OptionSpec, type ParamGroup, type ParamState, type ParamsInput, type Slot, checkBuffer, slotsFor, spec, stepNumber,
  writesOf, zerosLikeParam,
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

/**
 * Whether a step may take the shortcut (see Adadelta.step; tests switch it off to compare), and how many steps did.
 */
export const adadeltaShortcut = { enabled: true, taken: 0 };

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
  /** Per parameter group, by index: how it was last stepped (see AdadeltaPlan). */
  private plans: Array<AdadeltaPlan | undefined> = [];
  /** Per parameter group, by index: the slots the last step was given. */
  private lastSlots: Array<readonly Slot[] | undefined> = [];
  /** What the last step of a one-group optimiser leaves for the next one to check instead of replanning (see step). */
  private shortcut: Shortcut | null = null;

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

  /**
   * One step, as Optimizer.step takes it. When the last step was of the same single group (the same parameters,
   * state map and options), its slots, plan and scalars still stand, and only the plan's own checks run before the
   * update (AdadeltaPlan.run; should they fail, nothing was written and the full step follows).
   */
  override step(closure?: () => Tensor): Tensor | undefined {
    const s = this.shortcut;
    if (closure === undefined && s !== null && this.shortcutHolds(s)) {
      const rest = s.plan.run(s.k, RHO_F, s.mode);
      if (rest !== null) {
        if (rest.length !== 0) adadeltaGroup(rest, s.k, s.weightDecay !== 0, s.maximize);
        adadeltaShortcut.taken++;
        return undefined;
      }
    }
    this.shortcut = null;
    const loss = super.step(closure);
    this.shortcut = this.makeShortcut();
    return loss;
  }

  /** Whether the optimiser is as the shortcut saw it: same group, parameters, state map and options. */
  private shortcutHolds(s: Shortcut): boolean {
    const group = s.group;
    if (this.paramGroups !== s.groups || s.groups.length !== 1 || s.groups[0] !== group || group.params !== s.params) return false;
    if (this.state !== s.state || writesOf(s.state) !== s.writes) return false;
    if (group.lr !== s.lr || group.rho !== s.rho || group.eps !== s.eps || group.weightDecay !== s.weightDecay || group.maximize !== s.maximize) {
      return false;
    }
    return slotsFor(s.slots, s.params);
  }

  /** After a full step: the shortcut for the next one, where there is a single group and it was planned. */
  private makeShortcut(): Shortcut | null {
    const groups = this.paramGroups;
    const plan = this.plans[0];
    const slots = this.lastSlots[0];
    const state = this.state;
    if (!adadeltaShortcut.enabled || groups.length !== 1 || plan === undefined || slots === undefined || plan.slots !== slots) return null;
    const group = groups[0];
    return {
      groups, group, params: group.params, slots, state, writes: writesOf(state), plan, k: Float64Array.from(scalars(group)),
      mode: kernelMode(group), lr: group.lr, rho: group.rho, eps: group.eps, weightDecay: group.weightDecay, maximize: group.maximize,
    };
  }

  /** The live state of `param` (undefined before its first step with a gradient), typed: `optimizer.state[p]`. */
  paramState(param: Tensor): AdadeltaState | undefined {
    return this.state.get(param) as unknown as AdadeltaState | undefined;
  }

  protected optionSpecs(): readonly OptionSpec[] {
    return SPECS;
  }

  /**
   * As PyTorch's step(): first every parameter's gradient is checked and its state created, then the updates run
   * (so a bad gradient fails the step before any parameter changes). The group's plan (src/optim/adadelta-plan.ts)
   * does the checking while nothing changed since the last step, and sends the float32 parameters to the
   * WebAssembly SIMD kernel where it gives the same bits (src/optim/adadelta-simd.ts); the rest go to
   * adadeltaGroup.
   */
  protected updateGroup(group: ParamGroup<AdadeltaOptions>, slots: readonly Slot[], index: number): void {
    const k = scalars(group);
    const mode = kernelMode(group);
    this.lastSlots[index] = slots;
    const plan = this.plans[index];
    let rest = plan !== undefined && plan.slots === slots ? plan.run(k, RHO_F, mode) : null;
    // stale or missing: nothing was written, the step starts over as a first step would
    rest ??= this.replan(slots, index).run(k, RHO_F, mode) as readonly Slot[];
    if (rest.length !== 0) adadeltaGroup(rest, k, group.weightDecay !== 0, group.maximize);
  }

  /** Checks every gradient as on a first step (throwing on a bad one), creates missing state, and plans the group. */
  private replan(slots: readonly Slot[], index: number): AdadeltaPlan {
    this.plans[index] = undefined; // should a gradient throw, no half-checked plan may stay
    const live: Slot[] = [];
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j];
      if (!this.bound(slot)) continue;
      if (slot.state === null) this.createState(slot, initState);
      live.push(slot);
    }
    const plan = new AdadeltaPlan(slots, live);
    this.plans[index] = plan;
    return plan; // current: made of these very tensors
  }

  protected adoptState(param: Tensor, s: ParamState): void {
    s.step = stepNumber(s.step);
    checkBuffer('Adadelta', param, s, 'squareAvg');
    checkBuffer('Adadelta', param, s, 'accDelta');
  }
}

/** See Adadelta.step: what a step of a one-group optimiser found, and the scalars it computed from the options. */
interface Shortcut {
  readonly groups: ReadonlyArray<ParamGroup<AdadeltaOptions>>;
  readonly group: ParamGroup<AdadeltaOptions>;
  readonly params: readonly Tensor[];
  readonly slots: readonly Slot[];
  readonly state: Map<Tensor, ParamState>;
  readonly writes: number;
  readonly plan: AdadeltaPlan;
  /** The scalars (as `scalars` computes them) from the options below, and the kernel's mode (`kernelMode`). */
  readonly k: Float64Array;
  readonly mode: number;
  readonly lr: number;
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
}

/** The kernel's mode bits for a group's options: weight decay, maximize. */
function kernelMode(group: ParamGroup<AdadeltaOptions>): number {
  return (group.weightDecay !== 0 ? MODE_DECAY : 0) | (group.maximize ? MODE_MAXIMIZE : 0);
}

function initState(p: Tensor): ParamState {
  return { step: 0, squareAvg: zerosLikeParam(p), accDelta: zerosLikeParam(p) };
}

/**
 * A group's scalars for one step, computed once for all its parameters: lr, rho, eps, weight_decay as given
 * (the float64 loop's), then as PyTorch's float32 kernels receive Python scalars, rounded to float32: f(rho),
 * f(1 - rho), f(eps), f(-lr), f(weight_decay). They travel in a typed array because V8 passes a number
 * argument to a function it does not inline as a fresh heap object.
 */
const K = new Float64Array(9);
const LR = 0;
const RHO = 1;
const EPS = 2;
const WD = 3;
// the float32 scalars, in the order the kernel takes them
const RHO_F = 4;
const KEEP_F = 5;
const EPS_F = 6;
const NEG_LR_F = 7;
const WD_F = 8;

function scalars(group: ParamGroup<AdadeltaOptions>): Float64Array {
  const f = Math.fround;
  K[LR] = group.lr;
  K[RHO] = group.rho;
  K[EPS] = group.eps;
  K[WD] = group.weightDecay;
  K[RHO_F] = f(group.rho);
  K[KEEP_F] = f(1 - group.rho);
  K[EPS_F] = f(group.eps);
  K[NEG_LR_F] = f(-group.lr);
  K[WD_F] = f(group.weightDecay);
  return K;
}

/**
 * Updates the given parameters of a group (those the kernel did not step), float32 ones in the first loop,
 * float64 ones in the second (separate loops keep each one's typed-array accesses monomorphic).
 *
 * float32: PyTorch's order of operations, each result rounded to float32 where its kernel stores it; the
 * addcmul_ and add_(alpha) kernels are fused multiply-adds on AVX2 builds (one rounding), emulated by fmaF32.
 * `decay` is weight_decay != 0 (a weight decay too small for float32 still turns an infinite weight's gradient
 * into NaN, as in PyTorch). float64: the same operations in double, fused where PyTorch's kernels fuse them.
 *
 * One function for the whole group, and one this size, on purpose: a call per parameter cost more than a
 * 4-element update, and V8 does not inline a function of more than 460 bytes of bytecode, so this one is always
 * compiled on its own, with fmaF32 and the kernels.ts helpers inlined into it. Inlined into a caller instead, it
 * could meet the caller's inlining budget half way, leaving fmaF32 a call whose every result comes back as a
 * fresh heap number (in a profile of the tutorial's loop, the optimiser's share went from 14% to 21% that way).
 */
function adadeltaGroup(slots: readonly Slot[], k: Float64Array, decay: boolean, maximize: boolean): void {
  const f = Math.fround;
  const rhoF = k[RHO_F];
  const oneMinusRhoF = k[KEEP_F];
  const epsF = k[EPS_F];
  const negLrF = k[NEG_LR_F];
  const wdF = k[WD_F];
  for (let j = 0; j < slots.length; j++) {
    const slot = slots[j];
    if (!slot.f32) continue;
    const state = slot.state as unknown as AdadeltaState;
    state.step += 1;
    const w = slot.w;
    const wo = slot.wo;
    const g = slot.g;
    const go = slot.go;
    const sq = state.squareAvg.data;
    const acc = state.accDelta.data;
    for (let i = 0, n = slot.n; i < n; i++) {
      const gi = gradF32(g, go, w, wo, i, wdF, decay, maximize); // grad.add(param, alpha=weight_decay)
      const s = squareAvgF32(sq, i, gi, rhoF, oneMinusRhoF); // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
      const std = f(Math.sqrt(f(s + epsF))); // square_avg.add(eps).sqrt_()
      const delta = f(f(f(Math.sqrt(f(acc[i] + epsF))) / std) * gi); // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
      acc[i] = fmaF32(f(oneMinusRhoF * delta), delta, f(acc[i] * rhoF)); // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
      w[wo + i] = fmaF32(negLrF, delta, w[wo + i]); // param.add_(delta, alpha=-lr)
    }
  }
  const lr = k[LR];
  const rho = k[RHO];
  const eps = k[EPS];
  const weightDecay = k[WD];
  const oneMinusRho = 1 - rho;
  for (let j = 0; j < slots.length; j++) {
    const slot = slots[j];
    if (slot.f32) continue;
    const state = slot.state as unknown as AdadeltaState;
    state.step += 1;
    const w = slot.w;
    const wo = slot.wo;
    const g = slot.g;
    const go = slot.go;
    const sq = state.squareAvg.data;
    const acc = state.accDelta.data;
    for (let i = 0, n = slot.n; i < n; i++) {
      const gi = gradF64(g, go, w, wo, i, weightDecay, decay, maximize);
      const s = squareAvgF64(sq, i, gi, rho, oneMinusRho);
      const std = Math.sqrt(s + eps);
      const delta = (Math.sqrt(acc[i] + eps) / std) * gi;
      acc[i] = fmaF64(oneMinusRho * delta, delta, acc[i] * rho);
      w[wo + i] = fmaF64(-lr, delta, w[wo + i]);
    }
  }
}
