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
export { fmaFloat32 as fmaF32, fmaFloat64 as fmaF64 } from '../random/rounding.js';
