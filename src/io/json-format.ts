import { allocate, type DType } from '../tensor/dtype.js';
import { numelOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDictFormatError } from './errors.js';

export const JSON_FORMAT = 'torchlet.state_dict';

/** A state_dict as readable JSON: PyTorch's key names, dtype, shape and the values in row-major order. */
export function encodeStateDictJson(sd: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): string {
  const tensors: Record<string, { dtype: DType; shape: number[]; data: number[] }> = {};
  for (const [k, t] of sd) {
    const data = Array.from(t.values());
    if (data.some((v) => !Number.isFinite(v))) throw new StateDictFormatError(`"${k}" holds a non-finite value; JSON cannot represent it`);
    tensors[k] = { dtype: t.dtype, shape: [...t.shape], data };
  }
  return `${JSON.stringify({ format: JSON_FORMAT, version: 1, metadata: metadata ?? {}, tensors }, null, 1)}\n`;
}

function fail(message: string): never {
  throw new StateDictFormatError(`not a valid torchlet state_dict JSON file: ${message}`);
}

export function decodeStateDictJson(text: string): Map<string, Tensor> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail('the text is not valid JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail('expected a JSON object');
  const d = doc as { format?: unknown; version?: unknown; tensors?: unknown };
  if (d.format !== JSON_FORMAT) fail(`expected "format": "${JSON_FORMAT}"`);
  if (d.version !== 1) fail(`unsupported version ${String(d.version)}`);
  if (d.tensors === null || typeof d.tensors !== 'object' || Array.isArray(d.tensors)) fail('"tensors" must be an object');
  const out = new Map<string, Tensor>();
  for (const [k, raw] of Object.entries(d.tensors as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object') fail(`"${k}" is not an object`);
    const e = raw as { dtype?: unknown; shape?: unknown; data?: unknown };
    if (e.dtype !== 'float32' && e.dtype !== 'float64') fail(`"${k}" has unsupported dtype ${String(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((x) => Number.isSafeInteger(x) && x >= 0)) fail(`"${k}" has an invalid shape`);
    if (!Array.isArray(e.data)) fail(`"${k}" has no data array`);
    const shape = e.shape as number[];
    if (numelOf(shape) !== e.data.length) fail(`"${k}" has shape [${shape.join(', ')}] but ${e.data.length} values`);
    const storage = allocate(e.dtype, e.data.length);
    e.data.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`"${k}" value ${i} is not a finite number`);
      storage[i] = v;
    });
    out.set(k, new Tensor(storage, shape));
  }
  return out;
}
