// Checks shared by the safetensors and JSON state_dict formats. Pure and browser-safe.
import type { Storage } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDictFormatError } from './errors.js';
import { quote } from './strict-json.js';

export { quote };

const LONE_SURROGATE = /\p{Cs}/u;

/** Throws unless every entry is a string key (well-formed Unicode) mapping to a Tensor. */
export function checkStateDictForSaving(sd: ReadonlyMap<string, Tensor>): void {
  if (!(sd instanceof Map)) throw new StateDictFormatError('a state_dict must be a Map from names to tensors');
  for (const [name, t] of sd) {
    if (typeof name !== 'string') throw new StateDictFormatError(`state_dict key ${String(name)} is not a string`);
    if (LONE_SURROGATE.test(name)) throw new StateDictFormatError(`state_dict key ${quote(name)} is not well-formed Unicode (a lone surrogate)`);
    if (!(t instanceof Tensor)) throw new StateDictFormatError(`state_dict entry ${quote(name)} is not a Tensor`);
  }
}

/** Throws unless `metadata` maps well-formed strings to strings; returns its entries in order. */
export function checkMetadataForSaving(metadata: Record<string, string> | undefined): Array<[string, string]> {
  if (metadata === undefined) return [];
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new StateDictFormatError('metadata must be an object mapping strings to strings');
  }
  const entries = Object.entries(metadata);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new StateDictFormatError(`metadata value for ${quote(k)} is a ${typeof v}, not a string`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new StateDictFormatError(`metadata entry ${quote(k)} is not well-formed Unicode (a lone surrogate)`);
  }
  return entries;
}

/** Throws, naming the tensor and flat index, at the first NaN or ±Infinity. */
export function checkFinite(name: string, values: Storage, action: 'save' | 'load'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      throw new StateDictFormatError(
        action === 'save'
          ? `cannot save ${quote(name)}: element ${i} is ${v} (torchlet state_dict files hold finite values only)`
          : `tensor ${quote(name)} holds ${v} at flat index ${i} (only finite values are accepted)`,
      );
    }
  }
}

/**
 * Whether `shape` is an array of non-negative safe integers; then a copy and its element count (Infinity
 * when the count passes 2^53, so that no caller is misled by a rounded product), else null.
 */
export function shapeNumel(shape: unknown): { shape: number[]; numel: number } | null {
  if (!Array.isArray(shape)) return null;
  for (const d of shape) if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null;
  const dims = [...(shape as number[])];
  if (dims.includes(0)) return { shape: dims, numel: 0 };
  let numel = 1;
  for (const d of dims) {
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) return { shape: dims, numel: Infinity };
  }
  return { shape: dims, numel };
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
