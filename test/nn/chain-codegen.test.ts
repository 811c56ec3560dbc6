// The fused chain's generated kernels (src/ops/chain-codegen.ts) must give exactly what the interpreted kernels
// and the separate ops give: every output, loss, gradient and parameter compared bit for bit (Object.is, so -0
// against +0 and NaN against NaN count), for chains that reach every branch of the generator, over training runs
// and over inputs and upstream gradients full of -0, ±Infinity, NaN, overflow, subnormals and rounding ties.
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import { chainCodegen, chainSources, sumAllExpression } from '../../src/ops/chain-codegen.js';
import { ChainStage, fusedChain } from '../../src/ops/fused-chain.js';
import { sumAll } from '../../src/ops/linalg.js';
import { type Conv2dOptions, convPlanFor } from '../../src/ops/conv.js';
import { isFusedChain } from '../helpers/fused.js';

const F = torch.nn.functional;

type Pair = [number, number];
type Layer =
  | { conv: { out: number; kernel: Pair; stride?: Pair; padding?: Pair; dilation?: Pair; bias?: boolean } }
  | { leaky: number }
  | { sigmoid: true };

interface ChainCase {
  name: string;
  dtype: DType;
  input: [number, number, number, number];
  layers: Layer[];
  /** Whether the backward is generated too (every bias a single sum added into .grad: one out-channel). */
  generatedBackward: boolean;
  /** Scale of the random inputs (large ones make float32 rounding and overflow matter). */
  scale?: number;
}

const conv = (out: number, kernel: Pair, more: Omit<Extract<Layer, { conv: unknown }>['conv'], 'out' | 'kernel'> = {}): Layer =>
  ({ conv: { out, kernel, ...more } });
const leaky = (slope: number): Layer => ({ leaky: slope });
const sigmoid: Layer = { sigmoid: true };

const cases: ChainCase[] = [
  { name: 'the tutorial (float32)', dtype: 'float32', input: [1, 1, 3, 3], layers: [conv(1, [2, 2]), leaky(0.01), conv(1, [2, 2]), sigmoid], generatedBackward: true },
  { name: 'the tutorial (float64)', dtype: 'float64', input: [1, 1, 3, 3], layers: [conv(1, [2, 2]), leaky(0.01), conv(1, [2, 2]), sigmoid], generatedBackward: true },
  { name: 'the tutorial without bias, slope 0.3', dtype: 'float32', input: [1, 1, 3, 3],
    layers: [conv(1, [2, 2], { bias: false }), leaky(0.3), conv(1, [2, 2], { bias: false }), sigmoid], generatedBackward: true },
  { name: 'channels, padding, stride, three convs, biases (float32: backward interpreted)', dtype: 'float32', input: [1, 2, 4, 4],
    layers: [conv(3, [3, 3], { padding: [1, 1] }), leaky(0.2), conv(2, [2, 2], { stride: [2, 2], padding: [1, 1] }), sigmoid, conv(1, [2, 2]), leaky(1 / 3)],
    generatedBackward: false },
  { name: 'channels, padding, stride, three convs, no bias (float32)', dtype: 'float32', input: [1, 2, 4, 4],
    layers: [conv(3, [3, 3], { padding: [1, 1], bias: false }), leaky(0.2), conv(2, [2, 2], { stride: [2, 2], padding: [1, 1], bias: false }), sigmoid,
      conv(1, [2, 2], { bias: false }), leaky(1 / 3)],
    generatedBackward: true },
  { name: 'dilation, rectangular kernel, uneven stride and padding, a batch of 2 (float64)', dtype: 'float64', input: [2, 1, 5, 5],
    layers: [conv(2, [2, 2], { dilation: [2, 2], padding: [1, 1], bias: false }), sigmoid, conv(1, [2, 3], { stride: [1, 2], padding: [0, 1] }), leaky(-0.5)],
    generatedBackward: true },
  { name: 'taps that are all padding, pixels no tap reaches, a batch of 3 (float64)', dtype: 'float64', input: [3, 1, 3, 3],
    layers: [conv(1, [1, 1], { padding: [1, 1] }), leaky(0.01), conv(1, [1, 1], { stride: [2, 2] }), sigmoid, conv(1, [3, 3], { padding: [1, 1] })],
    generatedBackward: true },
  { name: 'sigmoid then leaky, slope -0, ends in leaky (float32)', dtype: 'float32', input: [1, 1, 4, 4],
    layers: [conv(1, [2, 2]), sigmoid, leaky(0.3), conv(1, [2, 2]), leaky(-0)], generatedBackward: true },
  { name: 'conv straight into conv, ends in conv (float32)', dtype: 'float32', input: [1, 1, 4, 4],
    layers: [conv(2, [2, 2], { bias: false }), conv(1, [2, 2])], generatedBackward: true },
  { name: 'bias sums of 25 and 16 (sumAll’s vector path), large inputs (float32)', dtype: 'float32', input: [1, 1, 6, 6], scale: 3e4,
    layers: [conv(1, [2, 2]), leaky(0.01), conv(1, [2, 2]), sigmoid], generatedBackward: true },
  { name: 'kernel 3, padding 1, slope 1.5, tiny inputs (float32)', dtype: 'float32', input: [1, 1, 3, 3], scale: 1e-3,
    layers: [conv(1, [3, 3], { padding: [1, 1] }), leaky(1.5), conv(1, [3, 3]), sigmoid], generatedBackward: true },
];

