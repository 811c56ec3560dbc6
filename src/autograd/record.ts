import './engine.js'; // every recorded op can be backpropagated: attach Tensor.prototype.backward
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';
import { type BackwardFn, Node } from './node.js';

/** True when an op on these inputs must record a graph node. */
export function needsGrad(a: Tensor, b?: Tensor | null, c?: Tensor | null): boolean {
  if (!isGradEnabled()) return false;
  return a.requiresGrad || (b?.requiresGrad ?? false) || (c?.requiresGrad ?? false);
}

/**
 * Attaches the backward closure to an op's output when any input requires grad (micrograd's `_backward`).
 * Inputs that do not require grad are recorded as null so the closure can skip their gradients.
 */
export function record(output: Tensor, name: string, inputs: ReadonlyArray<Tensor | null>, fn: BackwardFn): Tensor {
  if (!isGradEnabled()) return output;
  let any = false;
  const recorded = inputs.map((t) => {
    if (t !== null && t.requiresGrad) {
      any = true;
      return t;
    }
    return null;
  });
  if (!any) return output;
  output.requiresGrad = true;
  output.gradFn = new Node(name, recorded, fn);
  return output;
}
