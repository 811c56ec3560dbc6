// Adadelta's float32 update on the WebAssembly SIMD kernel (src/optim/adadelta-simd.ts) against the JavaScript
// loop it stands for: the same optimiser run twice from the same values, kernel on and off, must leave every
// parameter, square_avg, acc_delta and step count the same bit for bit (NaN payloads included: NaN reaches a
// storage only through a lane the kernel hands back to the JavaScript loop). The counters show that the kernel
// did run (or, where it must not, did not), so that a test cannot pass by every step falling back.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import type { AdadeltaOptions } from '../../src/optim/index.js';
import { adadeltaSimd, adadeltaSimdCounts } from '../../src/optim/adadelta-simd.js';
import { adadeltaUnrolled } from '../../src/optim/adadelta-unrolled.js';
import { fmaF32 } from '../../src/optim/fma.js';
import type { Storage } from '../../src/tensor/dtype.js';
import { stream } from '../helpers/stream.js';

const { Adadelta } = torch.optim;
const f = Math.fround;
const MAX_F32 = 3.4028234663852886e38;

afterEach(() => {
  adadeltaSimd.enabled = true;
  adadeltaSimd.maxBytes = 64 << 20;
  adadeltaUnrolled.enabled = true;
  adadeltaUnrolled.evalRefused = false;
});

/** Every word of a storage: float32 as its 32 bits, float64 as its two 32-bit halves. */
function words(data: Storage): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4));
}

/**
 * `words`, with every word of a NaN element replaced by -1: NaN is compared as NaN, not by its sign and payload.
 * For runs where NaN meets NaN, or comes out of an invalid operation, in the JavaScript loop: V8 does not give those
 * the same bits from one compilation of the loop to the next. (The random-groups test below met it on a float64
 * parameter, which never goes near the kernel: the kernel-on and kernel-off runs stepped it with the same
 * JavaScript and left NaNs of opposite signs.) Where a single NaN travels through, the exact bits are compared
 * (see 'NaN payloads come out as the JavaScript loop leaves them').
 */
function wordsNaNAsNaN(data: Storage): number[] {
  const all = words(data);
  const per = all.length / data.length;
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) all.fill(-1, i * per, (i + 1) * per);
  return all;
}

/** What a run leaves behind: every parameter's and state buffer's bits, and the step counts. */
interface Outcome {
  params: number[][];
  squareAvg: number[][];
  accDelta: number[][];
  steps: number[];
}

function outcome(opt: InstanceType<typeof Adadelta>, params: Tensor[], read: (data: Storage) => number[] = words): Outcome {
  const states = params.map((p) => opt.paramState(p));
  return {
    params: params.map((p) => read(p.data)),
    squareAvg: states.map((s) => (s ? read(s.squareAvg.data) : [])),
    accDelta: states.map((s) => (s ? read(s.accDelta.data) : [])),
    steps: states.map((s) => s?.step ?? -1),
  };
}

/** Runs `body` with the kernel on and then off; returns both outcomes and the kernel's counts for each run. */
function both(body: () => Outcome): { on: Outcome; off: Outcome; stepped: number; redone: number; offCounts: number } {
  adadeltaSimd.enabled = true;
  const before = { ...adadeltaSimdCounts };
  const on = body();
  const stepped = adadeltaSimdCounts.stepped - before.stepped;
  const redone = adadeltaSimdCounts.redone - before.redone;
  adadeltaSimd.enabled = false;
  const mid = adadeltaSimdCounts.stepped + adadeltaSimdCounts.redone;
  const off = body();
  adadeltaSimd.enabled = true;
  return { on, off, stepped, redone, offCounts: adadeltaSimdCounts.stepped + adadeltaSimdCounts.redone - mid };
}

const SPECIALS = [
  0, -0, 1, -1, 2 ** -149, -(2 ** -149), 1e-40, -3e-39, 2 ** -126, 1e-30, -1e-20, 1e20, 3e38, -3e38, MAX_F32, -MAX_F32,
  Infinity, -Infinity, NaN, 1 + 2 ** -23, 1 - 2 ** -24, 0.5, 1e-3,
];

