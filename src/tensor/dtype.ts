/** The element types torchlet stores. PyTorch's default floating type is float32. */
export type DType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = 'float32';

export function allocate(dtype: DType, length: number): Storage {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

export function dtypeOf(storage: Storage): DType {
  return storage instanceof Float32Array ? 'float32' : 'float64';
}

/** PyTorch's spelling, used in printed output and errors. */
export function torchDTypeName(dtype: DType): string {
  return dtype === 'float32' ? 'torch.float32' : 'torch.float64';
}

/**
 * Binary-op result type. Like PyTorch, a 0-d tensor does not widen a dimensioned one
 * (`tensor([1.]) * tensor(2., dtype=float64)` stays float32); otherwise float64 wins.
 */
export function promoteTypes(a: DType, aDim: number, b: DType, bDim: number): DType {
  if (a === b) return a;
  if (aDim === 0 && bDim > 0) return b;
  if (bDim === 0 && aDim > 0) return a;
  return 'float64';
}

export function parseDType(name: string): DType {
  const n = name.replace(/^torch\./, '');
  if (n === 'float32' || n === 'float') return 'float32';
  if (n === 'float64' || n === 'double') return 'float64';
  throw new TypeError(`unsupported dtype '${name}': torchlet stores float32 and float64`);
}

/** Rounds a number to the dtype's precision, the way a store into its storage would. */
export function roundTo(dtype: DType, x: number): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}
