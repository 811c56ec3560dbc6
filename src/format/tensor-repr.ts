/**
 * `repr(tensor)` exactly as PyTorch 1.13 prints it (torch/_tensor_str.py), on plain data so that it
 * does not depend on the Tensor class: element formatting (_Formatter), nesting and line wrapping,
 * summarisation, and the `dtype=` / `requires_grad=` / `grad_fn=` suffixes.
 */
import { formatExp, formatFixed, pyNumber } from './py-format.js';

export type DType = 'float32' | 'float64';

export interface PrintableTensor {
  shape: readonly number[];
  dtype: DType;
  /** Row-major, contiguous, `numel` values. For float32 each value is rounded to float32 first. */
  values: ArrayLike<number>;
  /** Printed as `requires_grad=True` only for a leaf (no gradFn). */
  requiresGrad?: boolean;
  /** e.g. 'SigmoidBackward0' -> `grad_fn=<SigmoidBackward0>`. */
  gradFnName?: string | null;
}

export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | null;
}

/** PyTorch's defaults (the 'default' profile with sci_mode=None). */
export const defaultPrintOptions: PrintOptions = Object.freeze({
  precision: 4,
  threshold: 1000,
  edgeitems: 3,
  linewidth: 80,
  sciMode: null,
});

let current: PrintOptions = { ...defaultPrintOptions };

/** The options that formatTensor uses when none are passed (a copy). */
export function getPrintOptions(): PrintOptions {
  return { ...current };
}

/**
 * Like `torch.set_printoptions`: the profile is applied first, then each given option. As in PyTorch,
 * `sciMode` is always reset to the given value, i.e. to null (automatic) when it is not given.
 */
export function setPrintOptions(o: Partial<PrintOptions> & { profile?: 'default' | 'short' | 'full' }): void {
  const next = { ...current };
  if (o.profile !== undefined) {
    if (o.profile === 'default') Object.assign(next, { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 });
    else if (o.profile === 'short') Object.assign(next, { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 });
    else if (o.profile === 'full') Object.assign(next, { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 });
  }
  if (o.precision !== undefined) next.precision = o.precision;
  if (o.threshold !== undefined) next.threshold = o.threshold;
  if (o.edgeitems !== undefined) next.edgeitems = o.edgeitems;
  if (o.linewidth !== undefined) next.linewidth = o.linewidth;
  next.sciMode = o.sciMode ?? null;
  current = next;
}

/** A contiguous sub-block of the tensor: `shape` starting at flat `offset`. */
interface View {
  readonly shape: readonly number[];
  readonly offset: number;
  readonly read: (flatIndex: number) => number;
}

function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function sub(v: View, i: number): View {
  const inner = v.shape.slice(1);
  return { shape: inner, offset: v.offset + i * product(inner), read: v.read };
}

