import { allocate, type DType } from '../tensor/dtype.js';
import { numelOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDictFormatError } from './errors.js';

// The safetensors format: 8-byte little-endian header length N, N bytes of JSON (padded with spaces to a
// multiple of 8), then the tensors' raw little-endian bytes, back to back in header order. Browser-safe.

const DTYPES: Record<DType, { tag: string; bytes: number }> = {
  float32: { tag: 'F32', bytes: 4 },
  float64: { tag: 'F64', bytes: 8 },
};
const FROM_TAG: Record<string, DType> = { F32: 'float32', F64: 'float64' };

/** A header longer than this is refused before it is parsed (the spec's own limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeSafetensors(sd: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of sd) {
    if (name === '__metadata__') throw new StateDictFormatError("a tensor cannot be named '__metadata__'");
    const { tag, bytes } = DTYPES[t.dtype];
    const values = t.values();
    const copy = allocate(t.dtype, values.length);
    copy.set(values);
    let raw = new Uint8Array(copy.buffer as ArrayBuffer);
    if (!littleEndian) raw = swapBytes(raw, bytes);
    header[name] = { dtype: tag, shape: [...t.shape], data_offsets: [offset, offset + raw.length] };
    parts.push(raw);
    offset += raw.length;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function swapBytes(raw: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += width) for (let k = 0; k < width; k++) out[i + k] = raw[i + width - 1 - k];
  return out;
}

function fail(message: string): never {
  throw new StateDictFormatError(`not a valid safetensors file: ${message}`);
}

/** Parses safetensors bytes, checking every claim of the header against the file before allocating. */
export function decodeSafetensors(bytes: Uint8Array): Map<string, Tensor> {
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    fail(`the header claims ${n} bytes but the file has ${bytes.length - 8} after the length`);
  }
  const headerLength = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('the header is not valid UTF-8 JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries: Array<{ name: string; dtype: DType; shape: number[]; begin: number; end: number }> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object') fail(`entry "${name}" is not an object`);
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string') fail(`entry "${name}" has no dtype`);
    const dtype = FROM_TAG[e.dtype];
    if (!dtype) fail(`unsupported dtype ${e.dtype} for "${name}" (torchlet reads F32 and F64)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`entry "${name}" has an invalid shape`);
    const shape = e.shape as number[];
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`entry "${name}" has invalid data_offsets`);
    }
    const [begin, end] = e.data_offsets as [number, number];
    if (begin > end || end > dataLength) fail(`entry "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
    const numel = numelOf(shape);
    if (!Number.isSafeInteger(numel) || numel * DTYPES[dtype].bytes !== end - begin) {
      fail(`entry "${name}" has shape [${shape.join(', ')}] but ${end - begin} bytes of ${e.dtype}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin !== covered) fail(e.begin < covered ? `entry "${e.name}" overlaps another tensor's bytes` : `the data section has a gap before "${e.name}"`);
    covered = e.end;
  }
  if (covered !== dataLength) fail(`${dataLength - covered} bytes after the last tensor are not described by the header`);
  const out = new Map<string, Tensor>();
  for (const e of entries) {
    const width = DTYPES[e.dtype].bytes;
    let raw: Uint8Array<ArrayBuffer> = bytes.slice(dataStart + e.begin, dataStart + e.end);
    if (!littleEndian) raw = swapBytes(raw, width);
    const storage = e.dtype === 'float32' ? new Float32Array(raw.buffer, 0, raw.length / 4) : new Float64Array(raw.buffer, 0, raw.length / 8);
    const bad = storage.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new StateDictFormatError(`"${e.name}" holds a non-finite value (${storage[bad]}) at flat index ${bad}`);
    out.set(e.name, new Tensor(storage, e.shape));
  }
  return out;
}
