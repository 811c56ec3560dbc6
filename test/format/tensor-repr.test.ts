// Unit tests for formatTensor / formatTensorData / setPrintOptions. Every expected string below was
// printed by torch 1.13 (Debian's python3-torch) as repr(...) of the tensor written in the comment.
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultPrintOptions,
  formatTensor,
  formatTensorData,
  getPrintOptions,
  setPrintOptions,
  type PrintableTensor,
  type PrintOptions,
} from '../../src/format/index.js';

const f32 = (shape: number[], values: ArrayLike<number>, extra: Partial<PrintableTensor> = {}): PrintableTensor => ({
  shape,
  dtype: 'float32',
  values: Float32Array.from(values),
  ...extra,
});
const f64 = (shape: number[], values: ArrayLike<number>, extra: Partial<PrintableTensor> = {}): PrintableTensor => ({
  shape,
  dtype: 'float64',
  values: Float64Array.from(values),
  ...extra,
});
/** torch.arange(n) mapped elementwise. */
const arange = (n: number, fn: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => fn(i));
const opts = (o: Partial<PrintOptions>): PrintOptions => ({ ...defaultPrintOptions, ...o });
const fr = Math.fround;

afterEach(() => setPrintOptions({ profile: 'default' }));

describe('mode switches (_Formatter)', () => {
  it('int mode: all finite values integral -> "1." style, right-aligned', () => {
    // torch.tensor([1., 2., -3.])
    expect(formatTensor(f32([3], [1, 2, -3]))).toBe('tensor([ 1.,  2., -3.])');
  });
  it('int mode switches to sci when max/min > 1000 or max > 1e8', () => {
    // torch.tensor([1., 1e5])
    expect(formatTensor(f32([2], [1, 1e5]))).toBe('tensor([1.0000e+00, 1.0000e+05])');
    // torch.tensor([1e9], dtype=torch.float64)
    expect(formatTensor(f64([1], [1e9]))).toBe('tensor([1.0000e+09], dtype=torch.float64)');
    // torch.tensor([1., 1000.]) -- ratio exactly 1000 stays int mode
    expect(formatTensor(f32([2], [1, 1000]))).toBe('tensor([   1., 1000.])');
  });
  it('fixed mode and its sci thresholds (ratio 1000, max 1e8, min 1e-4)', () => {
    // torch.tensor([0.5, 500.])
    expect(formatTensor(f32([2], [0.5, 500]))).toBe('tensor([  0.5000, 500.0000])');
    // torch.tensor([0.5, 500.5])
    expect(formatTensor(f32([2], [0.5, 500.5]))).toBe('tensor([5.0000e-01, 5.0050e+02])');
    // torch.tensor([1e-4, 0.05], dtype=torch.float64)
    expect(formatTensor(f64([2], [1e-4, 0.05]))).toBe('tensor([0.0001, 0.0500], dtype=torch.float64)');
    // torch.tensor([9e-5, 0.05], dtype=torch.float64)
    expect(formatTensor(f64([2], [9e-5, 0.05]))).toBe('tensor([9.0000e-05, 5.0000e-02], dtype=torch.float64)');
    // torch.tensor([123456789.5], dtype=torch.float64)
    expect(formatTensor(f64([1], [123456789.5]))).toBe('tensor([1.2346e+08], dtype=torch.float64)');
    // torch.tensor([12345678.25, 100000.5], dtype=torch.float64)
    expect(formatTensor(f64([2], [12345678.25, 100000.5]))).toBe(
      'tensor([12345678.2500,   100000.5000], dtype=torch.float64)',
    );
    // torch.tensor([123456., -7.])
    expect(formatTensor(f32([2], [123456, -7]))).toBe('tensor([ 1.2346e+05, -7.0000e+00])');
  });
  it('sci mode: rounding carries into the exponent, 3-digit exponents, subnormals', () => {
    // torch.tensor([9.99996e-5, 1.], dtype=torch.float64)
    expect(formatTensor(f64([2], [9.99996e-5, 1]))).toBe('tensor([1.0000e-04, 1.0000e+00], dtype=torch.float64)');
    // torch.tensor([1e-300, 1e300], dtype=torch.float64)
    expect(formatTensor(f64([2], [1e-300, 1e300]))).toBe('tensor([1.0000e-300, 1.0000e+300], dtype=torch.float64)');
    // torch.tensor([5e-324, 1.], dtype=torch.float64)
    expect(formatTensor(f64([2], [5e-324, 1]))).toBe('tensor([4.9407e-324,  1.0000e+00], dtype=torch.float64)');
  });
  it('sciMode option forces the mode but keeps the width measured in the automatic mode', () => {
    // torch.set_printoptions(sci_mode=True); torch.tensor([1.5, 2.25])
    expect(formatTensor(f32([2], [1.5, 2.25]), opts({ sciMode: true }))).toBe('tensor([1.5000e+00, 2.2500e+00])');
    // sci_mode=True; torch.tensor([3., 1.])
    expect(formatTensor(f32([2], [3, 1]), opts({ sciMode: true }))).toBe('tensor([3.0000e+00, 1.0000e+00])');
    // sci_mode=True; torch.zeros(2) -- no non-zero finite value, so the option is never applied
    expect(formatTensor(f32([2], [0, 0]), opts({ sciMode: true }))).toBe('tensor([0., 0.])');
    // sci_mode=False; torch.tensor([1e-5, 1.])
    expect(formatTensor(f32([2], [1e-5, 1]), opts({ sciMode: false }))).toBe('tensor([    0.0000,     1.0000])');
    // sci_mode=False; torch.tensor([1e5, 1.])
    expect(formatTensor(f32([2], [1e5, 1]), opts({ sciMode: false }))).toBe('tensor([   100000.,         1.])');
  });
});

