import type { Tensor } from '../tensor/tensor.js';
import { binaryCrossEntropy, crossEntropy, mseLoss, type Reduction } from '../ops/loss.js';
import { Module } from './module.js';

abstract class Loss extends Module {
  constructor(readonly reduction: Reduction = 'mean') {
    super();
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  override call(input: Tensor, target: Tensor): Tensor {
    return this.forward(input, target);
  }
}

/** `nn.BCELoss()`: binary cross-entropy on probabilities (log clamped at -100). */
export class BCELoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** `nn.CrossEntropyLoss()`: log-softmax over dim 1 then negative log-likelihood of the class indices. */
export class CrossEntropyLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { reduction: this.reduction });
  }
}