/** A value: mostly ordinary ones of a few sizes; with probability `special`, one of SPECIALS. */
function valueOf(next: () => number, special: number): number {
  if (next() < special) return SPECIALS[Math.floor(next() * SPECIALS.length)];
  const scale = [1, 1e-3, 10, 1e-6][Math.floor(next() * 4)];
  return (next() * 2 - 1) * scale;
}

/** The state buffers of every stepped parameter, to overwrite with arbitrary values between steps. */
function stateBuffers(opt: InstanceType<typeof Adadelta>, params: Tensor[]): Tensor[] {
  return params.flatMap((p) => {
    const s = opt.paramState(p);
    return s ? [s.squareAvg, s.accDelta] : [];
  });
}

interface ParamSpec { n: number; f64: boolean }
interface GroupSpec { params: ParamSpec[]; options: Partial<AdadeltaOptions> }

/**
 * Builds the groups' parameters from `seed`, then for `steps` steps: new gradient values (written into the
 * existing .grad, or now and then a fresh gradient tensor), now and then new state values, a step.
 */
function train(groups: GroupSpec[], seed: number, steps: number, special: number, read: (data: Storage) => number[] = words): Outcome {
  const next = stream(seed);
  const params: Tensor[] = [];
  const paramGroups = groups.map((g) => {
    const ps = g.params.map(({ n, f64 }) => {
      const values = Array.from({ length: n }, () => valueOf(next, special));
      const p = torch.tensor(values, { dtype: f64 ? 'float64' : 'float32' }).requiresGrad_();
      params.push(p);
      return p;
    });
    return { params: ps, ...g.options };
  });
  const opt = new Adadelta(paramGroups);
  for (let t = 0; t < steps; t++) {
    for (const p of params) {
      if (p.grad === null || next() < 0.1) p.grad = torch.zeros([p.numel()], { dtype: p.dtype });
      const g = (p.grad as Tensor).data;
      for (let i = 0; i < g.length; i++) g[i] = valueOf(next, special);
    }
    if (t > 0 && next() < 0.3) {
      for (const buffer of stateBuffers(opt, params)) {
        for (let i = 0; i < buffer.data.length; i++) if (next() < 0.3) buffer.data[i] = Math.abs(valueOf(next, special));
      }
    }
    opt.step();
  }
  return outcome(opt, params, read);
}

describe('Adadelta float32 on the SIMD kernel = the JavaScript loop, bit for bit', () => {
  it('one parameter of every size 1 … 40 (every lane tail), ordinary values, 30 steps', () => {
    for (let n = 1; n <= 40; n++) {
      const r = both(() => train([{ params: [{ n, f64: false }], options: { lr: 0.5 } }], 1000 + n, 30, 0));
      expect(r.on, `n = ${n}`).toEqual(r.off);
      expect(r.stepped, `n = ${n}`).toBe(30); // the kernel did every step itself
      expect(r.offCounts).toBe(0); // and it never ran with the switch off
    }
  });

  it('the tutorial\'s parameters (4, 1, 4, 1 elements) over 2,000 steps', () => {
    const tutorial = [4, 1, 4, 1].map((n) => ({ n, f64: false }));
    const r = both(() => train([{ params: tutorial, options: { lr: 0.5 } }], 7, 2000, 0));
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(8000);
  });

  it('random groups: sizes, float32 and float64 mixed, every option, special values (±0, subnormal, huge, ±∞, NaN)', () => {
    let stepped = 0;
    let redone = 0;
    const option = <T>(...values: T[]) => fc.constantFrom(...values);
    const group = fc.record({
      params: fc.array(
        fc.record({
          // mostly small (copied element by element), now and then large enough to be copied in bulk
          n: fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) },
            { weight: 1, arbitrary: fc.integer({ min: 30, max: 150 }) },
          ),
          f64: fc.integer({ min: 0, max: 3 }).map((k) => k === 0),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      options: fc.record({
        lr: option(0.5, 1, 0.1, 1e-3, 0, 1e30, 3 * 2 ** -30),
        rho: option(0.9, 0, 1, 0.5, 0.99, 0.123),
        eps: option(1e-6, 0, 1e-40, 1, 1e-3),
        weightDecay: option(0, 0, 0.1, 1e-3, 1e-50, 2),
        maximize: fc.boolean(),
      }),
    });
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 2 ** 31 }), option(0, 0.01, 0.1),
        (groups, seed, special) => {
          const r = both(() => train(groups, seed, 12, special, wordsNaNAsNaN));
          expect(r.on).toEqual(r.off);
          stepped += r.stepped;
          redone += r.redone;
        },
      ),
      { numRuns: 300 },
    );
    expect(stepped).toBeGreaterThan(3000); // the kernel did most of the float32 updates …
    expect(redone).toBeGreaterThan(100); // … and handed back the lanes it may not round (NaN, ∞, midpoints)
  });

  it('lanes past the last element play no part (the memory there holds an earlier call\'s NaN)', () => {
    const nans = torch.tensor(Array.from({ length: 8 }, () => 1)).requiresGrad_();
    nans.grad = torch.full([8], NaN);
    new Adadelta([nans]).step(); // leaves NaN in every lane of the kernel's first two blocks
    const r = both(() => train([{ params: [{ n: 5, f64: false }], options: { lr: 0.5 } }], 3, 1, 0));
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(1);
  });

  it('NaN payloads come out as the JavaScript loop leaves them', () => {
    const run = () => {
      const p = torch.tensor([0.1, -0.2, 0.3, 0.4, 0.5, 0.6]).requiresGrad_();
      const q = torch.tensor([1, 2, 3]).requiresGrad_();
      const opt = new Adadelta([p, q], { lr: 0.5 });
      p.grad = torch.tensor([0.3, 0, 0, 0.25, -1, 2]);
      q.grad = torch.tensor([0.1, 0.2, 0.3]);
      const bits = new Uint32Array((p.grad as Tensor).data.buffer);
      bits[1] = 0x7fc01234; // quiet NaN, payload 0x1234
      bits[2] = 0xffa00042; // negative signalling NaN
      opt.step();
      opt.step();
      return outcome(opt, [p, q]);
    };
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(2); // q on the kernel, twice; p's NaN lanes sent it back to the JavaScript loop
    expect(r.redone).toBe(2);
  });
});

