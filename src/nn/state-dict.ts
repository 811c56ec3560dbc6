import { formatStateDict } from '../format/state-dict-repr.js';
import type { Tensor } from '../tensor/tensor.js';

/** PyTorch's state_dict: an ordered map from dotted names to tensors, printed as `OrderedDict([...])`. */
export class StateDict extends Map<string, Tensor> {
  override toString(): string {
    return formatStateDict(
      [...this.entries()].map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, values: t.values(), requiresGrad: t.requiresGrad, gradFnName: t.gradFn?.name ?? null }] as const),
    );
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
