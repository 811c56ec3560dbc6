import { Tensor } from '../tensor/tensor.js';

/**
 * A tensor that a Module registers as a learnable weight (PyTorch's `nn.Parameter`). It shares the given
 * tensor's storage (writing to one changes the other, as in PyTorch), is a leaf, and requires grad by default.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor, got ${typeof data}`);
    super(data.data, data.shape, data.strides, data.offset, requiresGrad);
  }

  /** PyTorch's repr: 'Parameter containing:\ntensor([...], requires_grad=True)'. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
