export {
  defaultPrintOptions,
  formatTensor,
  formatTensorData,
  getPrintOptions,
  setPrintOptions,
  type DType,
  type PrintableTensor,
  type PrintOptions,
} from './tensor-repr.js';
export { formatStateDict } from './state-dict-repr.js';
export { formatModule, formatTuple, pyFloat, type ModuleReprNode } from './module-repr.js';
export { formatExp, formatFixed, pyStr } from './py-format.js';