interface Model {
  params: Tensor[];
  convs: Array<{ weight: Tensor; bias: Tensor | null; options: Conv2dOptions }>;
  stages: ChainStage[];
  layers: Layer[];
}

function makeModel(c: ChainCase, seed: number, weightScale = 1): Model {
  const gen = new torch.Generator(seed);
  let channels = c.input[1];
  const params: Tensor[] = [];
  const convs: Model['convs'] = [];
  const stages = c.layers.map((l) => {
    if ('conv' in l) {
      const { out, kernel, bias = true, ...options } = l.conv;
      const weight = torch.rand([out, channels, ...kernel], { dtype: c.dtype, generator: gen }).sub(0.5).mul(weightScale).requiresGrad_();
      const b = bias ? torch.rand([out], { dtype: c.dtype, generator: gen }).sub(0.5).requiresGrad_() : null;
      params.push(weight, ...(b ? [b] : []));
      convs.push({ weight, bias: b, options });
      channels = out;
      return ChainStage.conv2d(weight, b, options);
    }
    return 'leaky' in l ? ChainStage.leakyRelu(l.leaky) : ChainStage.sigmoid();
  });
  return { params, convs, stages, layers: c.layers };
}

/** The chain as separate functional ops, one node each. */
function opByOp(m: Model, x: Tensor): Tensor {
  let y = x;
  let k = 0;
  for (const l of m.layers) {
    if ('conv' in l) {
      const { weight, bias, options } = m.convs[k++];
      y = F.conv2d(y, weight, bias, options);
    } else y = 'leaky' in l ? F.leakyRelu(y, l.leaky) : F.sigmoid(y);
  }
  return y;
}

type Mode = 'generated' | 'interpreted' | 'ops';

/** The chain run as `mode` runs it: fused (its first call makes the conv plans through the ops), or op by op. */
function forward(m: Model, x: Tensor, mode: Mode): Tensor {
  if (mode === 'ops') return opByOp(m, x);
  chainCodegen.enabled = mode === 'generated';
  return fusedChain(x, m.stages) ?? opByOp(m, x);
}

/** Values that make float32 rounding matter: sums that land on ties, cancellations, -0 and exact zeros. */
function trickyInputs(c: ChainCase, count: number): Tensor[] {
  const gen = new torch.Generator(17);
  const scale = c.scale ?? 3;
  return Array.from({ length: count }, (_, s) => {
    const t = torch.rand(c.input, { dtype: c.dtype, generator: gen }).mul(2 * scale).sub(scale);
    const v = t.data;
    v[s % v.length] = -0;
    v[(s + 3) % v.length] = 0;
    if (v.length > 6) {
      v[(s + 1) % v.length] = 1 + 2 ** -23;
      v[(s + 2) % v.length] = -(1 + 3 * 2 ** -24);
      v[(s + 5) % v.length] = 2 ** 24 + 2;
    }
    return t;
  });
}

