/**
 * conv2d's products (src/ops/conv-gemm.ts) as one WebAssembly SIMD kernel, two doubles per instruction.
 *
 * Why WebAssembly: a float32 step of PyTorch's order is `fround(acc + a·b)`, and V8 compiles each `fround` to a
 * convert to float32 and back, two double-port instructions more per multiply-add than float64 pays — in plain
 * JavaScript the float32 products run at that bound whatever the tiling. WebAssembly's f64x2 does the same
 * operations on two lanes at once: `f64x2.mul`, `f64x2.add`, then `f32x4.demote_f64x2_zero` and
 * `f64x2.promote_low_f32x4` — each lane rounded exactly as `fround` rounds (IEEE round to nearest even, the
 * same overflow and subnormals), so the bits are those of the JavaScript loops. float64 runs the same kernel
 * without the two conversions.
 *
 * The kernel, `tile(a, bo, L, b, c, cs, nq, init)` (all byte addresses in the module's memory; nq ≥ 1),
 * computes for j < 4 and column k < 4·nq
 *     C[j, k] = (init ? C[j, k] : 0) ⊕ A[4l + j]·B[bo[l] + b + k]   for l = 0 … L−1, in order,
 * C's row j at c + j·cs: four rows of results, four columns at a time kept in eight vector registers while
 * the L terms stream through (A: four rows' values side by side per l; B: four consecutive doubles at the
 * byte offset bo[l] from b). Every result element adds its terms in l order, one rounding per step, as the
 * loops it replaces.
 *
 * The module (about 1.3 KB) is assembled below, so there is no build step or binary file; where WebAssembly
 * SIMD is missing (`simdRegions` returns null) the JavaScript products run. Not part of the public API.
 */
import { I32, MODULE_HEADER, V128, instantiateModule, memarg, name, op, section, simd, simdOp, uleb } from './wasm-assembly.js';

/**
 * Whether the products may use the SIMD kernel (tests switch it off to compare both with the direct loops), and
 * the most memory one product may ask of it: a module's memory never shrinks, so larger products (layers far
 * bigger than the benchmark's, whose largest needs 0.7 MB) keep to the JavaScript tiles and the collector.
 */
export const convSimd = { enabled: true, maxBytes: 64 << 20 };

export type TileFn = (a: number, bo: number, L: number, b: number, c: number, cs: number, nq: number, init: number) => void;

interface Kernel { memory: WebAssembly.Memory; tile32: TileFn; tile64: TileFn }

// ------------------------------------------------------------------------------------------- assembling

// parameters and locals of `tile`, by index
const P_A = 0, P_BO = 1, P_L = 2, P_B = 3, P_C = 4, P_CS = 5, P_NQ = 6, P_INIT = 7;
const L_Q = 8, L_L = 9, L_AP = 10, L_BP = 11, L_ADDR = 12, L_C1 = 13, L_C2 = 14, L_C3 = 15; // i32
const L_ACC = 16; // 8 × v128: row j, half h at L_ACC + 2j + h
const L_V0 = 24, L_V1 = 25, L_S = 26; // v128: B's two halves, A's value splatted

