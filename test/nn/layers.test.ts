// Layers compute exactly what the functional ops compute (same bits, same grad_fn, same gradients), and the
// loss modules are the functional losses with their reduction.
import { describe, expect, it } from 'vitest';
import '../../src/autograd/engine.js';
import '../../src/ops/index.js';
import {
  BCELoss, Conv2d, CrossEntropyLoss, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, MaxPool2d, MSELoss, NLLLoss,
  ReLU, Sequential, Sigmoid, Softmax, Tanh, functional as F,
} from '../../src/nn/index.js';
import { manualSeed } from '../../src/random/index.js';
import { full, rand, randn, tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { f32Bits } from './fixtures.js';

const bits = (t: Tensor): number[] => f32Bits(t.toArray());

describe('Sequential forward equals composing the functional ops', () => {
  it('the tutorial model, output and gradients', () => {
    manualSeed(0);
    const c1 = new Conv2d(1, 1, 2);
    const c2 = new Conv2d(1, 1, 2);
    const seq = new Sequential(c1, new LeakyReLU(), c2, new Sigmoid());
    const x = rand([1, 1, 3, 3]).mul(100).sub(50);
    const y = seq.call(x);
    const manual = F.sigmoid(F.conv2d(F.leakyRelu(F.conv2d(x, c1.weight, c1.bias), 0.01), c2.weight, c2.bias));
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(bits(y)).toEqual(bits(manual));
    expect(y.gradFn?.name).toBe('SigmoidBackward0');

    y.sum().backward();
    const seqGrads = seq.parameters().map((p) => p.grad!.toArray());
    seq.zeroGrad({ setToNone: true });
    manual.sum().backward();
    expect(seq.parameters().map((p) => p.grad!.toArray())).toEqual(seqGrads);
  });

  it('a small classifier: conv, relu, pool, flatten, linear, log-softmax', () => {
    manualSeed(1);
    const conv = new Conv2d(2, 3, 3, { padding: 1 });
    const fc = new Linear(3 * 2 * 2, 4);
    const net = new Sequential(conv, new ReLU(), new MaxPool2d(2), new Flatten(), fc, new LogSoftmax(1));
    const x = randn([5, 2, 4, 4]);
    const y = net.call(x);
    const manual = F.logSoftmax(F.linear(F.flatten(F.maxPool2d(F.relu(F.conv2d(x, conv.weight, conv.bias, { padding: 1 })), 2), 1), fc.weight, fc.bias), 1);
    expect(y.shape).toEqual([5, 4]);
    expect(bits(y)).toEqual(bits(manual));
  });

  it('Conv2d passes stride and padding through', () => {
    manualSeed(2);
    const conv = new Conv2d(1, 2, [2, 3], { stride: [2, 1], padding: [1, 0] });
    const x = randn([1, 1, 5, 5]);
    const y = conv.call(x);
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expect(bits(y)).toEqual(bits(F.conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: [1, 0] })));
  });

  it('Conv2d without bias', () => {
    const conv = new Conv2d(1, 1, 2, { bias: false });
    const x = randn([1, 1, 3, 3]);
    expect(bits(conv.call(x))).toEqual(bits(F.conv2d(x, conv.weight, null)));
  });

  it('Linear: x·Wᵀ + b', () => {
    const lin = new Linear(2, 3);
    lin.loadStateDict({ weight: [[1, 0], [0, 1], [1, 1]], bias: [0, 0, 1] });
    expect(lin.call(tensor([[1, 2]])).toArray()).toEqual([1, 2, 4]);
    expect(lin.call(tensor([1, 2])).shape).toEqual([3]);
  });

  it('activations, Identity and Flatten', () => {
    const x = tensor([[-2, -0.5, 0, 3]]);
    expect(bits(new ReLU().call(x))).toEqual(bits(F.relu(x)));
    expect(bits(new LeakyReLU(0.2).call(x))).toEqual(bits(F.leakyRelu(x, 0.2)));
    expect(bits(new Sigmoid().call(x))).toEqual(bits(F.sigmoid(x)));
    expect(bits(new Tanh().call(x))).toEqual(bits(F.tanh(x)));
    expect(bits(new Softmax(1).call(x))).toEqual(bits(F.softmax(x, 1)));
    expect(new Identity().call(x)).toBe(x);
    expect(new Flatten().call(full([2, 3, 4], 1)).shape).toEqual([2, 12]);
    expect(new Flatten(0).call(full([2, 3, 4], 1)).shape).toEqual([24]);
  });

  it('MaxPool2d stride defaults to the kernel size', () => {
    const x = randn([1, 1, 4, 4]);
    expect(new MaxPool2d(2).stride).toBe(2);
    expect(bits(new MaxPool2d(2).call(x))).toEqual(bits(F.maxPool2d(x, 2, 2)));
    expect(bits(new MaxPool2d(3, 1, 1).call(x))).toEqual(bits(F.maxPool2d(x, 3, 1, 1)));
  });

  it('rejects bad layer sizes', () => {
    expect(() => new Conv2d(0, 1, 2)).toThrow(RangeError);
    expect(() => new Conv2d(1, 1, 0)).toThrow(RangeError);
    expect(() => new Conv2d(1, 1, 2, { stride: 0 })).toThrow(RangeError);
    expect(() => new Linear(2.5, 1)).toThrow(RangeError);
    expect(() => new MaxPool2d(0)).toThrow(RangeError);
  });
});

describe('loss modules', () => {
  const p = tensor([0.9, 0.2, 0.6]);
  const t = tensor([1, 0, 1]);

  it('BCELoss is binaryCrossEntropy with its reduction', () => {
    expect(bits(new BCELoss().call(p, t))).toEqual(bits(F.binaryCrossEntropy(p, t)));
    expect(bits(new BCELoss({ reduction: 'sum' }).call(p, t))).toEqual(bits(F.binaryCrossEntropy(p, t, { reduction: 'sum' })));
    const none = new BCELoss({ reduction: 'none' }).call(p, t);
    expect(none.shape).toEqual([3]);
    expect(new BCELoss().reduction).toBe('mean');
  });

  it('MSELoss', () => {
    expect(new MSELoss().call(tensor([1, 2]), tensor([1, 4])).item()).toBe(2);
    expect(new MSELoss({ reduction: 'sum' }).call(tensor([1, 2]), tensor([1, 4])).item()).toBe(4);
  });

  it('CrossEntropyLoss and NLLLoss take class indices', () => {
    manualSeed(3);
    const logits = randn([4, 5]);
    const target = tensor([1, 0, 4, 2]);
    const ce = new CrossEntropyLoss().call(logits, target);
    expect(bits(ce)).toEqual(bits(F.crossEntropy(logits, target)));
    expect(bits(new NLLLoss().call(F.logSoftmax(logits, 1), target))).toEqual(bits(ce));
  });

  it('gradients reach the model through a loss module', () => {
    manualSeed(0);
    const seq = new Sequential(new Conv2d(1, 1, 2), new LeakyReLU(), new Conv2d(1, 1, 2), new Sigmoid());
    const loss = new BCELoss().call(seq.call(full([1, 1, 3, 3], 1)), full([1, 1, 1, 1], 0));
    loss.backward();
    expect(seq.parameters().every((q) => q.grad !== null && q.grad.toArray().every(Number.isFinite))).toBe(true);
  });
});
