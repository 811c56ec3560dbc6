// Creating tensors through this module brings every chained method (x.add, x.view, …) with it.
import '../ops/index.js';
import { defaultGenerator, type Generator } from '../random/generator.js';
import { type DType, type Storage, DEFAULT_DTYPE, allocate } from './dtype.js';
import { numelOf, shapeString } from './shape.js';
import { type NestedArray, Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type ShapeArg = number | readonly number[];

function checkShape(op: string, shape: ShapeArg): number[] {
  const dims = typeof shape === 'number' ? [shape] : [...shape];
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: shape ${shapeString(dims)} must hold non-negative integers`);
    }
  }
  return dims;
}

function make(storage: Storage, shape: number[], options: TensorOptions | undefined): Tensor {
  const t = new Tensor(storage, shape);
  if (options?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function nestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

/**
 * `torch.tensor(data, dtype=…, requires_grad=…)`: copies nested arrays (or a typed array, 1-D) into a new
 * tensor. Numbers become float32 unless `dtype: 'float64'` is given; PyTorch's `dtype=float` is float64.
 *
 * @example tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })
 */
export function tensor(data: NestedArray | Float32Array | Float64Array | Tensor, options?: TensorOptions): Tensor {
  if (data instanceof Tensor) {
    const dtype = options?.dtype ?? data.dtype;
    const storage = allocate(dtype, data.numel());
    storage.set(data.values());
    return make(storage, [...data.shape], options);
  }
  if (data instanceof Float32Array || data instanceof Float64Array) {
    const dtype = options?.dtype ?? (data instanceof Float64Array ? 'float64' : DEFAULT_DTYPE);
    const storage = allocate(dtype, data.length);
    storage.set(data);
    return make(storage, [data.length], options);
  }
  const shape = nestedShape(data);
  const dtype = options?.dtype ?? DEFAULT_DTYPE;
  const storage = allocate(dtype, numelOf(shape));
  let pos = 0;
  const fill = (node: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw new TypeError(`tensor: expected a number at depth ${depth}, got ${Array.isArray(node) ? 'a list' : typeof node}`);
      }
      storage[pos++] = node;
      return;
    }
    if (!Array.isArray(node)) {
      throw new TypeError(`tensor: expected a list at depth ${depth}, got ${typeof node}`);
    }
    if (node.length !== shape[depth]) {
      throw new RangeError(`tensor: expected sequence of length ${shape[depth]} at dim ${depth} (got ${node.length})`);
    }
    for (const child of node) fill(child, depth + 1);
  };
  fill(data, 0);
  return make(storage, shape, options);
}

/** Wraps an existing storage without copying (the caller gives up ownership). */
export function fromStorage(storage: Storage, shape: readonly number[]): Tensor {
  if (numelOf(shape) !== storage.length) {
    throw new RangeError(`fromStorage: shape ${shapeString(shape)} needs ${numelOf(shape)} elements, storage has ${storage.length}`);
  }
  return new Tensor(storage, shape);
}

export function full(shape: ShapeArg, value: number, options?: TensorOptions): Tensor {
  const dims = checkShape('full', shape);
  const storage = allocate(options?.dtype ?? DEFAULT_DTYPE, numelOf(dims));
  if (value !== 0) storage.fill(value);
  return make(storage, dims, options);
}

export function zeros(shape: ShapeArg, options?: TensorOptions): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: ShapeArg, options?: TensorOptions): Tensor {
  return full(shape, 1, options);
}

export function empty(shape: ShapeArg, options?: TensorOptions): Tensor {
  return full(shape, 0, options);
}

export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

export function fullLike(t: Tensor, value: number, options?: TensorOptions): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...options });
}

/**
 * `torch.arange(start, end, step)`: values `start + i*step` computed in double, then stored in the dtype.
 * `arange(5)` is 0..4.
 */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new RangeError('arange: step must be finite and nonzero');
  if ((end - start) / step < 0) {
    throw new RangeError('arange: upper bound and larger bound inconsistent with step sign');
  }
  const n = Math.ceil((end - start) / step);
  const storage = allocate(options?.dtype ?? DEFAULT_DTYPE, n);
  for (let i = 0; i < n; i++) storage[i] = start + i * step;
  return make(storage, [n], options);
}

/**
 * `torch.linspace(start, end, steps)`: PyTorch fills the first half forward from `start` and the second half
 * backward from `end`, with the step in the tensor's dtype; we do the same so the last bits agree.
 */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError('linspace: number of steps must be non-negative');
  const dtype = options?.dtype ?? DEFAULT_DTYPE;
  const r = dtype === 'float32' ? Math.fround : (x: number) => x;
  const storage = allocate(dtype, steps);
  if (steps === 1) storage[0] = start;
  else if (steps > 1) {
    const s = r(start);
    const e = r(end);
    const step = r(r(e - s) / (steps - 1));
    const halfway = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) {
      storage[i] = i < halfway ? r(s + r(step * i)) : r(e - r(step * (steps - i - 1)));
    }
  }
  return make(storage, [steps], options);
}

/** `torch.rand(*shape)`: uniform in [0, 1), the same bits as PyTorch after the same `manualSeed`. */
export function rand(shape: ShapeArg, options?: RandomOptions): Tensor {
  const dims = checkShape('rand', shape);
  const storage = allocate(options?.dtype ?? DEFAULT_DTYPE, numelOf(dims));
  (options?.generator ?? defaultGenerator).fillUniform(storage, 0, 1);
  return make(storage, dims, options);
}

/** `torch.randn(*shape)`: standard normal, PyTorch's algorithm on PyTorch's generator. */
export function randn(shape: ShapeArg, options?: RandomOptions): Tensor {
  const dims = checkShape('randn', shape);
  const storage = allocate(options?.dtype ?? DEFAULT_DTYPE, numelOf(dims));
  (options?.generator ?? defaultGenerator).fillNormal(storage, 0, 1);
  return make(storage, dims, options);
}

export function randLike(t: Tensor, options?: RandomOptions): Tensor {
  return rand(t.shape, { dtype: t.dtype, ...options });
}

export function randnLike(t: Tensor, options?: RandomOptions): Tensor {
  return randn(t.shape, { dtype: t.dtype, ...options });
}

/** `torch.eye(n)` */
export function eye(n: number, options?: TensorOptions): Tensor {
  const t = zeros([n, n], options);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}
