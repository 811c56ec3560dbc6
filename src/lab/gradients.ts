import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import * as nn from '../nn/index.js';
import type * as optim from '../optim/index.js';
import { fmaF32 } from '../optim/fma.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { cloneModel, type Matrix } from './evaluate.js';
import { type CNN, PARAMETER_KEYS, type ParameterKey } from './model.js';

// One sample's loss and gradients, as the tutorial's loss.backward() computes them, each checked against a
// central finite difference on a float64 copy of the model; then what one optimiser step would do with them.

export interface AdadeltaStateInput {
  /** Steps already taken (PyTorch's state['step']). */
  step: number;
  squareAvg: Record<ParameterKey, number[]>;
  accDelta: Record<ParameterKey, number[]>;
}

export interface AdadeltaPreview {
  lr: number;
  rho: number;
  eps: number;
  /** state['step'] after the step. */
  step: number;
  squareAvgBefore: number[];
  /** rho·square_avg + (1-rho)·g². */
  squareAvgAfter: number[];
  /** √(square_avg_after + eps). */
  std: number[];
  /** √(acc_delta_before + eps). */
  rmsDelta: number[];
  /** rmsDelta / std · g: the update before the learning rate. */
  delta: number[];
  accDeltaBefore: number[];
  /** rho·acc_delta + (1-rho)·delta². */
  accDeltaAfter: number[];
  /** param − lr·delta. */
  after: number[];
}

export interface SgdPreview {
  lr: number;
  /** param − lr·grad. */
  after: number[];
}

/** Relative difference under which the analytic and numeric gradients are said to agree. */
export const AGREE_RELATIVE = 1e-4;

/**
 * - 'agree': relative difference ≤ AGREE_RELATIVE.
 * - 'fd-limited': further apart, but within 3× the finite difference's own error estimate (the float64 loss
 *   carries too few digits there, e.g. BCE's log(1 − p) for p near 0).
 * - 'clamped': the output is so close to 0 or 1 that PyTorch's BCE backward divides by its floor
 *   max(p·(1−p), 1e-12) instead of p·(1−p), so .grad is the true slope times p·(1−p)/1e-12 (as in PyTorch);
 *   the check confirms exactly that relation (to 1e-3).
 * - 'kink': a first-layer cell is exactly 0 for this input, LeakyReLU's kink: no derivative there.
 * - 'mismatch': none of the above: a real disagreement.
 */
export type CheckStatus = 'agree' | 'fd-limited' | 'clamped' | 'kink' | 'mismatch';

export interface ParamGradient {
  key: ParameterKey;
  shape: number[];
  value: number[];
  /** The .grad that loss.backward() leaves on the float32 model. */
  grad: number[];
  /** .grad printed as PyTorch prints it. */
  gradText: string;
  /** (L(w+h) − L(w−h)) / 2h for each element, in float64. */
  numeric: number[];
  /** The step h of each element's best estimate (see centralDifference). */
  steps: number[];
  /** Ridders' estimate of each finite difference's own error. */
  numericError: number[];
  /** |grad − numeric| / max(|grad|, |numeric|) (0 when both are 0). */
  relativeError: number[];
  /** How each element's check came out (see CheckStatus). */
  status: CheckStatus[];
  sgd: SgdPreview;
  adadelta: AdadeltaPreview;
}

export interface GradReport {
  input: Matrix;
  target: 0 | 1;
  /** The model's output for the input (float32). */
  output: number;
  /** The BCE loss (float32) and as PyTorch prints it. */
  loss: number;
  lossText: string;
  /** The float64 copy's loss, the finite differences' centre. */
  loss64: number;
  /** The first finite-difference step (relative: h·max(1, |w|)); see centralDifference. */
  h: number;
  params: ParamGradient[];
  maxRelativeError: number;
  /** True when p·(1−p) < 1e-12 in float32, so PyTorch's BCE backward uses its clamp (see CheckStatus). */
  clamped: boolean;
  /** p·(1−p) / 1e-12 when clamped (1 otherwise): .grad is the true slope times this. */
  clampFactor: number;
  /** Where the Adadelta state came from. */
  adadeltaStateSource: 'fresh' | 'given';
}

