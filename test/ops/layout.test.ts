// Index maths (src/tensor/shape.ts), broadcasting, views against copies, and the autograd rules PyTorch users
// rely on: in-place refusal on leaves, .grad accumulation, freed graphs, retainGraph, noGrad, retainGrad, and
// grad_fn names / next_functions. Expected view strides and grad_fn names were read off PyTorch 1.13.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import {
  broadcastShapes, broadcastStrides, contiguousStrides, inferShape, isContiguousLayout, normalizeDim, numelOf, sameShape,
  shapeString, stridedOffsets, viewStrides,
} from '../../src/tensor/shape.js';

describe('shape.ts', () => {
  it('numelOf: 0-d is 1, an empty dim makes 0', () => {
    expect(numelOf([])).toBe(1);
    expect(numelOf([2, 3, 4])).toBe(24);
    expect(numelOf([2, 0, 3])).toBe(0);
  });

  it('contiguousStrides: row-major, size-1 and empty dims included', () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(contiguousStrides([])).toEqual([]);
    expect(contiguousStrides([5])).toEqual([1]);
    expect(contiguousStrides([2, 1, 3])).toEqual([3, 3, 1]);
    expect(contiguousStrides([0, 3])).toEqual([3, 1]);
  });

  it('isContiguousLayout: transposes and stride-0 dims are not, size-1 dims may have any stride', () => {
    expect(isContiguousLayout([2, 3], [3, 1])).toBe(true);
    expect(isContiguousLayout([3, 2], [1, 3])).toBe(false); // a transpose
    expect(isContiguousLayout([1, 3], [99, 1])).toBe(true);
    expect(isContiguousLayout([3, 4], [1, 0])).toBe(false); // expand
    expect(isContiguousLayout([], [])).toBe(true); // 0-d
    expect(isContiguousLayout([0, 3], [3, 1])).toBe(true); // empty
  });

  it('sameShape and shapeString', () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([], [1])).toBe(false);
    expect(shapeString([])).toBe('[]');
    expect(shapeString([2, 3])).toBe('[2, 3]');
  });

  it('normalizeDim wraps negative dims and names the valid range as PyTorch does', () => {
    expect(normalizeDim(-1, 3)).toBe(2);
    expect(normalizeDim(0, 0)).toBe(0);
    expect(normalizeDim(-1, 0)).toBe(0);
    expect(() => normalizeDim(3, 3, 'sum')).toThrow('sum: Dimension out of range (expected to be in range of [-3, 2], but got 3)');
    expect(() => normalizeDim(1, 0)).toThrow('expected to be in range of [-1, 0], but got 1');
  });

  it('broadcastShapes aligns from the right; sizes must match or be 1', () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([0], [1])).toEqual([0]);
    expect(broadcastShapes([5, 1], [1, 6])).toEqual([5, 6]);
    expect(() => broadcastShapes([2, 3], [3, 3], 'add')).toThrow(
      'add: The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0',
    );
  });

  it('broadcastStrides gives new and size-1 dims stride 0', () => {
    expect(broadcastStrides([3, 1], [1, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([4], [2], [3, 4])).toEqual([0, 2]);
    expect(broadcastStrides([], [], [2])).toEqual([0]);
  });

  it('stridedOffsets walks a view in row-major order: contiguous, transposed, stride 0, 0-d, empty', () => {
    expect(Array.from(stridedOffsets([2, 3], [3, 1], 0))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(stridedOffsets([3, 2], [1, 3], 0))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(stridedOffsets([2, 3], [0, 1], 5))).toEqual([5, 6, 7, 5, 6, 7]);
    expect(Array.from(stridedOffsets([], [], 7))).toEqual([7]);
    expect(Array.from(stridedOffsets([0, 3], [3, 1], 0))).toEqual([]);
  });

  it('inferShape resolves one -1 and rejects sizes that do not fit', () => {
    expect(inferShape([-1, 3], 12, 'view')).toEqual([4, 3]);
    expect(inferShape([2, 6], 12, 'view')).toEqual([2, 6]);
    expect(() => inferShape([-1, -1], 12, 'view')).toThrow('only one dimension can be inferred');
    expect(() => inferShape([5, -1], 12, 'view')).toThrow("view: shape '[5, -1]' is invalid for input of size 12");
    expect(() => inferShape([5], 12, 'reshape')).toThrow("shape '[5]' is invalid for input of size 12");
  });

  it('viewStrides matches PyTorch 1.13 on non-contiguous views, or refuses', () => {
    expect(viewStrides([2, 3], [3, 1], [3, 2])).toEqual([2, 1]);
    // x = rand(2, 3).t(): shape [3, 2], strides [1, 3]
    expect(viewStrides([3, 2], [1, 3], [6])).toBeNull();
    expect(viewStrides([3, 2], [1, 3], [3, 2, 1])).toEqual([1, 3, 3]);
    expect(viewStrides([3, 2], [1, 3], [3, 1, 2])).toEqual([1, 6, 3]);
    // rand(3, 1).expand(3, 4): strides [1, 0]
    expect(viewStrides([3, 4], [1, 0], [12])).toBeNull();
    expect(viewStrides([3, 4], [1, 0], [3, 2, 2])).toEqual([1, 0, 0]);
    // rand(2, 3, 4).permute(1, 0, 2): shape [3, 2, 4], strides [4, 12, 1]
    expect(viewStrides([3, 2, 4], [4, 12, 1], [3, 8])).toBeNull();
    expect(viewStrides([3, 2, 4], [4, 12, 1], [6, 4])).toBeNull();
    expect(viewStrides([3, 2, 4], [4, 12, 1], [3, 2, 2, 2])).toEqual([4, 12, 2, 1]);
    // rand(4, 6)[:, 1:5]: shape [4, 4], strides [6, 1]
    expect(viewStrides([4, 4], [6, 1], [16])).toBeNull();
    expect(viewStrides([4, 4], [6, 1], [2, 2, 4])).toEqual([12, 6, 1]);
    expect(viewStrides([4, 4], [6, 1], [4, 2, 2])).toEqual([6, 2, 1]);
  });
});

