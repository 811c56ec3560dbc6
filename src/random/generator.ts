/**
 * PyTorch's CPU generator (`at::CPUGeneratorImpl`, PyTorch 1.13) and the CPU sampling kernels that decide which
 * draws land where: `uniform_`/`rand`, `normal_`/`randn`, `random_(from, to)` and `randperm`.
 * Results are bit-identical to PyTorch 1.13 on an x86-64 AVX2 build, where GCC fuses multiply-adds (see
 * rounding.ts and avx-mathfun.ts), with one exception: float64 normal samples go through glibc's log, sin and
 * cos, which we replace by correctly rounded versions (libm.ts); glibc misrounds a few arguments in a thousand,
 * so about 2 float64 normal values in 1000 differ from PyTorch's in the last bit or two.
 */
import { logAvx, sinCosAvx } from './avx-mathfun.js';
import { logAccurate, sinCosAccurate } from './libm.js';
import { MT19937, MT_STATE_SIZE } from './mt19937.js';
import { addToFloat32, fmaFloat32, fmaFloat64 } from './rounding.js';

/** `default_rng_seed_val` in c10/core/GeneratorImpl.h: the seed of a generator nobody seeded. */
export const DEFAULT_SEED = 67280421310721n;

const UINT64_LIMIT = 1n << 64n;
const FLOAT32_MAX = 3.4028234663852886e38;
const TWO_POW_32 = 2 ** 32;
const FLOAT_SCALE = 2 ** -24;
const DOUBLE_SCALE = 2 ** -53;
const TWO_PI_F32 = Math.fround(2 * Math.PI);

/**
 * `randperm_cpu` keeps the old swap-with-a-32-bit-draw shuffle only below this n (uint32 max / 20);
 * larger n switch to a 64-bit inside-out shuffle in newer PyTorch. We provide the small-n algorithm only.
 */
export const RANDPERM_SMALL_N_LIMIT = Math.floor(0xffffffff / 20);

/**
 * Byte layout of `torch.get_rng_state()` on little-endian 64-bit builds (`CPUGeneratorImplState`), so a
 * state can move between torchlet and PyTorch. Padding bytes are zero, as PyTorch writes them.
 */
export const STATE_BYTES = 5056;
const OFF_SEED = 0;
const OFF_LEFT = 8;
const OFF_SEEDED = 12;
const OFF_NEXT = 16;
const OFF_WORDS = 24; // 624 uint64 slots, each holding one 32-bit word
const OFF_NORMAL_Y = 5024; // the cached double normal sample
const OFF_NORMAL_VALID = 5040;
const OFF_FLOAT_NORMAL = 5048;
const OFF_FLOAT_NORMAL_VALID = 5052;

type FloatBuffer = Float32Array | Float64Array;

