/**
 * Straight-line JavaScript for a fused chain (src/ops/fused-chain.ts). The interpreted kernels walk index lists
 * (conv-tiny.ts's plans), dispatch per stage and pass intermediate gradients through scratch storages; for the
 * tutorial's handful of multiply-adds that bookkeeping costs more than the arithmetic. Here each chain gets its
 * own forward and backward written out once, at compile time, with every index a constant and every
 * intermediate a local.
 *
 * The generated code must give the interpreted kernels' numbers bit for bit, so it copies their arithmetic
 * exactly: the same terms in the same order, accumulators starting at the literal `0` (`0 + -0` is +0, which
 * `f(-0)` would not give; where the kernels add such a sum to another from 0, the addition changes nothing and is
 * left out, see `adder`), float32 rounded with Math.fround exactly where the kernels round — including every
 * place where they round only by storing into a Float32Array, since the generated code keeps those values in
 * locals — and float64 never rounded. A parameter's gradient is added into its `.grad` with `+=` as
 * planWeightGradient / biasGradient do (the store into a Float32Array rounds the same way).
 *
 * What is generated for the tutorial's chain (float32 Conv2d(1,1,2) → LeakyReLU → Conv2d(1,1,2) → Sigmoid on a
 * [1,1,3,3] input), with runs of similar lines abridged to their first and last (…):
 *
 *   // forward(x, xo, p, result), returning what the backward reads again (`packed`)
 *   'use strict';
 *   const f = Math.fround;
 *   const x0 = x[xo];
 *   …
 *   const x8 = x[xo + 8];
 *   const weight0 = p[0];
 *   const w0_0 = weight0[0];
 *   …
 *   const w0_3 = weight0[3];
 *   const bias0 = p[1];
 *   const b0_0 = bias0[0];
 *   const s0_0 = f(f(f(f(f(0 + w0_0 * x0) + w0_1 * x1) + w0_2 * x3) + w0_3 * x4) + b0_0);
 *   …
 *   const s0_3 = f(f(f(f(f(0 + w0_0 * x4) + w0_1 * x5) + w0_2 * x7) + w0_3 * x8) + b0_0);
 *   const s1_0 = s0_0 > 0 ? s0_0 : f(s0_0 * 0.009999999776482582);
 *   …
 *   const s1_3 = s0_3 > 0 ? s0_3 : f(s0_3 * 0.009999999776482582);
 *   const weight2 = p[2];
 *   …
 *   const b2_0 = bias2[0];
 *   const s2_0 = f(f(f(f(f(0 + w2_0 * s1_0) + w2_1 * s1_1) + w2_2 * s1_2) + w2_3 * s1_3) + b2_0);
 *   const s3_0 = f(1 / f(1 + f(Math.exp(-s2_0))));
 *   result[0] = s3_0;
 *   return [s0_0, s0_1, s0_2, s0_3, s1_0, s1_1, s1_2, s1_3, s2_0];
 *
 *   // backward(grad, x, xo, packed, y, p, grads): g{k}_i is the gradient of stage k's output element i
 *   'use strict';
 *   const f = Math.fround;
 *   const g3_0 = grad[0];
 *   const s3_0 = y[0];
 *   const g2_0 = f(f(g3_0 * f(1 - s3_0)) * s3_0);
 *   const weight2 = p[2];
 *   const w2_0 = weight2[0];
 *   …
 *   const g1_0 = f(0 + w2_0 * g2_0);
 *   …
 *   const g1_3 = f(0 + w2_3 * g2_0);
 *   const weightGrad2 = grads[2];
 *   const s1_0 = packed[4];
 *   …
 *   weightGrad2[0] += f(0 + g2_0 * s1_0);
 *   …
 *   const biasGrad2 = grads[3];
 *   biasGrad2[0] += f(0 + g2_0);
 *   const s0_0 = packed[0];
 *   const g0_0 = s0_0 > 0 ? g1_0 : f(g1_0 * 0.009999999776482582);
 *   …
 *   const weightGrad0 = grads[0];
 *   const x0 = x[xo];
 *   …
 *   weightGrad0[0] += f(f(f(f(0 + g0_0 * x0) + g0_1 * x1) + g0_2 * x3) + g0_3 * x4);
 *   …
 *   weightGrad0[3] += f(f(f(f(0 + g0_0 * x4) + g0_1 * x5) + g0_2 * x7) + g0_3 * x8);
 *   const biasGrad0 = grads[1];
 *   biasGrad0[0] += f(f(f(f(0 + g0_0) + f(0 + g0_1)) + f(0 + g0_2)) + f(0 + g0_3));
 *
 * float64 writes the same without `f(…)`: `const s0_0 = 0 + w0_0 * x0 + w0_1 * x1 + w0_2 * x3 + w0_3 * x4 + b0_0;`.
 * (`chainSources` returns the full text for any chain.)
 */
