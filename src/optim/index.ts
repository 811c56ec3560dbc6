export {
  Optimizer, REQUIRED, type GroupValue, type OptimizerStateDict, type OptionSpec, type ParamGroup, type ParamGroupInput,
  type ParamState, type ParamsInput, type ParamsInput as ParamsArg, type StateValue,
} from './optimizer.js';
export { Adadelta, type AdadeltaOptions, type AdadeltaState } from './adadelta.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { fmaF32 } from './fma.js';
export { powInt } from './pow.js';