interface Trace {
  values: number[];
  forwardRuns: number;
  backwardRuns: number;
}

/** Trains `steps` steps with Adadelta; the trace holds every output, loss, gradient and parameter of every step. */
function train(c: ChainCase, mode: Mode, steps: number): Trace {
  const m = makeModel(c, 5);
  const opt = new torch.optim.Adadelta(m.params, { lr: 0.5 });
  const xs = trickyInputs(c, 7);
  const before = { ...chainCodegen.runs };
  const values: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const y = forward(m, xs[s % xs.length], mode);
    if (mode !== 'ops' && s > 0) expect(isFusedChain(y)).toBe(true);
    const last = c.layers[c.layers.length - 1];
    const out = 'sigmoid' in last ? y : F.sigmoid(y);
    const loss = F.binaryCrossEntropy(out, torch.zerosLike(out).add(s % 2).detach());
    loss.backward();
    values.push(...y.toArray(), loss.item(), ...m.params.flatMap((p) => (p.grad as Tensor).toArray()));
    opt.step();
    values.push(...m.params.flatMap((p) => p.toArray()));
  }
  return { values, forwardRuns: chainCodegen.runs.forward - before.forward, backwardRuns: chainCodegen.runs.backward - before.backward };
}

/** Bit for bit: every element the same double, -0 and +0 told apart, NaN equal to NaN. */
function expectSameBits(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const first = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  if (first >= 0) expect.fail(`${what}: element ${first} is ${actual[first]}, expected ${expected[first]}`);
}

afterEach(() => {
  chainCodegen.enabled = true;
  chainCodegen.maxTerms = 1024;
  chainCodegen.evalRefused = false;
});

describe('generated kernels train exactly as the interpreted ones and the ops', () => {
  const steps = 30;
  for (const c of cases) {
    it(c.name, () => {
      const generated = train(c, 'generated', steps);
      const interpreted = train(c, 'interpreted', steps);
      const ops = train(c, 'ops', steps);
      // the generated code did run: every fused step (all but the first, which makes the plans)
      expect(generated.forwardRuns).toBe(steps - 1);
      expect(generated.backwardRuns).toBe(c.generatedBackward ? steps - 1 : 0);
      expect(interpreted.forwardRuns + interpreted.backwardRuns).toBe(0);
      expectSameBits(generated.values, interpreted.values, 'generated vs interpreted');
      expectSameBits(generated.values, ops.values, 'generated vs ops');
    });
  }
});

