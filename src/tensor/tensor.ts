import type { Node } from '../autograd/node.js';
import { formatTensor } from '../format/tensor-repr.js';
import { type DType, type Storage, allocate, dtypeOf } from './dtype.js';
import { contiguousStrides, isContiguousLayout, normalizeDim, numelOf, stridedOffsets } from './shape.js';

export type NestedArray = number | NestedArray[];

/**
 * A tensor is plain data — storage, shape, strides, offset — plus the autograd fields PyTorch has.
 * Views share `data` and differ only in shape/strides/offset. Differentiable methods (add, matmul, …)
 * live with their ops in src/ops and are attached to this class there.
 */
export class Tensor {
  /** The storage; a view sees `numel()` elements of it through `shape`, `strides` and `offset`. */
  data: Storage;
  readonly shape: readonly number[];
  /**
   * Storage steps per dim. Row-major unless this tensor is a view; a tensor made with row-major strides computes
   * them on first read (most op results never need them). See the accessor defined in the static block below.
   */
  declare readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  requiresGrad: boolean;
  /** Accumulated gradient: backward() adds into it until zeroGrad() clears it, as in PyTorch. */
  grad: Tensor | null = null;
  gradFn: Node | null = null;
  /** Set by retainGrad(): a non-leaf keeps its `.grad` after backward. */
  retainsGrad = false;
  /** The tensor whose storage this one views (PyTorch's `._base`), null for a tensor owning its data. */
  base: Tensor | null = null;
  /**
   * @internal Set on a gradient buffer the autograd engine handed out and may take back for reuse once its
   * consumer is done with it (see `gradTensor` in src/autograd/engine.ts). False on every tensor a user can hold.
   */
  recyclable = false;

  /** Explicit strides, or null for row-major ones (then `strides` computes them when first read). */
  #strides: readonly number[] | null;
  /** The element count, computed once: ops ask for it several times per call. */
  readonly #numel: number;

  static {
    // An accessor typed as the readonly field above: reading computes row-major strides lazily; writing (only
    // Module.to() re-homes a parameter's storage) replaces them.
    Object.defineProperty(Tensor.prototype, 'strides', {
      get(this: Tensor): readonly number[] {
        return (this.#strides ??= contiguousStrides(this.shape));
      },
      set(this: Tensor, strides: readonly number[]) {
        this.#strides = strides;
      },
      configurable: true,
    });
  }

  /**
   * Wraps `data` as a tensor of `shape` (which it keeps, not copies: shapes are never written after construction,
   * so tensors of one shape may share the array). Without `strides` the layout is row-major from `offset`.
   */
  constructor(data: Storage, shape: readonly number[], strides?: readonly number[], offset = 0, requiresGrad = false) {
    this.data = data;
    this.shape = shape;
    this.#strides = strides ?? null;
    this.offset = offset;
    this.#numel = numelOf(shape);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  dim(): number {
    return this.shape.length;
  }

  numel(): number {
    return this.#numel;
  }

  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): readonly number[] | number {
    if (dim === undefined) return this.shape;
    return this.shape[normalizeDim(dim, this.shape.length, 'size')];
  }

  isContiguous(): boolean {
    return this.#strides === null || isContiguousLayout(this.shape, this.#strides);
  }

  /** True when `data[offset .. offset+numel)` is exactly this tensor in row-major order. */
  get isDense(): boolean {
    return this.#strides === null || isContiguousLayout(this.shape, this.#strides);
  }

  /**
   * The elements in row-major order as a storage of this dtype. Returns the storage itself (no copy) when it
   * is exactly this tensor; callers that write must use `toStorage()` instead.
   */
  values(): Storage {
    // the usual case tested first, the rest out of line: ops call this on every input, and the smaller it is,
    // the more of an op V8 inlines within its budget (the output tensor's constructor and node among them)
    if (this.offset === 0 && this.#strides === null && this.data.length === this.#numel) return this.data;
    return this.#otherValues();
  }

  #otherValues(): Storage {
    if (this.offset === 0 && this.data.length === this.#numel && this.isDense) return this.data;
    return this.toStorage();
  }

  /** A fresh row-major copy of the elements. */
  toStorage(): Storage {
    const n = this.numel();
    const out = allocate(this.dtype, n);
    if (this.isDense) {
      const src = this.data;
      const o = this.offset;
      // a short copy is cheaper as a loop than through a subarray view
      if (n <= 64) for (let i = 0; i < n; i++) out[i] = src[o + i];
      else out.set(src.subarray(o, o + n));
    } else {
      const offsets = stridedOffsets(this.shape, this.strides, this.offset);
      for (let i = 0; i < n; i++) out[i] = this.data[offsets[i]];
    }
    return out;
  }

  /** The value of a one-element tensor, as a JavaScript number. */
  item(): number {
    if (this.numel() !== 1) {
      throw new RangeError(`item(): a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    return this.data[this.offset];
  }

  /** Nested arrays of numbers, as PyTorch's tolist(); a 0-d tensor gives a number. */
  tolist(): NestedArray {
    const flat = this.values();
    if (this.shape.length === 0) return flat[0];
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]; i++) {
        out.push(d === this.shape.length - 1 ? flat[pos++] : build(d + 1));
      }
      return out;
    };
    return build(0);
  }

  /** Row-major elements as a plain array. */
  toArray(): number[] {
    return Array.from(this.values());
  }

  /**
   * PyTorch's `requires_grad_()`. Only leaves may change it: a non-leaf's flag follows its inputs.
   */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf && !requiresGrad) {
      throw new Error(
        'requiresGrad_: you can only change requires_grad flags of leaf variables. If you want to use a computed ' +
          'variable in a subgraph that doesn\'t require differentiation use detach().',
      );
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  /** Keep `.grad` on this non-leaf after backward (PyTorch's `retain_grad()`). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn !== null) {
      this.retainsGrad = true;
      this.gradFn.retainedOutput = this;
    }
    return this;
  }

  /** PyTorch's repr: `tensor([3.], dtype=torch.float64, requires_grad=True)`. */
  toString(): string {
    return formatTensor({
      shape: this.shape,
      dtype: this.dtype,
      values: this.values(),
      requiresGrad: this.requiresGrad,
      gradFnName: this.gradFn?.name ?? null,
    });
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
