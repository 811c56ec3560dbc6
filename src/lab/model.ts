import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The tutorial's network: Conv2d(1,1,2) → LeakyReLU → Conv2d(1,1,2) → Sigmoid, held in `model` so the
 * state_dict keys read `model.0.weight`, `model.0.bias`, `model.2.weight`, `model.2.bias` as in PyTorch.
 */
export class CNN extends nn.Module {
  model = new nn.Sequential(
    new nn.Conv2d(1, 1, 2),
    new nn.LeakyReLU(),
    new nn.Conv2d(1, 1, 2),
    new nn.Sigmoid(),
  );

  forward(x: Tensor): Tensor {
    return this.model.call(x);
  }
}

export const PARAMETER_KEYS = ['model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias'] as const;
export type ParameterKey = (typeof PARAMETER_KEYS)[number];
/** Plain numbers of each parameter, in memory order. */
export type Weights = Record<ParameterKey, number[]>;

export function weightsOf(model: CNN): Weights {
  const sd = model.stateDict();
  const out = {} as Weights;
  for (const key of PARAMETER_KEYS) {
    const t = sd.get(key);
    if (t === undefined) throw new Error(`the model has no ${key}`);
    out[key] = t.toArray();
  }
  return out;
}
