// Importing this module attaches every op's method to Tensor.prototype (the chained API: `x.add(y).sigmoid()`).
export * from './arithmetic.js';
export * from './pointwise.js';
export * from './activation.js';
export * from './reduce.js';
export * from './view.js';
export * from './inplace.js';
export { type TensorOrScalar } from './kernels.js';
export * from './conv.js';
export * from './loss.js';
export { linear, matmul, mm } from './linalg.js';
export * from './pool.js';
