// Every case of test/fixtures/ops.json (PyTorch 1.13, CPU): y = op(*inputs); y.backward(grad_output); the
// output and every input gradient (targets excepted) must agree with PyTorch's.
//
// Tolerances: 1e-6 relative for float32, 1e-12 for float64, and no absolute floor: nothing needs one. (Results
// that cancel to near 0 — the conv2d/linear bias gradients of linspace(−1, 1) — come out exact because sums
// are added in PyTorch's order; a floor would only hide a wrong order.) The remaining float32 differences are
// an ulp or two where Math.exp/Math.tanh differ from glibc/SLEEF (tanh's and cross_entropy's gradients).
// Most float32 cases are bit-exact, and that is asserted separately below, so a change of summation order
// cannot hide behind the tolerance.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, fromFixture, loadFixture, type OpCase, ulpDistance32 } from '../helpers/index.js';

const ops = loadFixture<{ cases: OpCase[] }>('ops.json');

const RUN: Record<string, (c: OpCase, xs: Tensor[]) => Tensor> = {
  conv2d: (c, [x, w, b]) => torch.conv2d(x, w, b, { stride: Number(c.args.stride), padding: Number(c.args.padding) }),
  leaky_relu: (c, [x]) => torch.leakyRelu(x, Number(c.args.negative_slope)),
  relu: (_, [x]) => torch.relu(x),
  sigmoid: (_, [x]) => torch.sigmoid(x.mul(10)),
  tanh: (_, [x]) => torch.tanh(x),
  binary_cross_entropy: (c, [p, t]) => torch.binaryCrossEntropy(p, t, { reduction: c.args.reduction as 'mean' | 'sum' }),
  mse_loss: (c, [p, t]) => torch.mseLoss(p, t, { reduction: c.args.reduction as 'mean' }),
  max_pool2d: (c, [x]) => torch.maxPool2d(x, Number(c.args.kernel_size)),
  linear: (_, [x, w, b]) => torch.linear(x, w, b),
  pow_add: (_, [a, b]) => a.pow(3).add(b),
  broadcast_mul_sum: (_, [a, b]) => a.mul(b).sum(1),
  matmul: (_, [a, b]) => a.matmul(b),
  mean: (_, [a]) => a.mean(),
  log_softmax: (c, [a]) => torch.logSoftmax(a, Number(c.args.dim)),
  cross_entropy: (_, [a, t]) => torch.crossEntropy(a, t),
};

/** The last input of these is a target: PyTorch lists its gradient, we do not compare it. */
const TARGETS = new Set(['binary_cross_entropy', 'cross_entropy', 'mse_loss']);

/** grad_fn names as PyTorch 1.13 prints them, and the names of their next_functions where our graph has the same nodes. */
const GRAD_FN: Record<string, { name: string; next?: string[] }> = {
  conv2d: { name: 'ConvolutionBackward0', next: ['AccumulateGrad', 'AccumulateGrad', 'AccumulateGrad'] },
  leaky_relu: { name: 'LeakyReluBackward0', next: ['AccumulateGrad'] },
  relu: { name: 'ReluBackward0', next: ['AccumulateGrad'] },
  sigmoid: { name: 'SigmoidBackward0', next: ['MulBackward0'] },
  tanh: { name: 'TanhBackward0', next: ['AccumulateGrad'] },
  binary_cross_entropy: { name: 'BinaryCrossEntropyBackward0', next: ['AccumulateGrad', 'None'] },
  mse_loss: { name: 'MseLossBackward0', next: ['AccumulateGrad', 'None'] },
  max_pool2d: { name: 'MaxPool2DWithIndicesBackward0', next: ['AccumulateGrad'] },
  linear: { name: 'AddmmBackward0' },
  pow_add: { name: 'AddBackward0', next: ['PowBackward0', 'AccumulateGrad'] },
  broadcast_mul_sum: { name: 'SumBackward1', next: ['MulBackward0'] },
  matmul: { name: 'MmBackward0', next: ['AccumulateGrad', 'AccumulateGrad'] },
  mean: { name: 'MeanBackward0', next: ['AccumulateGrad'] },
  log_softmax: { name: 'LogSoftmaxBackward0', next: ['AccumulateGrad'] },
  cross_entropy: { name: 'NllLossBackward0', next: ['LogSoftmaxBackward0'] },
};

