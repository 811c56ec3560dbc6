// The browser-safe part of src/io (no Node imports): encoders and decoders for bytes and text.
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
