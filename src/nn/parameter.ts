import { Tensor } from '../tensor/tensor.js';

/**
 * A tensor that a Module registers as a learnable weight (PyTorch's `nn.Parameter`). It shares the given
 * tensor's storage and requires grad by default.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.data, data.shape, data.strides, data.offset, requiresGrad);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