import type { DType, Storage } from '../tensor/dtype.js';
import type { ConvPlan, TinyGeometry } from './conv-tiny.js';
import { ceilLog2 } from './linalg.js';

/**
 * `enabled`: generate the chain's code when it is compiled, and run it on each call (tests and the A/B bench switch it
 * off to compare with the interpreted kernels; a chain compiled while it was off keeps the interpreted ones).
 * `maxTerms`: the largest chain, in multiply-adds and elements per function, that gets generated code; bigger
 * ones keep the interpreted kernels (code size grows with it, the gain does not).
 * `evalRefused`: set once `new Function` has thrown EvalError (a page whose Content-Security-Policy lacks
 * 'unsafe-eval'); from then on every chain runs interpreted. Tests reset it.
 * `runs`: how many times a generated forward and backward ran, so tests can tell that the code they compare was
 * actually used.
 */
export const chainCodegen = { enabled: true, maxTerms: 1024, evalRefused: false, runs: { forward: 0, backward: 0 } };

/** One stage as the generator needs it. */
export type StageCode =
  | {
    readonly kind: 'conv';
    readonly plan: ConvPlan<TinyGeometry>;
    readonly hasBias: boolean;
    /** Whether the interpreted backward adds the bias gradient straight into `.grad` (conv.ts's biasAddsIntoGrad). */
    readonly biasIntoGrad: boolean;
  }
  | { readonly kind: 'leaky'; readonly slope: number }
  | { readonly kind: 'sigmoid' };

/** A chain as the Program of fused-chain.ts lays it out. */
export interface ChainLayout {
  readonly dtype: DType;
  readonly stages: readonly StageCode[];
  /** The chain's input's element count. */
  readonly inputSize: number;
  /** Per stage: the output's element count. */
  readonly sizes: readonly number[];
  /** Per stage but the last: where its output starts in `packed`. */
  readonly offsets: readonly number[];
}

/**
 * Every stage's output: the last into `result`, the ones before returned, in stage order (the layout's offsets).
 * `params` holds the conv stages' weight and bias storages in stage order (weight, then bias if any).
 *
 * The values before the last travel in an array literal rather than a typed array: only the backward reads them,
 * and V8 allocates a literal inline, where `new Float32Array(n)` is a builtin call and two heap objects (a
 * training step's costliest allocation). They are the same numbers (a float32 value is exactly a double), NaN
 * aside, whose payload a double array does not keep (nothing reads it: every comparison of NaN is false).
 */
export type ChainForward = (x: Storage, xo: number, params: readonly Storage[], result: Storage) => number[];

/**
 * Every parameter's gradient for the last output's gradient `grad`, added into `grads` (the `.grad` storages, in
 * the order of `params`). `x` at `xo` is the chain's input, `packed` and `y` the forward's outputs.
 */
export type ChainBackward = (
  grad: Storage, x: Storage, xo: number, packed: ArrayLike<number>, y: Storage, params: readonly Storage[], grads: readonly Storage[],
) => void;