function toSeed(seed: number | bigint): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= UINT64_LIMIT) {
      throw new RangeError(`seed must be in [0, 2^64 - 1], got ${seed}`);
    }
    return seed;
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${String(seed)}`);
  }
  if (seed < 0) {
    // PyTorch would reinterpret a negative seed as its two's-complement uint64; we refuse it instead.
    throw new RangeError(`seed must be non-negative, got ${seed}`);
  }
  if (!Number.isSafeInteger(seed)) {
    // A number this large may already differ from what was written; only a bigint says which seed is meant.
    throw new RangeError(`seed ${seed} is above 2^53 - 1 and may have been rounded; pass it as a bigint`);
  }
  return BigInt(seed);
}

/** Numbers in error messages, keeping the sign of -0 visible. */
function show(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

export class Generator {
  readonly #engine = new MT19937();
  #initialSeed = DEFAULT_SEED;
  // Box–Muller yields two samples; PyTorch keeps the second (the sine one) for the next scalar draw.
  #nextDoubleNormal: number | undefined;
  // No CPU kernel of PyTorch 1.13 fills this cache, but a state coming from PyTorch may carry it.
  #nextFloatNormal: number | undefined;

  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** Like `torch.manual_seed`: the engine is seeded with the low 32 bits; the full seed is remembered. */
  manualSeed(seed: number | bigint): this {
    const value = toSeed(seed);
    this.#engine.seed(Number(value & 0xffffffffn));
    this.#initialSeed = value;
    this.#nextDoubleNormal = undefined;
    this.#nextFloatNormal = undefined;
    return this;
  }

  initialSeed(): bigint {
    return this.#initialSeed;
  }

  /** Like `torch.seed()`: 64 bits from the platform's secure random source, applied and returned. */
  seed(): bigint {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    const value = (BigInt(words[0]) << 32n) | BigInt(words[1]);
    this.manualSeed(value);
    return value;
  }

  nextUint32(): number {
    return this.#engine.nextUint32();
  }

  /** `random64()`: the first draw is the high word. */
  #nextUint64(): bigint {
    const hi = this.#engine.nextUint32();
    const lo = this.#engine.nextUint32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  #nextFloat(): number {
    return (this.#engine.nextUint32() & 0xffffff) * FLOAT_SCALE;
  }

  /** 53 random bits: the low 21 bits of the first draw on top of the second draw. */
  #nextDouble(): number {
    const hi = this.#engine.nextUint32() & 0x1fffff;
    const lo = this.#engine.nextUint32();
    return (hi * TWO_POW_32 + lo) * DOUBLE_SCALE;
  }

  /** A snapshot in the byte layout of `torch.get_rng_state()` (5056 bytes). */
  getState(): Uint8Array {
    const bytes = new Uint8Array(STATE_BYTES);
    const view = new DataView(bytes.buffer);
    const { state, left, next } = this.#engine.getState();
    view.setBigUint64(OFF_SEED, this.#initialSeed, true);
    view.setInt32(OFF_LEFT, left, true);
    view.setInt32(OFF_SEEDED, 1, true);
    view.setBigUint64(OFF_NEXT, BigInt(next), true);
    for (let i = 0; i < MT_STATE_SIZE; i++) view.setUint32(OFF_WORDS + 8 * i, state[i], true);
    if (this.#nextDoubleNormal !== undefined) {
      view.setFloat64(OFF_NORMAL_Y, this.#nextDoubleNormal, true);
      view.setInt32(OFF_NORMAL_VALID, 1, true);
    }
    if (this.#nextFloatNormal !== undefined) {
      view.setFloat32(OFF_FLOAT_NORMAL, this.#nextFloatNormal, true);
      bytes[OFF_FLOAT_NORMAL_VALID] = 1;
    }
    return bytes;
  }

  /**
   * Restores a snapshot from `getState()` or `torch.get_rng_state()`. Malformed input throws and leaves the
   * generator untouched. The cached double normal sample travels in the legacy `normal_y` slot, as in PyTorch
   * (`normal_x` and `normal_rho` are unused and written as zero).
   */
  setState(state: Uint8Array): this {
    if (!(state instanceof Uint8Array)) throw new TypeError('generator state must be a Uint8Array');
    if (state.length !== STATE_BYTES) {
      throw new RangeError(`generator state must be ${STATE_BYTES} bytes (torch.get_rng_state() layout), got ${state.length}`);
    }
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const seeded = view.getInt32(OFF_SEEDED, true);
    if (seeded !== 1) throw new RangeError(`generator state: 'seeded' must be 1, got ${seeded}`);
    const next = view.getBigUint64(OFF_NEXT, true);
    if (next > BigInt(MT_STATE_SIZE)) throw new RangeError(`generator state: 'next' must be at most ${MT_STATE_SIZE}, got ${next}`);
    const words = new Uint32Array(MT_STATE_SIZE);
    for (let i = 0; i < MT_STATE_SIZE; i++) {
      if (view.getUint32(OFF_WORDS + 8 * i + 4, true) !== 0) {
        throw new RangeError(`generator state: word ${i} does not fit in 32 bits`);
      }
      words[i] = view.getUint32(OFF_WORDS + 8 * i, true);
    }
    const normalValid = view.getInt32(OFF_NORMAL_VALID, true);
    const floatValid = state[OFF_FLOAT_NORMAL_VALID];
    if ((normalValid !== 0 && normalValid !== 1) || (floatValid !== 0 && floatValid !== 1)) {
      throw new RangeError('generator state: cached-normal flags must be 0 or 1');
    }
    const cachedDouble = normalValid === 1 ? view.getFloat64(OFF_NORMAL_Y, true) : undefined;
    const cachedFloat = floatValid === 1 ? view.getFloat32(OFF_FLOAT_NORMAL, true) : undefined;
    // MT19937.setState validates left/next before anything is changed, so a throw leaves this generator as it was.
    this.#engine.setState({ state: words, left: view.getInt32(OFF_LEFT, true), next: Number(next) });
    this.#initialSeed = view.getBigUint64(OFF_SEED, true);
    this.#nextDoubleNormal = cachedDouble;
    this.#nextFloatNormal = cachedFloat;
    return this;
  }

  /**
   * `uniform_(from, to)` (and `rand` with the defaults) over a contiguous buffer in memory order.
   * Bounds are checked as PyTorch checks them, then rounded to the buffer's type; float32 computes
   * `x * f32(to - from) + f32(from)` as one fused multiply-add, float64 likewise in double.
   */
  fillUniform(out: FloatBuffer, from = 0, to = 1): void {
    const isFloat = out instanceof Float32Array;
    checkUniformBounds(from, to, isFloat);
    const n = out.length;
    if (isFloat) {
      const lo = Math.fround(from);
      const range = addToFloat32(Math.fround(to), -lo);
      if (lo === 0 && range === 1) {
        for (let i = 0; i < n; i++) out[i] = this.#nextFloat();
      } else {
        for (let i = 0; i < n; i++) out[i] = fmaFloat32(this.#nextFloat(), range, lo);
      }
    } else {
      const range = to - from;
      if (from === 0 && range === 1) {
        for (let i = 0; i < n; i++) out[i] = this.#nextDouble();
      } else {
        for (let i = 0; i < n; i++) out[i] = fmaFloat64(this.#nextDouble(), range, from);
      }
    }
  }

  /**
   * `normal_(mean, std)` (and `randn`) over a contiguous buffer. Below 16 elements every value comes from the
   * scalar Box–Muller sampler (double precision, with the cached second sample); from 16 up PyTorch fills the
   * buffer with uniforms and transforms blocks of 16 in place, pairing j with j + 8 — float32 with the AVX2
   * polynomial kernels, float64 with libm. A ragged tail redraws 16 fresh uniforms into the last 16 slots
   * and transforms them again, overwriting values already written.
   */
  fillNormal(out: FloatBuffer, mean = 0, std = 1): void {
    if (!(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${show(std)}`);
    const n = out.length;
    if (n < 16) {
      const round = out instanceof Float32Array ? Math.fround : (v: number) => v;
      for (let i = 0; i < n; i++) out[i] = round(this.#normalScalar(mean, std));
      return;
    }
    if (out instanceof Float32Array) {
      this.#normalFillFloat32(out, Math.fround(mean), Math.fround(std));
    } else {
      this.#normalFillFloat64(out, mean, std);
    }
  }

  /** `at::normal_distribution<double>`: u1 gives the angle, u2 the radius; the sine sample is cached. */
  #normalScalar(mean: number, std: number): number {
    let sample = this.#nextDoubleNormal;
    if (sample !== undefined) {
      this.#nextDoubleNormal = undefined;
    } else {
      const u1 = this.#nextDouble();
      const u2 = this.#nextDouble();
      const radius = Math.sqrt(-2 * logAccurate(1 - u2));
      const [sin, cos] = sinCosAccurate(2 * Math.PI * u1);
      this.#nextDoubleNormal = radius * sin;
      sample = radius * cos;
    }
    return fmaFloat64(sample, std, mean);
  }

  #normalFillFloat32(data: Float32Array, mean: number, std: number): void {
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = this.#nextFloat();
    for (let i = 0; i + 16 <= n; i += 16) normalBlockFloat32(data, i, mean, std);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = this.#nextFloat();
      normalBlockFloat32(data, n - 16, mean, std);
    }
  }

  #normalFillFloat64(data: Float64Array, mean: number, std: number): void {
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = this.#nextDouble();
    for (let i = 0; i + 16 <= n; i += 16) normalBlockFloat64(data, i, mean, std);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = this.#nextDouble();
      normalBlockFloat64(data, n - 16, mean, std);
    }
  }

  /**
   * `random_(low, high)` on an int64 tensor: `draw % (high - low) + low`, with a 32-bit draw when the range
   * is below 2^32 and a 64-bit one otherwise (so the modulo bias stays what PyTorch's is).
   */
  randomInt(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new RangeError(`randomInt bounds must be safe integers, got low=${show(low)}, high=${show(high)}`);
    }
    if (low >= high) {
      throw new RangeError(`randomInt expects low < high, but got low=${low} >= high=${high}`);
    }
    const range = high - low;
    if (range < TWO_POW_32) return (this.#engine.nextUint32() % range) + low;
    // high - low may exceed 2^53 here, so the arithmetic is done exactly.
    const wide = BigInt(high) - BigInt(low);
    return Number((this.#nextUint64() % wide) + BigInt(low));
  }

  /** `torch.randperm(n)` on the CPU: for i in 0..n-2 swap slot i with slot i + (draw % (n - i)). */
  randperm(n: number): number[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`randperm expects a non-negative integer n, got ${show(n)}`);
    }
    if (n >= RANDPERM_SMALL_N_LIMIT) {
      throw new RangeError(
        `randperm(n) is implemented for n < ${RANDPERM_SMALL_N_LIMIT}, where PyTorch uses its 32-bit shuffle; got ${n}`,
      );
    }
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const j = i + (this.#engine.nextUint32() % (n - i));
      const held = perm[i];
      perm[i] = perm[j];
      perm[j] = held;
    }
    return perm;
  }
}

