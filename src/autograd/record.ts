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
 * Inputs that do not require grad are recorded as null so the closure can skip their gradients. The node takes
 * the `inputs` array as it is given (it nulls those entries in it): pass a fresh array.
 */
export function record(output: Tensor, name: string, inputs: Array<Tensor | null>, fn: BackwardFn): Tensor {
  return attach(output, name, inputs, fn, null);
}

/**
 * `record` for a backward function that takes what it needs as an argument (`saved`) instead of capturing it:
 * the form of the ops every training step runs, which then allocate no closure.
 */
export function recordSaved<S>(
  output: Tensor, name: string, inputs: Array<Tensor | null>, fn: SavedBackwardFn<S>, saved: S,
): Tensor {
  return attach(output, name, inputs, fn as SavedBackwardFn<unknown>, saved);
}

function attach(
  output: Tensor, name: string, inputs: Array<Tensor | null>, fn: BackwardFn | SavedBackwardFn<unknown>, saved: unknown,
): Tensor {
  if (!isGradEnabled()) return output;
  return recordNode(output, name, inputs, fn, saved);
}

/** Nulls, in place, the inputs that need no gradient; true when any input still needs one. */
export function keepInputsNeedingGrad(inputs: Array<Tensor | null>): boolean {
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t === null) continue;
    if (t.requiresGrad) any = true;
    else inputs[i] = null;
  }
  return any;
}

/**
 * `recordSaved` whatever the grad mode: for a graph that was already recorded in another form and is now spelled
 * out op by op (a fused chain unfolding, src/ops/fused-chain.ts).
 */
export function recordNode(
  output: Tensor, name: string, inputs: Array<Tensor | null>, fn: BackwardFn | SavedBackwardFn<unknown>, saved: unknown,
): Tensor {
  // The node keeps the inputs array itself (ops pass a fresh one), with inputs that need no grad nulled out.
  if (!keepInputsNeedingGrad(inputs)) return output;
  output.requiresGrad = true;
  const node = new Node(name, inputs, fn, saved);
  node.borrowsGrad = true;
  output.gradFn = node;
  return output;
}
