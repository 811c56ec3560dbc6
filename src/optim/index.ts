export { Optimizer, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
