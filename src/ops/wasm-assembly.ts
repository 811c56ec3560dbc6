/**
 * The few pieces of the WebAssembly binary format that torchlet's small kernels are assembled from
 * (src/ops/conv-simd.ts, src/optim/adadelta-simd.ts): opcodes, LEB128 numbers, sections and names. The kernels are
 * written as byte arrays in TypeScript, so there is no build step and no binary file; see each kernel for its code.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Control, locals, memory and i32 instructions. */
export const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, call: 0x10, void: 0x40,
  get: 0x20, set: 0x21, tee: 0x22, i32Load: 0x28, i32Const: 0x41, i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a,
  i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrU: 0x76,
};

/** SIMD instructions (written after the 0xfd prefix, see `simd`). */
export const simdOp = {
  load: 0x00, load64Splat: 0x0a, store: 0x0b, const: 0x0c, shuffle: 0x0d, i32x4Splat: 0x11, f32x4Splat: 0x13,
  i32x4Eq: 0x37, i32x4LtS: 0x39, i32x4GtS: 0x3b, f64x2Eq: 0x47, f64x2Ne: 0x48, and: 0x4e, andnot: 0x4f, or: 0x50, anyTrue: 0x53, demote: 0x5e,
  promote: 0x5f, i32x4Shl: 0xab, i32x4Add: 0xae, f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Mul: 0xe6, f32x4Div: 0xe7, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2,
};

/** An unsigned LEB128 number. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** `i32.const n`, its operand as signed LEB128 (one byte only for -64 … 63). */
export function i32Const(n: number): number[] {
  const out: number[] = [op.i32Const];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** A SIMD instruction: prefix 0xfd, then the opcode as unsigned LEB128. */
export function simd(code: number): number[] {
  return [0xfd, ...uleb(code)];
}

/** A memory access's alignment hint (log2 bytes) and constant offset. */
export function memarg(align: number, offset: number): number[] {
  return [align, ...uleb(offset)];
}

/** A module section: its id, its size, its bytes. */
export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A name (an export's, say): its length, then its characters. */
export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/** What every module starts with: the magic number `\0asm` and version 1. */
export const MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The exports of a new instance of the module `bytes`, or null where it cannot run, so that the caller's
 * JavaScript loops run instead: no WebAssembly, an engine without the instructions it uses (it does not validate),
 * or a page whose Content-Security-Policy forbids compiling it.
 */
export function instantiateModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  } catch {
    return null;
  }
}
