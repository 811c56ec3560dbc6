// The browser-safe part of src/io (no Node imports): encoders and decoders for bytes and text. index.ts
// re-exports all of this and adds the Node-only file functions, so the list lives here only.
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
