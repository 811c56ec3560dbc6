// conv2d's register-blocked products (src/ops/conv-gemm.ts: on the WebAssembly SIMD kernel of
// src/ops/conv-simd.ts and on the JavaScript tiles) and its tiny-problem plans (src/ops/conv-tiny.ts)
// against its direct loops (src/ops/conv.ts): the same
// bits for the output and every gradient, on random shapes with strides, padding, dilation, channel counts on
// both sides of oneDNN's 16-channel blocks, float32 (oneDNN and native backends) and float64 — the products are
// only a faster way to add the same terms in the same order. Also against the textbook loop of
// bench/baseline/naive-conv.ts, to rounding.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import { convProducts } from '../../src/ops/conv-gemm.js';
import { convSimd } from '../../src/ops/conv-simd.js';
import { convPlans } from '../../src/ops/conv-tiny.js';
import { naiveConvBackward, naiveConvForward } from '../../bench/baseline/naive-conv.js';

interface Case {
  dtype: DType; N: number; C: number; H: number; W: number; CO: number; KH: number; KW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; bias: boolean; seed: number;
}

const DEFAULT_MIN = convProducts.minMacs;
const DEFAULT_PLANS = convPlans.maxMacs;
const DEFAULT_SIMD_BYTES = convSimd.maxBytes;
afterEach(() => {
  convProducts.minMacs = DEFAULT_MIN;
  convSimd.enabled = true;
  convSimd.maxBytes = DEFAULT_SIMD_BYTES;
  convPlans.maxMacs = DEFAULT_PLANS;
});

interface Run { y: number[]; gx: number[]; gw: number[]; gb: number[]; x: Tensor; w: Tensor; b: Tensor | null; go: Tensor }

/** conv2d forward and backward: on the direct loops, or on the products (`simd`: WebAssembly kernel or JavaScript tiles). */
function run(c: Case, products: boolean, plans = false, simd = true): Run {
  convProducts.minMacs = products ? 0 : Infinity;
  convSimd.enabled = simd;
  convPlans.maxMacs = plans ? Infinity : 0;
  const gen = new torch.Generator(c.seed);
  const x = torch.rand([c.N, c.C, c.H, c.W], { dtype: c.dtype, generator: gen }).sub(0.5).requiresGrad_();
  const w = torch.rand([c.CO, c.C, c.KH, c.KW], { dtype: c.dtype, generator: gen }).sub(0.5).requiresGrad_();
  const b = c.bias ? torch.rand([c.CO], { dtype: c.dtype, generator: gen }).requiresGrad_() : null;
  const y = torch.nn.functional.conv2d(x, w, b, { stride: [c.sh, c.sw], padding: [c.ph, c.pw], dilation: [c.dh, c.dw] });
  const go = torch.rand(y.shape as number[], { dtype: c.dtype, generator: gen }).sub(0.5);
  y.backward(go);
  return { y: y.toArray(), gx: x.grad!.toArray(), gw: w.grad!.toArray(), gb: b ? b.grad!.toArray() : [], x, w, b, go };
}