export interface ChainKernels {
  readonly forward: ChainForward;
  /** Null when some parameter's gradient cannot be added into `.grad` (then the interpreted backward runs). */
  readonly backward: ChainBackward | null;
}

const FORWARD_PARAMS = ['x', 'xo', 'p', 'result'];
const BACKWARD_PARAMS = ['grad', 'x', 'xo', 'packed', 'y', 'p', 'grads'];

/**
 * Kernels already made, by their source: a model built again with the same layers (every run of a sweep, each
 * Trainer) gets the same functions, already optimised by V8, and the call sites that run them keep seeing one
 * function instead of a new one per model (which V8 would stop inlining, or deoptimise for). Bounded: the oldest
 * goes first.
 */
const made = new Map<string, ChainKernels>();
const MAX_MADE = 16;

/** The generated kernels of a chain, or null when it is too big, switched off, or `new Function` is refused. */
export function generateChainKernels(layout: ChainLayout): ChainKernels | null {
  if (!chainCodegen.enabled || chainCodegen.evalRefused) return null;
  const sources = chainSources(layout);
  if (sources === null) return null;
  const key = `${sources.forward}\n//\n${sources.backward ?? ''}`;
  const known = made.get(key);
  if (known !== undefined) return known;
  const forward = compileFunction<ChainForward>(FORWARD_PARAMS, sources.forward);
  if (forward === null) return null;
  const backward = sources.backward === null ? null : compileFunction<ChainBackward>(BACKWARD_PARAMS, sources.backward);
  if (sources.backward !== null && backward === null) return null;
  const kernels = { forward, backward };
  if (made.size === MAX_MADE) made.delete(made.keys().next().value as string);
  made.set(key, kernels);
  return kernels;
}

/** The generated functions' bodies (backward null where it is not generated), or null for a chain too big. */
export function chainSources(layout: ChainLayout): { forward: string; backward: string | null } | null {
  const costs = chainCosts(layout);
  if (costs.forward > chainCodegen.maxTerms) return null;
  const backward = costs.backward <= chainCodegen.maxTerms && layout.stages.every((s) => s.kind !== 'conv' || !s.hasBias || s.biasIntoGrad);
  return { forward: forwardSource(layout), backward: backward ? backwardSource(layout) : null };
}

/** `new Function`, or null (remembered) where a Content-Security-Policy forbids it. */
function compileFunction<F>(params: readonly string[], body: string): F | null {
  try {
    return new Function(...params, body) as F;
  } catch (e) {
    // anything else would be a bug in the generated text: let it surface
    if (!(e instanceof EvalError)) throw e;
    chainCodegen.evalRefused = true;
    return null;
  }
}

/** The number of terms each generated function writes out: multiply-adds, summed elements, element-wise steps. */
function chainCosts(layout: ChainLayout): { forward: number; backward: number } {
  let forward = 0;
  let backward = 0;
  layout.stages.forEach((s, k) => {
    forward += layout.sizes[k];
    backward += layout.sizes[k];
    if (s.kind !== 'conv') return;
    forward += s.plan.fx.length;
    backward += s.plan.wg.length + (k > 0 ? s.plan.ig.length : 0);
  });
  return { forward, backward };
}

/**
 * A number as source text that evaluates to exactly it: String() keeps every double (the shortest text that reads
 * back the same) but writes -0 as "0".
 */