describe('negative zero', () => {
  it('keeps its sign in every mode, and does not count towards the width', () => {
    // torch.tensor([-0.])
    expect(formatTensor(f32([1], [-0]))).toBe('tensor([-0.])');
    // torch.tensor(-0.)
    expect(formatTensor(f32([], [-0]))).toBe('tensor(-0.)');
    // torch.tensor([-0., 1.5])
    expect(formatTensor(f32([2], [-0, 1.5]))).toBe('tensor([-0.0000, 1.5000])');
    // torch.tensor([-0., 1e-5, 1.])
    expect(formatTensor(f32([3], [-0, 1e-5, 1]))).toBe('tensor([-0.0000e+00, 1.0000e-05, 1.0000e+00])');
    // sci_mode=False; torch.tensor([-0.00001, 1e-5, 1.]) -- a negative value rounding to zero keeps '-'
    expect(formatTensor(f32([3], [-0.00001, 1e-5, 1]), opts({ sciMode: false }))).toBe(
      'tensor([    -0.0000,      0.0000,      1.0000])',
    );
  });
});

describe('nan and inf', () => {
  it('mixed with finite values in each mode', () => {
    // torch.tensor([nan, -inf, 2.])
    expect(formatTensor(f32([3], [NaN, -Infinity, 2]))).toBe('tensor([nan, -inf, 2.])');
    // torch.tensor([inf, -1e-5, nan, 3.])
    expect(formatTensor(f32([4], [Infinity, -1e-5, NaN, 3]))).toBe(
      'tensor([        inf, -1.0000e-05,         nan,  3.0000e+00])',
    );
  });
  it('alone', () => {
    // torch.tensor([nan, nan]); torch.tensor([inf, -inf]); torch.tensor(nan)
    expect(formatTensor(f32([2], [NaN, NaN]))).toBe('tensor([nan, nan])');
    expect(formatTensor(f32([2], [Infinity, -Infinity]))).toBe('tensor([inf, -inf])');
    expect(formatTensor(f32([], [NaN]))).toBe('tensor(nan)');
  });
});

