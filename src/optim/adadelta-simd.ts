/**
 * Adadelta's float32 update (adadeltaGroup in src/optim/adadelta.ts) as one WebAssembly SIMD kernel, four
 * elements per instruction, for all of a group's float32 parameters in one call.
 *
 * Why WebAssembly: the JavaScript loop rounds every operation with `Math.fround`, which V8 compiles as a convert
 * to float32 and back; native f32x4 operations round once, in one instruction. `f32x4.mul/add/div/sqrt` are IEEE
 * correctly rounded, exactly what `fround(x ∘ y)` of float32 x, y gives, subnormals included (WebAssembly does
 * not flush them). No relaxed-simd: its fma may or may not round once, depending on the machine.
 *
 * The three fused multiply-adds per element (two addcmul_, one add_ with alpha; four with weight decay) are
 * fmaF32's fast path in f64x2: the product of two float32 values is exact in a double, the sum is rounded once to
 * double and once to float32 (`f32x4.demote_f64x2_zero`, which rounds as fround does). That double rounding can
 * only go wrong where the double sum is exactly a float32 midpoint; fmaF32 then takes its exact slow path, and
 * so does it for NaN and overflow. The kernel flags those lanes, except a midpoint that TwoSum shows to be the
 * exact sum: an exact tie, which the rounding already breaks to even as the slow path would (exact ties are
 * common: param.add_ of a delta about as large as the parameter). It finds them in two steps (see SUSPECT): a
 * few integer instructions on the double sums' bits let through every lane that may need it and almost no other,
 * and only a block with such a lane is done again with fmaF32's test itself, by a second function.
 *
 * A parameter with a flagged lane is left to the JavaScript loop, which redoes it from its storages (nothing of
 * it is written back). NaN only ever reaches a storage through a flagged lane, so even NaN payloads are the
 * JavaScript loop's.
 *
 * The kernel, `step(n, plane, rho, keep, eps, negLr, wd, mode) → flagged` (rho, 1 − rho, eps, −lr, weight_decay
 * as float32; mode bit 0: weight decay, bit 1: maximize), updates n elements kept in four planes of `plane` bytes
 * from address 0: the parameters, the gradients, square_avg, acc_delta, each the group's parameters one after
 * another. The gradients' plane receives the flags (all ones in a flagged lane), and the result says whether any
 * lane was flagged. Parameters and state are copied in and out on every call (square_avg and acc_delta are
 * user-visible tensors: loadStateDict replaces them, users read them), so nothing stays resident between steps;
 * the planes make a large parameter's copies single `set` calls (memmoves). Which parameters go to the kernel,
 * and the copies, are src/optim/adadelta-plan.ts's.
 *
 * The module (about 3 KB: Chromium compiles up to 4 KB synchronously on its main thread) is assembled below, so
 * there is no build step or binary file; where WebAssembly SIMD is missing, or switched off, the JavaScript loop
 * runs. Not part of the public API.
 */
import {
  F32, I32, MODULE_HEADER, V128, i32Const, instantiateModule, memarg, name, op, section, simd, simdOp, uleb,
} from '../ops/wasm-assembly.js';

/**
 * Whether float32 Adadelta steps may use the kernel (tests switch it off to compare with the JavaScript loop),
 * and the most memory one group may ask of it (16 bytes per element): a module's memory never shrinks, so larger
 * groups keep to the JavaScript loop.
 */
export const adadeltaSimd = { enabled: true, maxBytes: 64 << 20 };

/**
 * What the kernel did, for tests to see that it ran: parameter updates it completed, and parameters whose
 * flagged lanes (see above) it left to the JavaScript loop.
 */
export const adadeltaSimdCounts = { stepped: 0, redone: 0 };

type StepFn = (
  n: number, plane: number, rho: number, keep: number, eps: number, negLr: number, wd: number, mode: number,
) => number;

/**
 * The instantiated kernel. `floats` and `flags` view its memory as float32 (the planes) and int32 (the flags
 * where the gradients were); memory.grow detaches them, so they are replaced by `reserve` and must be read anew
 * after any reserve (by any group).
 */
export interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly step: StepFn;
  floats: Float32Array;
  flags: Int32Array;
}

export const MODE_DECAY = 1;
export const MODE_MAXIMIZE = 2;

// ------------------------------------------------------------------------------------------- assembling
// (the binary format's pieces: src/ops/wasm-assembly.ts)

/** A 16-byte access at a constant offset from the address on the stack (alignment hint: 16 bytes). */
const memarg16 = (offset: number): number[] => memarg(4, offset);

/** `i8x16.shuffle` of the two vectors on the stack: result byte k is byte `lanes[k]` of (first ‖ second). */
function shuffle(lanes: readonly number[]): number[] {
  return [...simd(simdOp.shuffle), ...lanes];
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);
/** Lanes 2, 3 of a float32 vector moved to lanes 0, 1, where `f64x2.promote_low_f32x4` reads them. */
const HIGH_PAIR = shuffle([...range(8, 8), ...range(8, 8)]);
/** Two half results (lanes 0, 1 of each) joined into one float32 vector. */
const JOIN_PAIRS = shuffle([...range(0, 8), ...range(16, 8)]);
/** The low 32 bits of each of two f64x2 masks' lanes: one i32x4 mask, in element order. */
const JOIN_MASKS = shuffle([...range(0, 4), ...range(8, 4), ...range(16, 4), ...range(24, 4)]);

function v128Const(bytes: readonly number[]): number[] {
  return [...simd(simdOp.const), ...bytes];
}
const ZERO = v128Const(new Array<number>(16).fill(0));
const i32x4Const = (lanes: readonly number[]) =>
  v128Const(lanes.flatMap((x) => [x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, x >>> 24]));

// Parameters and locals, by index, of both functions: `step` and EXACT, which redoes one block (see `fma`). They
// share the layout so that one generator, `block`, writes the update for both; L_P is step's local and EXACT's
// last parameter.
const P_N = 0, P_PLANE = 1, P_RHO = 2, P_KEEP = 3, P_EPS = 4, P_NEG_LR = 5, P_WD = 6, P_MODE = 7;
// i32: the block's address in the parameters' plane, the end of the last block, where the last two planes start,
// whether a lane below n was flagged
const L_P = 8, L_END = 9, L_AT_SQ = 10, L_AT_ACC = 11, L_FLAGGED = 12;
// v128: the scalars splatted; this block's gradient, parameter, square_avg, delta, new acc_delta and parameter;
// fma operands
const L_RHO = 13, L_KEEP = 14, L_EPS = 15, L_NEG_LR = 16, L_WD = 17;
const L_G = 18, L_W = 19, L_S = 20, L_D = 21, L_NEW_ACC = 22, L_NEW_W = 23, L_A = 24, L_C = 25;
// v128: an fma's sums (doubles) per half, the block's suspect lanes so far (see SUSPECT), and SUSPECT's constants
const L_SUM0 = 26, L_SUM1 = 27, L_SUSPECT = 28, L_MIDPOINT = 29, L_SHIFT = 30, L_BOUND = 31;
// v128, EXACT's: the product and addend (doubles), the sum rounded to float32 (as a double), 2s − r, the lanes that
// fail fmaF32's test, s − p (TwoSum's), the block's flagged lanes per half (as f64x2 masks)
const L_PROD = 32, L_ADDEND = 33, L_R = 34, L_T = 35, L_CANDIDATES = 36, L_BV = 37, L_BAD0 = 38, L_BAD1 = 39;
/** The planes: a block's address in each is L_P plus this local (null: plus nothing). */
const W_PLANE = null, G_PLANE = P_PLANE, SQ_PLANE = L_AT_SQ, ACC_PLANE = L_AT_ACC;
/** EXACT's function index (step's is 0). */
const EXACT = 1;

const get = (i: number) => [op.get, ...uleb(i)];
const set = (i: number) => [op.set, ...uleb(i)];
const tee = (i: number) => [op.tee, ...uleb(i)];
const v = (code: number) => simd(code);

