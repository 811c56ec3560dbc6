/**
 * A deterministic stream of numbers in [0, 1) (xorshift32): tests that run one case twice, or drive a kernel with
 * many draws, see the same values every time without going through the library's own generator.
 */
export function stream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
