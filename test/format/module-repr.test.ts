// nn.Module.__repr__ and the extra_repr helpers. Expected strings were printed by torch 1.13 as
// repr(module) of the Python modules named in the comments.
import { describe, expect, it } from 'vitest';
import { formatModule, formatTuple, pyFloat, type ModuleReprNode } from '../../src/format/index.js';

const leaf = (typeName: string, extraRepr = ''): ModuleReprNode => ({ typeName, extraRepr, children: [] });

// class Multi(nn.Module): def extra_repr(self): return 'a=1\nb=2'
const multi = leaf('Multi', 'a=1\nb=2');
// class WithBoth(nn.Module): inner = Multi(); lin = nn.Linear(2, 3); extra_repr 'scale=0.5'
const withBoth: ModuleReprNode = {
  typeName: 'WithBoth',
  extraRepr: 'scale=0.5',
  children: [
    ['inner', multi],
    ['lin', leaf('Linear', 'in_features=2, out_features=3, bias=True')],
  ],
};

describe('formatModule', () => {
  it('a module with no extra repr and no children', () => {
    // class Empty(nn.Module): pass
    expect(formatModule(leaf('Empty'))).toBe('Empty()');
  });
  it('a one-line extra repr stays on the same line', () => {
    // nn.Conv2d(1, 1, 2); nn.LeakyReLU()
    expect(formatModule(leaf('Conv2d', `1, 1, kernel_size=${formatTuple([2, 2])}, stride=${formatTuple([1, 1])}`))).toBe(
      'Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1))',
    );
    expect(formatModule(leaf('LeakyReLU', `negative_slope=${pyFloat(0.01)}`))).toBe('LeakyReLU(negative_slope=0.01)');
    // nn.Dropout(1e-6)
    expect(formatModule(leaf('Dropout', `p=${pyFloat(1e-6)}, inplace=False`))).toBe('Dropout(p=1e-06, inplace=False)');
  });
  it('a multi-line extra repr goes one item per line', () => {
    expect(formatModule(multi)).toBe('Multi(\n  a=1\n  b=2\n)');
  });
  it('extra repr lines come before the children, children are indented with _addindent', () => {
    expect(formatModule(withBoth)).toBe(
      'WithBoth(\n  scale=0.5\n  (inner): Multi(\n    a=1\n    b=2\n  )\n  (lin): Linear(in_features=2, out_features=3, bias=True)\n)',
    );
  });
  it('deep nesting', () => {
    // class Deep(nn.Module): block = nn.Sequential(nn.Sequential(nn.ReLU(), WithBoth()), nn.Identity())
    const deep: ModuleReprNode = {
      typeName: 'Deep',
      extraRepr: '',
      children: [
        [
          'block',
          {
            typeName: 'Sequential',
            extraRepr: '',
            children: [
              ['0', { typeName: 'Sequential', extraRepr: '', children: [['0', leaf('ReLU')], ['1', withBoth]] }],
              ['1', leaf('Identity')],
            ],
          },
        ],
      ],
    };
    expect(formatModule(deep)).toBe(
      'Deep(\n  (block): Sequential(\n    (0): Sequential(\n      (0): ReLU()\n      (1): WithBoth(\n        scale=0.5\n        (inner): Multi(\n          a=1\n          b=2\n        )\n        (lin): Linear(in_features=2, out_features=3, bias=True)\n      )\n    )\n    (1): Identity()\n  )\n)',
    );
  });
});

describe('formatTuple', () => {
  it('spells Python tuples', () => {
    // print((1,), (2, 2), (), (0.5, 1))
    expect(formatTuple([1])).toBe('(1,)');
    expect(formatTuple([2, 2])).toBe('(2, 2)');
    expect(formatTuple([])).toBe('()');
    expect(formatTuple([0.5, 1])).toBe('(0.5, 1)');
    expect(formatTuple([1e21, -3])).toBe('(1000000000000000000000, -3)');
  });
});