describe('special values: -0, ±Infinity, NaN, overflow, subnormals', () => {
  const specials = [-0, 0, Infinity, -Infinity, NaN, 3e38, -3e38, 1e-45, -1e-45, 1e-310, 1 + 2 ** -23, -(2 ** 24 + 1), 0.1, -7];

  /** One forward and backward per (input, upstream gradient), `.grad` starting at -0; every output and `.grad`. */
  function probe(c: ChainCase, mode: Mode, weightScale: number, negativeZeroParams: boolean): Trace {
    const m = makeModel(c, 8, weightScale);
    if (negativeZeroParams) for (const p of m.params) p.data.fill(-0);
    const gen = new torch.Generator(23);
    const before = { ...chainCodegen.runs };
    const values: number[] = [];
    forward(m, torch.zeros(c.input, { dtype: c.dtype }), mode); // makes the plans
    for (let s = 0; s < 24; s++) {
      const x = torch.rand(c.input, { dtype: c.dtype, generator: gen }).mul(6).sub(3);
      const xv = x.data;
      for (let i = 0; i < xv.length; i++) if ((i + s) % 3 === 0) xv[i] = specials[(i * 7 + s) % specials.length];
      if (s % 4 === 0) xv.fill(s % 8 === 0 ? -0 : 0);
      for (const p of m.params) p.grad = torch.zeros(p.shape, { dtype: c.dtype }).neg(); // -0: shows whether +0 or -0 is added
      const y = forward(m, x, mode);
      const g = torch.rand(y.shape, { dtype: c.dtype, generator: gen }).sub(0.5);
      const gv = g.data;
      for (let i = 0; i < gv.length; i++) if ((i + s) % 2 === 0) gv[i] = specials[(i * 5 + s * 3) % specials.length];
      if (s % 4 === 1) gv.fill(-0);
      y.backward(g);
      values.push(...y.toArray(), ...m.params.flatMap((p) => (p.grad as Tensor).toArray()));
    }
    return { values, forwardRuns: chainCodegen.runs.forward - before.forward, backwardRuns: chainCodegen.runs.backward - before.backward };
  }

  for (const c of cases) {
    for (const [label, weightScale, negativeZero] of [['random weights', 1, false], ['huge weights', 1e20, false], ['weights and biases -0', 1, true]] as const) {
      it(`${c.name}, ${label}`, () => {
        const generated = probe(c, 'generated', weightScale, negativeZero);
        const interpreted = probe(c, 'interpreted', weightScale, negativeZero);
        const ops = probe(c, 'ops', weightScale, negativeZero);
        expect(generated.forwardRuns).toBe(24);
        expect(generated.backwardRuns).toBe(c.generatedBackward ? 24 : 0);
        expectSameBits(generated.values, interpreted.values, 'generated vs interpreted');
        expectSameBits(generated.values, ops.values, 'generated vs ops');
      });
    }
  }

  it('the accumulators start at +0: a conv with -0 weights and no bias gives +0, not -0', () => {
    const c: ChainCase = { name: '', dtype: 'float32', input: [1, 1, 3, 3], layers: [conv(1, [2, 2], { bias: false }), leaky(0.5)], generatedBackward: true };
    const m = makeModel(c, 1);
    m.params[0].data.fill(-0);
    const x = torch.ones(c.input);
    forward(m, x, 'generated');
    const y = forward(m, x, 'generated');
    expect(isFusedChain(y)).toBe(true);
    expect(y.toArray().every((v) => Object.is(v, 0))).toBe(true);
  });
});

describe('sumAllExpression is sumAll written out', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: every length to 300 and some to 1100 (cascade chunks), with -0, ±Infinity, NaN and cancellations`, () => {
      const gen = new torch.Generator(31);
      const lengths = [...Array.from({ length: 301 }, (_, n) => n), 511, 512, 513, 640, 1024, 1100];
      for (const n of lengths) {
        const terms = Array.from({ length: n }, (_, i) => `v[${i}]`);
        const sum = new Function('v', `'use strict'; const f = Math.fround; return ${sumAllExpression(terms, dtype === 'float32')};`) as
          (v: Float32Array | Float64Array) => number;
        for (let trial = 0; trial < 6; trial++) {
          const v = torch.rand([n], { dtype, generator: gen }).sub(0.5).mul(trial % 2 === 0 ? 1 : 1e8).data;
          if (trial === 2) v.fill(-0);
          if (trial === 3 && n > 2) {
            v[0] = 1e30;
            v[n - 1] = -1e30;
          }
          if (trial === 4 && n > 0) v[n >> 1] = [Infinity, -Infinity, NaN][n % 3];
          if (trial === 5) for (let i = 0; i < n; i += 2) v[i] = -0;
          expect(Object.is(sum(v), sumAll(v, n)), `n = ${n}, trial ${trial}`).toBe(true);
        }
      }
    });
  }
});

describe('what the generated forward saves', () => {
  /** Every stage's output, read back from the graph (each node's first input) from the last to the first. */
  function intermediates(y: Tensor, stages: number): number[][] {
    const out: number[][] = [];
    let t = y;
    for (let k = 0; k < stages; k++) {
      out.push(t.toArray());
      const next = t.gradFn?.inputs[0];
      if (!next) break;
      t = next;
    }
    return out;
  }

  for (const c of cases) {
    it(`${c.name}: the graph unfolds into the ops' intermediate results, before and after backward`, () => {
      const m = makeModel(c, 6);
      const [x0, x] = trickyInputs(c, 2);
      forward(m, x0, 'generated'); // makes the plans
      const before = chainCodegen.runs.forward;
      const fused = forward(m, x, 'generated');
      expect(chainCodegen.runs.forward).toBe(before + 1);
      const ops = opByOp(m, x);
      const n = c.layers.length;
      const expected = intermediates(ops, n);
      intermediates(fused, n).forEach((v, k) => expectSameBits(v, expected[k], `stage ${n - 1 - k}`));
      const late = forward(m, x, 'generated');
      late.sum().backward();
      intermediates(late, n).forEach((v, k) => expectSameBits(v, expected[k], `after backward, stage ${n - 1 - k}`));
    });
  }

  it('a backward run interpreted after a generated forward reads the saved values', () => {
    const run = (mode: Mode): number[] => {
      const m = makeModel(cases[0], 4);
      const xs = trickyInputs(cases[0], 3);
      forward(m, xs[0], mode);
      const values: number[] = [];
      for (let s = 0; s < 4; s++) {
        for (const p of m.params) p.grad = null;
        const y = forward(m, xs[s % 3], mode);
        chainCodegen.enabled = false; // the backward takes the interpreted kernels
        y.backward(torch.onesLike(y).mul(0.5));
        values.push(...y.toArray(), ...m.params.flatMap((p) => (p.grad as Tensor).toArray()));
      }
      return values;
    };
    const before = { ...chainCodegen.runs };
    const mixed = run('generated');
    expect(chainCodegen.runs.forward - before.forward).toBe(4);
    expect(chainCodegen.runs.backward - before.backward).toBe(0);
    expectSameBits(mixed, run('ops'), 'generated forward, interpreted backward vs ops');
  });
});

