import './engine.js'; // every recorded op can be backpropagated: attach Tensor.prototype.backward
import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';
import { type BackwardFn, Node, type SavedBackwardFn } from './node.js';

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
  return attach(output, name, inputs, fn, null, 0);
}

/**
 * `record` for a backward function that takes what it needs as an argument (`saved`) instead of capturing it:
 * the form of the ops every training step runs, which then allocate no closure.
 */
export function recordSaved<S>(
  output: Tensor, name: string, inputs: ReadonlyArray<Tensor | null>, fn: SavedBackwardFn<S>, saved: S, scalar = 0,
): Tensor {
  return attach(output, name, inputs, fn as SavedBackwardFn<unknown>, saved, scalar);
}

function attach(
  output: Tensor, name: string, inputs: ReadonlyArray<Tensor | null>, fn: BackwardFn | SavedBackwardFn<unknown>, saved: unknown, scalar: number,
): Tensor {
  if (!isGradEnabled()) return output;
  // The inputs array is kept as given when every input in it requires grad (the common case); otherwise a copy
  // with the others nulled out.
  let recorded: Array<Tensor | null> | null = null;
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t === null) continue;
    if (t.requiresGrad) any = true;
    else (recorded ??= inputs.slice())[i] = null;
  }
  if (!any) return output;
  output.requiresGrad = true;
  output.gradFn = new Node(name, recorded ?? inputs, fn, saved, scalar);
  return output;
}
