// The safetensors format (Hugging Face's), which `safetensors.torch.load_file`
// and `save_file` read and write:
//
//   8 bytes   N, the header's length, unsigned little-endian
//   N bytes   a UTF-8 JSON object {"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets"}, ...},
//             padded with spaces so the data starts 8-aligned
//   the rest  every tensor's raw little-endian bytes, back to back; data_offsets are relative to here
//
// torchlet writes F32 and F64 tensors, in the state_dict's key order. Pure and browser-safe.
import type { DType, Storage } from '../tensor/dtype.js';
import { fromStorage } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFinite, checkMetadataForSaving, checkStateDictForSaving, quote, shapeNumel, shapeString } from './common.js';
import { StateDictFormatError } from './errors.js';
import { type JsonObject, type JsonValue, JsonSyntaxError, isJsonObject, parseStrictJson } from './strict-json.js';

/** A header longer than this is refused before it is decoded (the limit the reference implementation uses). */
export const MAX_HEADER_BYTES = 100_000_000;

const TAG_OF: Record<DType, 'F32' | 'F64'> = { float32: 'F32', float64: 'F64' };
const DTYPE_OF: Record<string, DType | undefined> = { F32: 'float32', F64: 'float64' };
const ITEMSIZE: Record<DType, number> = { float32: 4, float64: 8 };
/** The other dtypes the format defines, so that an unsupported one is named as such, not as garbage. */
const KNOWN_TAGS = new Set(['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'I64', 'U64', 'C64']);
const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface DecodeOptions {
  /** Refuse input longer than this many bytes (before looking at it). Default: no limit beyond the input itself. */
  maxBytes?: number;
}

export interface DecodedStateDict {
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__` ({} when absent). */
  metadata: Record<string, string>;
}

/** Copies `values` into little-endian bytes. */
function toLittleEndianBytes(values: Storage, dtype: DType): Uint8Array {
  const copy = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  const bytes = new Uint8Array(copy.buffer, 0, copy.byteLength);
  return LITTLE_ENDIAN_HOST ? bytes : swapBytes(bytes, ITEMSIZE[dtype]);
}

function swapBytes(raw: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += width) for (let k = 0; k < width; k++) out[i + k] = raw[i + width - 1 - k];
  return out;
}

/**
 * The state_dict as safetensors bytes, tensors in key order. Throws StateDictFormatError for what the format
 * (or torchlet's loader) cannot hold: a non-Tensor value, a key named `__metadata__` or with a lone surrogate,
 * non-string metadata, a NaN or infinite value.
 */
export function encodeSafetensors(sd: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  checkStateDictForSaving(sd);
  const meta = checkMetadataForSaving(metadata);
  // Built by hand, not JSON.stringify of an object: that would move integer-like keys ("0") to the front.
  const fields: string[] = [];
  if (meta.length > 0) fields.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of sd) {
    if (name === '__metadata__') throw new StateDictFormatError('a tensor cannot be named "__metadata__" in a safetensors file (the name is reserved)');
    const values = t.values();
    checkFinite(name, values, 'save');
    const raw = toLittleEndianBytes(values, t.dtype);
    fields.push(`${JSON.stringify(name)}:{"dtype":"${TAG_OF[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + raw.length}]}`);
    parts.push(raw);
    offset += raw.length;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw new StateDictFormatError(`the header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function fail(message: string): never {
  throw new StateDictFormatError(`not a valid safetensors file: ${message}`);
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function checkEntry(name: string, raw: JsonValue, dataLength: number): Entry {
  const q = quote(name);
  if (!isJsonObject(raw)) fail(`entry ${q} is not an object`);
  const e: JsonObject = raw;
  for (const k of e.keys()) if (!ENTRY_FIELDS.has(k)) fail(`entry ${q} has an unexpected field ${quote(k)}`);
  const tag = e.get('dtype');
  if (typeof tag !== 'string') fail(`entry ${q} has no "dtype" string`);
  const dtype = DTYPE_OF[tag];
  if (dtype === undefined) {
    fail(KNOWN_TAGS.has(tag) ? `unsupported dtype ${tag} for ${q} (torchlet reads F32 and F64)` : `unknown dtype ${quote(tag)} for ${q}`);
  }
  const itemsize = ITEMSIZE[dtype];
  const s = shapeNumel(e.get('shape'));
  if (s === null) fail(`entry ${q} has no valid "shape" (a list of non-negative integers)`);
  const offsets = e.get('data_offsets');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    fail(`entry ${q} has no valid "data_offsets" (two non-negative integers)`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`entry ${q} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLength) fail(`entry ${q} has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data section (truncated file?)`);
  if (s.numel * itemsize !== end - begin) {
    fail(`entry ${q} has shape ${shapeString(s.shape)} of ${tag} (${s.numel === Infinity ? 'too many' : s.numel * itemsize} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
  }
  return { name, dtype, shape: s.shape, begin, end };
}

/** Like decodeSafetensors, also returning the header's `__metadata__`. */
export function decodeSafetensorsWithMetadata(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedStateDict {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeSafetensors: expected a Uint8Array');
  const { maxBytes } = opts;
  if (maxBytes !== undefined && !(maxBytes >= 0)) throw new RangeError(`decodeSafetensors: maxBytes must be a non-negative number, got ${maxBytes}`);
  if (maxBytes !== undefined && bytes.length > maxBytes) fail(`${bytes.length} bytes is over the ${maxBytes}-byte limit`);
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short to hold the 8-byte header length`);

  // 1. The header length, against the file and the cap, before reading anything else.
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`the header length ${n} is more than the ${bytes.length - 8} bytes that follow it (truncated file, or not safetensors)`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`the header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(n);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  // 2. The header: UTF-8, strict JSON, an object at most three levels deep (header, entry, shape).
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header;
  try {
    header = parseStrictJson(text, 3);
  } catch (err) {
    if (err instanceof JsonSyntaxError) fail(`the header is not valid JSON: ${err.message}`);
    throw err;
  }
  if (!isJsonObject(header)) fail('the header is not a JSON object');

  // 3. Every entry, then the layout as a whole: no overlaps, no gaps, nothing left over.
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of header) {
    if (name === '__metadata__') {
      if (!isJsonObject(raw) || [...raw.values()].some((v) => typeof v !== 'string')) fail('"__metadata__" must map strings to strings');
      metadata = Object.fromEntries(raw) as Record<string, string>;
      continue;
    }
    entries.push(checkEntry(name, raw, dataLength));
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of byOffset) {
    if (e.begin < covered) fail(`entry ${quote(e.name)} (bytes ${e.begin}..${e.end}) overlaps another tensor's bytes`);
    if (e.begin > covered) fail(`bytes ${covered}..${e.begin} of the data section belong to no tensor`);
    covered = e.end;
  }
  if (covered !== dataLength) fail(`the last ${dataLength - covered} bytes of the data section belong to no tensor`);

  // 4. Only now allocate: the data section is at most the input, so the input's size bounds every allocation.
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const itemsize = ITEMSIZE[e.dtype];
    const numel = (e.end - e.begin) / itemsize;
    const storage = e.dtype === 'float32' ? new Float32Array(numel) : new Float64Array(numel);
    // Copied (never a view of the caller's buffer, which may be a pooled Node Buffer or reused later).
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    new Uint8Array(storage.buffer).set(LITTLE_ENDIAN_HOST ? src : swapBytes(src, itemsize));
    try {
      checkFinite(e.name, storage, 'load');
    } catch (err) {
      fail((err as Error).message);
    }
    tensors.set(e.name, fromStorage(storage, e.shape));
  }
  return { tensors, metadata };
}

/**
 * Reads safetensors bytes into a state_dict (tensors in header order). Every claim of the header is checked
 * against the input before anything is allocated; any problem throws StateDictFormatError with a one-line
 * message. F32 and F64 tensors only; values must be finite.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): Map<string, Tensor> {
  return decodeSafetensorsWithMetadata(bytes, opts).tensors;
}
