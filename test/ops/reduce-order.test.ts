// Summation order against PyTorch 1.13 beyond ops.json: sum/mean over every kind of dim set (ATen's cascade_sum:
// inner, outer, vectorised and scalar kernels), the losses' reductions (nll_loss's own cascade), a small batched
// matmul (ATen's unfused loop) and max_pool2d with padding. Inputs: v_i = f32(((i·7919 + seed) mod 1009) / 1009
// · 4 − 2), the same formula fed to PyTorch (one thread); expected values are PyTorch's, summed in float64 in
// row-major order where a tensor is compared, so one ulp anywhere changes them. Results that go through
// exp/log (cross_entropy, binary_cross_entropy) are compared at 1e-6: glibc's expf/logf and SLEEF's vectorised
// exp differ from Math.exp/Math.log by an ulp now and then; all others must be exact.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

function gen(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919 + seed) % 1009) / 1009) * 4 - 2;
  return out;
}

function total(t: Tensor): number {
  let s = 0;
  for (const v of t.toArray()) s += v;
  return s;
}

const t = (shape: number[], seed: number) => torch.fromStorage(gen(shape.reduce((p, q) => p * q, 1), seed), shape);

describe('sum and mean add in PyTorch\'s cascade order', () => {
  const cases: Array<[number[], number[], number, number]> = [
    [[37, 50], [0], -1.7879071533679962, -0.04832182638347149],
    [[37, 50], [1], -1.7879078388214111, -0.03575815726071596],
    [[3, 40, 9], [0, 2], -1.8473745584487915, -0.0684213018976152],
    [[3, 40, 9], [1], -1.8473759293556213, -0.04618440265767276],
    [[5000], [0], -8.662044525146484, -0.0017324088839814067],
    [[7, 3, 33], [0, 1, 2], 0.5173435211181641, 0.0007465274538844824],
    [[2, 600], [1], -1.9028748273849487, -0.0031714579090476036],
    [[64, 16, 26, 26], [0, 2, 3], -1374.02252197265625, -0.03175902634393424],
  ];
  for (const [shape, dims, sum, mean] of cases) {
    it(`${JSON.stringify(shape)} over ${JSON.stringify(dims)}`, () => {
      const x = t(shape, 5);
      expect(total(x.sum(dims))).toBe(sum);
      expect(total(x.mean(dims))).toBe(mean);
    });
  }
});

describe('loss reductions', () => {
  const logits = () => t([40, 7], 6);
  const classes = Array.from({ length: 40 }, (_, i) => (i * 5) % 7);
  const p = () => torch.fromStorage(gen(1000, 7).map((v) => (v + 2) / 4), [1000]);
  const q = () => torch.fromStorage(gen(1000, 8).map((v) => (v + 2) / 4), [1000]);

  it('nll_loss sums the batch in its cascade (element 0 last), mean and sum, and its gradient', () => {
    expect(torch.nllLoss(logits(), classes).item()).toBe(-0.011298319324851036);
    expect(torch.nllLoss(logits(), classes, { reduction: 'sum' }).item()).toBe(-0.45193278789520264);
    const x = logits().requiresGrad_(true);
    torch.nllLoss(x, classes).backward();
    expect(total(x.grad!)).toBe(-1.0000000149011612);
  });

  it('cross_entropy (through log_softmax: within 1e-6)', () => {
    expect(torch.crossEntropy(logits(), classes).item()).toBeCloseTo(2.5120863914489746, 6);
    expect(Math.abs(torch.crossEntropy(logits(), classes, { reduction: 'sum' }).item() / 100.48345184326172 - 1)).toBeLessThan(1e-6);
  });

  it('mse_loss mean and sum, and its gradient, exactly', () => {
    expect(torch.mseLoss(p(), q()).item()).toBe(0.0009989996906369925);
    expect(torch.mseLoss(p(), q(), { reduction: 'sum' }).item()).toBe(0.9989996552467346);
    const x = p().requiresGrad_(true);
    torch.mseLoss(x, q()).backward();
    expect(total(x.grad!)).toBe(1.7839478687164956e-5);
  });

  it('binary_cross_entropy mean and sum, and its gradient (log: within 1e-6)', () => {
    const close = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(1e-6);
    close(torch.binaryCrossEntropy(p(), q()).item(), 0.506828248500824);
    close(torch.binaryCrossEntropy(p(), q(), { reduction: 'sum' }).item(), 506.8282775878906);
    const x = p().requiresGrad_(true);
    torch.binaryCrossEntropy(x, q()).backward();
    // the gradient has no log in it: exact
    expect(total(x.grad!)).toBe(-991075.2549477309);
  });
});

describe('small batched matmul and padded max_pool2d', () => {
  it('bmm below 400 multiply-adds: product rounded, then added (ATen\'s own loop)', () => {
    const a = t([3, 2, 5], 9).requiresGrad_(true);
    const b = t([3, 5, 3], 10).requiresGrad_(true);
    const y = torch.matmul(a, b);
    y.backward(t([3, 2, 3], 11));
    expect(total(y)).toBe(6.598665863275528);
    expect(total(a.grad!)).toBe(0.9610089957714081);
    expect(total(b.grad!)).toBe(-9.021585419774055);
  });

  it('max_pool2d(3, 2, 1): values and routed gradients', () => {
    const x = t([2, 3, 5, 4], 12).requiresGrad_(true);
    const y = torch.maxPool2d(x, 3, 2, 1);
    expect(y.shape).toEqual([2, 3, 3, 2]);
    y.backward(t([...y.shape], 13));
    expect(total(y)).toBe(57.173439383506775);
    expect(total(x.grad!)).toBe(-0.265609678812325);
  });
});