describe('fused multiply-adds at a float32 midpoint after double rounding', () => {
  /**
   * One step of a 3-element parameter whose element 1 is given (w, g, square_avg, acc_delta), between two
   * ordinary elements; options as given. The state is loaded through loadStateDict.
   */
  function midpointStep(w: number, g: number, sq: number, acc: number, options: Partial<AdadeltaOptions>) {
    return () => {
      const p = torch.tensor([0.25, w, -0.75]).requiresGrad_();
      const opt = new Adadelta([p], options);
      const saved = opt.stateDict();
      const state = { step: 3, square_avg: torch.tensor([0.01, sq, 0.02]), acc_delta: torch.tensor([1e-4, acc, 2e-4]) };
      saved.state = { 0: state };
      opt.loadStateDict(saved);
      p.grad = torch.tensor([0.1, g, -0.2]);
      opt.step();
      return outcome(opt, [p]);
    };
  }

  interface Options { lr: number; rho: number; eps: number; weightDecay?: number }

  /** fmaF32's operands in the JavaScript loop, for the one element (to show that the case is a real one). */
  function operands(w: number, g: number, sq: number, acc: number, o: Options) {
    const rhoF = f(o.rho);
    const keep = f(1 - o.rho);
    const eps = f(o.eps);
    const wd = f(o.weightDecay ?? 0);
    const decay: [number, number, number] = [wd, w, g];
    const gi = o.weightDecay ? fmaF32(wd, w, g) : g;
    const square: [number, number, number] = [f(keep * gi), gi, f(sq * rhoF)];
    const s = fmaF32(...square);
    const delta = f(f(f(Math.sqrt(f(acc + eps))) / f(Math.sqrt(f(s + eps)))) * gi);
    const accumulate: [number, number, number] = [f(keep * delta), delta, f(acc * rhoF)];
    const param: [number, number, number] = [f(-o.lr), delta, w];
    return { decay, square, accumulate, param };
  }

  const naive = ([a, b, c]: [number, number, number]) => f(a * b + c);

  // [label, w, g, square_avg, acc_delta, options, the fused multiply-add at a midpoint]. Each makes a·b = ½(1 − 2^-46)
  // next to c = 2^23 + 1 (odd), or the same scaled: the double sum is the midpoint 2^23 + 1.5, which a second
  // rounding takes to the even 2^23 + 2, though the exact sum lies below it (the answer is 2^23 + 1).
  // (square_avg: f(keep·g) = ½(1 + 2^-23), g = 1 − 2^-23, f(square_avg·rho) = 2^23 + 1; acc_delta likewise with
  // delta = 1 − 2^-23; param.add_: −lr = −2^-24(1 + 2^-23), delta = 1 − 2^-23, w = 1 + 2^-23.)
  const cases: Array<[string, number, number, number, number, Options, keyof ReturnType<typeof operands>]> = [
    ['square_avg.addcmul_', 0.25, 1 - 2 ** -23, 2 ** 24 + 6, 0.5, { lr: 0.1, rho: 0.5 - 2 ** -23, eps: 1e-6 }, 'square'],
    ['acc_delta.addcmul_', 0.25, 1, 2 ** 25 + 24, 2 ** 24 + 6, { lr: 0.1, rho: 0.5 - 2 ** -23, eps: 0 }, 'accumulate'],
    ['param.add_(delta, alpha=-lr)', 1 + 2 ** -23, 1, 3, f((1 - 2 ** -23) ** 2), { lr: 2 ** -24 * (1 + 2 ** -23), rho: 0, eps: 0 }, 'param'],
    ['grad.add(param, alpha=weight_decay)', 1 - 2 ** -23, 2 ** 23 + 1, 0.5, 0.5, { lr: 0.1, rho: 0.9, eps: 1e-6, weightDecay: 0.5 * (1 + 2 ** -23) }, 'decay'],
  ];
  for (const [label, w, g, sq, acc, options, which] of cases) {
    it(`${label}: the element goes back to the JavaScript loop, which rounds it once`, () => {
      const ops = operands(w, g, sq, acc, options);
      expect(naive(ops[which])).not.toBe(fmaF32(...ops[which])); // double rounding would be wrong here
      const r = both(midpointStep(w, g, sq, acc, options));
      expect(r.on).toEqual(r.off);
      expect(r.redone).toBe(1);
      expect(r.stepped).toBe(0);
    });
  }

  it('an exact tie (param.add_ landing halfway between two float32 values) rounds to even on the kernel', () => {
    // w = 1 + 2^-23, delta = 1, lr = 2^-24: w − 2^-24 is exactly the midpoint between 1 and 1 + 2^-23
    const r = both(midpointStep(1 + 2 ** -23, 1, 3, 1, { lr: 2 ** -24, rho: 0, eps: 0 }));
    expect(r.on).toEqual(r.off);
    expect(r.on.params[0][1]).toBe(0x3f800000); // 1.0, the even neighbour
    expect(r.stepped).toBe(1); // no need for the slow path: TwoSum shows the double sum exact
  });
});