export interface GradOptions {
  /** SGD's learning rate for the preview (default 0.5, the tutorial's lr). */
  sgdLr?: number;
  /** Adadelta's learning rate (default 0.5, the tutorial's). */
  adadeltaLr?: number;
  rho?: number;
  eps?: number;
  /** Adadelta's state before the step; default: a fresh optimiser's (zeros, step 0). */
  adadeltaState?: AdadeltaStateInput;
  /** First (largest) finite-difference step of Ridders' method, relative to max(1, |w|) (default 1e-2); smaller where LeakyReLU's kink is nearer (kinkSafeSteps). */
  h?: number;
}

const bce = new nn.BCELoss();

/**
 * The float64 copy's loss for the finite differences: the model's own float64 forward pass, then BCE's formula
 * −(y·log p + (1−y)·log(1−p)) with PyTorch's clamp of each log at −100, evaluated with log1p(−p) for log(1−p)
 * (the same number, but it keeps its digits when the loss is tiny, where 1 − p would round them away).
 */
function loss64Of(model: CNN, x: Tensor, target: 0 | 1): number {
  const p = model.call(x).item();
  return target === 1 ? -Math.max(Math.log(p), -100) : -Math.max(Math.log1p(-p), -100);
}

/** The loss and every parameter's gradient for one sample, with finite-difference checks and step previews. */
export function gradientReport(model: CNN, matrix: Matrix, target: 0 | 1, opts: GradOptions = {}): GradReport {
  const h = opts.h ?? 1e-2;
  const sgdLr = opts.sgdLr ?? 0.5;
  const lr = opts.adadeltaLr ?? 0.5;
  const rho = opts.rho ?? 0.9;
  const eps = opts.eps ?? 1e-6;
  const input = matrix.map((row) => row.map((v) => Math.fround(v)));

  // Analytic: backward() on a float32 copy, exactly as the training loop does it.
  const m32 = cloneModel(model);
  const x32 = tensor([[input]]);
  const y32 = tensor([[[[target]]]]);
  const { loss, lossText, output } = enableGrad(() => {
    const out = m32.call(x32);
    const l = bce.call(out, y32);
    l.backward();
    return { loss: l.item(), lossText: l.toString(), output: out.item() };
  });
  const named = new Map(m32.namedParameters());

  // Numeric: central differences on a float64 copy.
  const m64 = cloneModel(model, 'float64');
  const x64 = tensor([[input]], { dtype: 'float64' });
    const params64 = new Map(m64.namedParameters());
  const loss64 = noGrad(() => loss64Of(m64, x64, target));

  // PyTorch's BCE backward divides by max(p·(1−p), 1e-12): below that the float32 gradient is scaled down.
  const pF = Math.fround(output);
  const pq = Math.fround(Math.fround(1 - pF) * pF);
  const clamped = pq < Math.fround(1e-12);
  const clampFactor = clamped ? (pF * (1 - pF)) / Math.fround(1e-12) : 1;
  const params: ParamGradient[] = [];
  let maxRelativeError = 0;
  for (const key of PARAMETER_KEYS) {
    const p = named.get(key);
    const p64 = params64.get(key);
    if (p === undefined || p64 === undefined || p.grad === null) throw new Error(`no gradient for ${key}`);
    const value = p.toArray();
    const grad = p.grad.toArray();
    const safe = kinkSafeSteps(key, input, model);
    const fd = value.map((w, i) => noGrad(() => centralDifference(p64, i, Math.min(h * Math.max(1, Math.abs(w)), safe[i]), () => loss64Of(m64, x64, target))));
    const numeric = fd.map((d) => d.value);
    const relativeError = grad.map((g, i) => {
      const scale = Math.max(Math.abs(g), Math.abs(numeric[i]));
      return scale === 0 ? 0 : Math.abs(g - numeric[i]) / scale;
    });
    const status = grad.map((g, i): CheckStatus => {
      if (clamped) {
        const expected = numeric[i] * clampFactor;
        const scale = Math.max(Math.abs(g), Math.abs(expected));
        // Below float32's smallest subnormal (1.4e-45) both round to 0.
        return scale < 1e-44 || Math.abs(g - expected) / scale <= 1e-3 ? 'clamped' : 'mismatch';
      }
      if (!Number.isFinite(safe[i]) || safe[i] > 0) {
        if (relativeError[i] <= AGREE_RELATIVE) return 'agree';
        return Math.abs(g - numeric[i]) <= 3 * fd[i].error ? 'fd-limited' : 'mismatch';
      }
      return 'kink';
    });
    for (const e of relativeError) maxRelativeError = Math.max(maxRelativeError, e);
    const state = opts.adadeltaState;
    params.push({
      key, shape: [...p.shape], value, grad, gradText: p.grad.toString(), numeric, steps: fd.map((d) => d.h), numericError: fd.map((d) => d.error), relativeError, status,
      sgd: { lr: sgdLr, after: sgdPreview(value, grad, sgdLr) },
      adadelta: adadeltaPreview(value, grad, {
        lr, rho, eps, step: state?.step ?? 0,
        squareAvg: state?.squareAvg[key] ?? value.map(() => 0),
        accDelta: state?.accDelta[key] ?? value.map(() => 0),
      }),
    });
  }
  return {
    input, target, output, loss, lossText, loss64, h, params, maxRelativeError,
    clamped, clampFactor, adadeltaStateSource: opts.adadeltaState ? 'given' : 'fresh',
  };
}

