// `torch.nn.functional` in camelCase: the differentiable ops the layers are built from, under PyTorch's names.
export { conv2d, type Conv2dOptions } from '../ops/conv.js';
export { linear } from '../ops/linalg.js';
export { maxPool2d } from '../ops/pool.js';
export { relu, leakyRelu, sigmoid, tanh, softmax, logSoftmax } from '../ops/activation.js';
export { binaryCrossEntropy, mseLoss, crossEntropy, nllLoss, type LossOptions, type Reduction } from '../ops/loss.js';
export { flatten } from '../ops/view.js';