describe('where the kernel steps aside', () => {
  const ordinary = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7) * 0.5);

  it('float64 parameters, in the same group as float32 ones, stay with the JavaScript loop', () => {
    const run = () => {
      const a = torch.tensor(ordinary(5, 1)).requiresGrad_();
      const b = torch.tensor(ordinary(6, 2), { dtype: 'float64' }).requiresGrad_();
      const c = torch.tensor(ordinary(3, 3)).requiresGrad_();
      const opt = new Adadelta([a, b, c], { lr: 0.5 });
      for (let t = 0; t < 20; t++) {
        for (const [k, p] of [a, b, c].entries()) p.grad = torch.tensor(ordinary(p.numel(), t * 3 + k), { dtype: p.dtype });
        opt.step();
      }
      return outcome(opt, [a, b, c]);
    };
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(40); // a and c, every step
  });

  it('overlapping storages (a parameter as another one\'s gradient, one parameter twice, shared storage)', () => {
    const layouts: Array<[string, () => Tensor[]]> = [
      ['gradient = another parameter', () => {
        const a = torch.tensor(ordinary(4, 1)).requiresGrad_();
        const b = torch.tensor(ordinary(4, 2)).requiresGrad_();
        b.grad = a;
        return [a, b];
      }],
      ['views of one storage', () => {
        const data = Float32Array.from(ordinary(9, 3));
        const a = new Tensor(data, [5], undefined, 0, true);
        const b = new Tensor(data, [4], undefined, 5, true);
        const c = new Tensor(data, [5], undefined, 4, true); // overlaps both
        return [a, c, b];
      }],
    ];
    for (const [label, make] of layouts) {
      const run = () => {
        const ps = make();
        const opt = new Adadelta(ps, { lr: 0.5 });
        ps.forEach((p, k) => {
          if (p.grad === null) p.grad = torch.tensor(ordinary(p.numel(), 10 + k));
        });
        for (let t = 0; t < 5; t++) opt.step();
        return outcome(opt, ps);
      };
      const r = both(run);
      expect(r.on, label).toEqual(r.off);
      expect(r.stepped, label).toBe(0);
    }
    const twice = () => {
      const a = torch.tensor(ordinary(4, 5)).requiresGrad_();
      a.grad = torch.tensor(ordinary(4, 6));
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const opt = new Adadelta([a, a], { lr: 0.5 });
      warn.mockRestore();
      opt.step();
      opt.step();
      return outcome(opt, [a]);
    };
    const r = both(twice);
    expect(r.on).toEqual(r.off);
    expect(r.on.steps).toEqual([4]);
    expect(r.stepped).toBe(0);
  });

  it('adjacent views of one storage (not overlapping) do go to the kernel', () => {
    const run = () => {
      const data = Float32Array.from(ordinary(9, 3));
      const a = new Tensor(data, [5], undefined, 0, true);
      const b = new Tensor(data, [4], undefined, 5, true);
      const opt = new Adadelta([a, b], { lr: 0.5 });
      a.grad = torch.tensor(ordinary(5, 8));
      b.grad = torch.tensor(ordinary(4, 9));
      for (let t = 0; t < 3; t++) opt.step();
      return outcome(opt, [a, b]);
    };
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(6);
  });

  it('large parameters, and views at an offset (copied in bulk), next to small ones', () => {
    const run = () => {
      const data = Float32Array.from(ordinary(400, 1));
      const grads = Float32Array.from(ordinary(400, 2));
      const a = new Tensor(data, [100], undefined, 7, true); // a view: copied through subarray
      const b = torch.tensor(ordinary(150, 3)).requiresGrad_(); // a whole storage: copied directly
      const c = torch.tensor(ordinary(3, 4)).requiresGrad_();
      const d = new Tensor(data, [33], undefined, 200, true);
      const ps = [a, b, c, d];
      const opt = new Adadelta(ps, { lr: 0.5 });
      a.grad = new Tensor(grads, [100], undefined, 50);
      b.grad = torch.tensor(ordinary(150, 5));
      c.grad = torch.tensor(ordinary(3, 6));
      d.grad = new Tensor(grads, [33], undefined, 300);
      for (let t = 0; t < 10; t++) {
        opt.step();
        for (let i = 0; i < grads.length; i++) grads[i] = Math.sin(grads[i] * 5 + t) * 0.3;
      }
      return { ...outcome(opt, ps), storage: [words(data), words(grads)] } as Outcome;
    };
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(40);
  });

  it('groups larger than adadeltaSimd.maxBytes', () => {
    const run = () => {
      const small = torch.tensor(ordinary(8, 1)).requiresGrad_();
      const large = torch.tensor(ordinary(300, 2)).requiresGrad_();
      const opt = new Adadelta([{ params: [small] }, { params: [large] }], { lr: 0.5 });
      small.grad = torch.tensor(ordinary(8, 3));
      large.grad = torch.tensor(ordinary(300, 4));
      opt.step();
      opt.step();
      return outcome(opt, [small, large]);
    };
    adadeltaSimd.maxBytes = 16 * 100;
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(2); // the small group only
  });

  it('state replaced between steps (loadStateDict, or a buffer swapped by hand) is the state used', () => {
    const run = () => {
      const a = torch.tensor(ordinary(6, 1)).requiresGrad_();
      const b = torch.tensor(ordinary(3, 2)).requiresGrad_();
      const opt = new Adadelta([a, b], { lr: 0.5 });
      a.grad = torch.tensor(ordinary(6, 3));
      b.grad = torch.tensor(ordinary(3, 4));
      opt.step();
      const saved = opt.stateDict();
      saved.state[0].square_avg = torch.tensor(ordinary(6, 5).map(Math.abs));
      opt.loadStateDict(saved);
      opt.step();
      (opt.paramState(b) as { accDelta: Tensor }).accDelta = torch.tensor(ordinary(3, 6).map(Math.abs));
      opt.step();
      return outcome(opt, [a, b]);
    };
    const r = both(run);
    expect(r.on).toEqual(r.off);
    expect(r.stepped).toBe(6);
  });

  it('a bad gradient fails the step before any parameter changes', () => {
    const a = torch.tensor(ordinary(4, 1)).requiresGrad_();
    const b = torch.tensor(ordinary(4, 2)).requiresGrad_();
    const opt = new Adadelta([a, b], { lr: 0.5 });
    a.grad = torch.tensor(ordinary(4, 3));
    b.grad = torch.tensor(ordinary(4, 4));
    opt.step();
    const before = [words(a.data), words(b.data)];
    b.grad = torch.zeros([3]);
    expect(() => opt.step()).toThrow("Adadelta: the gradient must be a dense tensor of the parameter's shape [4], got shape [3]");
    expect([words(a.data), words(b.data)]).toEqual(before);
    expect(opt.paramState(a)?.step).toBe(1);
  });

  it('switched off, the kernel does nothing', () => {
    adadeltaSimd.enabled = false;
    const before = adadeltaSimdCounts.stepped + adadeltaSimdCounts.redone;
    const a = torch.tensor(ordinary(4, 1)).requiresGrad_();
    a.grad = torch.tensor(ordinary(4, 2));
    new Adadelta([a]).step();
    expect(adadeltaSimdCounts.stepped + adadeltaSimdCounts.redone).toBe(before);
  });

  it('without WebAssembly SIMD the JavaScript loop runs', async () => {
    const run = (t: typeof torch) => {
      const a = t.tensor(ordinary(7, 1)).requiresGrad_();
      a.grad = t.tensor(ordinary(7, 2));
      const opt = new t.optim.Adadelta([a], { lr: 0.5 });
      opt.step();
      opt.step();
      return outcome(opt as unknown as InstanceType<typeof Adadelta>, [a as unknown as Tensor]);
    };
    vi.resetModules();
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false); // as an engine without SIMD answers
    try {
      // a fresh copy of the library, whose kernel is not built yet
      const fresh = await import('../../src/index.js');
      const simd = await import('../../src/optim/adadelta-simd.js');
      const without = run(fresh);
      expect(validate).toHaveBeenCalled();
      expect(simd.adadeltaSimd.enabled).toBe(true);
      expect(simd.adadeltaSimdCounts).toEqual({ stepped: 0, redone: 0 });
      adadeltaSimd.enabled = false;
      expect(without).toEqual(run(torch));
    } finally {
      validate.mockRestore();
      vi.resetModules();
    }
  });
});