/**
 * Lanes 0, 1 (half 0) or 2, 3 (half 1) of the float32 vector in local `x`, as an f64x2. A splatted scalar's halves
 * are the same: one value for TurboFan to keep in a register, not two.
 */
function promoteHalf(x: number, half: number): number[] {
  const splat = x === L_NEG_LR || x === L_WD;
  return [...get(x), ...(half === 0 || splat ? [] : [...get(x), ...HIGH_PAIR]), ...v(simdOp.promote)];
}

/*
 * Where fmaF32's shortcut may be wrong. fmaF32 takes its slow path, and the kernel flags a lane, only where
 * r = fround(s) ≠ s and either t = r + 2(s − r) is a float32 (s is exactly a float32 midpoint, whose rounding to
 * even may be wrong) or t is NaN (s is NaN, or finite with r = ±∞). Testing that takes two more conversions per
 * half, then a branch: it was most of the kernel's time. `step` tests instead, with integer instructions on the
 * double's bits, four lanes at once, a condition that every such s meets and ordinary values do not:
 * - a float32 midpoint of magnitude 2^-126 or more has 1 followed by 28 zeros as its low 29 significand bits
 *   (half a float32 ulp is 2^28 double ulps): its low 32-bit word shifted left by 3 is 2^31;
 * - smaller midpoints (float32's subnormal range, where that spacing no longer holds), NaN and the sums that
 *   round to ±∞ have a high word (sign dropped) outside [0x38100000, 0x47efffff), i.e. a magnitude outside
 *   [2^-126, 2^128 − 2^107) (the sums that round to ±∞ start at 2^128 − 2^103). So do zeros, which are left
 *   out (they are common: a gradient of zero on zero state, and the last block's lanes past n); a double whose
 *   high word is zero is below 2^-1022, too small to round to anything but 0 or to be a midpoint.
 * A block with such a lane is done again by EXACT, which makes fmaF32's test itself, and TwoSum's: the lanes
 * flagged are the same as if every block were done by EXACT.
 */
/** High words (the sign shifted out) from where [2^-126, 2^128 − 2^107) starts to where it ends. */
const LOW = 2 * 0x38100000, HIGH = 2 * 0x47efffff;
/**
 * Adding SHIFT maps that unsigned range, [LOW, HIGH), onto the lowest signed numbers, [−2^31, −2^31 + HIGH − LOW),
 * and everything else above them, so that one signed comparison tells (x64 has no unsigned one: WebAssembly's
 * unsigned i32x4 comparisons take two or three instructions there): outside ⇔ the sum > BOUND.
 */
const SHIFT = 2 ** 31 - LOW, BOUND = -(2 ** 31) + (HIGH - LOW) - 1;
/** The low and the high 32-bit words of two f64x2 vectors' lanes, as one i32x4 each, in element order. */
const LOW_WORDS = JOIN_MASKS;
const HIGH_WORDS = shuffle([...range(4, 4), ...range(12, 4), ...range(20, 4), ...range(28, 4)]);

/** All ones in the lanes of the sums in L_SUM0, L_SUM1 (one f64x2 per half) that the prefilter above lets through. */
const SUSPECT = [
  ...get(L_SUM0), ...get(L_SUM1), ...LOW_WORDS, ...i32Const(3), ...v(simdOp.i32x4Shl), ...get(L_MIDPOINT),
  ...v(simdOp.i32x4Eq), ...get(L_SUM0), ...get(L_SUM1), ...HIGH_WORDS, ...i32Const(1), ...v(simdOp.i32x4Shl),
  ...tee(L_SUM0), ...get(L_SHIFT), ...v(simdOp.i32x4Add), ...get(L_BOUND), ...v(simdOp.i32x4GtS),
  ...get(L_SUM0), ...ZERO, ...v(simdOp.i32x4Eq), ...v(simdOp.andnot), ...v(simdOp.or),
];

