// A Sequential of Conv2d / LeakyReLU / Sigmoid runs as one graph node (src/ops/fused-chain.ts). Everything must be
// as if the ops had run one by one: the numbers of every step, the graph a learner inspects, and every case the
// fusion leaves to the ops (input requiring grad, frozen or repeated parameters, overridden forwards, noGrad).
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import { isFusedChain } from '../helpers/fused.js';

const { nn } = torch;
const F = nn.functional;

interface Spec {
  name: string;
  dtype: DType;
  /** The layers, as [kind, arg]: conv [out, kernel, stride, padding], leaky slope, sigmoid. */
  layers: Array<['conv', number, number, number, number] | ['leaky', number] | ['sigmoid']>;
  input: number[];
  bias?: boolean;
}

const specs: Spec[] = [
  { name: 'the tutorial (float32)', dtype: 'float32', layers: [['conv', 1, 2, 1, 0], ['leaky', 0.01], ['conv', 1, 2, 1, 0], ['sigmoid']], input: [1, 1, 3, 3] },
  { name: 'the tutorial (float64)', dtype: 'float64', layers: [['conv', 1, 2, 1, 0], ['leaky', 0.01], ['conv', 1, 2, 1, 0], ['sigmoid']], input: [1, 1, 3, 3] },
  { name: 'no bias, slope 0.3', dtype: 'float32', bias: false, layers: [['conv', 1, 2, 1, 0], ['leaky', 0.3], ['conv', 1, 2, 1, 0], ['sigmoid']], input: [1, 1, 3, 3] },
  { name: 'channels, padding, stride, three convs (float32)', dtype: 'float32',
    layers: [['conv', 3, 3, 1, 1], ['leaky', 0.05], ['conv', 2, 2, 2, 1], ['sigmoid'], ['conv', 1, 2, 1, 0], ['leaky', 0.01]], input: [1, 2, 4, 4] },
  // (a float32 batch runs on PyTorch's oneDNN path, which has no tiny-problem plan: not fused; float64 has one;
  // plans are for problems up to 1024 multiply-adds)
  { name: 'the same in float64, a batch of 2', dtype: 'float64',
    layers: [['conv', 3, 3, 1, 1], ['leaky', 0.05], ['conv', 2, 2, 2, 1], ['sigmoid'], ['conv', 1, 2, 1, 0], ['leaky', 0.01]], input: [2, 1, 3, 3] },
  { name: 'conv then sigmoid', dtype: 'float64', layers: [['conv', 2, 2, 1, 0], ['sigmoid']], input: [1, 1, 4, 4] },
];

function build(spec: Spec, seed: number): torch.nn.Sequential {
  torch.manualSeed(BigInt(seed));
  let channels = spec.input[1];
  const layers = spec.layers.map((l) => {
    if (l[0] === 'conv') {
      const m = new nn.Conv2d(channels, l[1], l[2], { stride: l[3], padding: l[4], dtype: spec.dtype, bias: spec.bias ?? true });
      channels = l[1];
      return m;
    }
    return l[0] === 'leaky' ? new nn.LeakyReLU(l[1]) : new nn.Sigmoid();
  });
  return new nn.Sequential(...layers);
}

/** The same layers as plain functional ops, one node each. */
function opByOp(seq: torch.nn.Sequential, x: Tensor): Tensor {
  let y = x;
  for (const m of seq) {
    if (m instanceof nn.Conv2d) y = F.conv2d(y, m.weight, m.bias, { stride: m.stride, padding: m.padding });
    else if (m instanceof nn.LeakyReLU) y = F.leakyRelu(y, m.negativeSlope);
    else y = F.sigmoid(y);
  }
  return y;
}

function inputs(spec: Spec, n: number): Tensor[] {
  const gen = new torch.Generator(11);
  return Array.from({ length: n }, () => torch.rand(spec.input, { dtype: spec.dtype, generator: gen }).mul(6).sub(3));
}

/** Trains with Adadelta and a per-output target; returns every loss and the final parameters. */
function train(spec: Spec, run: (seq: torch.nn.Sequential, x: Tensor) => Tensor, steps: number): { losses: number[]; params: number[][] } {
  const seq = build(spec, 5);
  const opt = new torch.optim.Adadelta(seq.parameters(), { lr: 0.5 });
  const xs = inputs(spec, 7);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const y = run(seq, xs[s % xs.length]);
    const target = torch.zerosLike(y).add(s % 2).detach();
    const out = y.dtype === spec.dtype && spec.layers[spec.layers.length - 1][0] === 'sigmoid' ? y : F.sigmoid(y);
    const loss = F.binaryCrossEntropy(out, target);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { losses, params: seq.parameters().map((p) => p.toArray()) };
}

