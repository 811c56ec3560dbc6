// `torch.nn`: modules, layers, losses, `init` (torch.nn.init) and `functional` (torch.nn.functional).
export { Module, type LoadResult, type StateDictInput, type StateDictOptions } from './module.js';
export { Parameter } from './parameter.js';
export { StateDict } from './state-dict.js';
export * from './layers.js';
export * from './losses.js';
export * as init from './init.js';
export * as functional from './functional.js';