describe('precision and Python rounding', () => {
  it('float64 and float32 with precision=10 (float32 printed after widening to double)', () => {
    // torch.set_printoptions(precision=10); torch.tensor([1/3, -2/3], dtype=torch.float64)
    expect(formatTensor(f64([2], [1 / 3, -2 / 3]), opts({ precision: 10 }))).toBe(
      'tensor([ 0.3333333333, -0.6666666667], dtype=torch.float64)',
    );
    // precision=10; torch.tensor([1/3, -2/3])
    expect(formatTensor(f32([2], [1 / 3, -2 / 3]), opts({ precision: 10 }))).toBe(
      'tensor([ 0.3333333433, -0.6666666865])',
    );
  });
  it('exact binary ties round half to even (toFixed would give 0.13, 0.38, -0.63)', () => {
    // precision=2; torch.tensor([0.125, 0.375, -0.625])
    expect(formatTensor(f32([3], [0.125, 0.375, -0.625]), opts({ precision: 2 }))).toBe('tensor([ 0.12,  0.38, -0.62])');
    // precision=0; torch.tensor([2.5, 0.5, 1.25])
    expect(formatTensor(f32([3], [2.5, 0.5, 1.25]), opts({ precision: 0 }))).toBe('tensor([2, 0, 1])');
  });
  it('rounds the exact binary value: 1.00005 as float64 vs float32, 2.5e-5', () => {
    // torch.tensor([1.00005], dtype=torch.float64); torch.tensor([1.00005])
    expect(formatTensor(f64([1], [1.00005]))).toBe('tensor([1.0001], dtype=torch.float64)');
    expect(formatTensor(f32([1], [1.00005]))).toBe('tensor([1.0000])');
    // a plain number array for a float32 tensor is rounded to float32 first
    expect(formatTensor({ shape: [1], dtype: 'float32', values: [1.00005] })).toBe('tensor([1.0000])');
    // torch.tensor([2.5e-5, 1.])
    expect(formatTensor(f32([2], [2.5e-5, 1]))).toBe('tensor([2.5000e-05, 1.0000e+00])');
    // precision=0; torch.tensor([2.5e-5, 1.], dtype=torch.float64)
    expect(formatTensor(f64([2], [2.5e-5, 1]), opts({ precision: 0 }))).toBe(
      'tensor([3e-05, 1e+00], dtype=torch.float64)',
    );
  });
});

