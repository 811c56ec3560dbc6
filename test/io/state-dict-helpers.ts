// Shared by the safetensors and JSON state_dict tests: comparing tensors bit for bit, and building float
// arrays from bit patterns.
import { expect } from 'vitest';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Each element's IEEE bit pattern as hex, so -0 and 0, or two NaNs, never compare equal by accident. */
export function bits(t: Tensor): string[] {
  const v = t.values();
  const u = v instanceof Float32Array ? new Uint32Array(Float32Array.from(v).buffer) : new BigUint64Array(Float64Array.from(v).buffer);
  return Array.from(u, (x: number | bigint) => x.toString(16));
}

/** Same keys in the same order, and per key the same dtype, shape and bits. */
export function expectSameStateDict(a: ReadonlyMap<string, Tensor>, b: ReadonlyMap<string, Tensor>): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.dtype, k).toBe(t.dtype);
    expect(u.shape, k).toEqual(t.shape);
    expect(bits(u), k).toEqual(bits(t));
  }
}

/** float32 values from their bit patterns. */
export const f32 = (bitsList: number[]): Float32Array => new Float32Array(new Uint32Array(bitsList).buffer);
/** float64 values from their bit patterns. */
export const f64 = (bitsList: bigint[]): Float64Array => new Float64Array(new BigUint64Array(bitsList).buffer);
