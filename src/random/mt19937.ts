/**
 * The 32-bit Mersenne Twister (Matsumoto & Nishimura, mt19937ar with init_genrand), kept in the same shape as
 * PyTorch's `at::mt19937`: the state is regenerated lazily on the draw that needs it, and `left`/`next` follow
 * PyTorch's bookkeeping, so a snapshot taken here can be laid out byte for byte like `torch.get_rng_state()`.
 */

export const MT_STATE_SIZE = 624;
const MT_SHIFT = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A copy of the engine's state; `left` and `next` use PyTorch's meaning (see `MT19937.setState`). */
export interface MT19937State {
  state: Uint32Array;
  left: number;
  next: number;
}

export class MT19937 {
  readonly #state = new Uint32Array(MT_STATE_SIZE);
  // PyTorch counts draws down in `left` and regenerates when it reaches 0, so a fresh seed has left = 1.
  #left = 1;
  #next = 0;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** init_genrand: only the low 32 bits of `seed` matter, as in PyTorch. */
  seed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`MT19937 seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const s = this.#state;
    s[0] = seed;
    for (let i = 1; i < MT_STATE_SIZE; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // Math.imul keeps the 32-bit wrap-around of the C multiplication; a double product would lose low bits.
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#left = 1;
    this.#next = 0;
    return this;
  }

  nextUint32(): number {
    if (--this.#left === 0) this.#regenerate();
    let y = this.#state[this.#next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  getState(): MT19937State {
    return { state: this.#state.slice(), left: this.#left, next: this.#next };
  }

  /**
   * `left` counts down to the next regeneration (1..624) and `next` is the index of the next word (0..624).
   * PyTorch only checks those ranges; we also require `left + next <= 625`, the invariant every reachable state
   * keeps, because anything else would read past the end of the state array.
   */
  setState(snapshot: MT19937State): this {
    const { state, left, next } = snapshot;
    if (state.length !== MT_STATE_SIZE) {
      throw new RangeError(`MT19937 state must have ${MT_STATE_SIZE} words, got ${state.length}`);
    }
    if (!Number.isInteger(left) || left < 1 || left > MT_STATE_SIZE) {
      throw new RangeError(`MT19937 'left' must be an integer in [1, ${MT_STATE_SIZE}], got ${left}`);
    }
    if (!Number.isInteger(next) || next < 0 || next + left > MT_STATE_SIZE + 1) {
      throw new RangeError(`MT19937 'next' must be an integer in [0, ${MT_STATE_SIZE + 1 - left}] when left = ${left}, got ${next}`);
    }
    this.#state.set(state);
    this.#left = left;
    this.#next = next;
    return this;
  }

  #regenerate(): void {
    const s = this.#state;
    const twist = (u: number, v: number): number =>
      (((u & UPPER_MASK) | (v & LOWER_MASK)) >>> 1) ^ (v & 1 ? MATRIX_A : 0);
    let i = 0;
    for (; i < MT_STATE_SIZE - MT_SHIFT; i++) s[i] = (s[i + MT_SHIFT] ^ twist(s[i], s[i + 1])) >>> 0;
    for (; i < MT_STATE_SIZE - 1; i++) s[i] = (s[i + MT_SHIFT - MT_STATE_SIZE] ^ twist(s[i], s[i + 1])) >>> 0;
    s[i] = (s[i + MT_SHIFT - MT_STATE_SIZE] ^ twist(s[i], s[0])) >>> 0;
    this.#left = MT_STATE_SIZE;
    this.#next = 0;
  }
}