/** `check_uniform_bounds` of PyTorch, on the double arguments before they are rounded to the dtype. */
function checkUniformBounds(from: number, to: number, isFloat: boolean): void {
  const max = isFloat ? FLOAT32_MAX : Number.MAX_VALUE;
  const dtype = isFloat ? 'float32' : 'float64';
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!(value >= -max && value <= max)) {
      throw new RangeError(`uniform_: ${name}=${show(value)} is out of bounds for ${dtype}`);
    }
  }
  if (from > to) {
    throw new RangeError(`uniform_ expects to return a [from, to) range, but found from=${show(from)} > to=${show(to)}`);
  }
  if (!(to - from <= max)) {
    throw new RangeError(`uniform_ expects to - from <= ${dtype} max, but found to=${show(to)} and from=${show(from)}`);
  }
}

/** `normal_fill_16_AVX2`: slots j and j + 8 become the cosine and sine samples of one Box–Muller pair. */
function normalBlockFloat32(data: Float32Array, offset: number, mean: number, std: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const u1 = 1 - data[j]; // exact: a multiple of 2^-24 in [0, 1)
    const radius = Math.fround(Math.sqrt(-2 * logAvx(u1)));
    const [sin, cos] = sinCosAvx(Math.fround(TWO_PI_F32 * data[j + 8]));
    data[j] = fmaFloat32(Math.fround(radius * cos), std, mean);
    data[j + 8] = fmaFloat32(Math.fround(radius * sin), std, mean);
  }
}

/** `normal_fill_16<double>`: the same pairing in double precision with libm's log, cos and sin. */
function normalBlockFloat64(data: Float64Array, offset: number, mean: number, std: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const radius = Math.sqrt(-2 * logAccurate(1 - data[j]));
    const [sin, cos] = sinCosAccurate(2 * Math.PI * data[j + 8]);
    data[j] = fmaFloat64(radius * cos, std, mean);
    data[j + 8] = fmaFloat64(radius * sin, std, mean);
  }
}

/**
 * The generator behind `manualSeed` and the tensor factories. Like PyTorch's default CPU generator it starts
 * from a non-deterministic seed (`torch.initial_seed()` differs per process); `new Generator()` instead starts
 * from DEFAULT_SEED, as `torch.Generator()` does.
 */
export const defaultGenerator = new Generator();
defaultGenerator.seed();

/** Like `torch.manual_seed`: seeds the default generator and returns it. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** Like `torch.initial_seed()`. */
export function initialSeed(): bigint {
  return defaultGenerator.initialSeed();
}
