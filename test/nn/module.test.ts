// Module behaviour: registration (explicit and discovered), traversal, state_dict / loadStateDict (round trip,
// PyTorch's error messages, nothing written on error), train/eval, zeroGrad, to(dtype), apply.
import { describe, expect, it } from 'vitest';
import '../../src/autograd/engine.js';
import '../../src/ops/index.js';
import {
  Conv2d, LeakyReLU, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, StateDict,
} from '../../src/nn/index.js';
import { manualSeed } from '../../src/random/index.js';
import { full, ones, tensor, zeros } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const tutorialModel = (): Sequential => new Sequential(new Conv2d(1, 1, 2), new LeakyReLU(), new Conv2d(1, 1, 2), new Sigmoid());

class CNN extends Module {
  model = tutorialModel();

  forward(x: Tensor): Tensor {
    return this.model.call(x);
  }
}

const KEYS = ['model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias'];

/** Every parameter value of a model, to check that a failed load changed nothing. */
const snapshot = (m: Module): number[][] => m.parameters().map((p) => p.toArray());

describe('registration', () => {
  it('discovers Parameter and Module properties in definition order', () => {
    class Net extends Module {
      scale = new Parameter(ones([1]));
      body = new Linear(2, 2);
      notAParameter = zeros([3]);
      head = new Linear(2, 1);
      forward(x: Tensor): Tensor {
        return this.head.call(this.body.call(x)).mul(this.scale);
      }
    }
    const net = new Net();
    expect([...net.namedParameters()].map(([k]) => k)).toEqual(['scale', 'body.weight', 'body.bias', 'head.weight', 'head.bias']);
    expect([...net.namedChildren()].map(([k]) => k)).toEqual(['body', 'head']);
    expect([...net.namedModules()].map(([k]) => k)).toEqual(['', 'body', 'head']);
    expect([...net.stateDict().keys()]).toEqual(['scale', 'body.weight', 'body.bias', 'head.weight', 'head.bias']);
    expect(net.numParameters()).toBe(1 + 6 + 3);
  });

  it('gives the tutorial class PyTorch\'s keys', () => {
    const cnn = new CNN();
    expect([...cnn.stateDict().keys()]).toEqual(KEYS);
    expect([...cnn.namedParameters()].map(([k]) => k)).toEqual(KEYS);
    expect([...cnn.namedModules()].map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual([
      ':CNN', 'model:Sequential', 'model.0:Conv2d', 'model.1:LeakyReLU', 'model.2:Conv2d', 'model.3:Sigmoid',
    ]);
    expect(cnn.parameters()).toHaveLength(4);
    expect(cnn.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
    expect([...cnn.children()]).toEqual([cnn.model]);
    expect([...cnn.modules()]).toHaveLength(6);
  });

  it('registers buffers and null parameters explicitly; buffers go after parameters in the state_dict', () => {
    class WithBuffer extends Module {
      constructor() {
        super();
        this.registerBuffer('runningMean', zeros([2]));
        this.registerBuffer('scratch', zeros([2]), { persistent: false });
        this.registerParameter('weight', new Parameter(ones([2])));
        this.registerParameter('bias', null);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new WithBuffer();
    expect([...m.stateDict().keys()]).toEqual(['weight', 'runningMean']);
    expect([...m.namedBuffers()].map(([k]) => k)).toEqual(['runningMean', 'scratch']);
    expect(m.buffers()).toHaveLength(2);
    expect(m.parameters()).toHaveLength(1);
    // registered slots are properties too, and reassigning the property replaces the registered value
    const bag = m as unknown as Record<string, unknown>;
    expect(bag.weight).toBe(m.parameters()[0]);
    const p = new Parameter(zeros([3]));
    bag.bias = p;
    const params = m.parameters();
    expect(params).toHaveLength(2);
    expect(params[1]).toBe(p);
    expect([...m.stateDict().keys()]).toEqual(['weight', 'bias', 'runningMean']);
  });

  it('refuses bad names and wrong types', () => {
    const m = new ReLU();
    expect(() => m.registerParameter('a.b', null)).toThrow('parameter name can\'t contain "."');
    expect(() => m.registerBuffer('', null)).toThrow('buffer name can\'t be empty string');
    expect(() => m.registerModule('training', new ReLU())).toThrow("attribute 'training' already exists");
    expect(() => m.registerModule('forward', new ReLU())).toThrow("attribute 'forward' already exists");
    const lin = new Linear(1, 1);
    expect(() => lin.registerBuffer('weight', zeros([1]))).toThrow("attribute 'weight' already exists");
    lin.registerParameter('weight', new Parameter(zeros([1, 1]))); // re-registering a discovered parameter is fine
    expect(lin.weight.toArray()).toEqual([0]);
    expect(() => m.registerParameter('w', zeros([1]) as Parameter)).toThrow(TypeError);
    m.registerParameter('w', null);
    expect(() => m.registerBuffer('w', zeros([1]))).toThrow("attribute 'w' is already registered as a parameter");
    (m as unknown as Record<string, unknown>).w = zeros([1]);
    expect(() => m.parameters()).toThrow('ReLU.w is registered as a parameter but now holds');
  });

  it('lists a shared parameter or module once', () => {
    const shared = new Linear(2, 2);
    const seq = new Sequential(shared, new ReLU(), shared);
    expect(seq.parameters()).toHaveLength(2);
    expect([...seq.namedModules()].map(([k]) => k)).toEqual(['', '0', '1']);
    // state_dict, as PyTorch's, lists it under every name
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.numParameters()).toBe(6);
  });

  it('parameters(recurse = false) lists only the module\'s own', () => {
    class Outer extends Module {
      gain = new Parameter(ones([1]));
      inner = new Linear(1, 1);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(new Outer().parameters(false)).toHaveLength(1);
  });
});

describe('Sequential', () => {
  it('indexes, counts, iterates and appends', () => {
    const a = new Linear(3, 2);
    const b = new ReLU();
    const seq = new Sequential(a, b);
    expect(seq.length).toBe(2);
    expect(seq.at(0)).toBe(a);
    expect(seq.at(-1)).toBe(b);
    expect(() => seq.at(2)).toThrow(RangeError);
    expect([...seq]).toEqual([a, b]);
    const c = new Linear(2, 1);
    seq.append(c);
    expect(seq.length).toBe(3);
    expect([...seq.namedChildren()].map(([k]) => k)).toEqual(['0', '1', '2']);
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('runs a module listed twice twice, and sees a replaced layer', () => {
    const double = new Linear(1, 1);
    double.loadStateDict({ weight: [[2]], bias: [0] });
    const seq = new Sequential(double, double);
    expect(seq.call(tensor([[3]])).item()).toBe(12);
    const triple = new Linear(1, 1);
    triple.loadStateDict({ weight: [[3]], bias: [0] });
    seq.registerModule('1', triple);
    expect(seq.at(1)).toBe(triple);
    expect(seq.call(tensor([[1]])).item()).toBe(6);
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  it('takes a Map of named modules', () => {
    const seq = new Sequential(new Map<string, Module>([['conv', new Conv2d(1, 1, 2)], ['act', new Sigmoid()]]));
    expect([...seq.stateDict().keys()]).toEqual(['conv.weight', 'conv.bias']);
    expect(String(seq)).toBe('Sequential(\n  (conv): Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1))\n  (act): Sigmoid()\n)');
    expect(seq.call(full([1, 1, 3, 3], 1)).shape).toEqual([1, 1, 2, 2]);
  });
});

describe('stateDict', () => {
  it('holds detached tensors that share storage with the parameters', () => {
    manualSeed(0);
    const cnn = new CNN();
    const sd = cnn.stateDict();
    expect(sd).toBeInstanceOf(StateDict);
    expect(sd).toBeInstanceOf(Map);
    const w = sd.get('model.0.weight')!;
    expect(w.requiresGrad).toBe(false);
    expect(w.gradFn).toBeNull();
    expect(w).not.toBeInstanceOf(Parameter);
    w.data[w.offset] = 42;
    expect(cnn.model.at(0) instanceof Conv2d && (cnn.model.at(0) as Conv2d).weight.toArray()[0]).toBe(42);
  });

  it('keepVars and prefix', () => {
    const lin = new Linear(2, 1);
    const sd = lin.stateDict({ keepVars: true, prefix: 'fc.' });
    expect([...sd.keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(sd.get('fc.weight')).toBe(lin.weight);
  });
});

describe('loadStateDict', () => {
  it('round-trips a state_dict between two models (values copied, not shared)', () => {
    manualSeed(0);
    const a = new CNN();
    manualSeed(1);
    const b = new CNN();
    expect(snapshot(b)).not.toEqual(snapshot(a));
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    // b's parameters are still its own objects and storage
    a.parameters()[0].data[0] = 7;
    expect(b.parameters()[0].toArray()[0]).not.toBe(7);
    expect(b.parameters().every((p) => p.requiresGrad && p.isLeaf && p.gradFn === null)).toBe(true);
  });

  it('accepts plain objects of nested or flat arrays and casts float64 to the parameter dtype', () => {
    const m = tutorialModel();
    m.loadStateDict({
      '0.weight': [[[[0.1, 0.2], [0.3, 0.4]]]],
      '0.bias': [0.5],
      '2.weight': [1, 2, 3, 4], // flat, in memory order
      '2.bias': tensor([1 / 3], { dtype: 'float64' }),
    });
    const sd = m.stateDict();
    expect(sd.get('0.weight')!.toArray()).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    expect(sd.get('2.weight')!.shape).toEqual([1, 1, 2, 2]);
    expect(sd.get('2.weight')!.toArray()).toEqual([1, 2, 3, 4]);
    expect(sd.get('2.bias')!.dtype).toBe('float32');
    expect(sd.get('2.bias')!.toArray()).toEqual([Math.fround(1 / 3)]);
  });

  it('does not record a graph and keeps .grad', () => {
    const lin = new Linear(2, 1);
    lin.call(ones([1, 2])).sum().backward();
    const grad = lin.weight.grad;
    lin.loadStateDict({ weight: [[1, 2]], bias: [3] });
    expect(lin.weight.gradFn).toBeNull();
    expect(lin.weight.grad).toBe(grad);
  });

  it('missing key: PyTorch\'s message, nothing modified', () => {
    manualSeed(0);
    const cnn = new CNN();
    const before = snapshot(cnn);
    const sd = new CNN().stateDict();
    sd.set('model.0.weight', full([1, 1, 2, 2], 9));
    sd.delete('model.0.bias');
    expect(() => cnn.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for CNN:\n\tMissing key(s) in state_dict: "model.0.bias". ',
    );
    expect(snapshot(cnn)).toEqual(before);
    // non-strict loads the rest and reports the key
    expect(cnn.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['model.0.bias'], unexpectedKeys: [] });
    expect(cnn.stateDict().get('model.0.weight')!.toArray()).toEqual([9, 9, 9, 9]);
    expect(cnn.stateDict().get('model.0.bias')!.toArray()).toEqual(before[1]);
  });

  it('unexpected keys: PyTorch\'s message after the missing ones', () => {
    const cnn = new CNN();
    const before = snapshot(cnn);
    const sd = new CNN().stateDict();
    sd.delete('model.2.bias');
    sd.set('model.5.weight', zeros([1]));
    sd.set('extra', zeros([1]));
    expect(() => cnn.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for CNN:\n' +
        '\tMissing key(s) in state_dict: "model.2.bias". \n' +
        '\tUnexpected key(s) in state_dict: "model.5.weight", "extra". ',
    );
    expect(snapshot(cnn)).toEqual(before);
    expect(cnn.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['model.2.bias'], unexpectedKeys: ['model.5.weight', 'extra'] });
  });

  it('a key for an absent bias is unexpected', () => {
    const lin = new Linear(2, 1, { bias: false });
    expect(() => lin.loadStateDict({ weight: [[1, 2]], bias: [0] })).toThrow('Unexpected key(s) in state_dict: "bias". ');
  });

  it('size mismatch: PyTorch\'s message, even when not strict, nothing modified', () => {
    const cnn = new CNN();
    const before = snapshot(cnn);
    const sd = new CNN().stateDict();
    sd.set('model.0.weight', zeros([1, 1, 3, 3]));
    sd.set('model.2.bias', full([1], 5));
    const message =
      'Error(s) in loading state_dict for CNN:\n\tsize mismatch for model.0.weight: copying a param with shape ' +
      '[1, 1, 3, 3] from checkpoint, the shape in current model is [1, 1, 2, 2].';
    expect(() => cnn.loadStateDict(sd)).toThrow(message);
    expect(() => cnn.loadStateDict(sd, { strict: false })).toThrow(message);
    expect(snapshot(cnn)).toEqual(before);
  });

  it('NaN or infinity: refused, nothing modified', () => {
    const m = tutorialModel();
    const before = snapshot(m);
    const sd = tutorialModel().stateDict();
    sd.set('2.weight', tensor([[[[0, 1], [Number.NaN, 2]]]]));
    expect(() => m.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Sequential:\n\tnon-finite value NaN for 2.weight at flat index 2: refusing to load it.',
    );
    expect(snapshot(m)).toEqual(before);
    expect(() => m.loadStateDict({ ...Object.fromEntries(sd), '0.bias': [Infinity] })).toThrow('non-finite value Infinity for 0.bias');
    expect(snapshot(m)).toEqual(before);
  });

  it('lists every problem at once, in PyTorch\'s order', () => {
    const cnn = new CNN();
    const sd = new CNN().stateDict();
    sd.delete('model.0.bias');
    sd.set('model.0.weight', zeros([2, 2]));
    sd.set('bogus', zeros([1]));
    let message = '';
    try {
      cnn.loadStateDict(sd);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n\t')).toEqual([
      'Error(s) in loading state_dict for CNN:',
      'Missing key(s) in state_dict: "model.0.bias". ',
      'Unexpected key(s) in state_dict: "bogus". ',
      'size mismatch for model.0.weight: copying a param with shape [2, 2] from checkpoint, the shape in current model is [1, 1, 2, 2].',
    ]);
  });

  it('rejects values that are not tensors or arrays of numbers', () => {
    const lin = new Linear(1, 1);
    const before = snapshot(lin);
    expect(() => lin.loadStateDict({ weight: [[1]], bias: 'x' as unknown as number[] })).toThrow(
      'While copying the parameter named "bias", expected torch.Tensor or Tensor-like object from checkpoint but received string',
    );
    expect(() => lin.loadStateDict({ weight: [[1], [2, 3]], bias: [0] })).toThrow('While copying the parameter named "weight"');
    expect(snapshot(lin)).toEqual(before);
    expect(() => lin.loadStateDict(null as unknown as Map<string, Tensor>)).toThrow('Expected state_dict to be dict-like');
  });
});

describe('train / eval', () => {
  it('sets the flag on every submodule and returns the module', () => {
    const cnn = new CNN();
    expect([...cnn.modules()].every((m) => m.training)).toBe(true);
    expect(cnn.eval()).toBe(cnn);
    expect([...cnn.modules()].every((m) => !m.training)).toBe(true);
    cnn.train();
    expect([...cnn.modules()].every((m) => m.training)).toBe(true);
    cnn.train(false);
    expect(cnn.model.at(2).training).toBe(false);
    // the flag is state, not a parameter or a state_dict entry
    expect([...cnn.stateDict().keys()]).toEqual(KEYS);
  });
});

describe('zeroGrad', () => {
  const withGrads = (): CNN => {
    manualSeed(0);
    const cnn = new CNN();
    cnn.call(full([1, 1, 3, 3], 3)).sum().backward();
    return cnn;
  };

  it('zeroes gradients in place by default (PyTorch 1.13)', () => {
    const cnn = withGrads();
    const grads = cnn.parameters().map((p) => p.grad!);
    expect(grads.some((g) => g.toArray().some((v) => v !== 0))).toBe(true);
    cnn.zeroGrad();
    cnn.parameters().forEach((p, i) => {
      expect(p.grad).toBe(grads[i]);
      expect(p.grad!.toArray().every((v) => v === 0)).toBe(true);
    });
  });

  it('setToNone drops them', () => {
    const cnn = withGrads();
    cnn.zeroGrad({ setToNone: true });
    expect(cnn.parameters().every((p) => p.grad === null)).toBe(true);
    cnn.zeroGrad(); // no gradients: nothing to do
    expect(cnn.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('without it, gradients accumulate across backward calls', () => {
    const cnn = withGrads();
    const first = cnn.parameters().map((p) => p.grad!.toArray());
    cnn.call(full([1, 1, 3, 3], 3)).sum().backward();
    cnn.parameters().forEach((p, i) => {
      p.grad!.toArray().forEach((v, j) => expect(v).toBeCloseTo(2 * first[i][j], 5));
    });
    cnn.zeroGrad();
    cnn.call(full([1, 1, 3, 3], 3)).sum().backward();
    cnn.parameters().forEach((p, i) => expect(p.grad!.toArray()).toEqual(first[i]));
  });
});

describe('to(dtype), float(), double()', () => {
  it('converts parameters in place (same objects), with their gradients and buffers', () => {
    manualSeed(0);
    const cnn = new CNN();
    cnn.call(full([1, 1, 3, 3], 1)).sum().backward();
    class Holder extends Module {
      net = cnn;
      constructor() {
        super();
        this.registerBuffer('stat', tensor([0.1]));
      }
      forward(x: Tensor): Tensor {
        return this.net.call(x);
      }
    }
    const h = new Holder();
    const params = cnn.parameters();
    const values = params.map((p) => p.toArray());
    expect(h.double()).toBe(h);
    cnn.parameters().forEach((p, i) => expect(p).toBe(params[i]));
    params.forEach((p, i) => {
      expect(p.dtype).toBe('float64');
      expect(p.toArray()).toEqual(values[i]);
      expect(p.grad!.dtype).toBe('float64');
    });
    expect(h.buffers()[0].dtype).toBe('float64');
    const out = h.call(full([1, 1, 3, 3], 1, { dtype: 'float64' }));
    expect(out.dtype).toBe('float64');
    h.float();
    expect(params.every((p) => p.dtype === 'float32')).toBe(true);
    expect(params.map((p) => p.toArray())).toEqual(values);
    h.to('torch.float64');
    expect(params[0].dtype).toBe('float64');
  });
});

describe('apply, requiresGrad_', () => {
  it('apply visits children first, then the module', () => {
    const order: string[] = [];
    new CNN().apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['Conv2d', 'LeakyReLU', 'Conv2d', 'Sigmoid', 'Sequential', 'CNN']);
  });

  it('apply can re-initialise layers', () => {
    const cnn = new CNN();
    cnn.apply((m) => {
      if (m instanceof Conv2d) m.weight.data.fill(0.25);
    });
    expect(cnn.stateDict().get('model.2.weight')!.toArray()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('requiresGrad_(false) freezes every parameter', () => {
    const cnn = new CNN().requiresGrad_(false);
    expect(cnn.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(cnn.numParameters({ onlyTrainable: true })).toBe(0);
    expect(cnn.numParameters()).toBe(10);
  });
});

describe('Parameter', () => {
  it('shares the storage of the tensor it wraps and requires grad by default', () => {
    const t = tensor([1, 2, 3]);
    const p = new Parameter(t);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p.data).toBe(t.data);
    t.data[0] = 5;
    expect(p.toArray()[0]).toBe(5);
    expect(new Parameter(t, false).requiresGrad).toBe(false);
  });

  it('gradients flow into it', () => {
    const p = new Parameter(tensor([2, 3]));
    p.mul(p).sum().backward();
    expect(p.grad!.toArray()).toEqual([4, 6]);
  });
});