const caseArb = fc.record({
  dtype: fc.constantFrom<DType>('float32', 'float64'),
  N: fc.integer({ min: 1, max: 4 }),
  C: fc.integer({ min: 1, max: 20 }),
  H: fc.integer({ min: 1, max: 11 }),
  W: fc.integer({ min: 1, max: 11 }),
  CO: fc.integer({ min: 1, max: 19 }),
  KH: fc.integer({ min: 1, max: 4 }),
  KW: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  ph: fc.integer({ min: 0, max: 2 }),
  pw: fc.integer({ min: 0, max: 2 }),
  dh: fc.integer({ min: 1, max: 2 }),
  dw: fc.integer({ min: 1, max: 2 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
}).filter((c) => c.H + 2 * c.ph >= c.dh * (c.KH - 1) + 1 && c.W + 2 * c.pw >= c.dw * (c.KW - 1) + 1);

describe('conv2d: products = direct loops, bit for bit', () => {
  for (const simd of [true, false]) {
    it(`on random shapes (stride, padding, dilation, channel blocks, float32/float64, with and without bias), ${simd ? 'SIMD kernel' : 'JavaScript tiles'}`, () => {
      fc.assert(fc.property(caseArb, (c) => {
        const direct = run(c, false);
        const products = run(c, true, false, simd);
        expect(products.y).toEqual(direct.y);
        expect(products.gx).toEqual(direct.gx);
        expect(products.gw).toEqual(direct.gw);
        expect(products.gb).toEqual(direct.gb);
      }), { numRuns: 150 });
    });
  }

  const fixed: Array<[string, Partial<Case>]> = [
    ['the benchmark shape, oneDNN float32', { dtype: 'float32', N: 8, C: 8, H: 28, W: 28, CO: 16, KH: 3, KW: 3, ph: 1, pw: 1 }],
    ['the benchmark shape, float64', { dtype: 'float64', N: 8, C: 8, H: 28, W: 28, CO: 16, KH: 3, KW: 3, ph: 1, pw: 1 }],
    ['native float32 (one sample), 5×5, two input-channel blocks', { dtype: 'float32', N: 1, C: 20, H: 9, W: 13, CO: 6, KH: 5, KW: 5, ph: 2, pw: 1 }],
    ['oneDNN float32, stride 2 (unfolded output gradient)', { dtype: 'float32', N: 3, C: 17, H: 12, W: 10, CO: 18, KH: 3, KW: 3, sh: 2, sw: 2, ph: 1, pw: 1 }],
    ['output widths that are not multiples of 4, 33 out-channels', { dtype: 'float32', N: 2, C: 3, H: 7, W: 7, CO: 33, KH: 2, KW: 2 }],
    ['float64, odd sizes (columns, taps and channels not multiples of 4), one sample', { dtype: 'float64', N: 1, C: 5, H: 13, W: 11, CO: 7, KH: 3, KW: 2, ph: 2, pw: 1 }],
    ['float64, odd sizes, a batch, dilation', { dtype: 'float64', N: 5, C: 3, H: 10, W: 9, CO: 6, KH: 3, KW: 3, ph: 1, pw: 2, dh: 2, dw: 1 }],
    ['oneDNN float32, 17 → 35 channels (block edges), 1×1 kernel', { dtype: 'float32', N: 3, C: 17, H: 6, W: 9, CO: 35, KH: 1, KW: 1 }],
    ['oneDNN float32, stride 2 in one direction only', { dtype: 'float32', N: 2, C: 6, H: 11, W: 13, CO: 5, KH: 3, KW: 3, sh: 2, sw: 1, ph: 1, pw: 1 }],
    ['native float32 (one sample), 1×1 kernel, wide rows', { dtype: 'float32', N: 1, C: 9, H: 3, W: 41, CO: 6, KH: 1, KW: 1 }],
  ];
  for (const [name, p] of fixed) {
    it(name, () => {
      const c: Case = { dtype: 'float32', N: 1, C: 1, H: 4, W: 4, CO: 1, KH: 1, KW: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, bias: true, seed: 5, ...p };
      const direct = run(c, false);
      for (const simd of [true, false]) {
        const products = run(c, true, false, simd);
        expect(products.y).toEqual(direct.y);
        expect(products.gx).toEqual(direct.gx);
        expect(products.gw).toEqual(direct.gw);
        expect(products.gb).toEqual(direct.gb);
      }
    });
  }

  it('products too large for the SIMD memory bound run in JavaScript, some on the kernel and some not in one call', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      const c: Case = { dtype, N: 3, C: 6, H: 14, W: 13, CO: 9, KH: 3, KW: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, bias: true, seed: 8 };
      const direct = run(c, false);
      convSimd.maxBytes = 40_000; // the forward and input gradient fit, the weight gradient's unfolded input does not
      const products = run(c, true);
      expect(products.y).toEqual(direct.y);
      expect(products.gx).toEqual(direct.gx);
      expect(products.gw).toEqual(direct.gw);
      expect(products.gb).toEqual(direct.gb);
    }
  });

  it('weight gradients added into an existing .grad (native backend: float64, and float32 one sample) as the loops add them', () => {
    const steps = (products: boolean, dtype: DType, N: number): number[] => {
      convProducts.minMacs = products ? 0 : Infinity;
      convPlans.maxMacs = 0;
      const gen = new torch.Generator(11);
      // 30 out-channels for float32: products OpenBLAS would sum over 16 lanes keep their own loop (see weightGrad)
      const CO = dtype === 'float32' ? 30 : 6;
      const w = torch.rand([CO, 5, 3, 3], { dtype, generator: gen }).sub(0.5).requiresGrad_();
      const b = torch.rand([CO], { dtype, generator: gen }).requiresGrad_();
      const out: number[] = [];
      for (let k = 0; k < 3; k++) {
        const x = torch.rand([N, 5, 9, 10], { dtype, generator: gen }).sub(0.5).requiresGrad_();
        const y = torch.nn.functional.conv2d(x, w, b, { padding: 1 });
        y.backward(torch.rand(y.shape as number[], { dtype, generator: gen }).sub(0.5));
        out.push(...y.toArray(), ...x.grad!.toArray(), ...w.grad!.toArray(), ...b.grad!.toArray());
      }
      return out;
    };
    for (const [dtype, N] of [['float64', 3], ['float32', 1]] as Array<[DType, number]>) expect(steps(true, dtype, N)).toEqual(steps(false, dtype, N));
  });

  it('gradients fall back to the direct loops when a weight or output gradient is not finite (∞·0 would be NaN)', () => {
    const grads = (products: boolean, wInf: boolean) => {
      convProducts.minMacs = products ? 0 : Infinity;
      const x = torch.ones([2, 1, 3, 3], { requiresGrad: true });
      const w = torch.tensor([[[[wInf ? Infinity : 2, 1], [1, 1]]]], { requiresGrad: true });
      const y = torch.nn.functional.conv2d(x, w, null, { padding: 1 });
      const go = torch.onesLike(y).detach();
      if (!wInf) go.data[0] = Infinity;
      y.backward(go);
      return [...x.grad!.toArray(), ...w.grad!.toArray()];
    };
    for (const wInf of [true, false]) expect(grads(true, wInf)).toEqual(grads(false, wInf));
  });
});