describe('a fused chain computes what the ops compute, bit for bit', () => {
  for (const spec of specs) {
    it(`${spec.name}: 60 training steps`, () => {
      const fused = train(spec, (seq, x) => seq.call(x), 60);
      const ops = train(spec, opByOp, 60);
      expect(fused.losses).toEqual(ops.losses);
      expect(fused.params).toEqual(ops.params);
      // and it was fused: after the first call (which makes the conv plans) the output's node is the chain's
      const seq = build(spec, 5);
      const x = inputs(spec, 1)[0];
      seq.call(x);
      expect(isFusedChain(seq.call(x))).toBe(true);
    });
  }
});

/** The chain of grad_fn names from `y` back, following each node's first input that has a node. */
function chainNames(y: Tensor): string[] {
  const names: string[] = [];
  for (let node = y.gradFn; node !== null;) {
    names.push(`${node.name}(${node.nextFunctions.map((f) => f.name).join(',')})`);
    node = node.inputs.find((t) => t?.gradFn)?.gradFn ?? null;
  }
  return names;
}

describe("a fused chain's graph reads as the ops'", () => {
  const spec = specs[0];
  const seq = build(spec, 3);
  const x = inputs(spec, 1)[0];
  seq.call(x); // makes the plans

  it('names, next functions and printed output', () => {
    const y = seq.call(x);
    expect(isFusedChain(y)).toBe(true);
    expect(String(y)).toBe(String(opByOp(seq, x)));
    expect(chainNames(y)).toEqual(chainNames(opByOp(seq, x)));
    expect(chainNames(y)).toEqual([
      'SigmoidBackward0(ConvolutionBackward0)',
      'ConvolutionBackward0(LeakyReluBackward0,AccumulateGrad,AccumulateGrad)',
      'LeakyReluBackward0(ConvolutionBackward0)',
      'ConvolutionBackward0(None,AccumulateGrad,AccumulateGrad)',
    ]);
  });

  it('an intermediate found through the graph keeps retainGrad and gets the ops’ gradient', () => {
    const grads = (fused: boolean): number[][] => {
      seq.zeroGrad();
      const y = fused ? seq.call(x) : opByOp(seq, x);
      const hidden = (y.gradFn?.inputs[0] as Tensor).gradFn?.inputs[0] as Tensor; // the LeakyReLU's output
      hidden.retainGrad();
      y.sum().backward();
      return [(hidden.grad as Tensor).toArray(), ...seq.parameters().map((p) => (p.grad as Tensor).toArray())];
    };
    expect(grads(true)).toEqual(grads(false));
  });

  it('backward twice needs retainGraph, as for the ops; with it the gradients add up the same', () => {
    const y = seq.call(x);
    y.sum().backward();
    expect(() => y.sum().backward()).toThrow(/second time/);
    const twice = (fused: boolean): number[][] => {
      seq.zeroGrad();
      const out = (fused ? seq.call(x) : opByOp(seq, x)).sum();
      out.backward(null, { retainGraph: true });
      out.backward();
      return seq.parameters().map((p) => (p.grad as Tensor).toArray());
    };
    expect(twice(true)).toEqual(twice(false));
  });

  it('a graph unfolded after backward has released nodes, as the ops leave them', () => {
    const y = seq.call(x);
    y.sum().backward();
    const conv = y.gradFn?.inputs[0]?.gradFn;
    expect(conv?.name).toBe('ConvolutionBackward0');
    expect(conv?.released).toBe(true);
    expect(() => conv?.apply(torch.onesLike(y))).toThrow(/second time/);
  });
});