describe('limits and fallbacks', () => {
  const tutorial = cases[0];

  it('a chain above maxTerms runs interpreted, with the same numbers', () => {
    chainCodegen.maxTerms = 10;
    const small = train(tutorial, 'generated', 8);
    chainCodegen.maxTerms = 1024;
    const interpreted = train(tutorial, 'interpreted', 8);
    expect(small.forwardRuns + small.backwardRuns).toBe(0);
    expectSameBits(small.values, interpreted.values, 'over the limit vs interpreted');
  });

  it('a .grad that cannot be added into (another dtype) sends that backward to the interpreted kernels', () => {
    const run = (mode: Mode): Trace => {
      const m = makeModel(tutorial, 4);
      const xs = trickyInputs(tutorial, 3);
      const before = { ...chainCodegen.runs };
      const values: number[] = [];
      for (let s = 0; s < 6; s++) {
        for (const p of m.params) p.grad = torch.zeros(p.shape, { dtype: s === 3 && p === m.params[2] ? 'float64' : 'float32' });
        const y = forward(m, xs[s % 3], mode);
        y.backward(torch.onesLike(y).mul(0.25));
        values.push(...y.toArray(), ...m.params.flatMap((p) => (p.grad as Tensor).toArray()));
      }
      return { values, forwardRuns: chainCodegen.runs.forward - before.forward, backwardRuns: chainCodegen.runs.backward - before.backward };
    };
    const generated = run('generated');
    expect(generated.forwardRuns).toBe(5);
    expect(generated.backwardRuns).toBe(4); // not the step whose .grad is float64
    expectSameBits(generated.values, run('interpreted').values, 'generated vs interpreted');
    expectSameBits(generated.values, run('ops').values, 'generated vs ops');
  });

  it('a page that forbids eval (new Function throws EvalError) falls back once and for all', () => {
    // a slope no other test uses, so that this chain's kernels are not already made (they are kept by source)
    const c: ChainCase = { ...tutorial, layers: [conv(1, [2, 2]), leaky(0.0123), conv(1, [2, 2]), sigmoid] };
    const realFunction = globalThis.Function;
    let attempts = 0;
    const refusing = function refusing(): never {
      attempts++;
      throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source");
    };
    const m = makeModel(c, 2);
    const x = trickyInputs(c, 1)[0];
    forward(m, x, 'generated'); // makes the plans
    globalThis.Function = refusing as unknown as FunctionConstructor;
    let y: Tensor;
    try {
      y = forward(m, x, 'generated'); // compiles the chain: new Function is refused
    } finally {
      globalThis.Function = realFunction;
    }
    expect(attempts).toBe(1);
    expect(chainCodegen.evalRefused).toBe(true);
    expect(isFusedChain(y)).toBe(true);
    expectSameBits(y.toArray(), opByOp(m, x).toArray(), 'output without eval');
    // from now on nothing is generated, even for a new chain, and training gives the interpreted numbers
    const refused = train(c, 'generated', 10);
    expect(refused.forwardRuns + refused.backwardRuns).toBe(0);
    chainCodegen.evalRefused = false;
    expectSameBits(refused.values, train(c, 'interpreted', 10).values, 'without eval vs interpreted');
    expect(train(c, 'generated', 10).forwardRuns).toBe(9);
  });

  it('other errors from new Function are not taken for a refusal', () => {
    const c: ChainCase = { ...tutorial, layers: [conv(1, [2, 2]), leaky(0.0456), conv(1, [2, 2]), sigmoid] };
    const realFunction = globalThis.Function;
    const m = makeModel(c, 2);
    const x = trickyInputs(c, 1)[0];
    forward(m, x, 'generated');
    globalThis.Function = function broken(): never {
      throw new SyntaxError('Unexpected token');
    } as unknown as FunctionConstructor;
    try {
      expect(() => forward(m, x, 'generated')).toThrow(SyntaxError);
    } finally {
      globalThis.Function = realFunction;
    }
    expect(chainCodegen.evalRefused).toBe(false);
  });
});

