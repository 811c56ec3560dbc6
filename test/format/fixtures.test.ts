// Every case of test/fixtures/printing.json (repr(...) printed by PyTorch 1.13), character for character.
// The inputs are built by hand from the values the fixture text shows; the state_dict weights are the
// exact seed-0 initial weights from test/fixtures/seed_run_0.json `init` (same model, same seed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatModule, formatStateDict, formatTensor, type ModuleReprNode, type PrintableTensor } from '../../src/format/index.js';

const fixtureDir = new URL('../fixtures/', import.meta.url);
const printing = JSON.parse(readFileSync(new URL('printing.json', fixtureDir), 'utf8')) as {
  cases: Record<string, string>;
};
interface Saved {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}
const seedRun = JSON.parse(readFileSync(new URL('seed_run_0.json', fixtureDir), 'utf8')) as {
  init: Record<string, Saved>;
};

const f32 = (shape: number[], values: number[], extra: Partial<PrintableTensor> = {}): PrintableTensor => ({
  shape,
  dtype: 'float32',
  values: Float32Array.from(values),
  ...extra,
});
const f64 = (shape: number[], values: number[], extra: Partial<PrintableTensor> = {}): PrintableTensor => ({
  shape,
  dtype: 'float64',
  values: Float64Array.from(values),
  ...extra,
});
const fromSaved = (s: Saved): PrintableTensor => ({ shape: s.shape, dtype: s.dtype, values: Float32Array.from(s.data) });

const stateDict = (prefix: string): Array<[string, PrintableTensor]> =>
  ['0.weight', '0.bias', '2.weight', '2.bias'].map((k) => [prefix + k, fromSaved(seedRun.init[k])]);

const conv: ModuleReprNode = { typeName: 'Conv2d', extraRepr: '1, 1, kernel_size=(2, 2), stride=(1, 1)', children: [] };
const sequential: ModuleReprNode = {
  typeName: 'Sequential',
  extraRepr: '',
  children: [
    ['0', conv],
    ['1', { typeName: 'LeakyReLU', extraRepr: 'negative_slope=0.01', children: [] }],
    ['2', conv],
    ['3', { typeName: 'Sigmoid', extraRepr: '', children: [] }],
  ],
};
const cnn: ModuleReprNode = { typeName: 'CNN', extraRepr: '', children: [['model', sequential]] };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const filled = (n: number, v: number) => new Array<number>(n).fill(v);

const build: Record<string, () => string> = {
  "CNN module (seed's class) state_dict": () => formatStateDict(stateDict('model.')),
  "CNN module (seed's class)": () => formatModule(cnn),
  'a.grad (seed autograd demo)': () => formatTensor(f64([1], [3])),
  'b.grad (seed autograd demo)': () => formatTensor(f64([1], [1])),
  c: () => formatTensor(f64([1], [5], { requiresGrad: true, gradFnName: 'AddBackward0' })),
  'sequential state_dict': () => formatStateDict(stateDict('')),
  // 0.411163866519928: the seed-0 Sequential's output on the 200-filled input, as torch computed it.
  'sequential output': () =>
    formatTensor(f32([1, 1, 1, 1], [0.411163866519928], { requiresGrad: true, gradFnName: 'SigmoidBackward0' })),
  'sequential module': () => formatModule(sequential),
  'tensor([0.5, -1.25, 3.0])': () => formatTensor(f32([3], [0.5, -1.25, 3.0])),
  'tensor([1.0, 2.0])': () => formatTensor(f32([2], [1, 2])),
  'tensor([[1e-5, 1.0],[100.0, 12345.678]])': () => formatTensor(f32([2, 2], [1e-5, 1.0, 100.0, 12345.678])),
  'tensor([1e10, 1.0])': () => formatTensor(f32([2], [1e10, 1.0])),
  'tensor([0.1, 0.2], dtype=float64)': () => formatTensor(f64([2], [0.1, 0.2])),
  'tensor(3.5)': () => formatTensor(f32([], [3.5])),
  'zeros(2,3)': () => formatTensor(f32([2, 3], filled(6, 0))),
  'tensor([nan, inf, -inf, 1.5])': () => formatTensor(f32([4], [NaN, Infinity, -Infinity, 1.5])),
  'tensor([[[[200,200,200],...]]]) float32': () => formatTensor(f32([1, 1, 3, 3], filled(9, 200))),
  'arange(12).reshape(3,4).float() * 1.5': () =>
    formatTensor(f32([3, 4], Array.from({ length: 12 }, (_, i) => i * 1.5))),
  // torch.manual_seed(0); torch.rand(2, 2).tolist()
  'rand(2,2) requires_grad after manual_seed(0)': () =>
    formatTensor(
      f32([2, 2], [0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688], {
        requiresGrad: true,
      }),
    ),
  'sigmoid output with grad_fn': () =>
    formatTensor(f32([1], [sigmoid(0.5)], { requiresGrad: true, gradFnName: 'SigmoidBackward0' })),
};

describe('printing.json fixture (PyTorch 1.13 repr)', () => {
  it('has a builder for every fixture case and no stale builders', () => {
    expect(Object.keys(build).sort()).toEqual(Object.keys(printing.cases).sort());
  });
  for (const [name, expected] of Object.entries(printing.cases)) {
    it(name, () => {
      const make = build[name];
      expect(make, `no builder for fixture case ${name}`).toBeDefined();
      expect(make()).toBe(expected);
    });
  }
});