describe('what is left to the ops gives the ops’ results', () => {
  const spec = specs[0];

  const both = (prepare: (seq: torch.nn.Sequential) => void, x0?: Tensor): void => {
    const results = [true, false].map((fused) => {
      const seq = build(spec, 9);
      prepare(seq);
      const x = x0 ? x0.detach().requiresGrad_(x0.requiresGrad) : inputs(spec, 1)[0];
      const opt = new torch.optim.Adadelta(seq.parameters(), { lr: 0.5 });
      const out: number[][] = [];
      for (let s = 0; s < 5; s++) {
        opt.zeroGrad();
        const y = fused ? seq.call(x) : opByOp(seq, x);
        y.sum().backward();
        opt.step();
        out.push(y.toArray(), ...seq.parameters().map((p) => p.toArray()));
        if (x.grad) out.push(x.grad.toArray());
      }
      return out;
    });
    expect(results[0]).toEqual(results[1]);
  };

  it('an input that requires grad gets its gradient', () => {
    const x = inputs(spec, 1)[0].requiresGrad_();
    both(() => {}, x);
  });
  it('a frozen parameter', () => both((seq) => (seq.at(2) as torch.nn.Conv2d).bias?.requiresGrad_(false)));
  it('one conv layer used twice', () => both((seq) => seq.registerModule('2', seq.at(0))));
  it('a forward replaced on an instance runs', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x);
    const sig = seq.at(3);
    sig.forward = (t: Tensor) => torch.tanh(t);
    expect(seq.call(x).gradFn?.name).toBe('TanhBackward0');
  });
  it('a changed slope takes effect at once', () => {
    const seq = build(spec, 9);
    const conv = seq.at(0) as torch.nn.Conv2d;
    // an input whose first conv has a negative output, so the slope matters
    const x = [...inputs(spec, 7), ...inputs(spec, 7).map((t) => t.mul(-1))]
      .find((t) => Math.min(...F.conv2d(t, conv.weight, conv.bias).toArray()) < 0) as Tensor;
    seq.call(x);
    const before = seq.call(x);
    (seq.at(1) as unknown as { negativeSlope: number }).negativeSlope = 0.5;
    const after = seq.call(x);
    expect(isFusedChain(after)).toBe(true);
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual(opByOp(seq, x).toArray());
  });
  it('a replaced weight takes effect at once', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x);
    const before = seq.call(x);
    const conv = seq.at(0) as torch.nn.Conv2d;
    conv.weight = new nn.Parameter(conv.weight.detach().mul(-1));
    seq.call(x); // the new weight's plan
    const after = seq.call(x);
    expect(isFusedChain(after)).toBe(true);
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual(opByOp(seq, x).toArray());
  });
  it('a conv given a new padding pair takes it at once (fused and alone)', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x);
    seq.call(x);
    const conv = seq.at(0) as torch.nn.Conv2d;
    (conv as unknown as { padding: [number, number] }).padding = [1, 1];
    expect(conv.call(x).shape).toEqual([1, 1, 4, 4]);
    seq.call(x); // plans for the new shapes
    const y = seq.call(x);
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(y.toArray()).toEqual(opByOp(seq, x).toArray());
  });
  it('noGrad records nothing and computes the same values', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x);
    const y = torch.noGrad(() => seq.call(x));
    expect(y.gradFn).toBe(null);
    expect(y.toArray()).toEqual(seq.call(x).toArray());
  });
  it('a model moved to float64 mid-training', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x).sum().backward();
    seq.to('float64');
    const x64 = x.to('float64');
    const y = seq.call(x64);
    y.sum().backward();
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual(opByOp(seq, x64).toArray());
  });
});

