// Modules and state_dicts print as PyTorch 1.13 prints them: test/fixtures/printing.json, character for character.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import '../../src/autograd/engine.js';
import '../../src/ops/index.js';
import {
  BCELoss, Conv2d, CrossEntropyLoss, Flatten, Identity, LeakyReLU, Linear, MaxPool2d, Module, MSELoss, Parameter,
  ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../../src/nn/index.js';
import { manualSeed } from '../../src/random/index.js';
import { full, tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { printingCases } from './fixtures.js';

const cases = printingCases();
const tutorialModel = (): Sequential => new Sequential(new Conv2d(1, 1, 2), new LeakyReLU(), new Conv2d(1, 1, 2), new Sigmoid());

class CNN extends Module {
  model = tutorialModel();

  forward(x: Tensor): Tensor {
    return this.model.call(x);
  }
}

describe('printing.json', () => {
  it('sequential module', () => {
    const m = tutorialModel();
    expect(String(m)).toBe(cases['sequential module']);
    expect(inspect(m)).toBe(cases['sequential module']);
  });

  it('sequential state_dict (seed 0)', () => {
    manualSeed(0);
    const sd = tutorialModel().stateDict();
    expect(String(sd)).toBe(cases['sequential state_dict']);
    expect(inspect(sd)).toBe(cases['sequential state_dict']);
  });

  it('sequential output on a constant 200 input (seed 0)', () => {
    manualSeed(0);
    const out = tutorialModel().call(full([1, 1, 3, 3], 200));
    expect(String(out)).toBe(cases['sequential output']);
  });

  it("CNN module (seed's class)", () => {
    manualSeed(0);
    expect(String(new CNN())).toBe(cases["CNN module (seed's class)"]);
  });

  it("CNN module (seed's class) state_dict", () => {
    manualSeed(0);
    expect(String(new CNN().stateDict())).toBe(cases["CNN module (seed's class) state_dict"]);
  });
});

describe('extra_repr of each layer, as PyTorch spells it', () => {
  it.each([
    [new Conv2d(1, 1, 2), 'Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1))'],
    [new Conv2d(3, 8, [3, 5], { stride: 2, padding: 1 }), 'Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1))'],
    [new Conv2d(1, 2, 3, { bias: false }), 'Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)'],
    [new Linear(5, 3), 'Linear(in_features=5, out_features=3, bias=True)'],
    [new Linear(5, 3, { bias: false }), 'Linear(in_features=5, out_features=3, bias=False)'],
    [new LeakyReLU(), 'LeakyReLU(negative_slope=0.01)'],
    [new LeakyReLU(0.2), 'LeakyReLU(negative_slope=0.2)'],
    [new ReLU(), 'ReLU()'],
    [new Sigmoid(), 'Sigmoid()'],
    [new Tanh(), 'Tanh()'],
    [new Identity(), 'Identity()'],
    [new Softmax(1), 'Softmax(dim=1)'],
    [new MaxPool2d(2), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'],
    [new MaxPool2d(3, 1, 1), 'MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False)'],
    [new Flatten(), 'Flatten(start_dim=1, end_dim=-1)'],
    [new BCELoss(), 'BCELoss()'],
    [new MSELoss(), 'MSELoss()'],
    [new CrossEntropyLoss(), 'CrossEntropyLoss()'],
  ] as const)('%s', (m, text) => {
    expect(String(m)).toBe(text);
  });

  it('nests deeper modules with PyTorch\'s indentation', () => {
    const net = new Sequential(
      new Sequential(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2)),
      new Flatten(),
      new Linear(4, 2),
    );
    expect(String(net)).toBe(
      'Sequential(\n' +
        '  (0): Sequential(\n' +
        '    (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1))\n' +
        '    (1): ReLU()\n' +
        '    (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n' +
        '  )\n' +
        '  (1): Flatten(start_dim=1, end_dim=-1)\n' +
        '  (2): Linear(in_features=4, out_features=2, bias=True)\n' +
        ')',
    );
  });

  it('an empty state_dict prints as OrderedDict()', () => {
    expect(String(new ReLU().stateDict())).toBe('OrderedDict()');
  });
});

describe('names', () => {
  it('built-in layers carry their PyTorch name (survives minification); subclasses show their own', () => {
    expect(new Conv2d(1, 1, 1).getName()).toBe('Conv2d');
    expect(new BCELoss().getName()).toBe('BCELoss');
    class MyConv extends Conv2d {}
    expect(new MyConv(1, 1, 1).getName()).toBe('MyConv');
    expect(String(new MyConv(1, 1, 1))).toBe('MyConv(1, 1, kernel_size=(1, 1), stride=(1, 1))');
    expect(new CNN().getName()).toBe('CNN');
  });
});

describe('Parameter repr', () => {
  it('is "Parameter containing:" and the tensor with requires_grad=True', () => {
    expect(String(new Parameter(tensor([1, 2])))).toBe('Parameter containing:\ntensor([1., 2.], requires_grad=True)');
    expect(inspect(new Parameter(tensor([0.5]), false))).toBe('Parameter containing:\ntensor([0.5000])');
  });
});
