// printing.json through torchlet's own objects (tensors, modules, state_dicts), character for character.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { CNN } from '../../src/lab/model.js';
import { loadFixture } from './fixture-utils.js';

const { cases } = loadFixture<{ cases: Record<string, string> }>('printing.json');
const nn = torch.nn;
const tutorialSequential = () => new nn.Sequential(new nn.Conv2d(1, 1, 2), new nn.LeakyReLU(), new nn.Conv2d(1, 1, 2), new nn.Sigmoid());

const BUILD: Record<string, () => unknown> = {
  "CNN module (seed's class) state_dict": () => { torch.manualSeed(0); return new CNN().stateDict(); },
  "CNN module (seed's class)": () => new CNN(),
  'a.grad (seed autograd demo)': () => {
    const a = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
    a.pow(3).add(torch.tensor([4], { dtype: 'float64', requiresGrad: true })).backward();
    return a.grad;
  },
  'b.grad (seed autograd demo)': () => {
    const b = torch.tensor([4], { dtype: 'float64', requiresGrad: true });
    torch.tensor([1], { dtype: 'float64', requiresGrad: true }).pow(3).add(b).backward();
    return b.grad;
  },
  c: () => torch.tensor([1], { dtype: 'float64', requiresGrad: true }).pow(3).add(torch.tensor([4], { dtype: 'float64', requiresGrad: true })),
  'sequential state_dict': () => { torch.manualSeed(0); return tutorialSequential().stateDict(); },
  'sequential output': () => { torch.manualSeed(0); return tutorialSequential().call(torch.full([1, 1, 3, 3], 200)); },
  'sequential module': () => tutorialSequential(),
  'tensor([0.5, -1.25, 3.0])': () => torch.tensor([0.5, -1.25, 3.0]),
  'tensor([1.0, 2.0])': () => torch.tensor([1, 2]),
  'tensor([[1e-5, 1.0],[100.0, 12345.678]])': () => torch.tensor([[1e-5, 1.0], [100.0, 12345.678]]),
  'tensor([1e10, 1.0])': () => torch.tensor([1e10, 1]),
  'tensor([0.1, 0.2], dtype=float64)': () => torch.tensor([0.1, 0.2], { dtype: 'float64' }),
  'tensor(3.5)': () => torch.tensor(3.5),
  'zeros(2,3)': () => torch.zeros([2, 3]),
  'tensor([nan, inf, -inf, 1.5])': () => torch.tensor([NaN, Infinity, -Infinity, 1.5]),
  'tensor([[[[200,200,200],...]]]) float32': () => torch.full([1, 1, 3, 3], 200).to('float32'),
  'arange(12).reshape(3,4).float() * 1.5': () => torch.arange(12).reshape(3, 4).float().mul(1.5),
  'rand(2,2) requires_grad after manual_seed(0)': () => { torch.manualSeed(0); return torch.rand([2, 2], { requiresGrad: true }); },
  'sigmoid output with grad_fn': () => torch.sigmoid(torch.tensor([0.5], { requiresGrad: true })),
};

describe('printing.json through real objects', () => {
  it('covers every case', () => expect(Object.keys(BUILD).sort()).toEqual(Object.keys(cases).sort()));
  for (const [name, expected] of Object.entries(cases)) {
    it(name, () => expect(String(BUILD[name]())).toBe(expected));
  }
});