// Once a Sequential's chain has run, each call only compares its layers with what the chain was last checked
// against (Sequential.#fusedAgain, fusedChainAgain). Every change below happens after two fused calls, so it meets
// that per-call check, and must take effect on the very next call exactly as the ops would compute it.
describe('a change after the chain has run takes effect on the next call', () => {
  const spec = specs[0];

  /** Builds, runs the chain until it has run fused twice, applies `change`, then returns the next call's output and the ops'. */
  const afterChange = (change: (seq: torch.nn.Sequential, x: Tensor) => Tensor | void, seed = 9) => {
    const seq = build(spec, seed);
    let x = inputs(spec, 1)[0];
    seq.call(x); // (the first call runs the ops, which make the conv plans the chain needs)
    expect(isFusedChain(seq.call(x))).toBe(true);
    const before = seq.call(x);
    expect(isFusedChain(before)).toBe(true);
    x = change(seq, x) ?? x;
    const after = seq.call(x);
    return { before, after, expected: opByOp(seq, x), seq, x };
  };

  it('a weight whose values are written in place', () => {
    const { before, after, expected } = afterChange((seq) => {
      (seq.at(0) as torch.nn.Conv2d).weight.data[0] += 1;
    });
    expect(isFusedChain(after)).toBe(true);
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual(expected.toArray());
  });
  it('a bias replaced by another parameter', () => {
    const { before, after, expected } = afterChange((seq) => {
      const conv = seq.at(2) as torch.nn.Conv2d;
      conv.bias = new nn.Parameter((conv.bias as Tensor).detach().add(0.5));
    });
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual(expected.toArray());
  });
  it('a bias frozen (requiresGrad_(false)): left to the ops, and it gets no gradient', () => {
    const { after, seq } = afterChange((s) => {
      (s.at(2) as torch.nn.Conv2d).bias?.requiresGrad_(false);
    });
    expect(isFusedChain(after)).toBe(false);
    after.sum().backward();
    expect((seq.at(2) as torch.nn.Conv2d).bias?.grad).toBe(null);
    expect((seq.at(2) as torch.nn.Conv2d).weight.grad).not.toBe(null);
  });
  it('a parameter whose storage was replaced (as Module.to re-homes it)', () => {
    const { before, after, expected } = afterChange((seq) => {
      const w = (seq.at(0) as torch.nn.Conv2d).weight;
      w.data = Float32Array.from(w.data, (v) => -v);
    });
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual(expected.toArray());
  });
  it('a layer\'s own pairs are frozen, as PyTorch\'s tuples: writing into one throws, and the chain runs on unchanged', () => {
    const { before, after, seq } = afterChange((s) => {
      const conv = s.at(0) as unknown as { stride: number[]; padding: number[]; kernelSize: number[] };
      expect(() => { conv.stride[0] = 2; }).toThrow(TypeError);
      expect(() => { conv.padding[1] = 1; }).toThrow(TypeError);
      expect(() => { conv.kernelSize[0] = 1; }).toThrow(TypeError);
    });
    expect((seq.at(0) as torch.nn.Conv2d).stride).toEqual([1, 1]);
    expect(isFusedChain(after)).toBe(true);
    expect(after.toArray()).toEqual(before.toArray());
  });
  it('a stride pair given by hand (not frozen), fused with, then changed in place: the second conv meets PyTorch\'s size error', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    const conv = seq.at(0) as unknown as { stride: number[] };
    conv.stride = [1, 1];
    seq.call(x);
    expect(isFusedChain(seq.call(x))).toBe(true);
    expect(isFusedChain(seq.call(x))).toBe(true);
    conv.stride[0] = 2;
    expect(() => seq.call(x)).toThrow(/Kernel size can't be greater than actual input size/);
  });
  it('a padding pair replaced by an equal one, then changed in place', () => {
    const seq = build(spec, 9);
    const x = inputs(spec, 1)[0];
    seq.call(x);
    const conv = seq.at(0) as unknown as { padding: number[] };
    conv.padding = [0, 0];
    const same = seq.call(x);
    expect(isFusedChain(same)).toBe(true);
    expect(seq.call(x).toArray()).toEqual(same.toArray());
    conv.padding[1] = 1;
    const y = seq.call(x);
    expect(y.shape).toEqual([1, 1, 1, 3]);
    expect(y.toArray()).toEqual(opByOp(seq, x).toArray());
  });
  it('a layer replaced, a layer appended, call overridden on an instance', () => {
    const replaced = afterChange((seq) => {
      seq.registerModule('3', new nn.LeakyReLU(0.2));
    });
    expect(replaced.after.gradFn?.name).toBe('LeakyReluBackward0');
    expect(replaced.after.toArray()).toEqual(replaced.expected.toArray());
    const appended = afterChange((seq) => {
      seq.append(new nn.Sigmoid());
    });
    expect(appended.after.toArray()).toEqual(appended.expected.toArray());
    const overridden = afterChange((seq) => {
      const sig = seq.at(3);
      sig.call = (t: Tensor) => torch.tanh(t);
    });
    expect(overridden.after.gradFn?.name).toBe('TanhBackward0');
  });
  it('an input of another shape, dtype or requiring grad', () => {
    const shape = afterChange(() => torch.rand([1, 1, 4, 4]));
    expect(shape.after.shape).toEqual([1, 1, 2, 2]);
    expect(shape.after.toArray()).toEqual(shape.expected.toArray());
    expect(() => afterChange((_, x) => x.to('float64'))).toThrow(/dtype|Double|float/i);
    const needs = afterChange((_, x) => x.detach().requiresGrad_());
    expect(isFusedChain(needs.after)).toBe(false);
    needs.after.sum().backward();
    expect(needs.x.grad).not.toBe(null);
  });
  it('a layer shared with a second Sequential whose other layers differ', () => {
    const a = build(spec, 9);
    const b = build(spec, 10);
    b.registerModule('0', a.at(0));
    const x = inputs(spec, 1)[0];
    for (let k = 0; k < 3; k++) {
      expect(a.call(x).toArray()).toEqual(opByOp(a, x).toArray());
      expect(b.call(x).toArray()).toEqual(opByOp(b, x).toArray());
    }
    (a.at(0) as torch.nn.Conv2d).weight = new nn.Parameter((a.at(0) as torch.nn.Conv2d).weight.detach().mul(2));
    expect(b.call(x).toArray()).toEqual(opByOp(b, x).toArray());
    expect(a.call(x).toArray()).toEqual(opByOp(a, x).toArray());
  });
  it('under noGrad: nothing recorded', () => {
    const { seq, x } = afterChange(() => {});
    const y = torch.noGrad(() => seq.call(x));
    expect(y.gradFn).toBe(null);
  });
});