describe('summarisation', () => {
  it('a 2000-element 1-D tensor is summarised with edge items, and wraps', () => {
    // torch.arange(2000.) -- the formatter sees only the shown items: 1..1999 -> ratio > 1000 -> sci
    expect(formatTensor(f32([2000], arange(2000)))).toBe(
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
    );
  });
  it('the formatter ignores the hidden middle', () => {
    // x = torch.ones(2000); x[1000] = 1e-6
    const x = arange(2000, () => 1);
    x[1000] = 1e-6;
    expect(formatTensor(f32([2000], x))).toBe('tensor([1., 1., 1.,  ..., 1., 1., 1.])');
  });
  it('2-D summarised rows and columns', () => {
    // (torch.arange(2000.).reshape(40, 50) - 1000) / 8
    expect(formatTensor(f32([40, 50], arange(2000, (i) => (i - 1000) / 8)))).toBe(
      'tensor([[-125.0000, -124.8750, -124.7500,  ..., -119.1250, -119.0000,\n         -118.8750],\n        [-118.7500, -118.6250, -118.5000,  ..., -112.8750, -112.7500,\n         -112.6250],\n        [-112.5000, -112.3750, -112.2500,  ..., -106.6250, -106.5000,\n         -106.3750],\n        ...,\n        [ 106.2500,  106.3750,  106.5000,  ...,  112.1250,  112.2500,\n          112.3750],\n        [ 112.5000,  112.6250,  112.7500,  ...,  118.3750,  118.5000,\n          118.6250],\n        [ 118.7500,  118.8750,  119.0000,  ...,  124.6250,  124.7500,\n          124.8750]])',
    );
  });
  it('3-D summarised: "..." between blocks separated by blank lines', () => {
    // torch.arange(2000.).reshape(10, 10, 20) * 0.5
    expect(formatTensor(f32([10, 10, 20], arange(2000, (i) => i * 0.5)))).toBe(
      'tensor([[[0.0000e+00, 5.0000e-01, 1.0000e+00,  ..., 8.5000e+00,\n          9.0000e+00, 9.5000e+00],\n         [1.0000e+01, 1.0500e+01, 1.1000e+01,  ..., 1.8500e+01,\n          1.9000e+01, 1.9500e+01],\n         [2.0000e+01, 2.0500e+01, 2.1000e+01,  ..., 2.8500e+01,\n          2.9000e+01, 2.9500e+01],\n         ...,\n         [7.0000e+01, 7.0500e+01, 7.1000e+01,  ..., 7.8500e+01,\n          7.9000e+01, 7.9500e+01],\n         [8.0000e+01, 8.0500e+01, 8.1000e+01,  ..., 8.8500e+01,\n          8.9000e+01, 8.9500e+01],\n         [9.0000e+01, 9.0500e+01, 9.1000e+01,  ..., 9.8500e+01,\n          9.9000e+01, 9.9500e+01]],\n\n        [[1.0000e+02, 1.0050e+02, 1.0100e+02,  ..., 1.0850e+02,\n          1.0900e+02, 1.0950e+02],\n         [1.1000e+02, 1.1050e+02, 1.1100e+02,  ..., 1.1850e+02,\n          1.1900e+02, 1.1950e+02],\n         [1.2000e+02, 1.2050e+02, 1.2100e+02,  ..., 1.2850e+02,\n          1.2900e+02, 1.2950e+02],\n         ...,\n         [1.7000e+02, 1.7050e+02, 1.7100e+02,  ..., 1.7850e+02,\n          1.7900e+02, 1.7950e+02],\n         [1.8000e+02, 1.8050e+02, 1.8100e+02,  ..., 1.8850e+02,\n          1.8900e+02, 1.8950e+02],\n         [1.9000e+02, 1.9050e+02, 1.9100e+02,  ..., 1.9850e+02,\n          1.9900e+02, 1.9950e+02]],\n\n        [[2.0000e+02, 2.0050e+02, 2.0100e+02,  ..., 2.0850e+02,\n          2.0900e+02, 2.0950e+02],\n         [2.1000e+02, 2.1050e+02, 2.1100e+02,  ..., 2.1850e+02,\n          2.1900e+02, 2.1950e+02],\n         [2.2000e+02, 2.2050e+02, 2.2100e+02,  ..., 2.2850e+02,\n          2.2900e+02, 2.2950e+02],\n         ...,\n         [2.7000e+02, 2.7050e+02, 2.7100e+02,  ..., 2.7850e+02,\n          2.7900e+02, 2.7950e+02],\n         [2.8000e+02, 2.8050e+02, 2.8100e+02,  ..., 2.8850e+02,\n          2.8900e+02, 2.8950e+02],\n         [2.9000e+02, 2.9050e+02, 2.9100e+02,  ..., 2.9850e+02,\n          2.9900e+02, 2.9950e+02]],\n\n        ...,\n\n        [[7.0000e+02, 7.0050e+02, 7.0100e+02,  ..., 7.0850e+02,\n          7.0900e+02, 7.0950e+02],\n         [7.1000e+02, 7.1050e+02, 7.1100e+02,  ..., 7.1850e+02,\n          7.1900e+02, 7.1950e+02],\n         [7.2000e+02, 7.2050e+02, 7.2100e+02,  ..., 7.2850e+02,\n          7.2900e+02, 7.2950e+02],\n         ...,\n         [7.7000e+02, 7.7050e+02, 7.7100e+02,  ..., 7.7850e+02,\n          7.7900e+02, 7.7950e+02],\n         [7.8000e+02, 7.8050e+02, 7.8100e+02,  ..., 7.8850e+02,\n          7.8900e+02, 7.8950e+02],\n         [7.9000e+02, 7.9050e+02, 7.9100e+02,  ..., 7.9850e+02,\n          7.9900e+02, 7.9950e+02]],\n\n        [[8.0000e+02, 8.0050e+02, 8.0100e+02,  ..., 8.0850e+02,\n          8.0900e+02, 8.0950e+02],\n         [8.1000e+02, 8.1050e+02, 8.1100e+02,  ..., 8.1850e+02,\n          8.1900e+02, 8.1950e+02],\n         [8.2000e+02, 8.2050e+02, 8.2100e+02,  ..., 8.2850e+02,\n          8.2900e+02, 8.2950e+02],\n         ...,\n         [8.7000e+02, 8.7050e+02, 8.7100e+02,  ..., 8.7850e+02,\n          8.7900e+02, 8.7950e+02],\n         [8.8000e+02, 8.8050e+02, 8.8100e+02,  ..., 8.8850e+02,\n          8.8900e+02, 8.8950e+02],\n         [8.9000e+02, 8.9050e+02, 8.9100e+02,  ..., 8.9850e+02,\n          8.9900e+02, 8.9950e+02]],\n\n        [[9.0000e+02, 9.0050e+02, 9.0100e+02,  ..., 9.0850e+02,\n          9.0900e+02, 9.0950e+02],\n         [9.1000e+02, 9.1050e+02, 9.1100e+02,  ..., 9.1850e+02,\n          9.1900e+02, 9.1950e+02],\n         [9.2000e+02, 9.2050e+02, 9.2100e+02,  ..., 9.2850e+02,\n          9.2900e+02, 9.2950e+02],\n         ...,\n         [9.7000e+02, 9.7050e+02, 9.7100e+02,  ..., 9.7850e+02,\n          9.7900e+02, 9.7950e+02],\n         [9.8000e+02, 9.8050e+02, 9.8100e+02,  ..., 9.8850e+02,\n          9.8900e+02, 9.8950e+02],\n         [9.9000e+02, 9.9050e+02, 9.9100e+02,  ..., 9.9850e+02,\n          9.9900e+02, 9.9950e+02]]])',
    );
  });
  it('threshold / edgeitems options, including edgeitems=0', () => {
    const t = f32([10], arange(10));
    // torch.set_printoptions(threshold=5); torch.arange(10.)
    expect(formatTensor(t, opts({ threshold: 5 }))).toBe('tensor([0., 1., 2.,  ..., 7., 8., 9.])');
    // threshold=5, edgeitems=1
    expect(formatTensor(t, opts({ threshold: 5, edgeitems: 1 }))).toBe('tensor([0.,  ..., 9.])');
    // threshold=5, edgeitems=0 -- Python's t[-0:] is the whole tensor
    expect(formatTensor(t, opts({ threshold: 5, edgeitems: 0 }))).toBe(
      'tensor([ ..., 0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])',
    );
    // threshold=5, edgeitems=0; torch.arange(20.).reshape(4, 5) -> RuntimeError in torch too
    expect(() => formatTensor(f32([4, 5], arange(20)), opts({ threshold: 5, edgeitems: 0 }))).toThrow(
      'stack expects a non-empty TensorList',
    );
  });
});

