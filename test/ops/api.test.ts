// The doc-comment examples of conv2d, maxPool2d, matmul, mm, linear and the losses, run as written; the shape
// and argument checks with PyTorch 1.13's messages (prefixed with the op's name); chained methods.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';

const { tensor, zeros, ones } = torch;

describe('doc examples', () => {
  it('conv2d', () => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    expect(torch.conv2d(x, ones([1, 1, 2, 2]), tensor([0.5])).tolist()).toEqual([[[[12.5, 16.5], [24.5, 28.5]]]]);
    expect(torch.conv2d(x, ones([1, 1, 2, 2]), null, { padding: 1, stride: 2 }).shape).toEqual([1, 1, 2, 2]);
  });
  it('maxPool2d', () => {
    expect(torch.maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2).tolist()).toEqual([[[[4]]]]);
    expect(torch.maxPool2d(zeros([1, 3, 5, 5]), 3, 2, 1).shape).toEqual([1, 3, 3, 3]);
  });
  it('matmul, mm, linear', () => {
    expect(torch.matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])).tolist()).toEqual([3, 7]);
    expect(torch.matmul(zeros([5, 2, 3]), zeros([3, 4])).shape).toEqual([5, 2, 4]);
    expect(torch.mm(tensor([[1, 2]]), tensor([[3], [4]])).tolist()).toEqual([[11]]);
    expect(torch.linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1])).tolist()).toEqual([[1, 2, 4]]);
  });
  it('losses', () => {
    expect(torch.binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0])).item()).toBeCloseTo(0.1643, 4);
    expect(torch.mseLoss(tensor([1, 2]), tensor([1, 4])).item()).toBe(2);
    expect(torch.nllLoss(tensor([[-0.1, -2.3], [-1.2, -0.4]]), [0, 1]).item()).toBeCloseTo(0.25, 6);
    expect(torch.crossEntropy(tensor([[2, 0], [0, 2]]), [0, 1]).item()).toBeCloseTo(0.1269, 4);
  });
  it('chained methods', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(a.matmul(a).tolist()).toEqual([[7, 10], [15, 22]]);
    expect(a.mm(a.t()).tolist()).toEqual([[5, 11], [11, 25]]);
    expect(tensor([[[[1, 2], [3, 4]]]]).maxPool2d(2).item()).toBe(4);
    expect(tensor([[[[1, 2], [3, 4]]]]).conv2d(ones([1, 1, 2, 2])).item()).toBe(10);
  });
  it('reductions and unbatched inputs', () => {
    const p = tensor([0.25, 0.5]);
    const t = tensor([0, 1]);
    const none = torch.binaryCrossEntropy(p, t, { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    expect(torch.binaryCrossEntropy(p, t, { reduction: 'sum' }).item()).toBeCloseTo(none.sum().item(), 6);
    expect(torch.binaryCrossEntropy(p, t, { weight: tensor([2, 0]) }).item()).toBeCloseTo(none.get(0).item(), 6);
    expect(torch.mseLoss(p, t, { reduction: 'none' }).toArray()).toEqual([0.0625, 0.25]);
    expect(torch.nllLoss(tensor([-1, -2, -3]), tensor(2)).item()).toBe(3);
    expect(torch.nllLoss(tensor([[-1, -2], [-3, -4]]), [1, 0], { weight: tensor([1, 3]) }).item()).toBeCloseTo((2 * 3 + 3 * 1) / 4, 6);
    expect(torch.crossEntropy(tensor([0, 0]), tensor(1)).item()).toBeCloseTo(Math.LN2, 6);
    expect(torch.conv2d(ones([1, 3, 3]), ones([2, 1, 2, 2])).shape).toEqual([2, 2, 2]);
    expect(torch.maxPool2d(ones([2, 4, 4]), 2).shape).toEqual([2, 2, 2]);
  });
  it('BCE clamps its logs at -100 and its gradient denominator at 1e-12', () => {
    const p = tensor([0], { requiresGrad: true });
    const l = torch.binaryCrossEntropy(p, tensor([1]));
    expect(l.item()).toBe(100);
    l.backward();
    expect(p.grad!.item()).toBe(Math.fround(-1 / Math.fround(1e-12)));
  });
  it('max_pool2d sends ties to the first maximum, and a NaN wins', () => {
    const x = tensor([[[[5, 5], [1, 5]]]], { requiresGrad: true });
    torch.maxPool2d(x, 2).backward(ones([1, 1, 1, 1]));
    expect(x.grad!.toArray()).toEqual([1, 0, 0, 0]);
    expect(Number.isNaN(torch.maxPool2d(tensor([[[[1, NaN], [3, 4]]]]), 2).item())).toBe(true);
  });
});