/**
 * Leaves fmaF32(a, b, c) of the float32 vectors in locals a, b, c on the stack, lane by lane, as its shortcut
 * computes it: per half, the product a·b in double (exact), plus c, rounded once to double and once to float32.
 * `step`'s version adds the lanes that may be wrong, by the prefilter, to L_SUSPECT; EXACT's adds those that are,
 * by fmaF32's test, to L_BAD0/L_BAD1: r is fmaF32's answer if r = s, or if t is not a float32 (s is no midpoint)
 * and r is finite. (For r ≠ s, r is infinite or NaN exactly when t is NaN — a finite r is at most half an ulp from
 * s, and an infinite one makes t = ∞ − ∞ — so one comparison tests t.) Where a lane fails that test, TwoSum's
 * error of s, (p − (s − bv)) + (c − bv) with bv = s − p, tells a midpoint that is the exact sum (error 0: a tie,
 * which r breaks to even as the exact path would) from one that double rounding may have got wrong; only the
 * latter, and non-finite lanes, are flagged.
 */
function fma(exact: boolean, a: number, b: number, c: number): number[] {
  const code: number[] = [];
  const tIsNaN = [...get(L_T), ...get(L_T), ...v(simdOp.f64x2Ne)];
  for (let half = 0; half < 2; half++) {
    const sum = half === 0 ? L_SUM0 : L_SUM1;
    code.push(...promoteHalf(a, half), ...promoteHalf(b, half), ...v(simdOp.f64x2Mul));
    if (exact) code.push(...tee(L_PROD));
    code.push(...promoteHalf(c, half), ...(exact ? tee(L_ADDEND) : []), ...v(simdOp.f64x2Add), ...tee(sum));
    code.push(...v(simdOp.demote));
    if (!exact) continue;
    const bad = half === 0 ? L_BAD0 : L_BAD1;
    code.push(...get(sum), ...v(simdOp.demote), ...v(simdOp.promote), ...set(L_R));
    // t = r + 2(s − r); fmaF32's test fails where t is a float32 or NaN, and r ≠ s
    code.push(...get(L_R), ...get(sum), ...get(L_R), ...v(simdOp.f64x2Sub), ...tee(L_T), ...get(L_T));
    code.push(...v(simdOp.f64x2Add), ...v(simdOp.f64x2Add), ...tee(L_T));
    code.push(...v(simdOp.demote), ...v(simdOp.promote), ...get(L_T), ...v(simdOp.f64x2Eq), ...tIsNaN, ...v(simdOp.or));
    code.push(...get(L_R), ...get(sum), ...v(simdOp.f64x2Eq), ...v(simdOp.andnot), ...set(L_CANDIDATES));
    // flag the candidates where TwoSum's error is not 0, or t is NaN
    code.push(...get(sum), ...get(L_PROD), ...v(simdOp.f64x2Sub), ...set(L_BV));
    code.push(...get(L_PROD), ...get(sum), ...get(L_BV), ...v(simdOp.f64x2Sub), ...v(simdOp.f64x2Sub));
    code.push(...get(L_ADDEND), ...get(L_BV), ...v(simdOp.f64x2Sub), ...v(simdOp.f64x2Add));
    code.push(...ZERO, ...v(simdOp.f64x2Ne), ...tIsNaN, ...v(simdOp.or), ...get(L_CANDIDATES), ...v(simdOp.and));
    code.push(...get(bad), ...v(simdOp.or), ...set(bad));
  }
  code.push(...JOIN_PAIRS);
  if (!exact) code.push(...get(L_SUSPECT), ...SUSPECT, ...v(simdOp.or), ...set(L_SUSPECT));
  return code;
}

const address = (plane: number | null) => [...get(L_P), ...(plane === null ? [] : [...get(plane), op.i32Add])];
const load = (plane: number | null) => [...address(plane), ...v(simdOp.load), ...memarg16(0)];
const store = (plane: number | null, value: number[]) => [...address(plane), ...value, ...v(simdOp.store), ...memarg16(0)];

