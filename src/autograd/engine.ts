import { Tensor } from '../tensor/tensor.js';
import { type DType, type Storage, allocate } from '../tensor/dtype.js';
import { broadcastStrides, contiguousStrides, numelOf, sameShape, shapeString, stridedOffsets } from '../tensor/shape.js';
import type { Node } from './node.js';
import { isGradEnabled, setGradEnabled } from './grad-mode.js';

export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

/**
 * Sums a gradient that has the broadcast output's shape back to an input's shape (the one place that
 * undoes broadcasting for every op). Throws, naming the op, when the shapes cannot be reconciled.
 */
export function reduceGradToShape(opName: string, grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.shape.length - shape.length;
  let compatible = lead >= 0;
  for (let i = 0; compatible && i < shape.length; i++) {
    if (shape[i] !== 1 && shape[i] !== grad.shape[lead + i]) compatible = false;
  }
  if (!compatible) {
    throw new Error(
      `${opName}: returned a gradient of shape ${shapeString(grad.shape)} for an input of shape ${shapeString(shape)}`,
    );
  }
  const targets = stridedOffsets(grad.shape, broadcastStrides(shape, contiguousStrides(shape), grad.shape), 0);
  const src = grad.values();
  const acc = new Float64Array(numelOf(shape));
  for (let k = 0; k < src.length; k++) acc[targets[k]] += src[k];
  const out = allocate(grad.dtype, acc.length);
  out.set(acc);
  return new Tensor(out, [...shape]);
}

function conform(node: Node, index: number, grad: Tensor, input: Tensor): Tensor {
  if (grad.dtype !== input.dtype) {
    throw new Error(
      `${node.name}: returned a ${grad.dtype} gradient for input ${index} of dtype ${input.dtype}`,
    );
  }
  return reduceGradToShape(node.name, grad, input.shape);
}

/**
 * What a backward function returns for an input whose gradient it has already added into that input's `.grad`
 * (through `leafGradBuffer`): the engine then has nothing left to do for it.
 */
export const ADDED_TO_GRAD: Tensor = new Tensor(new Float32Array(0), [0]);

/** Nonzero while backward() runs the nodes' backward functions. */
let runningNodes = 0;

/**
 * The `.grad` storage of `t` when the backward function running now may add its gradient for `t` straight into
 * it, `grad[i] += g[i]` rounded in the dtype exactly as the engine would, and return ADDED_TO_GRAD instead of a
 * fresh gradient tensor: when `t` is a leaf that requires grad and already holds a dense `.grad` of its own
 * dtype and shape (after the first step, with zeroGrad() zeroing it in place, always). Null otherwise, and
 * outside backward(). A backward function that uses it for one input must not also return a tensor for the
 * same leaf in another input slot (the additions would then happen out of order).
 */
export function leafGradBuffer(t: Tensor): Storage | null {
  if (runningNodes === 0 || t.gradFn !== null || !t.requiresGrad) return null;
  const g = t.grad;
  if (g === null || g.offset !== 0 || g.dtype !== t.dtype || !sameShape(g.shape, t.shape) || !g.isDense) return null;
  return g.data.length === t.numel() ? g.data : null;
}

/** Adds `grad` into `target.grad`, in place once the buffer is ours: this is why `.grad` accumulates. */
export function accumulateGrad(target: Tensor, grad: Tensor): void {
  const existing = target.grad;
  if (existing === null || !existing.isDense || existing.offset !== 0 || existing.dtype !== grad.dtype ||
      !sameShape(existing.shape, grad.shape)) {
    const fresh = existing === null ? grad.toStorage() : sumStorages(existing, grad);
    target.grad = new Tensor(fresh, target.shape);
    return;
  }
  const dst = existing.data;
  const n = dst.length;
  if (grad.offset === 0 && grad.isDense) {
    const src = grad.data;
    for (let i = 0; i < n; i++) dst[i] += src[i];
  } else {
    const src = grad.values();
    for (let i = 0; i < n; i++) dst[i] += src[i];
  }
}

function sumStorages(a: Tensor, b: Tensor): Float32Array | Float64Array {
  const out = b.toStorage();
  const av = a.values();
  for (let i = 0; i < out.length; i++) out[i] += av[i];
  return out;
}

/**
 * The implicit gradient of a scalar root. Shared between passes: the engine and every backward function only
 * read the gradients they are given (sums and accumulation always write into other storage).
 */
