import type { Tensor } from '../tensor/tensor.js';
import { binaryCrossEntropy, crossEntropy, mseLoss, nllLoss, type Reduction } from '../ops/loss.js';
import { Module } from './module.js';

export interface LossModuleOptions {
  /** 'mean' (default), 'sum' or 'none' (per element). */
  reduction?: Reduction;
}

/** PyTorch's _Loss: a module holding only its reduction, called as `loss.call(input, target)`. */
export abstract class Loss extends Module {
  readonly reduction: Reduction;

  constructor(options: LossModuleOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
  }

  #options: { readonly reduction: Reduction } | null = null;

  /** The functional form's options, made again only if `reduction` changed (a loss is called every step). */
  protected get lossOptions(): { readonly reduction: Reduction } {
    const o = this.#options;
    return o !== null && o.reduction === this.reduction ? o : (this.#options = { reduction: this.reduction });
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  /** Narrows Module.call to the two arguments every loss takes. */
  override call(input: Tensor, target: Tensor): Tensor {
    return this.forward(input, target);
  }
}

/** `nn.BCELoss()`: binary cross-entropy on probabilities, each log clamped at -100 (PyTorch 1.13's formula). */
export class BCELoss extends Loss {
  static readonly typeName = 'BCELoss';

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.lossOptions);
  }
}

/** `nn.MSELoss()`: squared error, averaged by default. */
export class MSELoss extends Loss {
  static readonly typeName = 'MSELoss';

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.lossOptions);
  }
}

/** `nn.CrossEntropyLoss()`: log-softmax over dim 1, then the negative log-likelihood of the class indices. */
export class CrossEntropyLoss extends Loss {
  static readonly typeName = 'CrossEntropyLoss';

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.lossOptions);
  }
}

/** `nn.NLLLoss()`: negative log-likelihood of class indices under log-probabilities [N, C]. */
export class NLLLoss extends Loss {
  static readonly typeName = 'NLLLoss';

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.lossOptions);
  }
}