/** The body of `tile`, with (`f32`) or without the float32 rounding after each multiply-add. */
function tileBody(f32: boolean): number[] {
  const get = (i: number) => [op.get, i];
  const set = (i: number) => [op.set, i];
  const add32 = (x: number[], y: number[]) => [...x, ...y, op.i32Add];
  const rows = [P_C, L_C1, L_C2, L_C3];
  const code: number[] = [];
  // c1..c3: the addresses of C's rows 1..3 (advanced by 32 bytes per column quad, as P_C is)
  code.push(...add32(get(P_C), get(P_CS)), ...set(L_C1));
  code.push(...add32(get(L_C1), get(P_CS)), ...set(L_C2));
  code.push(...add32(get(L_C2), get(P_CS)), ...set(L_C3));
  code.push(op.loop, op.void); // one quad of columns per pass
  // accumulators: C's values (init) or zeros
  code.push(...get(P_INIT), op.if, op.void);
  for (let j = 0; j < 4; j++) {
    for (let h = 0; h < 2; h++) code.push(...get(rows[j]), ...simd(simdOp.load), ...memarg(3, 16 * h), ...set(L_ACC + 2 * j + h));
  }
  code.push(op.else);
  for (let k = 0; k < 8; k++) code.push(...simd(simdOp.const), ...new Array<number>(16).fill(0), ...set(L_ACC + k));
  code.push(op.end);
  code.push(...get(P_A), ...set(L_AP), ...get(P_BO), ...set(L_BP), op.i32Const, 0, ...set(L_L));
  code.push(op.block, op.void, ...get(P_L), op.i32Eqz, op.brIf, 0); // L = 0: nothing to add
  code.push(op.loop, op.void);
  // B's four doubles for this term: at b + bo[l]
  code.push(...get(L_BP), op.i32Load, ...memarg(2, 0), ...get(P_B), op.i32Add, op.tee, L_ADDR);
  code.push(...simd(simdOp.load), ...memarg(3, 0), ...set(L_V0));
  code.push(...get(L_ADDR), ...simd(simdOp.load), ...memarg(3, 16), ...set(L_V1));
  for (let j = 0; j < 4; j++) {
    code.push(...get(L_AP), ...simd(simdOp.load64Splat), ...memarg(3, 8 * j), ...set(L_S));
    for (let h = 0; h < 2; h++) {
      const acc = L_ACC + 2 * j + h;
      code.push(...get(acc), ...get(L_S), ...get(h === 0 ? L_V0 : L_V1), ...simd(simdOp.f64x2Mul), ...simd(simdOp.f64x2Add));
      if (f32) code.push(...simd(simdOp.demote), ...simd(simdOp.promote));
      code.push(...set(acc));
    }
  }
  code.push(...add32(get(L_AP), [op.i32Const, 32]), ...set(L_AP));
  code.push(...add32(get(L_BP), [op.i32Const, 4]), ...set(L_BP));
  code.push(...add32(get(L_L), [op.i32Const, 1]), op.tee, L_L, ...get(P_L), op.i32LtU, op.brIf, 0);
  code.push(op.end, op.end); // term loop, block
  for (let j = 0; j < 4; j++) {
    for (let h = 0; h < 2; h++) code.push(...get(rows[j]), ...get(L_ACC + 2 * j + h), ...simd(simdOp.store), ...memarg(3, 16 * h));
  }
  // next quad: C's rows and B move 32 bytes
  for (const r of [...rows, P_B]) code.push(...add32(get(r), [op.i32Const, 32]), ...set(r));
  code.push(...add32(get(L_Q), [op.i32Const, 1]), op.tee, L_Q, ...get(P_NQ), op.i32LtU, op.brIf, 0);
  code.push(op.end, op.end); // quad loop, function
  const locals = [2, 8, I32, 11, V128]; // two local groups: 8 × i32, 11 × v128
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = [0x01, 0x60, ...uleb(8), ...new Array<number>(8).fill(I32), 0x00];
  const bytes = [
    ...MODULE_HEADER,
    ...section(1, type),
    ...section(3, [0x02, 0x00, 0x00]),
    ...section(5, [0x01, 0x00, 0x01]), // one memory, at least one page, no maximum
    ...section(7, [0x03, ...name('memory'), 0x02, 0x00, ...name('tile32'), 0x00, 0x00, ...name('tile64'), 0x00, 0x01]),
    ...section(10, [0x02, ...tileBody(true), ...tileBody(false)]),
  ];
  return new Uint8Array(bytes);
}

// ------------------------------------------------------------------------------------------- the instance

let kernel: Kernel | null | undefined;

function instantiate(): Kernel | null {
  const exports = instantiateModule(moduleBytes());
  if (exports === null) return null;
  return { memory: exports.memory as WebAssembly.Memory, tile32: exports.tile32 as TileFn, tile64: exports.tile64 as TileFn };
}

/** Regions of the kernel's memory for one product, and views of it (valid until the next `simdRegions`). */
export interface SimdRegions {
  f64: Float64Array;
  i32: Int32Array;
  /** Each region's start, in doubles (16-byte aligned). */
  at: number[];
  /** `tile` rounding to float32 (`f32`) or not. */
  tile: TileFn;
}

let views: { buffer: ArrayBuffer; f64: Float64Array; i32: Int32Array } | null = null;

/**
 * Room for regions of the given sizes (in doubles), zero-filled, with 32 doubles of zeros after each so that
 * a quad of columns past a row's end reads finite values (the results there are dropped); null when the
 * kernel cannot run here, is switched off, or the regions would pass `convSimd.maxBytes`.
 */
export function simdRegions(sizes: readonly number[], f32: boolean): SimdRegions | null {
  if (!convSimd.enabled) return null;
  if (kernel === undefined) kernel = instantiate();
  if (kernel === null) return null;
  const at: number[] = [];
  let top = 0;
  for (const s of sizes) {
    at.push(top);
    top += (s + 32 + 1) & ~1;
  }
  const bytes = top * 8;
  if (bytes > convSimd.maxBytes) return null;
  const mem = kernel.memory;
  if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
  if (views === null || views.buffer !== mem.buffer) {
    const buffer = mem.buffer;
    views = { buffer, f64: new Float64Array(buffer), i32: new Int32Array(buffer) };
  }
  views.f64.fill(0, 0, top);
  return { f64: views.f64, i32: views.i32, at, tile: f32 ? kernel.tile32 : kernel.tile64 };
}
