// State_dict files: safetensors (what PyTorch's safetensors reads and writes) and torchlet's readable JSON.
// The browser-safe encoders and decoders are listed once, in browser.ts (which the playground imports and which
// must stay free of node: imports); this module adds the Node-only file functions.
export * from './browser.js';
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