describe('line wrapping', () => {
  it('a wide 1-D tensor wraps at linewidth 80 under the opening bracket', () => {
    // torch.arange(30.) * 1.5 - 7
    expect(formatTensor(f32([30], arange(30, (i) => i * 1.5 - 7)))).toBe(
      'tensor([-7.0000, -5.5000, -4.0000, -2.5000, -1.0000,  0.5000,  2.0000,  3.5000,\n         5.0000,  6.5000,  8.0000,  9.5000, 11.0000, 12.5000, 14.0000, 15.5000,\n        17.0000, 18.5000, 20.0000, 21.5000, 23.0000, 24.5000, 26.0000, 27.5000,\n        29.0000, 30.5000, 32.0000, 33.5000, 35.0000, 36.5000])',
    );
  });
  it('fills a row exactly when the width divides the space left (2-D rows start at column 8)', () => {
    // (torch.arange(18.) * 1.2345 - 5).reshape(2, 9): (80 - 8) / 9 = 8 elements per line
    expect(formatTensor(f32([2, 9], arange(18, (i) => fr(fr(i * fr(1.2345)) - 5))))).toBe(
      'tensor([[-5.0000, -3.7655, -2.5310, -1.2965, -0.0620,  1.1725,  2.4070,  3.6415,\n          4.8760],\n        [ 6.1105,  7.3450,  8.5795,  9.8140, 11.0485, 12.2830, 13.5175, 14.7520,\n         15.9865]])',
    );
  });
  it('follows the linewidth option, down to one element per line', () => {
    // linewidth=40; torch.arange(12.) / 3
    expect(formatTensor(f32([12], arange(12, (i) => i / 3)), opts({ linewidth: 40 }))).toBe(
      'tensor([0.0000, 0.3333, 0.6667, 1.0000,\n        1.3333, 1.6667, 2.0000, 2.3333,\n        2.6667, 3.0000, 3.3333, 3.6667])',
    );
    // linewidth=5; torch.tensor([1.5, 2.5, 3.5])
    expect(formatTensor(f32([3], [1.5, 2.5, 3.5]), opts({ linewidth: 5 }))).toBe(
      'tensor([1.5000,\n        2.5000,\n        3.5000])',
    );
  });
});

