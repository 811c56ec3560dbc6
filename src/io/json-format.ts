// torchlet's readable state_dict format:
//
//   {"format": "torchlet.state_dict", "version": 1, "metadata": {str: str},
//    "tensors": {"model.0.weight": {"dtype": "float32", "shape": [1, 1, 2, 2], "data": [0.25, -0.5, 1e-45, 3]},
//                ...}}
//
// Tensors in the state_dict's key order, values row-major. A float32 value is written as the shortest decimal
// whose Math.fround is the stored float32 (0.1 rather than 0.10000000149011612), a float64 value as the
// shortest decimal that reads back as the same double; -0 is written -0.0. Pure and browser-safe.
import type { DType } from '../tensor/dtype.js';
import { fromStorage } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFinite, checkMetadataForSaving, checkStateDictForSaving, quote, shapeNumel, shapeString } from './common.js';
import { StateDictFormatError } from './errors.js';
import { type JsonObject, JsonSyntaxError, isJsonObject, parseStrictJson } from './strict-json.js';
import type { DecodedStateDict } from './safetensors.js';

export const JSON_FORMAT = 'torchlet.state_dict';
export const JSON_FORMAT_VERSION = 1;

const TOP_FIELDS = new Set(['format', 'version', 'metadata', 'tensors']);
const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data']);

/** The shortest decimal string `s` with Math.fround(Number(s)) === v, for a finite float32 value v. */
export function float32ToString(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0';
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    // String(d) is d's shortest form, never longer than the p digits that produced it.
    if (Math.fround(d) === v) return String(d);
  }
  return String(Number(v.toPrecision(9)));
}

/** The shortest decimal string that reads back as the double v (finite). */
export function float64ToString(v: number): string {
  return Object.is(v, -0) ? '-0.0' : String(v);
}

/**
 * The state_dict as JSON text (tensors in key order, one per line). Throws StateDictFormatError for what the
 * format cannot hold: a non-Tensor value, a key or metadata with a lone surrogate, a NaN or infinite value.
 */
export function encodeStateDictJson(sd: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): string {
  checkStateDictForSaving(sd);
  const meta = checkMetadataForSaving(metadata);
  const lines: string[] = [];
  for (const [name, t] of sd) {
    const values = t.values();
    checkFinite(name, values, 'save');
    const str = t.dtype === 'float32' ? float32ToString : float64ToString;
    const data = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) data[i] = str(values[i]);
    lines.push(`  ${JSON.stringify(name)}: {"dtype": "${t.dtype}", "shape": [${t.shape.join(', ')}], "data": [${data.join(', ')}]}`);
  }
  // Built by hand, not JSON.stringify of an object: that would move integer-like keys ("0") to the front.
  const metaText = `{${meta.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
  const tensorsText = lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n }`;
  return `{"format": "${JSON_FORMAT}", "version": ${JSON_FORMAT_VERSION}, "metadata": ${metaText},\n "tensors": ${tensorsText}}\n`;
}

function fail(message: string): never {
  throw new StateDictFormatError(`not a valid torchlet state_dict JSON file: ${message}`);
}

function decodeEntry(name: string, raw: JsonObject): Tensor {
  const q = quote(name);
  for (const k of raw.keys()) if (!ENTRY_FIELDS.has(k)) fail(`tensor ${q} has an unexpected field ${quote(k)}`);
  const dtype = raw.get('dtype');
  if (typeof dtype !== 'string') fail(`tensor ${q} has no "dtype" string`);
  if (dtype !== 'float32' && dtype !== 'float64') fail(`unsupported dtype ${quote(dtype)} for ${q} (torchlet reads "float32" and "float64")`);
  const data = raw.get('data');
  if (!Array.isArray(data)) fail(`tensor ${q} has no "data" list`);
  const s = shapeNumel(raw.get('shape'));
  if (s === null) fail(`tensor ${q} has no valid "shape" (a list of non-negative integers)`);
  if (s.numel !== data.length) fail(`tensor ${q} has shape ${shapeString(s.shape)} (${s.numel === Infinity ? 'too many' : s.numel} elements) but ${data.length} values`);
  const storage = (dtype as DType) === 'float32' ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number') fail(`tensor ${q} value ${i} is ${v === null ? 'null' : `a ${Array.isArray(v) ? 'list' : isJsonObject(v) ? 'object' : typeof v}`}, not a number`);
    storage[i] = v;
    if (!Number.isFinite(storage[i])) fail(`tensor ${q} value ${i} (${quote(String(v))}) is not finite as ${dtype}`);
  }
  return fromStorage(storage, s.shape);
}

/** Like decodeStateDictJson, also returning the file's metadata. */
export function decodeStateDictJsonWithMetadata(text: string): DecodedStateDict {
  if (typeof text !== 'string') throw new TypeError('decodeStateDictJson: expected a string');
  let doc;
  try {
    // Four levels: document, "tensors", one tensor, its shape or data.
    doc = parseStrictJson(text, 4);
  } catch (err) {
    if (err instanceof JsonSyntaxError) fail(`invalid JSON: ${err.message}`);
    throw err;
  }
  if (!isJsonObject(doc)) fail('expected a JSON object');
  for (const k of doc.keys()) if (!TOP_FIELDS.has(k)) fail(`unexpected top-level field ${quote(k)}`);
  const format = doc.get('format');
  if (format !== JSON_FORMAT) fail(`expected "format": "${JSON_FORMAT}", found ${format === undefined ? 'none' : quote(JSON.stringify(format))}`);
  const version = doc.get('version');
  if (version !== JSON_FORMAT_VERSION) fail(`unsupported version ${quote(JSON.stringify(version ?? null))} (this torchlet reads version ${JSON_FORMAT_VERSION})`);
  const meta = doc.get('metadata') ?? new Map();
  if (!isJsonObject(meta) || [...meta.values()].some((v) => typeof v !== 'string')) fail('"metadata" must map strings to strings');
  const tensorsDoc = doc.get('tensors');
  if (!isJsonObject(tensorsDoc)) fail('"tensors" must be an object');
  const tensors = new Map<string, Tensor>();
  for (const [name, raw] of tensorsDoc) {
    if (!isJsonObject(raw)) fail(`tensor ${quote(name)} is not an object`);
    tensors.set(name, decodeEntry(name, raw));
  }
  return { tensors, metadata: Object.fromEntries(meta) as Record<string, string> };
}

/**
 * Reads torchlet's JSON state_dict text (tensors in file order). Any problem — invalid JSON, a duplicate key,
 * the wrong format or version, a bad shape, a data length that does not match it, a non-number or
 * non-finite value — throws StateDictFormatError with a one-line message.
 */
export function decodeStateDictJson(text: string): Map<string, Tensor> {
  return decodeStateDictJsonWithMetadata(text).tensors;
}