describe('conv2d: tiny-problem plans = direct loops, bit for bit', () => {
  const tinyArb = caseArb.filter((c) => c.N * c.C * c.CO * c.KH * c.KW * c.H * c.W <= 4000);

  it('on random small shapes (the plan is made, then reused with the weight)', () => {
    fc.assert(fc.property(tinyArb, (c) => {
      const direct = run(c, false, false);
      const planned = run(c, false, true);
      expect(planned.y).toEqual(direct.y);
      expect(planned.gx).toEqual(direct.gx);
      expect(planned.gw).toEqual(direct.gw);
      expect(planned.gb).toEqual(direct.gb);
    }), { numRuns: 200 });
  });

  it('one weight met with several input shapes in turn, gradients accumulating into .grad', () => {
    const steps = (plans: boolean): number[] => {
      convPlans.maxMacs = plans ? 1024 : 0;
      const gen = new torch.Generator(9);
      const w = torch.rand([2, 1, 2, 2], { generator: gen }).sub(0.5).requiresGrad_();
      const b = torch.rand([2], { generator: gen }).requiresGrad_();
      const out: number[] = [];
      for (let k = 0; k < 12; k++) {
        const size = 3 + (k % 5); // five shapes cycle through a cache of four plans
        const x = torch.rand([1 + (k % 2), 1, size, size], { generator: gen }).sub(0.5).requiresGrad_();
        const y = torch.nn.functional.conv2d(x, w, b, { padding: k % 3 });
        y.backward(torch.fullLike(y, 0.5 - k / 10));
        out.push(...y.toArray(), ...x.grad!.toArray(), ...w.grad!.toArray(), ...b.grad!.toArray());
      }
      return out;
    };
    expect(steps(true)).toEqual(steps(false));
  });

  it('float32 weight gradients OpenBLAS sums over 16 lanes keep that order (a plan is not used for them)', () => {
    const c: Case = { dtype: 'float32', N: 1, C: 1, H: 9, W: 9, CO: 2, KH: 1, KW: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, bias: true, seed: 4 };
    expect(run(c, false, true).gw).toEqual(run(c, false, false).gw);
  });
});

describe('conv2d against the textbook loop (bench/baseline/naive-conv.ts)', () => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: output and gradients agree to rounding`, () => {
      const c: Case = { dtype, N: 4, C: 8, H: 12, W: 12, CO: 16, KH: 3, KW: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, bias: true, seed: 3 };
      const r = run(c, true);
      const g = { N: c.N, C: c.C, H: c.H, W: c.W, CO: c.CO, KH: c.KH, KW: c.KW, sh: c.sh, sw: c.sw, ph: c.ph, pw: c.pw };
      const y = new Float64Array(r.y.length);
      naiveConvForward(r.x.data, r.w.data, r.b!.data, g, y, false);
      const gx = new Float64Array(r.gx.length);
      const gw = new Float64Array(r.gw.length);
      const gb = new Float64Array(r.gb.length);
      naiveConvBackward(r.x.data, r.w.data, r.go.data, g, gx, gw, gb);
      const tol = dtype === 'float32' ? 1e-5 : 1e-12;
      const close = (a: number[], e: Float64Array) => a.forEach((v, i) => expect(Math.abs(v - e[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(e[i]))));
      close(r.y, y);
      close(r.gx, gx);
      close(r.gw, gw);
      close(r.gb, gb);
    });
  }
});