function makeView(t: PrintableTensor): View {
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape (${t.shape.join(', ')})`);
  }
  const n = product(t.shape);
  if (t.values.length < n) {
    throw new RangeError(`shape (${t.shape.join(', ')}) needs ${n} values, got ${t.values.length}`);
  }
  const values = t.values;
  const read = t.dtype === 'float32' ? (i: number) => Math.fround(values[i]) : (i: number) => values[i];
  return { shape: t.shape, offset: 0, read };
}

/** Python's `a[:k]` / `a[-k:]` index ranges for a dimension of size n (`-0:` is the whole range). */
function headIndices(n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(k, n); i++) out.push(i);
  return out;
}
function tailSliceIndices(n: number, k: number): number[] {
  const start = k === 0 ? 0 : Math.max(0, n - k);
  const out: number[] = [];
  for (let i = start; i < n; i++) out.push(i);
  return out;
}
/** `range(len - k, len)` as used for dims >= 2 (no `-0` quirk there). */
function tailRangeIndices(n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, n - k); i < n; i++) out.push(i);
  return out;
}

/** The values the formatter looks at: all of them, or only the edges that a summary shows (get_summarized_data). */
function collectValues(v: View, summarize: boolean, opts: PrintOptions, out: number[]): void {
  const dim = v.shape.length;
  if (dim === 0) {
    out.push(v.read(v.offset));
    return;
  }
  const n = v.shape[0];
  const cut = summarize && n > 2 * opts.edgeitems;
  if (dim === 1) {
    const idx = cut ? [...headIndices(n, opts.edgeitems), ...tailSliceIndices(n, opts.edgeitems)] : headIndices(n, n);
    for (const i of idx) out.push(v.read(v.offset + i));
    return;
  }
  const idx = cut ? [...headIndices(n, opts.edgeitems), ...tailRangeIndices(n, opts.edgeitems)] : headIndices(n, n);
  if (idx.length === 0) {
    // PyTorch's get_summarized_data calls torch.stack([]) here (edgeitems=0) and fails the same way.
    throw new RangeError('stack expects a non-empty TensorList');
  }
  for (const i of idx) collectValues(sub(v, i), summarize, opts, out);
}

/** PyTorch's _Formatter for floating dtypes: picks int / fixed / scientific mode and a common width. */
class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(
    values: readonly number[],
    private readonly precision: number,
    sciOverride: boolean | null,
  ) {
    const finite = values.filter((x) => Number.isFinite(x) && x !== 0);
    if (finite.length === 0) return; // nothing to measure; note the sci_mode option is not applied either
    let min = Infinity;
    let max = 0;
    for (const x of finite) {
      const a = Math.abs(x);
      if (a < min) min = a;
      if (a > max) max = a;
      if (this.intMode && !Number.isInteger(x)) this.intMode = false;
    }
    let measure: (x: number) => number;
    if (this.intMode) {
      if (max / min > 1000.0 || max > 1.0e8) {
        this.sciMode = true;
        measure = (x) => formatExp(x, precision).length;
      } else {
        measure = (x) => formatFixed(x, 0).length + 1;
      }
    } else if (max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4) {
      this.sciMode = true;
      measure = (x) => formatExp(x, precision).length;
    } else {
      measure = (x) => formatFixed(x, precision).length;
    }
    for (const x of finite) this.maxWidth = Math.max(this.maxWidth, measure(x));
    if (sciOverride !== null) this.sciMode = sciOverride;
  }

  format(x: number): string {
    let s: string;
    if (this.sciMode) s = formatExp(x, this.precision);
    else if (this.intMode) s = formatFixed(x, 0) + (Number.isFinite(x) ? '.' : '');
    else s = formatFixed(x, this.precision);
    return s.padStart(this.maxWidth, ' ');
  }
}

function vectorStr(v: View, indent: number, summarize: boolean, f: Formatter, opts: PrintOptions): string {
  const elementLength = f.maxWidth + 2;
  const perLine = Math.max(1, Math.floor((opts.linewidth - indent) / elementLength));
  const n = v.shape[0];
  const fmt = (i: number) => f.format(v.read(v.offset + i));
  const data =
    summarize && n > 2 * opts.edgeitems
      ? [...headIndices(n, opts.edgeitems).map(fmt), ' ...', ...tailSliceIndices(n, opts.edgeitems).map(fmt)]
      : headIndices(n, n).map(fmt);
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(', '));
  return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
}

function strWithFormatter(v: View, indent: number, summarize: boolean, f: Formatter, opts: PrintOptions): string {
  const dim = v.shape.length;
  if (dim === 0) return f.format(v.read(v.offset));
  if (dim === 1) return vectorStr(v, indent, summarize, f, opts);
  const n = v.shape[0];
  const slice = (i: number) => strWithFormatter(sub(v, i), indent + 1, summarize, f, opts);
  const slices =
    summarize && n > 2 * opts.edgeitems
      ? [...headIndices(n, opts.edgeitems).map(slice), '...', ...tailRangeIndices(n, opts.edgeitems).map(slice)]
      : headIndices(n, n).map(slice);
  return '[' + slices.join(',' + '\n'.repeat(dim - 1) + ' '.repeat(indent + 1)) + ']';
}

function tensorStr(v: View, indent: number, opts: PrintOptions): string {
  const numel = product(v.shape);
  if (numel === 0) return '[]';
  const summarize = numel > opts.threshold;
  const values: number[] = [];
  collectValues(v, summarize, opts, values);
  const f = new Formatter(values, opts.precision, opts.sciMode);
  return strWithFormatter(v, indent, summarize, f, opts);
}

function addSuffixes(tensorString: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  const parts = [tensorString];
  // PyTorch's arithmetic, including its +1 (and +2 when there is no newline at all).
  let lastLineLen = tensorString.length - tensorString.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > linewidth) {
      parts.push(',\n' + ' '.repeat(indent) + suffix);
      lastLineLen = indent + suffix.length;
    } else {
      parts.push(', ' + suffix);
      lastLineLen += suffix.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

/** Python's tuple spelling of a shape: '(2, 2)', '(1,)', '()'. */
function shapeTuple(shape: readonly number[]): string {
  if (shape.length === 1) return `(${pyNumber(shape[0])},)`;
  return `(${shape.map(pyNumber).join(', ')})`;
}

/**
 * The data part of the repr — what `torch._tensor_str._tensor_str(t, indent)` returns: the nested
 * brackets without 'tensor(' and without suffixes ('[]' when empty). `indent` is the column the
 * opening bracket stands at (7 inside 'tensor(').
 */
export function formatTensorData(t: PrintableTensor, opts: PrintOptions = current, indent = 0): string {
  return tensorStr(makeView(t), indent, opts);
}

/** `repr(t)`, e.g. 'tensor([3.], dtype=torch.float64)'. */
export function formatTensor(t: PrintableTensor, opts: PrintOptions = current): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const view = makeView(t);
  const suffixes: string[] = [];
  let body: string;
  if (product(t.shape) === 0) {
    // Empty: the shape is shown unless it is (0,), and the dtype always when not the default.
    if (t.shape.length !== 1) suffixes.push('size=' + shapeTuple(t.shape));
    if (t.dtype !== 'float32') suffixes.push('dtype=torch.' + t.dtype);
    body = '[]';
  } else {
    if (t.dtype !== 'float32') suffixes.push('dtype=torch.' + t.dtype);
    body = tensorStr(view, indent, opts);
  }
  if (t.gradFnName !== undefined && t.gradFnName !== null) suffixes.push(`grad_fn=<${t.gradFnName}>`);
  else if (t.requiresGrad === true) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, indent, opts.linewidth);
}