/**
 * Runs `body` with small groups' kernel runs written out as straight-line code (src/optim/adadelta-unrolled.ts) and
 * then with the loops; returns both outcomes and how often straight-line code ran in each.
 */
function unrolledAndLoops(body: () => Outcome): { unrolled: Outcome; loops: Outcome; runs: number; loopRuns: number } {
  const at0 = adadeltaUnrolled.runs;
  const unrolled = body();
  const runs = adadeltaUnrolled.runs - at0;
  adadeltaUnrolled.enabled = false;
  const at1 = adadeltaUnrolled.runs;
  const loops = body();
  adadeltaUnrolled.enabled = true;
  return { unrolled, loops, runs, loopRuns: adadeltaUnrolled.runs - at1 };
}

describe('a small group\'s run written out as straight-line code = the loops, bit for bit', () => {
  const ordinary = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7) * 0.5);
  it('the tutorial\'s parameters over 2,000 steps', () => {
    const tutorial = [4, 1, 4, 1].map((n) => ({ n, f64: false }));
    const r = unrolledAndLoops(() => train([{ params: tutorial, options: { lr: 0.5 } }], 7, 2000, 0));
    expect(r.unrolled).toEqual(r.loops);
    expect(r.runs).toBe(2000);
    expect(r.loopRuns).toBe(0);
  });

  it('random groups with special values, fresh gradient tensors and state written between steps', () => {
    let runs = 0;
    const group = fc.record({
      params: fc.array(fc.record({ n: fc.integer({ min: 1, max: 20 }), f64: fc.integer({ min: 0, max: 5 }).map((k) => k === 0) }), {
        minLength: 1, maxLength: 6,
      }),
      options: fc.record({
        lr: fc.constantFrom(0.5, 1, 1e-3, 1e30),
        rho: fc.constantFrom(0.9, 0, 1, 0.123),
        eps: fc.constantFrom(1e-6, 0, 1e-40),
        weightDecay: fc.constantFrom(0, 0.1, 1e-50),
        maximize: fc.boolean(),
      }),
    });
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 2 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.constantFrom(0, 0.05),
        (groups, seed, special) => {
          const r = unrolledAndLoops(() => train(groups, seed, 12, special, wordsNaNAsNaN));
          expect(r.unrolled).toEqual(r.loops);
          runs += r.runs;
        }),
      { numRuns: 150 },
    );
    expect(runs).toBeGreaterThan(500);
  });

  it('parameters and gradients that are views at an offset; a storage, a state tensor and a state storage replaced between steps', () => {
    const run = () => {
      const data = Float32Array.from(ordinary(12, 1));
      const grads = Float32Array.from(ordinary(12, 2));
      const a = new Tensor(data, [3], undefined, 2, true);
      const b = new Tensor(data, [4], undefined, 7, true);
      const c = torch.tensor(ordinary(2, 3)).requiresGrad_();
      const opt = new Adadelta([a, b, c], { lr: 0.5 });
      a.grad = new Tensor(grads, [3], undefined, 9);
      b.grad = new Tensor(grads, [4], undefined, 1);
      c.grad = torch.tensor(ordinary(2, 4));
      for (let t = 0; t < 6; t++) {
        if (t === 3) c.data = Float32Array.from(c.data, (v) => v * 2);
        if (t === 4) (opt.paramState(a) as { squareAvg: Tensor }).squareAvg = torch.tensor(ordinary(3, 5).map(Math.abs));
        if (t === 5) (opt.paramState(b)?.accDelta as Tensor).data = Float32Array.from(ordinary(4, 6), Math.abs);
        opt.step();
        for (let i = 0; i < grads.length; i++) grads[i] = Math.cos(grads[i] * 3 + t) * 0.2;
      }
      return { ...outcome(opt, [a, b, c]), storage: [words(data), words(grads), words(c.data)] } as Outcome;
    };
    const r = unrolledAndLoops(run);
    expect(r.unrolled).toEqual(r.loops);
    expect(r.runs).toBe(6);
  });

  it('groups too large to write out use the loops', () => {
    const r = unrolledAndLoops(() => train([{ params: [{ n: 17, f64: false }], options: {} }], 5, 3, 0));
    expect(r.unrolled).toEqual(r.loops);
    expect(r.runs).toBe(0);
    const many = Array.from({ length: 5 }, () => ({ n: 16, f64: false }));
    expect(unrolledAndLoops(() => train([{ params: many, options: {} }], 6, 3, 0)).runs).toBe(0);
  });

  it('a page that forbids eval (new Function throws EvalError): the loops, once and for all', () => {
    // views at offsets no other test uses, so that this group's code is not already made (it is kept by source)
    const run = () => {
      const data = Float32Array.from(ordinary(1300, 1));
      const grads = Float32Array.from(ordinary(900, 2));
      const a = new Tensor(data, [2], undefined, 1234, true);
      const b = new Tensor(data, [3], undefined, 1111, true);
      const opt = new Adadelta([a, b], { lr: 0.5 });
      a.grad = new Tensor(grads, [2], undefined, 777);
      b.grad = new Tensor(grads, [3], undefined, 888);
      for (let t = 0; t < 5; t++) opt.step();
      return outcome(opt, [a, b]);
    };
    const realFunction = globalThis.Function;
    let attempts = 0;
    globalThis.Function = function refusing(): never {
      attempts++;
      throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source");
    } as unknown as FunctionConstructor;
    const at0 = adadeltaUnrolled.runs;
    let refused: Outcome;
    try {
      refused = run();
      train([{ params: [{ n: 11, f64: false }], options: {} }], 9, 2, 0); // another group: not tried again
    } finally {
      globalThis.Function = realFunction;
    }
    expect(attempts).toBe(1);
    expect(adadeltaUnrolled.evalRefused).toBe(true);
    expect(adadeltaUnrolled.runs).toBe(at0);
    adadeltaUnrolled.evalRefused = false;
    const r = unrolledAndLoops(run);
    expect(r.runs).toBe(5);
    expect(r.unrolled).toEqual(refused);
  });
});
