// `torch.nn.functional`, in camelCase.
export { conv2d } from '../ops/conv.js';
export { linear } from '../ops/linalg.js';
export { maxPool2d } from '../ops/pool.js';
export { relu, leakyRelu, sigmoid, tanh, softmax, logSoftmax } from '../ops/activation.js';
export { binaryCrossEntropy, mseLoss, crossEntropy, nllLoss } from '../ops/loss.js';
export { flatten } from '../ops/view.js';
