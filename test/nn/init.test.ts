// Default initialisation of Conv2d/Linear bit for bit against PyTorch 1.13 (test/fixtures/rng.json, every seed),
// and the torch.nn.init functions.
import { describe, expect, it } from 'vitest';
import '../../src/autograd/engine.js';
import '../../src/ops/index.js';
import { Conv2d, Linear, init } from '../../src/nn/index.js';
import { biasBound, kaimingUniformBound } from '../../src/nn/init-bounds.js';
import { Generator, manualSeed } from '../../src/random/index.js';
import { rand, tensor, zeros } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { f32Bits, rngCases, type LayerInit } from './fixtures.js';

const bits = (t: Tensor): number[] => f32Bits(t.toArray());

function expectInit(layer: { weight: Tensor; bias: Tensor | null }, want: LayerInit): void {
  expect(layer.weight.shape).toEqual(want.weight.shape);
  expect(layer.weight.dtype).toBe('float32');
  expect(bits(layer.weight)).toEqual(f32Bits(want.weight.data));
  expect(layer.bias).not.toBeNull();
  expect(bits(layer.bias as Tensor)).toEqual(f32Bits(want.bias.data));
}

describe('default init matches PyTorch bit for bit (rng.json)', () => {
  const cases = rngCases();
  it('covers every seed of the fixture', () => {
    expect(cases.map((c) => c.exactSeed)).toEqual([0n, 1n, 7n, 2023n, 4294967301n, 9223372036854775807n]);
  });
  for (const c of cases) {
    describe(`seed ${c.exactSeed}`, () => {
      it('Conv2d(1, 1, 2)', () => {
        manualSeed(c.exactSeed);
        expectInit(new Conv2d(1, 1, 2), c.conv2d_1_1_2);
      });
      it('Conv2d(3, 4, 3)', () => {
        manualSeed(c.exactSeed);
        expectInit(new Conv2d(3, 4, 3), c.conv2d_3_4_3);
      });
      it('Linear(5, 3)', () => {
        manualSeed(c.exactSeed);
        expectInit(new Linear(5, 3), c.linear_5_3);
      });
      it('with a generator option, leaving the default generator alone', () => {
        manualSeed(12345);
        const before = rand([4]).toArray();
        manualSeed(12345);
        const gen = new Generator().manualSeed(c.exactSeed);
        expectInit(new Conv2d(3, 4, 3, { generator: gen }), c.conv2d_3_4_3);
        expect(rand([4]).toArray()).toEqual(before);
      });
      it('resetParameters() draws again from where the generator is', () => {
        manualSeed(c.exactSeed);
        const layer = new Linear(5, 3);
        layer.weight.data.fill(0);
        manualSeed(c.exactSeed);
        layer.resetParameters();
        expectInit(layer, c.linear_5_3);
      });
    });
  }
});

describe('layer init details', () => {
  it('draws the weight then the bias, each within its bound', () => {
    manualSeed(3);
    const conv = new Conv2d(2, 3, [2, 3]);
    const fanIn = 2 * 2 * 3;
    const wb = kaimingUniformBound(fanIn);
    const bb = biasBound(fanIn);
    expect(conv.weight.shape).toEqual([3, 2, 2, 3]);
    for (const v of conv.weight.toArray()) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(wb));
    for (const v of conv.bias!.toArray()) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(bb));
    // the same draws by hand: weight first, then bias, in memory order
    manualSeed(3);
    const w = zeros([3, 2, 2, 3]);
    const b = zeros([3]);
    init.uniform_(w, -wb, wb);
    init.uniform_(b, -bb, bb);
    expect(bits(conv.weight)).toEqual(bits(w));
    expect(bits(conv.bias!)).toEqual(bits(b));
  });

  it('bias: false draws only the weight', () => {
    manualSeed(0);
    const withBias = new Linear(5, 3);
    manualSeed(0);
    const without = new Linear(5, 3, { bias: false });
    expect(without.bias).toBeNull();
    expect(bits(without.weight)).toEqual(bits(withBias.weight));
    expect(without.parameters()).toHaveLength(1);
  });

  it('float64 layers draw float64 values', () => {
    manualSeed(0);
    const l = new Linear(5, 3, { dtype: 'float64' });
    expect(l.weight.dtype).toBe('float64');
    manualSeed(0);
    const w = zeros([3, 5], { dtype: 'float64' });
    const bound = kaimingUniformBound(5);
    init.uniform_(w, -bound, bound);
    expect(l.weight.toArray()).toEqual(w.toArray());
  });

  it('kaimingUniform_ with a = √5 is the layers\' weight init', () => {
    manualSeed(1);
    const conv = new Conv2d(3, 4, 3, { bias: false });
    manualSeed(1);
    const w = init.kaimingUniform_(zeros([4, 3, 3, 3]), { a: Math.sqrt(5) });
    expect(bits(w)).toEqual(bits(conv.weight));
  });
});