describe('nesting', () => {
  it('3-D tensor', () => {
    // torch.arange(24.).reshape(2, 3, 4) - 10
    expect(formatTensor(f32([2, 3, 4], arange(24, (i) => i - 10)))).toBe(
      'tensor([[[-10.,  -9.,  -8.,  -7.],\n         [ -6.,  -5.,  -4.,  -3.],\n         [ -2.,  -1.,   0.,   1.]],\n\n        [[  2.,   3.,   4.,   5.],\n         [  6.,   7.,   8.,   9.],\n         [ 10.,  11.,  12.,  13.]]])',
    );
  });
  it('4-D tensor', () => {
    // torch.arange(16.).reshape(2, 2, 2, 2) / 4
    expect(formatTensor(f32([2, 2, 2, 2], arange(16, (i) => i / 4)))).toBe(
      'tensor([[[[0.0000, 0.2500],\n          [0.5000, 0.7500]],\n\n         [[1.0000, 1.2500],\n          [1.5000, 1.7500]]],\n\n\n        [[[2.0000, 2.2500],\n          [2.5000, 2.7500]],\n\n         [[3.0000, 3.2500],\n          [3.5000, 3.7500]]]])',
    );
  });
});

describe('0-d and empty tensors', () => {
  it('0-d', () => {
    // torch.tensor(1e-5); torch.tensor(2., dtype=torch.float64, requires_grad=True)
    expect(formatTensor(f32([], [1e-5]))).toBe('tensor(1.0000e-05)');
    expect(formatTensor(f64([], [2], { requiresGrad: true }))).toBe('tensor(2., dtype=torch.float64, requires_grad=True)');
  });
  it('empty: size shown unless (0,), dtype when not float32', () => {
    // torch.empty(0); torch.empty(0, 3); torch.empty(0, dtype=torch.float64); torch.empty(1, 0, 2)
    expect(formatTensor(f32([0], []))).toBe('tensor([])');
    expect(formatTensor(f32([0, 3], []))).toBe('tensor([], size=(0, 3))');
    expect(formatTensor(f64([0], []))).toBe('tensor([], dtype=torch.float64)');
    expect(formatTensor(f32([1, 0, 2], []))).toBe('tensor([], size=(1, 0, 2))');
    // torch.empty(2, 0, dtype=torch.float64, requires_grad=True)
    expect(formatTensor(f64([2, 0], [], { requiresGrad: true }))).toBe(
      'tensor([], size=(2, 0), dtype=torch.float64, requires_grad=True)',
    );
  });
});