/** float32 cases whose output and gradients must be PyTorch's bits exactly. */
const BIT_EXACT = new Set(['conv2d', 'linear', 'matmul', 'binary_cross_entropy', 'mse_loss', 'max_pool2d', 'mean', 'broadcast_mul_sum', 'leaky_relu', 'relu', 'sigmoid', 'pow_add', 'log_softmax']);

interface Ran {
  y: Tensor;
  xs: Tensor[];
  targetIndex: number;
}

function run(c: OpCase): Ran {
  const targetIndex = TARGETS.has(c.name) ? c.inputs.length - 1 : -1;
  const xs = c.inputs.map((t, i) => fromFixture(t, i !== targetIndex));
  const y = RUN[c.name](c, xs);
  y.backward(fromFixture(c.grad_output));
  return { y, xs, targetIndex };
}

describe('ops.json: every case against PyTorch 1.13', () => {
  it('has a runner for every case name, and covers every op the brief lists', () => {
    const names = new Set(ops.cases.map((c) => c.name));
    for (const n of names) expect(RUN[n], n).toBeDefined();
    expect(ops.cases.filter((c) => c.name === 'conv2d')).toHaveLength(4);
    expect(ops.cases.length).toBe(21);
  });

  ops.cases.forEach((c, k) => {
    const dtype = c.inputs[0].dtype;
    const [rtol, atol] = dtype === 'float32' ? [1e-6, 0] : [1e-12, 0];
    it(`${k}: ${c.name} ${JSON.stringify(c.args)} (${dtype}) within rtol ${rtol}, atol ${atol}`, () => {
      const { y, xs, targetIndex } = run(c);
      expect(y.shape).toEqual(c.output.shape);
      expect(y.dtype).toBe(c.output.dtype);
      expectClose(y.toArray(), c.output.data, { rtol, atol, what: 'output' });
      let compared = 0;
      c.grad_inputs.forEach((g, i) => {
        if (i === targetIndex || g === null) return;
        const grad = xs[i].grad;
        expect(grad, `gradient of input ${i}`).not.toBeNull();
        expect(grad!.shape).toEqual(g.shape);
        expect(grad!.dtype).toBe(g.dtype);
        expectClose(grad!.toArray(), g.data, { rtol, atol, what: `gradient of input ${i}` });
        compared++;
      });
      expect(compared).toBe(c.inputs.length - (targetIndex >= 0 ? 1 : 0));
      if (targetIndex >= 0) expect(xs[targetIndex].grad).toBeNull();
    });

    it(`${k}: ${c.name} grad_fn is PyTorch's`, () => {
      const { y } = run(c);
      const want = GRAD_FN[c.name];
      expect(y.gradFn?.name).toBe(want.name);
      if (want.next) expect(y.gradFn!.nextFunctions.map((n) => n.name)).toEqual(want.next);
    });

    if (dtype === 'float32' && BIT_EXACT.has(c.name)) {
      it(`${k}: ${c.name} is bit-exact`, () => {
        const { y, xs, targetIndex } = run(c);
        const ulps = (got: number[], want: number[]) => Math.max(0, ...got.map((v, i) => ulpDistance32(v, want[i])));
        expect(ulps(y.toArray(), c.output.data), 'output ulps').toBe(0);
        c.grad_inputs.forEach((g, i) => {
          if (i === targetIndex || g === null) return;
          expect(ulps(xs[i].grad!.toArray(), g.data), `gradient ${i} ulps`).toBe(0);
        });
      });
    }
  });
});
