/**
 * Fused multiply-add as PyTorch's CPU kernels do it, for the optimisers' update loops.
 *
 * PyTorch's float32 kernels compute in float32 and round after every operation; where the compiler
 * contracts `a + b * c` into one fused multiply-add instruction (addcmul_, add_ with alpha — checked against
 * PyTorch 1.13's AVX2 build, both its vectorised and its scalar loops), the result is rounded once.
 * (A build without AVX rounds the product first; torchlet follows the AVX2 build, as PyTorch's x86-64 wheels run.)
 *
 * The exact emulation lives with the random generator, which needs the same single rounding for `uniform_`;
 * these are its names in the optimisers' vocabulary.
 */
import { fmaFloat32, fmaFloat64 } from '../random/rounding.js';

export { fmaFloat64 as fmaF64 };

/**
 * `fmaFloat32(a, b, c)` — the float32 nearest to a·b + c, rounded once — with a shortcut for the common case,
 * since the optimisers call it several times per parameter per step. For float32 a and b the product p = a·b is
 * exact in a double and s = p + c is the double nearest to the exact sum, so fround(s) is already the answer
 * unless s is exactly halfway between two float32 values while the exact sum is not (then the tie would be
 * broken the wrong way): s is such a midpoint exactly when t = 2s − fround(s), the float32 on its other side,
 * is itself a float32. Only that rare case (and non-finite ones) goes to the exact emulation.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const s = a * b + c;
  const r = fround(s);
  if (r === s) return r; // a float32 already (any inexactness of s is far below half a float32 ulp)
  const t = r + 2 * (s - r);
  if (fround(t) !== t && r - r === 0) return r; // not a midpoint, and finite
  // Passing a, b, c to the call directly made V8 box them (and the returned r) as heap numbers on the fast path
  // too, once fmaF32 is inlined into an update loop: about 20 allocations per tutorial step. Through a typed
  // array and fround, every value stays an unboxed double.
  slowArgs[0] = a;
  slowArgs[1] = b;
  slowArgs[2] = c;
  return fround(slowFma());
}

// A module binding rather than Math.fround at each use: shorter bytecode, so that V8's inlining budget (counted
// in bytecode) takes fmaF32 into every update loop; a call left un-inlined returns each result as a heap number.
const fround = Math.fround;

const slowArgs = new Float64Array(3);

function slowFma(): number {
  return fmaFloat32(slowArgs[0], slowArgs[1], slowArgs[2]);
}
