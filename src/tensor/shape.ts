/**
 * Index maths as small pure functions. A tensor is a view `{shape, strides, offset}` over flat storage;
 * a stride of 0 repeats an element (broadcasting, expand), a non-contiguous view has strides that are not
 * the row-major ones (transpose, permute).
 */

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides: contiguousStrides([2,3,4]) = [12,4,1]; [] -> []; a size-1 dim gets the stride it would have. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when walking the view in row-major order visits storage offset, offset+1, … (size-1 dims may have any stride). */
export function isContiguousLayout(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true; // ops pass shape arrays on, so most comparisons are of one array with itself
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Wraps a possibly negative dim into [0, ndim); PyTorch's message on failure. */
export function normalizeDim(dim: number, ndim: number, op = 'dim'): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new RangeError(`${op}: Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** NumPy/PyTorch broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  // from the last dim down, as PyTorch's infer_size: the error names the last mismatching dim
  for (let i = n - 1; i >= 0; i--) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i} ` +
          `(shapes ${shapeString(a)} and ${shapeString(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if it had `target` shape: leading new dims and
 * broadcast (size-1) dims get stride 0. broadcastStrides([3,1],[1,1],[2,3,4]) = [0,1,0].
 */
export function broadcastStrides(shape: Shape, strides: Shape, target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/**
 * Storage offsets of every element of a view, in row-major order of its shape. The general path of every
 * op that meets a non-contiguous or broadcast input; contiguous inputs never need it.
 */
export function stridedOffsets(shape: Shape, strides: Shape, offset: number): Int32Array {
  const n = numelOf(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  if (nd === 0) {
    out[0] = offset;
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let pos = offset;
  for (let k = 0; k < n; k++) {
    out[k] = pos;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      pos += strides[d];
      if (idx[d] < shape[d]) break;
      pos -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Resolves one -1 in a requested shape against a known element count, as view/reshape do.
 * inferShape([-1, 3], 12) = [4, 3]; throws on two -1s or a count that does not fit.
 */
export function inferShape(requested: Shape, numel: number, op: string): number[] {
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < requested.length; i++) {
    const d = requested[i];
    if (d === -1) {
      if (unknown >= 0) throw new RangeError(`${op}: only one dimension can be inferred`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid shape dimension ${d}`);
    } else known *= d;
  }
  const out = requested.slice();
  if (unknown >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new RangeError(`${op}: shape '${shapeString(requested)}' is invalid for input of size ${numel}`);
    }
    out[unknown] = numel / known;
  } else if (known !== numel) {
    throw new RangeError(`${op}: shape '${shapeString(requested)}' is invalid for input of size ${numel}`);
  }
  return out;
}

/**
 * Strides for viewing a tensor under a new shape without copying, or null when the layout forbids it
 * (PyTorch's computeStride). Contiguous inputs always succeed.
 */
export function viewStrides(oldShape: Shape, oldStrides: Shape, newShape: Shape): number[] | null {
  if (isContiguousLayout(oldShape, oldStrides)) return contiguousStrides(newShape);
  const numel = numelOf(oldShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (numel === 0) return contiguousStrides(newShape);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