describe('suffixes', () => {
  it('order: dtype, then grad_fn or (for a leaf) requires_grad', () => {
    // torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
    expect(formatTensor(f64([2], [1, 2], { requiresGrad: true }))).toBe(
      'tensor([1., 2.], dtype=torch.float64, requires_grad=True)',
    );
    // a non-leaf prints grad_fn only, even though it requires grad
    expect(formatTensor(f64([2], [1, 2], { requiresGrad: true, gradFnName: 'MulBackward0' }))).toBe(
      'tensor([1., 2.], dtype=torch.float64, grad_fn=<MulBackward0>)',
    );
    expect(formatTensor(f32([2], [1, 2], { requiresGrad: false, gradFnName: null }))).toBe('tensor([1., 2.])');
  });
  it('a suffix that would pass linewidth goes on its own line, indented under the data', () => {
    const w = (n: number) => arange(n, (i) => fr((i + 1) * fr(-1.2345)));
    // (torch.arange(1., 9.) * -1.2345) -- exactly 79 columns, then with .requires_grad_()
    expect(formatTensor(f32([8], w(8)))).toBe(
      'tensor([-1.2345, -2.4690, -3.7035, -4.9380, -6.1725, -7.4070, -8.6415, -9.8760])',
    );
    expect(formatTensor(f32([8], w(8), { requiresGrad: true }))).toBe(
      'tensor([-1.2345, -2.4690, -3.7035, -4.9380, -6.1725, -7.4070, -8.6415, -9.8760],\n       requires_grad=True)',
    );
    // (torch.arange(1., 8.) * -1.2345).requires_grad_() -- PyTorch's own +2 miscount makes this wrap too
    expect(formatTensor(f32([7], w(7), { requiresGrad: true }))).toBe(
      'tensor([-1.2345, -2.4690, -3.7035, -4.9380, -6.1725, -7.4070, -8.6415],\n       requires_grad=True)',
    );
    // (torch.arange(1., 9., dtype=torch.float64) * -1.2345).requires_grad_()
    expect(formatTensor(f64([8], arange(8, (i) => (i + 1) * -1.2345), { requiresGrad: true }))).toBe(
      'tensor([-1.2345, -2.4690, -3.7035, -4.9380, -6.1725, -7.4070, -8.6415, -9.8760],\n       dtype=torch.float64, requires_grad=True)',
    );
    // (torch.arange(1., 6., dtype=torch.float64) * -1.2345).requires_grad_() * 2 -- first suffix fits, second wraps
    expect(formatTensor(f64([5], arange(5, (i) => (i + 1) * -1.2345 * 2), { gradFnName: 'MulBackward0' }))).toBe(
      'tensor([ -2.4690,  -4.9380,  -7.4070,  -9.8760, -12.3450], dtype=torch.float64,\n       grad_fn=<MulBackward0>)',
    );
  });
  it("reproduces _add_suffixes' column count exactly at the boundary", () => {
    // torch.ones(13, requires_grad=True): the line is 59 columns, PyTorch counts 61 (+2 for ', ') -> 81 > 80
    expect(formatTensor(f32([13], arange(13, () => 1), { requiresGrad: true }))).toBe(
      'tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n       requires_grad=True)',
    );
    // torch.ones(12, requires_grad=True)
    expect(formatTensor(f32([12], arange(12, () => 1), { requiresGrad: true }))).toBe(
      'tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.], requires_grad=True)',
    );
  });
  it('after a multi-line body only the last line counts', () => {
    // (torch.arange(1., 17., dtype=torch.float64).reshape(2, 8) * -1.2345).requires_grad_()
    expect(formatTensor(f64([2, 8], arange(16, (i) => (i + 1) * -1.2345), { requiresGrad: true }))).toBe(
      'tensor([[ -1.2345,  -2.4690,  -3.7035,  -4.9380,  -6.1725,  -7.4070,  -8.6415,\n          -9.8760],\n        [-11.1105, -12.3450, -13.5795, -14.8140, -16.0485, -17.2830, -18.5175,\n         -19.7520]], dtype=torch.float64, requires_grad=True)',
    );
    // (torch.arange(16.) * -1.2345).requires_grad_()
    expect(formatTensor(f32([16], arange(16, (i) => fr(i * fr(-1.2345))), { requiresGrad: true }))).toBe(
      'tensor([ -0.0000,  -1.2345,  -2.4690,  -3.7035,  -4.9380,  -6.1725,  -7.4070,\n         -8.6415,  -9.8760, -11.1105, -12.3450, -13.5795, -14.8140, -16.0485,\n        -17.2830, -18.5175], requires_grad=True)',
    );
    // linewidth=30; (torch.arange(1., 5., dtype=torch.float64).reshape(2, 2) * -1.2345).requires_grad_()
    expect(
      formatTensor(f64([2, 2], arange(4, (i) => (i + 1) * -1.2345), { requiresGrad: true }), opts({ linewidth: 30 })),
    ).toBe('tensor([[-1.2345, -2.4690],\n        [-3.7035, -4.9380]],\n       dtype=torch.float64,\n       requires_grad=True)');
  });
});

