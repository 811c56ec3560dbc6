// repr(OrderedDict(...)) of tensors as Python 3.11 + torch 1.13 print it (strings pasted from torch).
import { describe, expect, it } from 'vitest';
import { defaultPrintOptions, formatStateDict } from '../../src/format/index.js';

describe('formatStateDict', () => {
  it('is OrderedDict() when empty', () => {
    expect(formatStateDict([])).toBe('OrderedDict()');
  });
  it('lists (key, tensor) tuples in order', () => {
    // OrderedDict([('w', torch.tensor([[1e-5, 1.0]], dtype=torch.float64)), ('b', torch.empty(0))])
    expect(
      formatStateDict([
        ['w', { shape: [1, 2], dtype: 'float64', values: [1e-5, 1] }],
        ['b', { shape: [0], dtype: 'float32', values: [] }],
      ]),
    ).toBe("OrderedDict([('w', tensor([[1.0000e-05, 1.0000e+00]], dtype=torch.float64)), ('b', tensor([]))])");
    // nn.Linear(0, 1).state_dict()
    expect(
      formatStateDict([
        ['weight', { shape: [1, 0], dtype: 'float32', values: [] }],
        ['bias', { shape: [1], dtype: 'float32', values: [0] }],
      ]),
    ).toBe("OrderedDict([('weight', tensor([], size=(1, 0))), ('bias', tensor([0.]))])");
  });
  it('quotes keys with Python repr', () => {
    // OrderedDict([("it's", torch.tensor([1.]))])
    expect(formatStateDict([["it's", { shape: [1], dtype: 'float32', values: [1] }]])).toBe(
      'OrderedDict([("it\'s", tensor([1.]))])',
    );
  });
  it('passes print options on to the tensors', () => {
    expect(
      formatStateDict([['x', { shape: [1], dtype: 'float32', values: [0.125] }]], { ...defaultPrintOptions, precision: 2 }),
    ).toBe("OrderedDict([('x', tensor([0.12]))])");
  });
});
