import type { Tensor } from '../../src/index.js';

/** Whether `t` is the output of a fused chain whose node still stands for the whole chain (see Node.folded). */
export function isFusedChain(t: Tensor): boolean {
  return t.gradFn !== null && t.gradFn.folded !== null;
}
