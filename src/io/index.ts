// State_dict files: safetensors (what PyTorch's safetensors reads and writes) and torchlet's readable JSON.
// browser.ts has the same names less the Node-only file functions.
export { StateDictFormatError } from './errors.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  decodeSafetensorsWithMetadata,
  MAX_HEADER_BYTES,
  type DecodeOptions,
  type DecodedStateDict,
} from './safetensors.js';
export {
  encodeStateDictJson,
  decodeStateDictJson,
  decodeStateDictJsonWithMetadata,
  JSON_FORMAT,
  JSON_FORMAT_VERSION,
} from './json-format.js';
export {
  saveStateDict,
  loadStateDictFile,
  writeFileAtomic,
  sniffStateDictFormat,
  StateDictFileError,
  type StateDictFileFormat,
  type SaveStateDictOptions,
  type LoadStateDictOptions,
} from './files.js';
