import { Tensor } from '../tensor/tensor.js';

/** Sends the gradient of an op's output back to its inputs; one entry per input (null: that input needs none). */
export type BackwardFn = (gradOutput: Tensor) => ReadonlyArray<Tensor | null>;

/**
 * The same as a plain function of what the op saved at forward time (`recordSaved`): the hot ops use this form,
 * so a step creates no closure (and no closure context) per op. `saved` is what its gradient needs: a tensor,
 * or an object the op makes anyway. (No numeric slot beside it: a field that ever holds a non-integer number
 * makes V8 box that field in every node.)
 */
export type SavedBackwardFn<S> = (gradOutput: Tensor, saved: S) => ReadonlyArray<Tensor | null> | Tensor;

/**
 * @internal What a node that stands for several ops (a fused chain, src/ops/fused-chain.ts) keeps to spell them
 * out when someone first looks at its inputs: `unfold` records the ops before the last and makes the node the last
 * op's own (`becomeOp`).
 */
export interface FoldedOps {
  unfold(node: Node): void;
}

/**
 * One recorded op in the graph, PyTorch's `grad_fn`. `inputs[i]` is the i-th differentiable input, or null
 * where that input does not require grad (so the closure may skip its gradient).
 */
export class Node {
  /** Gradient summed from every consumer during one backward pass (the engine's scratch slot). */
  pendingGrad: Tensor | null = null;
  /** Set when backward runs through this node: the non-leaf output that asked for `retainGrad()`. */
  retainedOutput: Tensor | null = null;
  /** The engine's mark for 'already visited in this backward pass' (cheaper than a Set per pass). */
  visitMark = 0;
  /**
   * True for torchlet's own ops (set by record/recordSaved): their backward functions read `gradOutput` only
   * during the call and keep no reference to it, so the engine may reuse its buffer once the call returns.
   * A Node built by hand keeps the default: whatever it is given stays untouched.
   */
  borrowsGrad = false;
  /**
   * What the engine walks and what the backward function's answers line up with: the inputs, except in a node that
   * stands for a fused chain of ops (src/ops/fused-chain.ts), whose edges go straight to the chain's parameters
   * until someone looks at its `inputs`, which then unfold the chain into its real ops.
   */
  protected edgeList: ReadonlyArray<Tensor | null>;
  protected backwardFn: SavedBackwardFn<unknown> | null;
  /** What the backward function reads (for a closure, nothing: it captured its values). */
  protected saved: unknown;
  /**
   * @internal Set on a node that stands for several ops until they are spelled out, null on an op's own node.
   * A field rather than a subclass: every node then has one shape, which keeps the engine's reads of nodes
   * monomorphic, and creating one is a plain construction (a derived class's goes through its base's).
   */
  folded: FoldedOps | null = null;

  constructor(
    /** PyTorch's class name, e.g. 'SigmoidBackward0', so printed tensors read like PyTorch's. */
    readonly name: string,
    inputs: ReadonlyArray<Tensor | null>,
    backwardFn: BackwardFn | SavedBackwardFn<unknown>,
    saved: unknown = null,
  ) {
    this.edgeList = inputs;
    this.backwardFn = backwardFn as SavedBackwardFn<unknown>;
    this.saved = saved;
  }

  /** The op's inputs (null where an input needs no gradient), in its argument order. */
  get inputs(): ReadonlyArray<Tensor | null> {
    this.unfold();
    return this.edgeList;
  }

  /** @internal The engine's view of the inputs (see `edgeList`). */
  get edges(): ReadonlyArray<Tensor | null> {
    return this.edgeList;
  }

  /** Turns a node that stands for several ops into the last of them, with the others recorded behind it. */
  protected unfold(): void {
    const folded = this.folded;
    if (folded === null) return;
    this.folded = null;
    folded.unfold(this);
  }

  /**
   * @internal Makes a node that stood for several ops the node of the last of them: its inputs, its backward
   * function and what that reads (null for both once the node was released).
   */
  becomeOp(inputs: ReadonlyArray<Tensor | null>, backwardFn: SavedBackwardFn<unknown> | null, saved: unknown): void {
    this.edgeList = inputs;
    this.backwardFn = backwardFn;
    this.saved = saved;
  }

  get released(): boolean {
    return this.backwardFn === null;
  }

  apply(gradOutput: Tensor): ReadonlyArray<Tensor | null> {
    this.unfold(); // one gradient per input of the op itself, whatever the engine's edges are
    const grads = this.run(gradOutput);
    return grads instanceof Tensor ? [grads] : grads;
  }

  /**
   * `apply` as the engine calls it: a node with one input may answer with the gradient itself (no array), which a
   * training step would otherwise make once per such node.
   */
  run(gradOutput: Tensor): ReadonlyArray<Tensor | null> | Tensor {
    if (this.backwardFn === null) {
      throw new Error(
        `${this.name}: Trying to backward through the graph a second time (or directly access saved tensors after ` +
          'they have already been freed). Saved intermediate values of the graph are freed when you call ' +
          '.backward(). Specify retainGraph: true if you need to backward through the graph a second time.',
      );
    }
    return this.backwardFn(gradOutput, this.saved);
  }

  /** Drops the backward function and the saved tensors, as PyTorch frees a graph after backward. */
  release(): void {
    this.backwardFn = null;
    this.saved = null;
  }

  /** PyTorch's `grad_fn.next_functions`: where each input's gradient goes ('AccumulateGrad' for a leaf). */
  get nextFunctions(): ReadonlyArray<{ name: string; node: Node | null; variable: Tensor | null }> {
    return this.inputs.map((t) => {
      if (t === null) return { name: 'None', node: null, variable: null };
      if (t.gradFn !== null) return { name: t.gradFn.name, node: t.gradFn, variable: null };
      return { name: 'AccumulateGrad', node: null, variable: t };
    });
  }

  toString(): string {
    return `<${this.name}>`;
  }
}