describe('setPrintOptions (torch.set_printoptions)', () => {
  it('changes what formatTensor uses by default and profile="default" restores it', () => {
    setPrintOptions({ precision: 2 });
    expect(formatTensor(f32([1], [1.12345]))).toBe('tensor([1.12])');
    setPrintOptions({ profile: 'default' });
    expect(formatTensor(f32([1], [1.12345]))).toBe('tensor([1.1235])');
    expect(getPrintOptions()).toEqual(defaultPrintOptions);
  });
  it("profile 'short' and 'full'", () => {
    // set_printoptions(profile='short'); torch.tensor([1.12345, 2.5])
    setPrintOptions({ profile: 'short' });
    expect(formatTensor(f32([2], [1.12345, 2.5]))).toBe('tensor([1.12, 2.50])');
    // profile='short'; torch.arange(1200.).reshape(30, 40) / 3
    expect(formatTensor(f32([30, 40], arange(1200, (i) => i / 3)))).toBe(
      'tensor([[0.00e+00, 3.33e-01,  ..., 1.27e+01, 1.30e+01],\n        [1.33e+01, 1.37e+01,  ..., 2.60e+01, 2.63e+01],\n        ...,\n        [3.73e+02, 3.74e+02,  ..., 3.86e+02, 3.86e+02],\n        [3.87e+02, 3.87e+02,  ..., 3.99e+02, 4.00e+02]])',
    );
    setPrintOptions({ profile: 'full' });
    expect(getPrintOptions().threshold).toBe(Infinity);
    // profile='full'; torch.arange(1200.) % 7 + 1 -- 1200 > 1000 elements, printed in full
    const s = formatTensor(f32([1200], arange(1200, (i) => (i % 7) + 1)));
    expect(s).not.toContain('...');
    expect(s.startsWith('tensor([1., 2., 3., 4., 5., 6., 7., 1., 2.,')).toBe(true);
    expect(s.split('\n')).toHaveLength(67);
  });
  it('like PyTorch, sciMode is reset to automatic whenever it is not passed', () => {
    setPrintOptions({ sciMode: true });
    expect(formatTensor(f32([1], [1.5]))).toBe('tensor([1.5000e+00])');
    setPrintOptions({ precision: 4 });
    expect(getPrintOptions().sciMode).toBeNull();
    expect(formatTensor(f32([1], [1.5]))).toBe('tensor([1.5000])');
  });
  it('explicit options win over the global ones', () => {
    setPrintOptions({ precision: 1 });
    expect(formatTensor(f32([1], [1.25]), defaultPrintOptions)).toBe('tensor([1.2500])');
  });
});

describe('formatTensorData', () => {
  it('returns the data part only, at the given indent', () => {
    const t = f64([2, 2], [1, 2, 3, 4.5], { requiresGrad: true });
    expect(formatTensorData(t)).toBe('[[1.0000, 2.0000],\n [3.0000, 4.5000]]');
    expect('tensor(' + formatTensorData(t, defaultPrintOptions, 7)).toBe(
      formatTensor(t).replace(', dtype=torch.float64, requires_grad=True)', ''),
    );
    expect(formatTensorData(f32([0, 3], []))).toBe('[]');
  });
  it('rejects a shape that the values do not fill', () => {
    expect(() => formatTensor(f32([2, 2], [1, 2, 3]))).toThrow(RangeError);
    expect(() => formatTensor(f32([-1], [1]))).toThrow(RangeError);
  });
});