describe('checks with PyTorch\'s messages', () => {
  it('conv2d', () => {
    expect(() => torch.conv2d(zeros([3, 3]), zeros([1, 1, 2, 2]))).toThrow('conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 3]');
    expect(() => torch.conv2d(zeros([1, 2, 3, 3]), zeros([1, 1, 2, 2]))).toThrow('Given groups=1, weight of size [1, 1, 2, 2], expected input[1, 2, 3, 3] to have 1 channels, but got 2 channels instead');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), zeros([2]))).toThrow('Given weight of size [1, 1, 2, 2], expected bias to be 1-dimensional with 1 elements, but got bias of size [2] instead');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 5, 5]))).toThrow("Calculated padded input size per channel: (3 x 3). Kernel size: (5 x 5). Kernel size can't be greater than actual input size");
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), null, { stride: 0 })).toThrow('non-positive stride is not supported');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), null, { padding: -1 })).toThrow('negative padding is not supported');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), null, { dilation: 0 })).toThrow('dilation should be greater than zero, but got [0, 0]');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2], { dtype: 'float64' }))).toThrow('expected scalar type Float but found Double');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), zeros([1], { dtype: 'float64' }))).toThrow('Input type (float) and bias type (double) should be the same');
    expect(() => torch.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 2]))).toThrow('conv2d: weight should be 4D');
  });
  it('max_pool2d', () => {
    expect(() => torch.maxPool2d(zeros([3, 3]), 2)).toThrow('max_pool2d: non-empty 3D or 4D (batch mode) tensor expected for input');
    expect(() => torch.maxPool2d(zeros([1, 1, 3, 3]), 2, 2, 2)).toThrow('pad should be at most half of kernel size, but got pad=2 and kernel_size=2');
    expect(() => torch.maxPool2d(zeros([1, 1, 1, 1]), 2)).toThrow('Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small');
    expect(() => torch.maxPool2d(zeros([1, 1, 3, 3]), 2, 0)).toThrow('stride should not be zero');
  });
  it('matmul, mm, linear', () => {
    expect(() => torch.matmul(tensor(1), zeros([3]))).toThrow('matmul: both arguments to matmul need to be at least 1D, but they are 0D and 1D');
    expect(() => torch.matmul(zeros([2, 3]), zeros([4, 5]))).toThrow('mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    expect(() => torch.matmul(zeros([3]), zeros([4]))).toThrow('inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively');
    expect(() => torch.matmul(zeros([2, 3]), zeros([4]))).toThrow('size mismatch, got 2, 2x3,4');
    expect(() => torch.matmul(zeros([3]), zeros([4, 5]))).toThrow('mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)');
    expect(() => torch.matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))).toThrow('The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0');
    expect(() => torch.matmul(zeros([2, 3]), zeros([3, 4], { dtype: 'float64' }))).toThrow('expected scalar type Float but found Double');
    expect(() => torch.mm(zeros([3]), zeros([3, 5]))).toThrow('mm: self must be a matrix');
    expect(() => torch.mm(zeros([2, 3]), zeros([4, 5]))).toThrow('mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    expect(() => torch.linear(zeros([2, 3]), zeros([4, 5]))).toThrow('linear: mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)');
    expect(() => torch.linear(zeros([3]), zeros([4, 5]))).toThrow('mat1 and mat2 shapes cannot be multiplied (1x3 and 5x4)');
    expect(() => torch.linear(zeros([2, 3]), zeros([4, 3]), zeros([5]))).toThrow('The expanded size of the tensor (4) must match the existing size (5)');
  });
  it('losses', () => {
    expect(() => torch.binaryCrossEntropy(tensor([1.5]), tensor([1]))).toThrow('binary_cross_entropy: all elements of input should be between 0 and 1');
    expect(() => torch.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1]))).toThrow('Using a target size ([1]) that is different to the input size ([2]) is deprecated. Please ensure they have the same size.');
    // @ts-expect-error: a reduction PyTorch does not know
    expect(() => torch.binaryCrossEntropy(tensor([0.5]), tensor([1]), { reduction: 'avg' })).toThrow('avg is not a valid value for reduction');
    expect(() => torch.binaryCrossEntropy(tensor([0.5]), tensor([1]), { weight: tensor([1, 2]) })).toThrow("output with shape [1] doesn't match the broadcast shape [2]");
    expect(() => torch.mseLoss(zeros([2, 3]), zeros([3]))).toThrow('mse_loss: Using a target size ([3]) that is different to the input size ([2, 3])');
    expect(() => torch.nllLoss(zeros([2, 3]), [0, 3])).toThrow('nll_loss: Target 3 is out of bounds.');
    expect(() => torch.nllLoss(zeros([2, 3]), [0, -1])).toThrow('Target -1 is out of bounds.');
    expect(() => torch.nllLoss(zeros([2, 3]), [0, 1, 1])).toThrow('Expected input batch_size (2) to match target batch_size (3).');
    expect(() => torch.nllLoss(zeros([2, 3, 4]), [0, 1])).toThrow('nll_loss: expected input of 1 or 2 dimensions');
    expect(() => torch.crossEntropy(zeros([2, 3]), [0, 5])).toThrow('Target 5 is out of bounds.');
  });
});