const ONE_F32 = new Float32Array([1]);
const ONE_F64 = new Float64Array([1]);

let lastSeed: Tensor | null = null;

/** The implicit gradient of a one-element root, kept while roots keep coming with the same shape array. */
function seedFor(root: Tensor): Tensor {
  const seed = lastSeed;
  if (seed !== null && seed.shape === root.shape && seed.dtype === root.dtype) return seed;
  return (lastSeed = new Tensor(root.dtype === 'float32' ? ONE_F32 : ONE_F64, root.shape));
}

let visitStamp = 0;

/**
 * The one node that produces an input of `node`: a chain's next link, null at the chain's end, undefined where
 * two different nodes feed `node` (a fork: the graph is no chain).
 */
function chainNext(node: Node): Node | null | undefined {
  let next: Node | null = null;
  const inputs: ReadonlyArray<Tensor | null> = node.edges;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    const child: Node | null = t === null ? null : t.gradFn;
    if (child === null || child === next) continue;
    if (next !== null) return undefined;
    next = child;
  }
  return next;
}

/**
 * Nodes reachable from `root`, each before every node that produces one of its inputs (so a node runs only once
 * all gradients for its output are summed): a depth-first post-order, returned reversed. The explicit stack
 * holds the node and, beside it, how many of its inputs have been visited.
 */
function topologicalOrder(root: Node): Node[] {
  const stamp = ++visitStamp;
  const post: Node[] = [];
  const stack: Node[] = [root];
  const next: number[] = [0];
  root.visitMark = stamp;
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top];
    const inputs = node.edges;
    let i = next[top];
    let child: Node | null = null;
    while (i < inputs.length) {
      const candidate = inputs[i++]?.gradFn;
      if (candidate && candidate.visitMark !== stamp) {
        child = candidate;
        break;
      }
    }
    next[top] = i;
    if (child !== null) {
      child.visitMark = stamp;
      stack.push(child);
      next.push(0);
    } else {
      post.push(node);
      stack.pop();
      next.pop();
    }
  }
  return post.reverse();
}

// ---------------------------------------------------------------- reusable gradient buffers

/**
 * Gradient buffers of intermediate results, by dtype and element count. A gradient that flows between two of
 * torchlet's own ops lives only from the backward call that makes it to the one that reads it; after that its
 * buffer is handed to the next gradient of the same size, so a training step makes no new gradient storage for
 * its intermediate results after the first (the tutorial's four per step, each a typed array and a tensor).
 */
const MAX_POOLED_NUMEL = 4096;
/** Tests switch reuse off to compute reference gradients with fresh buffers only. */
export const gradBufferReuse = { enabled: true };
const MAX_POOLED_PER_SIZE = 8;
const pool32: Array<Tensor[] | undefined> = [];
const pool64: Array<Tensor[] | undefined> = [];

/**
 * A tensor of `shape` for a backward function to fill with a gradient it returns: during backward() a reused
 * buffer the engine may take back once the gradient's consumer has run, otherwise a fresh one. Its elements are
 * not cleared: the caller writes every one.
 */
export function gradTensor(dtype: DType, shape: readonly number[], numel: number): Tensor {
  if (runningNodes > 0 && numel <= MAX_POOLED_NUMEL && gradBufferReuse.enabled) {
    const free = (dtype === 'float32' ? pool32 : pool64)[numel];
    if (free !== undefined && free.length > 0) {
      let t = free.pop() as Tensor;
      if (!sameShape(t.shape, shape)) t = new Tensor(t.data, shape);
      t.recyclable = true;
      return t;
    }
    const t = new Tensor(allocate(dtype, numel), shape);
    t.recyclable = true;
    return t;
  }
  return new Tensor(allocate(dtype, numel), shape);
}

function recycle(t: Tensor): void {
  t.recyclable = false;
  const pools = t.dtype === 'float32' ? pool32 : pool64;
  const n = t.data.length;
  const free = (pools[n] ??= []);
  if (free.length < MAX_POOLED_PER_SIZE) free.push(t);
}

/**
 * Runs one node: its backward function on the summed gradient of its output, then each input's gradient on to
 * the node that made that input, or into a leaf's `.grad`. The incoming gradient's buffer goes back to the pool
 * when it was one and nothing returned shares its storage; a buffer returned for two inputs is never reused.
 */