/**
 * For each element of parameter `key`, the largest step that keeps every first-layer cell on its side of 0, so
 * that the finite difference never straddles LeakyReLU's kink (where the slope jumps from 1 to the negative
 * slope): half the distance of the nearest cell to 0 over how fast the element moves it. Infinity for the
 * second layer's parameters (they do not move the first layer), 0 when a cell sits exactly on the kink.
 */
export function kinkSafeSteps(key: ParameterKey, input: Matrix, model: CNN): number[] {
  if (key === 'model.2.weight') return [Infinity, Infinity, Infinity, Infinity];
  if (key === 'model.2.bias') return [Infinity];
  const w = model.model.at(0);
  const k = (w as nn.Conv2d).weight.toArray();
  const b = ((w as nn.Conv2d).bias as Tensor).toArray()[0];
  const cells: Array<{ value: number; patch: number[] }> = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const patch = [input[i][j], input[i][j + 1], input[i + 1][j], input[i + 1][j + 1]];
      cells.push({ value: patch.reduce((s, x, n) => s + x * k[n], b), patch });
    }
  }
  const count = key === 'model.0.weight' ? 4 : 1;
  return Array.from({ length: count }, (_, n) => {
    let step = Infinity;
    for (const c of cells) {
      const rate = key === 'model.0.weight' ? Math.abs(c.patch[n]) : 1;
      if (rate === 0) continue;
      step = Math.min(step, (0.5 * Math.abs(c.value)) / rate);
    }
    return step;
  });
}

/**
 * dL/dw for element i of a float64 parameter by central differences (L(w+h) − L(w−h)) / 2h, refined with
 * Ridders' method (Richardson extrapolation over h = h0, h0/1.4, h0/1.4², …),
 * which also estimates its own error and keeps the best estimate. A fixed small h fails here: BCE near 0
 * computes log(1 − p), whose rounding is large next to the tiny change a small h makes.
 */