/** What both functions do first: the scalars splatted; square_avg at 2 · plane, acc_delta at 3 · plane. */
function prologue(): number[] {
  const code: number[] = [];
  const splat = (from: number, to: number) => [...get(from), ...v(simdOp.f32x4Splat), ...set(to)];
  code.push(...splat(P_RHO, L_RHO), ...splat(P_KEEP, L_KEEP), ...splat(P_EPS, L_EPS));
  code.push(...splat(P_NEG_LR, L_NEG_LR), ...splat(P_WD, L_WD));
  code.push(...get(P_PLANE), ...get(P_PLANE), op.i32Add, ...tee(L_AT_SQ), ...get(P_PLANE), op.i32Add, ...set(L_AT_ACC));
  return code;
}

/**
 * The update of the block at L_P, up to the stores: the new square_avg, acc_delta and parameter in L_S, L_NEW_ACC,
 * L_NEW_W. Nothing is stored before the block is known to need no EXACT, which reads the same values again.
 */
function block(exact: boolean): number[] {
  const code: number[] = [];
  const ifMode = (bit: number, body: number[]) =>
    [...get(P_MODE), ...i32Const(bit), op.i32And, op.if, op.void, ...body, op.end];
  // grad, negated when maximising, then grad.add(param, alpha=weight_decay)
  code.push(...load(G_PLANE), ...set(L_G), ...load(W_PLANE), ...set(L_W));
  code.push(...ifMode(MODE_MAXIMIZE, [...get(L_G), ...v(simdOp.f32x4Neg), ...set(L_G)]));
  code.push(...ifMode(MODE_DECAY, [...fma(exact, L_WD, L_W, L_G), ...set(L_G)]));
  // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
  code.push(...get(L_KEEP), ...get(L_G), ...v(simdOp.f32x4Mul), ...set(L_A));
  code.push(...load(SQ_PLANE), ...get(L_RHO), ...v(simdOp.f32x4Mul), ...set(L_C));
  code.push(...fma(exact, L_A, L_G, L_C), ...set(L_S));
  // delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
  code.push(...load(ACC_PLANE), ...tee(L_C), ...get(L_EPS), ...v(simdOp.f32x4Add), ...v(simdOp.f32x4Sqrt));
  code.push(...get(L_S), ...get(L_EPS), ...v(simdOp.f32x4Add), ...v(simdOp.f32x4Sqrt), ...v(simdOp.f32x4Div));
  code.push(...get(L_G), ...v(simdOp.f32x4Mul), ...set(L_D));
  // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
  code.push(...get(L_KEEP), ...get(L_D), ...v(simdOp.f32x4Mul), ...set(L_A));
  code.push(...get(L_C), ...get(L_RHO), ...v(simdOp.f32x4Mul), ...set(L_C));
  code.push(...fma(exact, L_A, L_D, L_C), ...set(L_NEW_ACC));
  // param.add_(delta, alpha=-lr)
  code.push(...fma(exact, L_NEG_LR, L_D, L_W), ...set(L_NEW_W));
  return code;
}

/** The results' stores, but for the flags (which take the gradient's place). */
const results = [...store(SQ_PLANE, get(L_S)), ...store(ACC_PLANE, get(L_NEW_ACC)), ...store(W_PLANE, get(L_NEW_W))];

/** A function's body: its locals (count, type pairs) and code. */
function body(locals: number[], code: number[]): number[] {
  const bytes = [...locals, ...code, op.end];
  return [...uleb(bytes.length), ...bytes];
}

