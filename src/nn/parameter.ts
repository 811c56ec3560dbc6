import { contiguousStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * A tensor that a Module registers as a learnable weight (PyTorch's `nn.Parameter`). It shares the given
 * tensor's storage (writing to one changes the other, as in PyTorch), is a leaf, and requires grad by default.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor, got ${typeof data}`);
    // row-major strides are left implicit (the Tensor then knows it is dense without looking at them)
    super(data.data, data.shape, hasRowMajorStrides(data) ? undefined : data.strides, data.offset, requiresGrad);
  }

  /** PyTorch's repr: 'Parameter containing:\ntensor([...], requires_grad=True)'. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

function hasRowMajorStrides(t: Tensor): boolean {
  const strides = t.strides;
  const rowMajor = contiguousStrides(t.shape);
  return strides.length === rowMajor.length && strides.every((s, i) => s === rowMajor[i]);
}
