/**
 * torchlet: PyTorch's tensors, autograd, nn and optim in TypeScript, with PyTorch's numbers.
 *
 * @example
 * import * as torch from 'torchlet';
 * const a = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
 * const b = torch.tensor([4], { dtype: 'float64', requiresGrad: true });
 * a.pow(3).add(b).backward();
 * console.log(`${a.grad}`); // tensor([3.], dtype=torch.float64)
 */
import './autograd/engine.js';

export { Tensor, isTensor, type NestedArray } from './tensor/tensor.js';
export { type DType, type Storage, promoteTypes, parseDType } from './tensor/dtype.js';
export * from './tensor/creation.js';
export * from './ops/index.js';
export { backward, type BackwardOptions } from './autograd/engine.js';
export { Node } from './autograd/node.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { Generator, defaultGenerator, manualSeed, initialSeed } from './random/index.js';
export { setPrintOptions } from './format/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