function stepBody(): number[] {
  const code = prologue();
  code.push(...i32x4Const([2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31]), ...set(L_MIDPOINT));
  code.push(...i32x4Const([SHIFT, SHIFT, SHIFT, SHIFT]), ...set(L_SHIFT), ...i32x4Const([BOUND, BOUND, BOUND, BOUND]), ...set(L_BOUND));
  // end = 16 · ⌈n / 4⌉
  code.push(...get(P_N), ...i32Const(3), op.i32Add, ...i32Const(2), op.i32ShrU, ...i32Const(4), op.i32Shl, ...set(L_END));
  const next = [...get(L_P), ...i32Const(16), op.i32Add, ...tee(L_P), ...get(L_END), op.i32LtU];
  // The blocks loop in the inner loop but for the rare suspect one, which leaves it for EXACT, outside it: a call
  // inside would make TurboFan reload the constants and splats from the stack on every pass.
  code.push(op.block, op.void, ...get(L_END), op.i32Eqz, op.brIf, 0);
  code.push(op.loop, op.void, op.block, op.void, op.loop, op.void, ...ZERO, ...set(L_SUSPECT), ...block(false));
  code.push(...get(L_SUSPECT), ...v(simdOp.anyTrue), op.brIf, 1); // to EXACT
  code.push(...results, ...store(G_PLANE, ZERO), ...next, op.brIf, 0, op.end, op.br, 2, op.end); // no flags: done
  // EXACT stores the block with its flags
  code.push(...get(L_FLAGGED));
  for (let k = P_N; k <= L_P; k++) code.push(...get(k));
  code.push(op.call, EXACT, op.i32Or, ...set(L_FLAGGED), ...next, op.brIf, 0, op.end, op.end);
  code.push(...get(L_FLAGGED));
  // L_P … are the i32 locals, L_RHO … the v128 ones
  return body([2, L_RHO - L_P, I32, L_BOUND - L_RHO + 1, V128], code);
}

/**
 * EXACT(n, plane, rho, keep, eps, negLr, wd, mode, p) → whether it flagged a lane below n: the block at p as
 * `step` does it, with fmaF32's test in every fma (see `fma`), stored with its flags (all ones in a flagged lane;
 * the last block's lanes from n on hold leftovers and are never flagged).
 */
function exactBody(): number[] {
  const code = [...prologue(), ...block(true), ...results];
  code.push(...address(G_PLANE), ...get(L_BAD0), ...get(L_BAD1), ...JOIN_MASKS);
  code.push(...get(L_P), ...i32Const(2), op.i32ShrU, ...v(simdOp.i32x4Splat), ...i32x4Const([0, 1, 2, 3]));
  code.push(...v(simdOp.i32x4Add), ...get(P_N), ...v(simdOp.i32x4Splat), ...v(simdOp.i32x4LtS), ...v(simdOp.and));
  code.push(...tee(L_BAD0), ...v(simdOp.store), ...memarg16(0), ...get(L_BAD0), ...v(simdOp.anyTrue));
  // L_END … are the i32 locals (L_P is a parameter), L_RHO … the v128 ones
  return body([2, L_RHO - L_END, I32, L_BAD1 - L_RHO + 1, V128], code);
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const stepParams = [I32, I32, F32, F32, F32, F32, F32, I32];
  const type = (params: number[]) => [0x60, ...uleb(params.length), ...params, 0x01, I32];
  const bytes = [
    ...MODULE_HEADER,
    ...section(1, [0x02, ...type(stepParams), ...type([...stepParams, I32])]),
    ...section(3, [0x02, 0x00, 0x01]), // step, EXACT
    ...section(5, [0x01, 0x00, 0x01]), // one memory, at least one page, no maximum
    ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('step'), 0x00, 0x00]),
    ...section(10, [0x02, ...stepBody(), ...exactBody()]),
  ];
  return new Uint8Array(bytes);
}

// ------------------------------------------------------------------------------------------- the instance

let kernel: Kernel | null | undefined;

/** The kernel, instantiated at its first use; null where WebAssembly SIMD is missing or refused. */
export function simdKernel(): Kernel | null {
  if (kernel === undefined) kernel = instantiate();
  return kernel;
}

function instantiate(): Kernel | null {
  const exports = instantiateModule(moduleBytes());
  if (exports === null) return null;
  const memory = exports.memory as WebAssembly.Memory;
  return { memory, step: exports.step as StepFn, floats: new Float32Array(memory.buffer), flags: new Int32Array(memory.buffer) };
}

/** Room for `floats` float32 values in the kernel's memory (false if the memory cannot grow). */
export function reserve(k: Kernel, floats: number): boolean {
  if (floats <= k.floats.length) return true;
  const have = k.memory.buffer.byteLength;
  try {
    k.memory.grow(Math.ceil((4 * floats - have) / 65536));
  } catch {
    return false;
  }
  k.floats = new Float32Array(k.memory.buffer);
  k.flags = new Int32Array(k.memory.buffer);
  return true;
}
