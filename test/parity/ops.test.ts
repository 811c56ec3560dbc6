// Every case of ops.json (PyTorch 1.13): forward output and each input gradient of y.backward(grad_output).
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { OpCase } from '../helpers/fixtures.js';
import { expectClose, fromFixture, loadFixture } from './fixture-utils.js';

const F = torch.nn.functional;
const ops = loadFixture<{ cases: OpCase[] }>('ops.json');

/** The op under test and which inputs are targets (no gradient compared). */
const RUN: Record<string, (c: OpCase, xs: Tensor[]) => Tensor> = {
  conv2d: (c, [x, w, b]) => F.conv2d(x, w, b, { stride: Number(c.args.stride), padding: Number(c.args.padding) }),
  leaky_relu: (c, [x]) => F.leakyRelu(x, Number(c.args.negative_slope)),
  relu: (_, [x]) => F.relu(x),
  sigmoid: (_, [x]) => torch.sigmoid(x.mul(10)),
  tanh: (_, [x]) => torch.tanh(x),
  binary_cross_entropy: (c, [p, t]) => F.binaryCrossEntropy(p, t, { reduction: c.args.reduction as 'mean' | 'sum' }),
  mse_loss: (_, [p, t]) => F.mseLoss(p, t),
  max_pool2d: (c, [x]) => F.maxPool2d(x, Number(c.args.kernel_size)),
  linear: (_, [x, w, b]) => F.linear(x, w, b),
  pow_add: (_, [a, b]) => a.pow(3).add(b),
  broadcast_mul_sum: (_, [a, b]) => a.mul(b).sum(1),
  matmul: (_, [a, b]) => a.matmul(b),
  mean: (_, [a]) => a.mean(),
  log_softmax: (c, [a]) => F.logSoftmax(a, Number(c.args.dim)),
  cross_entropy: (_, [a, t]) => F.crossEntropy(a, t.toArray()),
};
/**
 * Sums of products (conv, linear, matmul) are compared relative to the size of what was summed: PyTorch's
 * oneDNN/BLAS kernels add in their own blocked order, so where terms cancel the float32 result can differ
 * from any other order by more than 1e-6 of the (small) result, but never by more than a few ulps of
 * Σ|terms|. The scale is the same op on |inputs|, backpropagated with |grad_output|.
 */
const SUMS_OF_PRODUCTS = new Set(['conv2d', 'linear', 'matmul', 'broadcast_mul_sum']);
const TARGETS = new Set(['binary_cross_entropy', 'cross_entropy', 'mse_loss']);
const GRAD_FN: Record<string, string> = {
  conv2d: 'ConvolutionBackward0', leaky_relu: 'LeakyReluBackward0', relu: 'ReluBackward0', sigmoid: 'SigmoidBackward0',
  tanh: 'TanhBackward0', binary_cross_entropy: 'BinaryCrossEntropyBackward0', mse_loss: 'MseLossBackward0',
  max_pool2d: 'MaxPool2DWithIndicesBackward0', linear: 'AddmmBackward0', pow_add: 'AddBackward0',
  broadcast_mul_sum: 'SumBackward1', matmul: 'MmBackward0', mean: 'MeanBackward0', log_softmax: 'LogSoftmaxBackward0',
  cross_entropy: 'NllLossBackward0',
};

describe('ops.json parity with PyTorch 1.13', () => {
  ops.cases.forEach((c, k) => {
    const dtype = c.inputs[0].dtype;
    // float32: 1e-6 relative; an absolute floor of 1e-7 for results near 0, where a one-ulp difference of an
    // intermediate (glibc's expf/logf vs Math.exp/log) dominates any relative measure.
    const [rtol, atol] = dtype === 'float32' ? [1e-6, 1e-7] : [1e-12, 1e-15];
    it(`${k}: ${c.name} ${JSON.stringify(c.args)} (${dtype})`, () => {
      const run = RUN[c.name];
      expect(run, `no runner for ${c.name}`).toBeDefined();
      const targetIndex = TARGETS.has(c.name) ? c.inputs.length - 1 : -1;
      const xs = c.inputs.map((t, i) => fromFixture(t, i !== targetIndex));
      const y = run(c, xs);
      expect(y.shape).toEqual(c.output.shape);
      expect(y.dtype).toBe(c.output.dtype);
      expect(y.gradFn?.name).toBe(GRAD_FN[c.name]);
      let scales: { output: number[]; grads: Array<number[] | null> } | null = null;
      if (SUMS_OF_PRODUCTS.has(c.name)) {
        const absXs = c.inputs.map((t) => fromFixture(t).abs().detach().requiresGrad_(true));
        const absY = run(c, absXs);
        absY.backward(fromFixture(c.grad_output).abs());
        scales = { output: absY.toArray(), grads: absXs.map((t) => t.grad?.toArray() ?? null) };
      }
      const check = (got: number[], want: number[], scale: number[] | null | undefined, what: string) => {
        if (!scale) return expectClose(got, want, rtol, atol, what);
        expectClose(got.map((v, i) => v / scale[i] || 0), want.map((v, i) => v / scale[i] || 0), 0, rtol, `${what} (relative to Σ|terms|)`);
      };
      check(y.toArray(), c.output.data, scales?.output, 'output');
      y.backward(fromFixture(c.grad_output));
      c.grad_inputs.forEach((g, i) => {
        if (i === targetIndex || g === null) return;
        expect(xs[i].grad, `grad of input ${i}`).not.toBeNull();
        expect(xs[i].grad!.shape).toEqual(g.shape);
        check(xs[i].grad!.toArray(), g.data, scales?.grads[i], `grad of input ${i}`);
      });
    });
  });
});