describe('torch.nn.init functions', () => {
  it('calculateFanInAndFanOut', () => {
    expect(init.calculateFanInAndFanOut(zeros([4, 3, 3, 3]))).toEqual({ fanIn: 27, fanOut: 36 });
    expect(init.calculateFanInAndFanOut(zeros([3, 5]))).toEqual({ fanIn: 5, fanOut: 3 });
    expect(() => init.calculateFanInAndFanOut(zeros([3]))).toThrow(
      'Fan in and fan out can not be computed for tensor with fewer than 2 dimensions',
    );
  });

  it('calculateGain follows PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBe(5 / 3);
    expect(init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(init.calculateGain('leaky_relu')).toBe(Math.sqrt(2 / (1 + 0.01 * 0.01)));
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBe(Math.sqrt(2 / 6));
    expect(init.calculateGain('selu')).toBe(0.75);
  });

  it('uniform_ and normal_ give the same bits as rand/randn-style draws from the same state', () => {
    manualSeed(5);
    const u = init.uniform_(zeros([20]), -2, 3);
    const g = new Generator().manualSeed(5);
    const expected = new Float32Array(20);
    g.fillUniform(expected, -2, 3);
    expect(bits(u)).toEqual(f32Bits(expected));
    manualSeed(5);
    const n = init.normal_(zeros([20]), 1, 0.5);
    g.manualSeed(5);
    g.fillNormal(expected, 1, 0.5);
    expect(bits(n)).toEqual(f32Bits(expected));
  });

  it('constant_, zeros_, ones_ work on parameters that require grad (no graph is recorded)', () => {
    const t = tensor([1, 2, 3], { requiresGrad: true });
    expect(init.constant_(t, 0.5).toArray()).toEqual([0.5, 0.5, 0.5]);
    expect(init.zeros_(t).toArray()).toEqual([0, 0, 0]);
    expect(init.ones_(t).toArray()).toEqual([1, 1, 1]);
    expect(t.gradFn).toBeNull();
    expect(t.requiresGrad).toBe(true);
  });

  it('fills a non-contiguous view in row-major order, leaving the rest of the storage alone', () => {
    const base = zeros([3, 2]);
    const view = base.t(); // [2, 3], strides [1, 2]
    manualSeed(9);
    init.uniform_(view, 1, 2);
    manualSeed(9);
    const dense = init.uniform_(zeros([2, 3]), 1, 2);
    expect(view.toArray()).toEqual(dense.toArray());
    expect(base.toArray().every((v) => v >= 1 && v < 2)).toBe(true);
    const row = zeros([2, 3]).select(0, 1);
    manualSeed(9);
    init.ones_(row);
    expect(row.toArray()).toEqual([1, 1, 1]);
  });

  it('xavierUniform_ stays within ±gain·√(6/(fan_in+fan_out))', () => {
    manualSeed(2);
    const w = init.xavierUniform_(zeros([30, 20]), 2);
    const a = 2 * Math.sqrt(2 / 50) * Math.sqrt(3);
    const values = w.toArray();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(a);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * a);
  });

  it('kaimingNormal_ and xavierNormal_ have about the right spread', () => {
    manualSeed(4);
    const k = init.kaimingNormal_(zeros([200, 100]), { nonlinearity: 'relu' }).toArray();
    const std = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std(k)).toBeCloseTo(Math.sqrt(2 / 100), 2);
    const x = init.xavierNormal_(zeros([200, 100])).toArray();
    expect(std(x)).toBeCloseTo(Math.sqrt(2 / 300), 2);
  });

  it('kaimingUniform_ honours mode fan_out and leaves an empty tensor alone', () => {
    manualSeed(6);
    const w = init.kaimingUniform_(zeros([10, 40]), { mode: 'fan_out', nonlinearity: 'relu' });
    const bound = Math.sqrt(3) * (Math.SQRT2 / Math.sqrt(10));
    expect(Math.max(...w.toArray().map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.toArray().map(Math.abs))).toBeGreaterThan(Math.sqrt(3) * (Math.SQRT2 / Math.sqrt(40)));
    expect(init.kaimingUniform_(zeros([0, 3])).numel()).toBe(0);
  });
});