export function centralDifference(p: Tensor, i: number, h0: number, loss: () => number): { value: number; h: number; error: number } {
  const data = p.data;
  const at = p.offset + i;
  const w0 = data[at];
  if (!(h0 > 0)) return { value: NaN, h: 0, error: NaN };
  const diff = (step: number) => {
    data[at] = w0 + step;
    const up = loss();
    data[at] = w0 - step;
    const down = loss();
    data[at] = w0;
    return (up - down) / (2 * step);
  };
  const CON = 1.4, CON2 = CON * CON, NTAB = 12, SAFE = 2;
  let hh = h0;
  const a: number[][] = Array.from({ length: NTAB }, () => new Array<number>(NTAB).fill(0));
  a[0][0] = diff(hh);
  let best = { value: a[0][0], h: hh, error: Infinity };
  for (let i = 1; i < NTAB; i++) {
    hh /= CON;
    a[0][i] = diff(hh);
    let fac = CON2;
    for (let j = 1; j <= i; j++) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1);
      fac *= CON2;
      const err = Math.max(Math.abs(a[j][i] - a[j - 1][i]), Math.abs(a[j][i] - a[j - 1][i - 1]));
      if (err <= best.error) best = { value: a[j][i], h: hh, error: err };
    }
    if (Math.abs(a[i][i] - a[i - 1][i - 1]) >= SAFE * best.error) break;
  }
  return best;
}

/** param − lr·grad with float32 rounding, as SGD's param.add_(grad, alpha=-lr) does it (one fused rounding). */
export function sgdPreview(value: readonly number[], grad: readonly number[], lr: number): number[] {
  const negLr = Math.fround(-lr);
  return value.map((w, i) => fmaF32(negLr, grad[i], w));
}

/**
 * One Adadelta step for float32 parameters, written out with the intermediate values, rounded as PyTorch
 * 1.13's CPU kernels round (the same order of operations as torch/optim/adadelta.py).
 */
export function adadeltaPreview(
  value: readonly number[], grad: readonly number[],
  o: { lr: number; rho: number; eps: number; step: number; squareAvg: readonly number[]; accDelta: readonly number[] },
): AdadeltaPreview {
  const f = Math.fround;
  const rhoF = f(o.rho);
  const oneMinusRho = f(1 - o.rho);
  const epsF = f(o.eps);
  const negLr = f(-o.lr);
  const n = value.length;
  const out: AdadeltaPreview = {
    lr: o.lr, rho: o.rho, eps: o.eps, step: o.step + 1,
    squareAvgBefore: o.squareAvg.map(f), squareAvgAfter: [], std: [], rmsDelta: [], delta: [],
    accDeltaBefore: o.accDelta.map(f), accDeltaAfter: [], after: [],
  };
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    const sq = fmaF32(f(oneMinusRho * g), g, f(out.squareAvgBefore[i] * rhoF));
    const std = f(Math.sqrt(f(sq + epsF)));
    const rms = f(Math.sqrt(f(out.accDeltaBefore[i] + epsF)));
    const delta = f(f(rms / std) * g);
    out.squareAvgAfter.push(sq);
    out.std.push(std);
    out.rmsDelta.push(rms);
    out.delta.push(delta);
    out.accDeltaAfter.push(fmaF32(f(oneMinusRho * delta), delta, f(out.accDeltaBefore[i] * rhoF)));
    out.after.push(fmaF32(negLr, delta, value[i]));
  }
  return out;
}

/** The state an Adadelta optimiser holds for the model's parameters, as plain numbers (zeros before a step). */
export function adadeltaStateOf(optimizer: optim.Adadelta, model: CNN): AdadeltaStateInput {
  const squareAvg = {} as Record<ParameterKey, number[]>;
  const accDelta = {} as Record<ParameterKey, number[]>;
  let step = 0;
  const named = new Map(model.namedParameters());
  for (const key of PARAMETER_KEYS) {
    const p = named.get(key);
    if (p === undefined) throw new Error(`the model has no ${key}`);
    const s = optimizer.paramState(p);
    squareAvg[key] = s ? s.squareAvg.toArray() : p.toArray().map(() => 0);
    accDelta[key] = s ? s.accDelta.toArray() : p.toArray().map(() => 0);
    step = Math.max(step, s?.step ?? 0);
  }
  return { step, squareAvg, accDelta };
}