function runNode(node: Node, retain: boolean): void {
  const grad = node.pendingGrad;
  node.pendingGrad = null;
  if (grad === null) return;
  if (node.retainedOutput !== null) accumulateGrad(node.retainedOutput, grad);
  runningNodes++;
  let grads: ReadonlyArray<Tensor | null> | Tensor;
  try {
    grads = node.run(grad);
  } finally {
    runningNodes--;
  }
  let reuse = grad.recyclable && node.borrowsGrad;
  if (grads instanceof Tensor) {
    if (grads.data === grad.data) reuse = false;
    passOn(node, 0, grads);
  } else {
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i];
      if (g === null || g === undefined || g === ADDED_TO_GRAD) continue;
      if (g.data === grad.data) reuse = false;
      for (let j = 0; j < i; j++) {
        const other = grads[j];
        if (other !== null && other !== undefined && other.data === g.data) g.recyclable = other.recyclable = false;
      }
      passOn(node, i, g);
    }
  }
  if (reuse) recycle(grad);
  if (!retain) node.release();
}

/** Sends input i's gradient on: summed into the pending gradient of the node that made it, or into a leaf's `.grad`. */
function passOn(node: Node, i: number, g: Tensor): void {
  const edges = node.edges;
  const input = i < edges.length ? edges[i] : null;
  if (input === null || g === ADDED_TO_GRAD) return;
  // most gradients already have their input's dtype and shape
  const conformed = g.dtype === input.dtype && sameShape(g.shape, input.shape) ? g : conform(node, i, g, input);
  const next = input.gradFn;
  if (next !== null) {
    next.pendingGrad = next.pendingGrad === null ? conformed : new Tensor(sumStorages(next.pendingGrad, conformed), input.shape);
  } else if (input.requiresGrad) {
    accumulateGrad(input, conformed);
  }
}

/**
 * `tensor.backward(gradient)`: seeds the root with `gradient` (ones for a scalar), then walks the graph once
 * in topological order, so each node runs after all gradients for its output have been summed.
 */
export function backward(root: Tensor, gradient?: Tensor | null, options?: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new Error('backward: element 0 of tensors does not require grad and does not have a grad_fn');
  }
  let seed: Tensor;
  if (gradient === undefined || gradient === null) {
    if (root.numel() !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs (got shape ${shapeString(root.shape)})`);
    }
    seed = seedFor(root);
  } else {
    if (!sameShape(gradient.shape, root.shape)) {
      throw new Error(
        `backward: Mismatch in shape: grad_output[0] has a shape of ${shapeString(gradient.shape)} and output[0] has a shape of ${shapeString(root.shape)}.`,
      );
    }
    seed = gradient.dtype === root.dtype ? gradient : new Tensor(castStorage(gradient, root.dtype), root.shape);
  }
  const rootNode = root.gradFn;
  if (rootNode === null) {
    accumulateGrad(root, seed);
    return;
  }
  const retain = options?.retainGraph ?? false;
  const wasEnabled = isGradEnabled();
  setGradEnabled(false);
  try {
    rootNode.pendingGrad = seed;
    // Link by link while the graph is a chain (a sequence of layers: no search, no order array). Where a node
    // feeds from two nodes, the rest runs in topological order from there: every node reachable from the root
    // is either one of the links already run or below that node, so each link had all its gradient when it ran.
    for (let node: Node | null = rootNode; node !== null;) {
      const next = chainNext(node);
      if (next === undefined) {
        const order = topologicalOrder(node);
        for (let k = 0; k < order.length; k++) runNode(order[k], retain);
        break;
      }
      runNode(node, retain);
      node = next;
    }
  } catch (err) {
    // nothing of this pass is left pending for the next one
    for (const node of topologicalOrder(rootNode)) node.pendingGrad = null;
    throw err;
  } finally {
    setGradEnabled(wasEnabled);
  }
}

function castStorage(t: Tensor, dtype: Tensor['dtype']): Float32Array | Float64Array {
  const out = allocate(dtype, t.numel());
  out.set(t.values());
  return out;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Computes gradients of this tensor with respect to graph leaves and adds them into their `.grad`. */
    backward(gradient?: Tensor | null, options?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor | null, options?: BackwardOptions): void {
  backward(this, gradient, options);
};