describe('broadcasting in ops', () => {
  it('adds a row to every row, and a column to every column', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.add(torch.tensor([10, 20, 30])).tolist()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(a.add(torch.tensor([[100], [200]])).tolist()).toEqual([[101, 102, 103], [204, 205, 206]]);
    expect(torch.tensor([[1], [2]]).mul(torch.tensor([1, 10, 100])).shape).toEqual([2, 3]);
  });

  it('refuses shapes that do not broadcast, naming both', () => {
    expect(() => torch.add(torch.zeros([2, 3]), torch.zeros([3, 2]))).toThrow(
      'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1',
    );
    expect(() => torch.mul(torch.zeros([4]), torch.zeros([3]))).toThrow('[4] and [3]');
  });

  it('sums a broadcast gradient back to each input shape', () => {
    const a = torch.ones([2, 3], { requiresGrad: true });
    const b = torch.ones([3], { requiresGrad: true });
    const c = torch.ones([2, 1], { requiresGrad: true });
    a.mul(b).add(c).sum().backward();
    expect(b.grad!.toArray()).toEqual([2, 2, 2]);
    expect(c.grad!.shape).toEqual([2, 1]);
    expect(c.grad!.toArray()).toEqual([3, 3]);
  });
});

describe('views and copies', () => {
  it('view shares storage; view of a transpose throws; reshape of a transpose copies', () => {
    const x = torch.arange(6).reshape([2, 3]);
    const v = x.view([3, 2]);
    expect(v.data).toBe(x.data);
    const t = x.t();
    expect(t.isContiguous()).toBe(false);
    expect(() => t.view([6])).toThrow("view size is not compatible with input tensor's size and stride");
    expect(() => t.view([6])).toThrow('Use .reshape(...) instead');
    const r = t.reshape([6]);
    expect(r.data).not.toBe(x.data);
    expect(r.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    // writing through a view changes the base; the reshaped copy keeps its values
    torch.noGrad(() => v.fill_(7));
    expect(x.toArray()).toEqual([7, 7, 7, 7, 7, 7]);
    expect(r.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('reshape of a viewable (non-contiguous) tensor is a view', () => {
    const x = torch.arange(24).reshape([2, 3, 4]).permute([1, 0, 2]);
    const y = x.reshape([3, 2, 2, 2]);
    expect(y.data).toBe(x.data);
    expect(y.strides).toEqual([4, 12, 2, 1]);
    expect(y.toArray()).toEqual(x.contiguous().toArray());
  });

  it('expand makes stride-0 views; contiguous() of one copies', () => {
    const x = torch.tensor([[1], [2], [3]]);
    const e = x.expand([3, 4]);
    expect(e.strides).toEqual([1, 0]);
    expect(e.data).toBe(x.data);
    expect(e.contiguous().toArray()).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('0-d and empty tensors', () => {
    const s = torch.tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3.5);
    expect(s.reshape([1, 1]).shape).toEqual([1, 1]);
    const e = torch.zeros([0, 3]);
    expect(e.numel()).toBe(0);
    expect(e.reshape([3, 0]).shape).toEqual([3, 0]);
    expect(e.sum().item()).toBe(0);
  });

  it('gradients flow through views back to the base leaf', () => {
    const x = torch.arange(6, undefined, 1, { dtype: 'float64', requiresGrad: true });
    const y = x.view([2, 3]).t().select(0, 1).mul(torch.tensor([10, 100], { dtype: 'float64' })).sum();
    y.backward();
    expect(x.grad!.toArray()).toEqual([0, 10, 0, 0, 100, 0]);
  });
});

describe('autograd rules', () => {
  it('in-place ops are refused on leaves that require grad, allowed under noGrad', () => {
    const w = torch.ones([3], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow('a leaf Variable that requires grad is being used in an in-place operation.');
    expect(() => w.mul_(2)).toThrow('in-place operation');
    expect(() => w.zero_()).toThrow('in-place operation');
    torch.noGrad(() => w.sub_(torch.tensor([1, 2, 3])));
    expect(w.toArray()).toEqual([0, -1, -2]);
    expect(w.isLeaf).toBe(true);
  });

  it('.grad accumulates over two backward calls until zeroed', () => {
    const a = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    a.mul(a).sum().backward();
    expect(a.grad!.toArray()).toEqual([2, 4]);
    a.mul(a).sum().backward();
    expect(a.grad!.toArray()).toEqual([4, 8]);
    torch.noGrad(() => a.grad!.zero_());
    a.mul(3).sum().backward();
    expect(a.grad!.toArray()).toEqual([3, 3]);
  });

  it('a second backward through a freed graph throws PyTorch\'s message; retainGraph keeps it', () => {
    const a = torch.tensor([2], { dtype: 'float64', requiresGrad: true });
    const y = a.pow(3).sum();
    y.backward();
    expect(() => y.backward()).toThrow('Trying to backward through the graph a second time');
    const b = torch.tensor([2], { dtype: 'float64', requiresGrad: true });
    const z = b.pow(3).sum();
    z.backward(null, { retainGraph: true });
    z.backward();
    expect(b.grad!.toArray()).toEqual([24]);
  });

  it('backward needs a tensor that requires grad, and a gradient for non-scalars', () => {
    expect(() => torch.tensor([1, 2]).sum().backward()).toThrow('element 0 of tensors does not require grad and does not have a grad_fn');
    const a = torch.ones([2], { requiresGrad: true });
    expect(() => a.mul(2).backward()).toThrow('grad can be implicitly created only for scalar outputs');
    expect(() => a.mul(2).backward(torch.ones([3]))).toThrow('Mismatch in shape');
  });

  it('noGrad records nothing and restores the mode, even when the body throws', () => {
    const a = torch.ones([2], { requiresGrad: true });
    const y = torch.noGrad(() => a.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => torch.noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(torch.isGradEnabled()).toBe(true);
    const inner = torch.noGrad(() => torch.enableGrad(() => a.mul(2)));
    expect(inner.gradFn?.name).toBe('MulBackward0');
  });

  it('retainGrad keeps a non-leaf gradient; other non-leaves keep none', () => {
    const a = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const h = a.mul(3);
    h.retainGrad();
    const k = h.mul(h);
    k.sum().backward();
    expect(h.grad!.toArray()).toEqual([6, 12]);
    expect(k.grad).toBeNull();
    expect(a.grad!.toArray()).toEqual([18, 36]);
    expect(() => torch.tensor([1]).retainGrad()).toThrow("can't retain_grad on Tensor that has requires_grad=False");
  });

  it('leaves have no grad_fn; results of ops on leaves that need no grad record nothing', () => {
    const a = torch.ones([2], { requiresGrad: true });
    expect(a.isLeaf).toBe(true);
    expect(a.gradFn).toBeNull();
    const c = torch.ones([2]).add(torch.ones([2]));
    expect(c.requiresGrad).toBe(false);
    expect(c.gradFn).toBeNull();
  });
});

describe('grad_fn names and next_functions as PyTorch 1.13 prints them', () => {
  const r = (shape: number[]) => torch.rand(shape, { requiresGrad: true });
  const cases: Array<[string, () => torch.Tensor, string]> = [
    ['a ** 3 + b', () => r([1]).pow(3).add(r([1])), 'AddBackward0'],
    ['2 - x', () => torch.rsub(r([2]), 2), 'RsubBackward1'],
    ['x ** y', () => torch.pow(r([2]), r([2])), 'PowBackward1'],
    ['x / 2', () => r([2]).div(2), 'DivBackward0'],
    ['-x', () => r([2]).neg(), 'NegBackward0'],
    ['clamp', () => r([2]).clamp(0, 1), 'ClampBackward1'],
    ['sum()', () => r([2, 3]).sum(), 'SumBackward0'],
    ['sum(0)', () => r([2, 3]).sum(0), 'SumBackward1'],
    ['mean()', () => r([2, 3]).mean(), 'MeanBackward0'],
    ['mean(0)', () => r([2, 3]).mean(0), 'MeanBackward1'],
    ['softmax', () => torch.softmax(r([2, 3]), 1), 'SoftmaxBackward0'],
    ['reshape (viewable)', () => r([2, 3]).reshape([3, 2]), 'ReshapeAliasBackward0'],
    ['reshape of a transpose', () => r([2, 3]).t().reshape([6]), 'UnsafeViewBackward0'],
    ['view', () => r([2, 3]).view([6]), 'ViewBackward0'],
    ['flatten', () => r([2, 3]).flatten(), 'ReshapeAliasBackward0'],
    ['unsqueeze', () => r([2, 3]).unsqueeze(0), 'UnsqueezeBackward0'],
    ['squeeze()', () => r([1, 2, 3]).squeeze(), 'SqueezeBackward0'],
    ['squeeze(0)', () => r([1, 2, 3]).squeeze(0), 'SqueezeBackward1'],
    ['permute', () => r([2, 3]).permute([1, 0]), 'PermuteBackward0'],
    ['transpose', () => r([2, 3]).transpose(0, 1), 'TransposeBackward0'],
    ['expand', () => r([2, 3]).expand([4, 2, 3]), 'ExpandBackward0'],
    ['select', () => r([2, 3]).select(0, 1), 'SelectBackward0'],
    ['clone', () => r([2, 3]).clone(), 'CloneBackward0'],
    ['double', () => r([2, 3]).double(), 'ToCopyBackward0'],
    ['dot', () => torch.matmul(r([3]), r([3])), 'DotBackward0'],
    ['2-D @ 1-D', () => torch.matmul(r([2, 3]), r([3])), 'MvBackward0'],
    ['1-D @ 2-D', () => torch.matmul(r([3]), r([3, 2])), 'SqueezeBackward3'],
    ['2-D @ 2-D', () => r([2, 3]).matmul(r([3, 4])), 'MmBackward0'],
    ['mm', () => r([2, 3]).mm(r([3, 4])), 'MmBackward0'],
    ['3-D @ 3-D', () => torch.matmul(r([5, 2, 3]), r([5, 3, 4])), 'UnsafeViewBackward0'],
    ['3-D @ 2-D', () => torch.matmul(r([5, 2, 3]), r([3, 4])), 'UnsafeViewBackward0'],
    ['2-D @ 3-D', () => torch.matmul(r([2, 3]), r([5, 3, 4])), 'CloneBackward0'],
    ['1-D @ 3-D', () => torch.matmul(r([3]), r([5, 3, 4])), 'UnsafeViewBackward0'],
    ['3-D @ 1-D', () => torch.matmul(r([5, 2, 3]), r([3])), 'UnsafeViewBackward0'],
    ['4-D @ 3-D (broadcast)', () => torch.matmul(r([2, 1, 2, 3]), r([5, 3, 4])), 'UnsafeViewBackward0'],
    ['linear 2-D with bias', () => torch.linear(r([4, 5]), r([3, 5]), r([3])), 'AddmmBackward0'],
    ['linear 2-D, no bias', () => torch.linear(r([4, 5]), r([3, 5])), 'MmBackward0'],
    ['linear 1-D with bias', () => torch.linear(r([5]), r([3, 5]), r([3])), 'AddBackward0'],
    ['linear 1-D, no bias', () => torch.linear(r([5]), r([3, 5])), 'SqueezeBackward3'],
    ['linear 3-D with bias', () => torch.linear(r([2, 4, 5]), r([3, 5]), r([3])), 'ViewBackward0'],
    ['linear 3-D, no bias', () => torch.linear(r([2, 4, 5]), r([3, 5])), 'UnsafeViewBackward0'],
    ['linear non-contiguous 3-D with bias', () => torch.linear(r([4, 2, 5]).transpose(0, 1), r([3, 5]), r([3])), 'AddBackward0'],
    ['linear 4-D with bias', () => torch.linear(r([2, 3, 4, 5]), r([3, 5]), r([3])), 'AddBackward0'],
    ['conv2d', () => torch.conv2d(r([1, 1, 3, 3]), r([1, 1, 2, 2]), r([1])), 'ConvolutionBackward0'],
    ['conv2d unbatched', () => torch.conv2d(r([1, 3, 3]), r([1, 1, 2, 2]), r([1])), 'SqueezeBackward1'],
    ['max_pool2d', () => torch.maxPool2d(r([1, 1, 4, 4]), 2), 'MaxPool2DWithIndicesBackward0'],
    ['max_pool2d unbatched', () => torch.maxPool2d(r([1, 4, 4]), 2), 'MaxPool2DWithIndicesBackward0'],
    ['mse_loss none', () => torch.mseLoss(r([3]), torch.rand([3]), { reduction: 'none' }), 'MseLossBackward0'],
    ['nll_loss', () => torch.nllLoss(r([3, 4]), [0, 1, 2]), 'NllLossBackward0'],
    ['cross_entropy none', () => torch.crossEntropy(r([3, 4]), [0, 1, 2], { reduction: 'none' }), 'NllLossBackward0'],
  ];
  for (const [what, make, name] of cases) {
    it(`${what}: ${name}`, () => expect(make().gradFn?.name).toBe(name));
  }

  it('next_functions name the producers of each input: AccumulateGrad for leaves, None for inputs without grad', () => {
    const a = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
    const b = torch.tensor([4], { dtype: 'float64', requiresGrad: true });
    const c = a.pow(3).add(b);
    expect(c.gradFn!.nextFunctions.map((n) => n.name)).toEqual(['PowBackward0', 'AccumulateGrad']);
    expect(c.gradFn!.nextFunctions[1].variable).toBe(b);
    expect(c.gradFn!.nextFunctions[0].node!.nextFunctions.map((n) => n.name)).toEqual(['AccumulateGrad']);
    const d = a.mul(torch.tensor([2], { dtype: 'float64' }));
    expect(d.gradFn!.nextFunctions.map((n) => n.name)).toEqual(['AccumulateGrad', 'None']);
    const conv = torch.conv2d(torch.rand([1, 1, 3, 3]), torch.rand([1, 1, 2, 2], { requiresGrad: true }));
    expect(conv.gradFn!.nextFunctions.map((n) => n.name)).toEqual(['None', 'AccumulateGrad', 'None']);
    const ce = torch.crossEntropy(torch.rand([2, 3], { requiresGrad: true }), [0, 2]);
    expect(ce.gradFn!.nextFunctions.map((n) => n.name)).toEqual(['LogSoftmaxBackward0']);
    const bce = torch.binaryCrossEntropy(torch.rand([2], { requiresGrad: true }), torch.rand([2], { requiresGrad: true }));
    expect(bce.gradFn!.nextFunctions.map((n) => n.name)).toEqual(['AccumulateGrad', 'AccumulateGrad']);
  });
});

describe('iterating the first dimension (for … of)', () => {
  it('rows are views with the values of select(0, i), contiguous or not, and requiring grad or not', () => {
    const gen = new torch.Generator(3);
    const base = torch.rand([4, 2, 3], { generator: gen });
    const layouts: Array<[string, torch.Tensor]> = [
      ['row-major', base],
      ['transposed (rows are strided)', base.permute(0, 2, 1)],
      ['a row-major slice at an offset', base.select(0, 1)],
      ['requiring grad', base.detach().requiresGrad_()],
    ];
    for (const [, t] of layouts) {
      const rows = [...t];
      expect(rows.length).toBe(t.shape[0]);
      rows.forEach((row, i) => {
        const reference = t.select(0, i);
        expect(row.shape).toEqual(reference.shape);
        expect(row.toArray()).toEqual(reference.toArray());
        expect(row.to('float64').toArray()).toEqual(reference.toArray());
        expect(row.isContiguous()).toBe(reference.isContiguous());
        expect(row.base).toBe(t.base ?? t);
      });
    }
  });

  it('a row is recorded (SelectBackward0) whenever the tensor requires grad at that row, also halfway through', () => {
    const t = torch.rand([3, 2], { dtype: 'float64' });
    const iter = t[Symbol.iterator]();
    const first = iter.next().value as torch.Tensor;
    expect(first.gradFn).toBeNull();
    t.requiresGrad_();
    const second = iter.next().value as torch.Tensor;
    expect(second.gradFn?.name).toBe('SelectBackward0');
    second.sum().backward();
    expect(t.grad!.toArray()).toEqual([0, 0, 1, 1, 0, 0]);
    torch.noGrad(() => expect((iter.next().value as torch.Tensor).gradFn).toBeNull());
    expect(iter.next().done).toBe(true);
  });
});
