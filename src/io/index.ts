export { StateDictFormatError } from './errors.js';
export { encodeSafetensors, decodeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export { encodeStateDictJson, decodeStateDictJson, JSON_FORMAT } from './json-format.js';