function literal(v: number): string {
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

/**
 * `a + b` in the dtype: rounded for float32. For float64, `+` is left-associative, so a sum on the left needs no
 * parentheses and one on the right does. The sum of two literal zeros (the empty partial sums of sumAll's lanes) is
 * written as the +0 it is.
 *
 * `0 + s`, where s is a sum this adder made from the literal 0, is written as s: such a sum is never -0 (a sum is
 * -0 only when both addends are, and the first accumulator starts at +0), and for any other value v of the dtype
 * `0 + v` is v, rounding included (∞ and NaN too). The kernels add a sum from 0 into another sum from 0 wherever a
 * stage has a single term per column or sample (every conv gradient of the tutorial's chain), and each such addition
 * left out is a rounding less on a chain of dependent operations.
 */
function adder(f32: boolean): (a: string, b: string) => string {
  const sums = new Set<string>(); // what this adder returned for a sum started at the literal 0
  const plus = f32 ? (a: string, b: string) => `f(${a} + ${b})` : (a: string, b: string) => `${a} + ${b.includes(' + ') ? `(${b})` : b}`;
  return (a, b) => {
    if (a === '0' && b === '0') return '0';
    if (a === '0' && sums.has(b)) return b;
    const sum = plus(a, b);
    if (a === '0' || sums.has(a)) sums.add(sum);
    return sum;
  };
}

/** Lines of a function body, and the locals already declared (each value is loaded once, where first needed). */
class Body {
  readonly lines: string[] = ["'use strict';"];
  readonly #declared = new Set<string>();

  constructor(f32: boolean) {
    if (f32) this.lines.push('const f = Math.fround;');
  }

  /** `name`, declared as `const name = value;` the first time it is asked for. */
  local(name: string, value: string): string {
    if (!this.#declared.has(name)) {
      this.#declared.add(name);
      this.lines.push(`const ${name} = ${value};`);
    }
    return name;
  }

  add(line: string): void {
    this.lines.push(line);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * The index in `p` (and `grads`) of each conv stage's weight; its bias, if any, follows it: the order of the
 * Program's `params`.
 */
function paramIndices(layout: ChainLayout): number[] {
  const indices: number[] = [];
  let next = 0;
  for (const s of layout.stages) {
    indices.push(next);
    if (s.kind === 'conv') next += s.hasBias ? 2 : 1;
  }
  return indices;
}

/** Element `i` of the chain's input, read into a local. */
function inputValue(body: Body, i: number): string {
  return body.local(`x${i}`, i === 0 ? 'x[xo]' : `x[xo + ${i}]`);
}

/** Element `i` of stage `k`'s weight (`which` 'w') or bias ('b'), read into a local. */
function paramValue(body: Body, which: 'w' | 'b', k: number, index: number, i: number): string {
  const storage = body.local(`${which === 'w' ? 'weight' : 'bias'}${k}`, `p[${index}]`);
  return body.local(`${which}${k}_${i}`, `${storage}[${i}]`);
}

/** Declares every weight (and bias) value of conv stage `k` up front, so that they read as one block. */
function loadParams(body: Body, s: Extract<StageCode, { kind: 'conv' }>, k: number, index: number, withBias: boolean): void {
  const shape = s.plan.weightShape;
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  for (let i = 0; i < n; i++) paramValue(body, 'w', k, index, i);
  if (withBias && s.hasBias) for (let i = 0; i < shape[0]; i++) paramValue(body, 'b', k, index + 1, i);
}

function forwardSource(layout: ChainLayout): string {
  const f32 = layout.dtype === 'float32';
  const add = adder(f32);
  const body = new Body(f32);
  const index = paramIndices(layout);
  const last = layout.stages.length - 1;
  // stage k's input element i: the chain's input, or the previous stage's output (already a local)
  const input = (k: number, i: number): string => (k === 0 ? inputValue(body, i) : `s${k - 1}_${i}`);
  for (let i = 0; i < layout.inputSize; i++) inputValue(body, i);
  layout.stages.forEach((s, k) => {
    const n = layout.sizes[k];
    if (s.kind === 'conv') {
      loadParams(body, s, k, index[k], true);
      // planForward: each output's taps from 0, one rounding per tap, then the bias
      const { fx, fw, fEnd, fCo } = s.plan;
      let t = 0;
      for (let o = 0; o < n; o++) {
        let acc = '0';
        for (const end = fEnd[o]; t < end; t++) acc = add(acc, `${paramValue(body, 'w', k, index[k], fw[t])} * ${input(k, fx[t])}`);
        if (s.hasBias) acc = add(acc, paramValue(body, 'b', k, index[k] + 1, fCo[o]));
        body.add(`const s${k}_${o} = ${acc};`);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = input(k, i);
        // the kernels round these by storing them into a Float32Array
        body.add(s.kind === 'leaky'
          ? `const s${k}_${i} = ${v} > 0 ? ${v} : ${f32 ? `f(${v} * ${literal(s.slope)})` : `${v} * ${literal(s.slope)}`};`
          : `const s${k}_${i} = ${f32 ? `f(1 / f(1 + f(Math.exp(-${v}))))` : `1 / (1 + Math.exp(-${v}))`};`);
      }
    }
    if (k === last) for (let i = 0; i < n; i++) body.add(`result[${i}] = s${k}_${i};`);
  });
  // the outputs before the last, in the layout's order (offsets[k] is the sum of the sizes before k)
  const saved: string[] = [];
  for (let k = 0; k < last; k++) for (let i = 0; i < layout.sizes[k]; i++) saved.push(`s${k}_${i}`);
  body.add(`return [${saved.join(', ')}];`);
  return body.text();
}

function backwardSource(layout: ChainLayout): string {
  const f32 = layout.dtype === 'float32';
  const add = adder(f32);
  const body = new Body(f32);
  const index = paramIndices(layout);
  const last = layout.stages.length - 1;
  // the forward's values, read back: stage k's output element i, and stage k's input element i
  const output = (k: number, i: number): string => body.local(`s${k}_${i}`, k === last ? `y[${i}]` : `packed[${layout.offsets[k] + i}]`);
  const input = (k: number, i: number): string => (k === 0 ? inputValue(body, i) : output(k - 1, i));
  for (let i = 0; i < layout.sizes[last]; i++) body.local(`g${last}_${i}`, `grad[${i}]`);
  // g{k}_i is the gradient of stage k's output element i
  for (let k = last; k >= 0; k--) {
    const s = layout.stages[k];
    const n = layout.sizes[k];
    if (s.kind === 'conv') {
      const { plan } = s;
      if (k > 0) {
        loadParams(body, s, k, index[k], false);
        // planInputGrad: per input pixel, one column (a sum over out-channels from 0) per reaching tap, added in turn
        const { ig, iw, iColEnd, iPixEnd } = plan;
        let t = 0;
        let c = 0;
        for (let q = 0; q < iPixEnd.length; q++) {
          let total = '0';
          for (const colsEnd = iPixEnd[q]; c < colsEnd; c++) {
            let col = '0';
            for (const end = iColEnd[c]; t < end; t++) col = add(col, `${paramValue(body, 'w', k, index[k], iw[t])} * g${k}_${ig[t]}`);
            total = add(total, col);
          }
          body.add(`const g${k - 1}_${q} = ${total};`);
        }
      }
      // planWeightGrad: per element, each sample's sum from 0, the samples' sums added in turn, then into .grad
      const { wg, wx, wEnd } = plan;
      const N = plan.g.N;
      const weightGrad = body.local(`weightGrad${k}`, `grads[${index[k]}]`);
      for (let i = 0, inputs = k === 0 ? layout.inputSize : layout.sizes[k - 1]; i < inputs; i++) input(k, i);
      const elements = wEnd.length / N;
      let t = 0;
      for (let e = 0, run = 0; e < elements; e++) {
        let total = '0';
        for (let sample = 0; sample < N; sample++, run++) {
          let acc = '0';
          for (const end = wEnd[run]; t < end; t++) acc = add(acc, `g${k}_${wg[t]} * ${input(k, wx[t])}`);
          total = add(total, acc);
        }
        body.add(`${weightGrad}[${e}] += ${total};`);
      }
      if (s.hasBias) {
        // biasGradient into .grad: one channel, sumAll over the output's gradient
        const biasGrad = body.local(`biasGrad${k}`, `grads[${index[k] + 1}]`);
        body.add(`${biasGrad}[0] += ${sumAllExpression(Array.from({ length: n }, (_, i) => `g${k}_${i}`), f32)};`);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const u = `g${k}_${i}`;
        if (s.kind === 'leaky') {
          const v = input(k, i);
          body.add(`const g${k - 1}_${i} = ${v} > 0 ? ${u} : ${f32 ? `f(${u} * ${literal(s.slope)})` : `${u} * ${literal(s.slope)}`};`);
        } else {
          const v = output(k, i);
          body.add(`const g${k - 1}_${i} = ${f32 ? `f(f(${u} * f(1 - ${v})) * ${v})` : `${u} * (1 - ${v}) * ${v}`};`);
        }
      }
    }
  }
  return body.text();
}

// ---------------------------------------------------------------- sumAll, written out

/**
 * sumAll(src, n) of src/ops/linalg.ts (PyTorch's sum of a contiguous run) for `terms` given as expressions: the
 * same additions, in the same order, with the same roundings, as one expression. Each function below is its
 * namesake in linalg.ts with values replaced by their source text; the loops run here, on constant sizes.
 */
export function sumAllExpression(terms: readonly string[], f32: boolean): string {
  const n = terms.length;
  if (n === 0) return '0';
  const add = adder(f32);
  const V = f32 ? 8 : 4;
  if (n < V) return add('0', shortRowSum(terms, add));
  return add('0', vectorRowSum(terms, 0, n, V, add));
}

type Add = (a: string, b: string) => string;

function shortRowSum(terms: readonly string[], add: Add): string {
  const n = terms.length;
  if (n < 4) {
    let p0 = '0';
    for (let i = 0; i < n; i++) p0 = add(p0, terms[i]);
    return p0;
  }
  let p0 = add('0', terms[0]);
  for (let i = 4; i < n; i++) p0 = add(p0, terms[i]);
  return add(add(add(p0, add('0', terms[1])), add('0', terms[2])), add('0', terms[3]));
}

function cascadeLane(terms: readonly string[], base: number, stride: number, size: number, add: Add): string {
  const levelPower = Math.max(4, Math.floor(ceilLog2(size) / 4));
  const step = 1 << levelPower;
  const mask = step - 1;
  let a0 = '0';
  let a1 = '0';
  let a2 = '0';
  let a3 = '0';
  let i = 0;
  let p = base;
  while (i + step <= size) {
    for (let j = 0; j < step; j++, i++, p += stride) a0 = add(a0, terms[p]);
    a1 = add(a1, a0);
    a0 = '0';
    if ((i & (mask << levelPower)) === 0) {
      a2 = add(a2, a1);
      a1 = '0';
      if ((i & (mask << (2 * levelPower))) === 0) {
        a3 = add(a3, a2);
        a2 = '0';
      }
    }
  }
  for (; i < size; i++, p += stride) a0 = add(a0, terms[p]);
  a0 = add(a0, a1);
  a0 = add(a0, a2);
  return add(a0, a3);
}

function rowSum(terms: readonly string[], base: number, stride: number, size: number, add: Add): string {
  const sizeIlp = Math.floor(size / 4);
  let p0 = cascadeLane(terms, base, 4 * stride, sizeIlp, add);
  const p1 = cascadeLane(terms, base + stride, 4 * stride, sizeIlp, add);
  const p2 = cascadeLane(terms, base + 2 * stride, 4 * stride, sizeIlp, add);
  const p3 = cascadeLane(terms, base + 3 * stride, 4 * stride, sizeIlp, add);
  for (let i = sizeIlp * 4; i < size; i++) p0 = add(p0, terms[base + i * stride]);
  p0 = add(p0, p1);
  p0 = add(p0, p2);
  return add(p0, p3);
}

function vectorRowSum(terms: readonly string[], base: number, size: number, V: number, add: Add): string {
  const vecSize = Math.floor(size / V);
  let acc = '0';
  for (let k = vecSize * V; k < size; k++) acc = add(acc, terms[base + k]);
  for (let lane = 0; lane < V; lane++) acc = add(acc, rowSum(terms, base + lane, V, vecSize, add));
  return acc;
}