describe('the generated source', () => {
  it('for the tutorial, reads as the file comment shows: one statement per line, constant indices', () => {
    const m = makeModel(cases[0], 1);
    const x = torch.rand([1, 1, 3, 3]);
    forward(m, x, 'generated'); // makes the plans
    const plans = m.convs.map((cv, k) => {
      const plan = convPlanFor(k === 0 ? [1, 1, 3, 3] : [1, 1, 2, 2], 'float32', cv.weight, cv.bias, cv.options);
      if (plan === null) throw new Error('no plan');
      return plan;
    });
    const stage = (k: number) => ({ kind: 'conv' as const, plan: plans[k], hasBias: true, biasIntoGrad: true });
    const sources = chainSources({
      dtype: 'float32', stages: [stage(0), { kind: 'leaky', slope: Math.fround(0.01) }, stage(1), { kind: 'sigmoid' }],
      inputSize: 9, sizes: [4, 4, 1, 1], offsets: [0, 4, 8],
    });
    if (sources === null || sources.backward === null) throw new Error('not generated');
    expect(sources.forward).toContain('const s0_0 = f(f(f(f(f(0 + w0_0 * x0) + w0_1 * x1) + w0_2 * x3) + w0_3 * x4) + b0_0);');
    expect(sources.forward).toContain('const s1_0 = s0_0 > 0 ? s0_0 : f(s0_0 * 0.009999999776482582);');
    expect(sources.forward).toContain('const s3_0 = f(1 / f(1 + f(Math.exp(-s2_0))));');
    expect(sources.backward).toContain('const g2_0 = f(f(g3_0 * f(1 - s3_0)) * s3_0);');
    expect(sources.backward).toContain('const g1_0 = f(0 + w2_0 * g2_0);');
    expect(sources.backward).toContain('weightGrad0[0] += f(f(f(f(0 + g0_0 * x0) + g0_1 * x1) + g0_2 * x3) + g0_3 * x4);');
    expect(sources.backward).toContain('biasGrad0[0] += f(f(f(f(0 + g0_0) + f(0 + g0_1)) + f(0 + g0_2)) + f(0 + g0_3));');
    for (const line of [...sources.forward.split('\n'), ...sources.backward.split('\n')]) expect(line.split(';').length).toBe(2);
  });

  it('adds a sum from 0 to 0 by leaving the addition out (it is never -0), and a single term by writing it', () => {
    // the kernels' `0 + (0 + a) + b` for a sum, and `0 + a` for a term that may be -0 (then the result is +0)
    expect(sumAllExpression(['a', 'b', 'c'], true)).toBe('f(f(f(0 + a) + b) + c)');
    expect(sumAllExpression(['a'], true)).toBe('f(0 + a)');
    expect(sumAllExpression(['a', 'b'], false)).toBe('0 + a + b');
    expect(sumAllExpression(['a'], false)).toBe('0 + a');
  });
});
