import { ADDED_TO_GRAD, gradTensor, leafGradBuffer } from '../autograd/engine.js';
import { needsGrad, recordSaved } from '../autograd/record.js';
import { type DType, type Storage, allocate } from '../tensor/dtype.js';
import { numelOf, shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import {
  type TapBlock, blockedProducts, convProducts, gradCol, leftProduct, matmul, padPlanesInto, weightElement,
  weightProductsSimd, weightTile4x4,
} from './conv-gemm.js';
import { type ConvPlan, convPlans, findPlan, makePlan, planForward, planInputGrad, planWeightGrad } from './conv-tiny.js';
import { sumAll, sumDims, tnLanes } from './linalg.js';

export type IntPair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  /** Only 1 (no channel groups) is supported. */
  groups?: 1;
}

/**
 * Everything one conv2d call needs, resolved once. `mkldnn` says which of PyTorch 1.13's two CPU float
 * backends would run this call, which decides the order taps are added in:
 * - the native ("THNN") kernel, im2col + BLAS: each output adds its taps in (in-channel, kh, kw) order,
 *   then the bias; its input gradient adds, per pixel, one column (a sum over out-channels) per (kh, kw);
 * - oneDNN (batch > 1, kernels larger than 3×3, big inputs, strides, dilation): taps in (kh, kw, in-channel)
 *   order within blocks of 16 channels, block partial sums added up (the first one with the bias); the
 *   input gradient likewise over (kh, kw, out-channel) in blocks of 16; weight and bias gradients add over
 *   (n, oh, ow) in order.
 * float64 always takes the native kernel. Every float32 step rounds as PyTorch's fused multiply-adds do.
 */
export interface Geometry {
  N: number; C: number; H: number; W: number;
  CO: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  mkldnn: boolean;
  dtype: DType;
}

const BLOCK = 16;

/** One of an IntPair's two values (`which` 0 or 1), checked to be an integer. */
function pairValue(op: string, v: IntPair | undefined, which: 0 | 1, fallback: number, what: string): number {
  const x = v === undefined ? fallback : typeof v === 'number' ? v : v[which];
  if (!Number.isInteger(x)) throw new RangeError(`${op}: ${what} must be integers, got ${String(v)}`);
  return x;
}

function dtypeName(d: DType): string {
  return d === 'float32' ? 'float' : 'double';
}

function geometry(input: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Geometry {
  const op = 'conv2d';
  if (input.shape.length !== 3 && input.shape.length !== 4) {
    throw new RangeError(`${op}: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${shapeString(input.shape)}`);
  }
  if (weight.shape.length !== 4) {
    throw new RangeError(`${op}: weight should be 4D [out_channels, in_channels, kH, kW], but got weight of size: ${shapeString(weight.shape)}`);
  }
  const groups = options.groups ?? 1;
  if (groups !== 1) throw new RangeError(`${op}: groups=${String(groups)} is not supported by torchlet (only groups=1)`);
  const sh = pairValue(op, options.stride, 0, 1, 'stride');
  const sw = pairValue(op, options.stride, 1, 1, 'stride');
  const ph = pairValue(op, options.padding, 0, 0, 'padding');
  const pw = pairValue(op, options.padding, 1, 0, 'padding');
  const dh = pairValue(op, options.dilation, 0, 1, 'dilation');
  const dw = pairValue(op, options.dilation, 1, 1, 'dilation');
  if (sh <= 0 || sw <= 0) throw new RangeError(`${op}: non-positive stride is not supported`);
  if (ph < 0 || pw < 0) throw new RangeError(`${op}: negative padding is not supported`);
  if (dh <= 0 || dw <= 0) throw new RangeError(`${op}: dilation should be greater than zero, but got [${dh}, ${dw}]`);
  if (weight.dtype !== input.dtype) {
    throw new TypeError(`${op}: expected scalar type ${input.dtype === 'float32' ? 'Float' : 'Double'} but found ${weight.dtype === 'float32' ? 'Float' : 'Double'} (input ${input.dtype}, weight ${weight.dtype})`);
  }
  if (bias && bias.dtype !== input.dtype) {
    throw new TypeError(`${op}: Input type (${dtypeName(input.dtype)}) and bias type (${dtypeName(bias.dtype)}) should be the same`);
  }
  // indexed reads: array destructuring would run the iterator protocol on every call
  const lead = input.shape.length === 3 ? -1 : 0;
  const N = lead === 0 ? input.shape[0] : 1;
  const C = input.shape[lead + 1];
  const H = input.shape[lead + 2];
  const W = input.shape[lead + 3];
  const CO = weight.shape[0];
  const CI = weight.shape[1];
  const KH = weight.shape[2];
  const KW = weight.shape[3];
  if (CI !== C) {
    const batched = input.shape.length === 3 ? [1, ...input.shape] : input.shape;
    throw new RangeError(
      `${op}: Given groups=1, weight of size ${shapeString(weight.shape)}, expected input${shapeString(batched)} to have ${CI} channels, but got ${C} channels instead`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== CO)) {
    throw new RangeError(
      `${op}: Given weight of size ${shapeString(weight.shape)}, expected bias to be 1-dimensional with ${CO} elements, but got bias of size ${shapeString(bias.shape)} instead`,
    );
  }
  const EKH = dh * (KH - 1) + 1;
  const EKW = dw * (KW - 1) + 1;
  if (H + 2 * ph < EKH || W + 2 * pw < EKW) {
    throw new RangeError(
      `${op}: Calculated padded input size per channel: (${H + 2 * ph} x ${W + 2 * pw}). Kernel size: (${EKH} x ${EKW}). Kernel size can't be greater than actual input size`,
    );
  }
  const OH = Math.floor((H + 2 * ph - EKH) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - EKW) / sw) + 1;
  // PyTorch 1.13's ConvParams::use_mkldnn (one thread, groups = 1)
  const mkldnn = input.dtype === 'float32' &&
    (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || N >= 16 || KW !== 1 || KH !== 1) &&
    ((KW > 3 && KH > 3) || N > 1 || N * C * H * W > 20480);
  return { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, mkldnn, dtype: input.dtype };
}

/**
 * 2-D cross-correlation over NCHW input (or unbatched CHW), as `torch.nn.functional.conv2d`: output
 * [N, out_channels, OH, OW] with OH = ⌊(H + 2·padding − dilation·(kH−1) − 1) / stride⌋ + 1. float32 sums
 * round after every tap in the order PyTorch's CPU backend for this call uses (see `Geometry`), then add
 * the bias. grad_fn ConvolutionBackward0 (SqueezeBackward1 for unbatched input, as PyTorch).
 *
 * @example
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
 * conv2d(x, ones([1, 1, 2, 2]), tensor([0.5])); // tensor([[[[12.5000, 16.5000], [24.5000, 28.5000]]]])
 * conv2d(x, ones([1, 1, 2, 2]), null, { padding: 1, stride: 2 }).shape; // [1, 1, 2, 2]
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const b = bias ?? null;
  // a layer meets the same shapes every step: its plan (src/ops/conv-tiny.ts) skips geometry and validation
  let plan = convPlanFor(input.shape, input.dtype, weight, b, options);
  const g = plan?.g ?? geometry(input, weight, b, options);
  if (plan === null && !g.mkldnn && g.N * g.CO * g.OH * g.OW * g.C * g.KH * g.KW <= convPlans.maxMacs) plan = makePlan(input, weight, b, g);
  const x = input.values();
  const w = weight.values();
  const bv = b ? b.values() : null;
  const out = allocate(g.dtype, g.N * g.CO * g.OH * g.OW);
  if (plan !== null) planForward(plan, x, w, bv, out, g.dtype === 'float32');
  else if (usesIm2col(g)) forwardIm2col(g, x, w, bv, out);
  else forwardDirect(g, x, w, bv, out);
  const unbatched = input.shape.length === 3;
  const result = new Tensor(out, plan !== null ? plan.outShape : unbatched ? [g.CO, g.OH, g.OW] : [g.N, g.CO, g.OH, g.OW]);
  if (!needsGrad(input, weight, b)) return result;
  const saved: ConvSaved = { g, x, w, input, weight, bias: b, plan };
  return recordSaved(result, unbatched ? 'SqueezeBackward1' : 'ConvolutionBackward0', [input, weight, b], convBackward, saved);
}

/** The tiny-problem plan kept for this call (same input shape and dtype, weight, bias presence and options), or null. */
export function convPlanFor(
  inputShape: readonly number[], dtype: DType, weight: Tensor, bias: Tensor | null, options: Conv2dOptions,
): ConvPlan<Geometry> | null {
  if (options.groups !== undefined && options.groups !== 1) return null;
  return findPlan<Geometry>(inputShape, dtype, weight, bias, rawPair(options.stride, 0, 1), rawPair(options.stride, 1, 1),
    rawPair(options.padding, 0, 0), rawPair(options.padding, 1, 0), rawPair(options.dilation, 0, 1), rawPair(options.dilation, 1, 1));
}

/**
 * True when `options` give the stride, padding and dilation `plan` was made for (and no channel groups). The layers'
 * form (stride and padding as pairs, no dilation or groups) is read here; any other form out of line, which keeps
 * this small: a fused chain checks it on every call, inlined, and V8 inlines by a bytecode budget.
 */
export function planOptionsMatch(plan: ConvPlan<Geometry>, options: Conv2dOptions): boolean {
  const o = plan.options;
  const st = options.stride;
  const pd = options.padding;
  if (options.dilation === undefined && options.groups === undefined && Array.isArray(st) && Array.isArray(pd)) {
    return st[0] === o[0] && st[1] === o[1] && pd[0] === o[2] && pd[1] === o[3] && o[4] === 1 && o[5] === 1;
  }
  return otherOptionsMatch(o, options);
}

function otherOptionsMatch(o: ConvPlan<Geometry>['options'], options: Conv2dOptions): boolean {
  return (options.groups === undefined || options.groups === 1) &&
    rawPair(options.stride, 0, 1) === o[0] && rawPair(options.stride, 1, 1) === o[1] &&
    rawPair(options.padding, 0, 0) === o[2] && rawPair(options.padding, 1, 0) === o[3] &&
    rawPair(options.dilation, 0, 1) === o[4] && rawPair(options.dilation, 1, 1) === o[5];
}

/** An IntPair option's value without validation (NaN where it is neither a number nor a pair: geometry() says why). */
function rawPair(v: IntPair | undefined, which: 0 | 1, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  return Array.isArray(v) ? v[which] : NaN;
}

/** What conv2d's backward reads: the geometry, the input and weight values, the three operands, the plan if any. */
export interface ConvSaved {
  g: Geometry; x: Storage; w: Storage; input: Tensor; weight: Tensor; bias: Tensor | null; plan: ConvPlan<Geometry> | null;
}

export function convBackward(grad: Tensor, s: ConvSaved): Array<Tensor | null> {
  const gv = grad.values();
  const { g, input, weight, bias, plan } = s;
  // a parameter's gradient may go straight into its .grad (see leafGradBuffer) unless it is also another operand
  const direct = input !== weight && input !== bias && weight !== bias;
  let gx: Tensor | null = null;
  if (input.requiresGrad) {
    if (plan === null) gx = new Tensor(inputGrad(g, gv, s.w), input.shape);
    else {
      gx = gradTensor(g.dtype, input.shape, s.x.length);
      planInputGrad(plan, gv, s.w, gx.data, g.dtype === 'float32');
    }
  }
  return [
    gx,
    weight.requiresGrad ? weightGradient(g, gv, s.x, weight, direct, plan) : null,
    bias?.requiresGrad ? biasGradient(g, gv, bias, direct) : null,
  ];
}

/** The weight's gradient as a tensor, or added into weight.grad where the native loop (or its plan) computes it. */
export function weightGradient(g: Geometry, gv: Storage, x: Storage, weight: Tensor, direct: boolean, plan: ConvPlan<Geometry> | null): Tensor {
  const f32 = g.dtype === 'float32';
  const lanes = weightGradInLanes(g);
  if (plan !== null && !lanes) return planWeightGradient(plan, gv, x, 0, weight, direct ? leafGradBuffer(weight) : null);
  const native = !g.mkldnn && g.dh === 1 && g.dw === 1 && !lanes;
  const into = direct && native ? leafGradBuffer(weight) : null;
  if (into === null) return new Tensor(weightGrad(g, gv, x), weight.shape);
  if (f32) weightGradNativeF32(g, gv, x, into, true);
  else weightGradNativeF64(g, gv, x, into, true);
  return ADDED_TO_GRAD;
}

/**
 * A plan's weight gradient (input read from `x` at offset `xo`): added into `into`, the weight's `.grad` storage,
 * when it is given (then ADDED_TO_GRAD), else as a new tensor.
 */
export function planWeightGradient(
  plan: ConvPlan<Geometry>, gv: Storage, x: Storage, xo: number, weight: Tensor, into: Storage | null,
): Tensor {
  const gw = into ?? allocate(plan.g.dtype, numelOf(weight.shape));
  planWeightGrad(plan, gv, x, gw, into !== null, plan.g.dtype === 'float32', xo);
  return into !== null ? ADDED_TO_GRAD : new Tensor(gw, weight.shape);
}

/** Float32 weight gradients OpenBLAS sums over 16 lanes: they keep weightGrad's own loop (no plan). */
export function weightGradInLanes(g: Geometry): boolean {
  return g.dtype === 'float32' && tnLanes(true, g.C * g.KH * g.KW, g.CO, g.OH * g.OW);
}

/** The bias's gradient as a tensor, or added into bias.grad when it is a single sum (one channel). */
export function biasGradient(
  g: Geometry, gv: Storage, bias: Tensor, direct: boolean, into = direct && biasAddsIntoGrad(g) ? leafGradBuffer(bias) : null,
): Tensor {
  if (into === null) return new Tensor(biasGrad(g, gv), bias.shape);
  into[0] += sumAll(gv, g.N * g.OH * g.OW);
  return ADDED_TO_GRAD;
}

/** Whether the bias gradient may be added straight into `.grad`: a single sum (one channel, the native order). */
export function biasAddsIntoGrad(g: Geometry): boolean {
  return !g.mkldnn && g.CO === 1;
}

// ---------------------------------------------------------------- forward

/** Whether this call's forward and backward run as products (src/ops/conv-gemm.ts). */
function usesIm2col(g: Geometry): boolean {
  return g.N * g.CO * g.OH * g.OW * g.C * g.KH * g.KW >= convProducts.minMacs;
}

/** True when every value is finite: the matrix products' condition (see src/ops/conv-gemm.ts). */
function allFinite(v: Storage): boolean {
  // x − x is 0 for a finite x and NaN for ±∞ and NaN: one subtraction, no call per element
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x - x !== 0) return false;
  }
  return true;
}

/** One output at a time, no buffers: the path of the tutorial's 1×1×3×3 images. */
function forwardDirect(g: Geometry, x: Storage, w: Storage, b: Storage | null, out: Storage): void {
  if (!g.mkldnn && g.dh === 1 && g.dw === 1) {
    if (g.dtype === 'float32') forwardNativeF32(g, x, w, b, out);
    else forwardNativeF64(g, x, w, b, out);
    return;
  }
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const f32 = g.dtype === 'float32';
  const block = g.mkldnn ? BLOCK : C;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          let total = 0;
          for (let c0 = 0; c0 < C; c0 += block) {
            const c1 = Math.min(C, c0 + block);
            let acc = 0;
            if (g.mkldnn) {
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * sh - ph + kh * dh;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * sw - pw + kw * dw;
                  if (iw < 0 || iw >= W) continue;
                  for (let ci = c0; ci < c1; ci++) {
                    acc = Math.fround(acc + w[((co * C + ci) * KH + kh) * KW + kw] * x[((n * C + ci) * H + ih) * W + iw]);
                  }
                }
              }
            } else {
              for (let ci = 0; ci < C; ci++) {
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * sh - ph + kh * dh;
                  if (ih < 0 || ih >= H) continue;
                  const xRow = ((n * C + ci) * H + ih) * W;
                  const wRow = ((co * C + ci) * KH + kh) * KW;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * sw - pw + kw * dw;
                    if (iw < 0 || iw >= W) continue;
                    acc = f32 ? Math.fround(acc + w[wRow + kw] * x[xRow + iw]) : acc + w[wRow + kw] * x[xRow + iw];
                  }
                }
              }
            }
            if (c0 === 0) total = b ? acc + b[co] : acc;
            else total = total + acc;
            if (f32) total = Math.fround(total);
          }
          out[o] = total;
        }
      }
    }
  }
}

/**
 * forwardDirect's native-backend loop for float32 without dilation, written out on its own (no per-tap tests of
 * the backend or dtype): taps in (ci, kh, kw) order, each `fround(acc + w·x)`, then `fround(acc + bias)`.
 */
function forwardNativeF32(g: Geometry, x: Storage, w: Storage, b: Storage | null, out: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  const f = Math.fround;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        const ih0 = oh * sh - ph;
        // the kernel rows and columns that land inside the input (the others read padding and are skipped)
        const khLo = Math.max(0, -ih0);
        const khHi = Math.min(KH, H - ih0);
        for (let ow = 0; ow < OW; ow++) {
          const iw0 = ow * sw - pw;
          const kwLo = Math.max(0, -iw0);
          const kwHi = Math.min(KW, W - iw0);
          let acc = 0;
          for (let ci = 0; ci < C; ci++) {
            const xPlane = (n * C + ci) * H;
            const wPlane = (co * C + ci) * KH;
            for (let kh = khLo; kh < khHi; kh++) {
              const xRow = (xPlane + ih0 + kh) * W + iw0;
              const wRow = (wPlane + kh) * KW;
              for (let kw = kwLo; kw < kwHi; kw++) acc = f(acc + w[wRow + kw] * x[xRow + kw]);
            }
          }
          out[o++] = b === null ? acc : f(acc + b[co]);
        }
      }
    }
  }
}

/** forwardNativeF32 in double: taps in (ci, kh, kw) order, then the bias. */
function forwardNativeF64(g: Geometry, x: Storage, w: Storage, b: Storage | null, out: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        const ih0 = oh * sh - ph;
        // the kernel rows and columns that land inside the input (the others read padding and are skipped)
        const khLo = Math.max(0, -ih0);
        const khHi = Math.min(KH, H - ih0);
        for (let ow = 0; ow < OW; ow++) {
          const iw0 = ow * sw - pw;
          const kwLo = Math.max(0, -iw0);
          const kwHi = Math.min(KW, W - iw0);
          let acc = 0;
          for (let ci = 0; ci < C; ci++) {
            const xPlane = (n * C + ci) * H;
            const wPlane = (co * C + ci) * KH;
            for (let kh = khLo; kh < khHi; kh++) {
              const xRow = (xPlane + ih0 + kh) * W + iw0;
              const wRow = (wPlane + kh) * KW;
              for (let kw = kwLo; kw < kwHi; kw++) acc = acc + w[wRow + kw] * x[xRow + kw];
            }
          }
          out[o++] = b === null ? acc : acc + b[co];
        }
      }
    }
  }
}

/**
 * Column index of tap (ci, kh, kw) in the im2col matrix: (ci, kh, kw) row-major for the native backend,
 * blocks of 16 channels each laid out (kh, kw, ci) for oneDNN — so each block's rows are contiguous and a
 * plain k-ordered matmul over them adds taps in the backend's order.
 */
function tapIndex(g: Geometry, ci: number, kh: number, kw: number): number {
  if (!g.mkldnn) return (ci * g.KH + kh) * g.KW + kw;
  const c0 = ci - (ci % BLOCK);
  const width = Math.min(BLOCK, g.C - c0);
  return c0 * g.KH * g.KW + (kh * g.KW + kw) * width + (ci - c0);
}

/**
 * The forward as products over each sample's zero-padded input (blockedProducts, src/ops/conv-gemm.ts): the
 * taps of one channel block at a time, in the backend's order, their sums added to the bias or the blocks
 * before as the backend adds block partial sums.
 */
function forwardIm2col(g: Geometry, x: Storage, w: Storage, b: Storage | null, out: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const T = KH * KW;
  const P = OH * OW;
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  // native: one block of all channels, taps in (ci, kh, kw) order; oneDNN: blocks of 16, (kh, kw, ci) in each
  const blocks = tapBlocks(C, T, g.mkldnn ? BLOCK : C, !g.mkldnn, CO,
    (ci, t) => ci * Hp * Wp + Math.floor(t / KW) * dh * Wp + (t % KW) * dw,
    (co, ci, t) => w[(co * C + ci) * T + t]);
  if (b) for (let n = 0; n < N; n++) for (let co = 0; co < CO; co++) out.fill(b[co], (n * CO + co) * P, (n * CO + co + 1) * P);
  const pad = { src: x, channels: C, H, W, top: ph, left: pw, Hp, Wp };
  blockedProducts(blocks, { rows: CO, outRows: OH, cols: OW, rowStride: sh * Wp, colStride: sw }, N, pad, out, b !== null, g.dtype === 'float32');
}

/**
 * The taps of a blocked product: `channels` channels × T kernel positions in blocks of `block` channels, each
 * block's taps in (channel, position) order (`channelMajor`) or (position, channel) order — the backend's order
 * of its terms; tap (c, t) reads the padded operand at `offset(c, t)` and has weight `weight(row, c, t)` for
 * each of the `rows` results rows.
 */
function tapBlocks(
  channels: number, T: number, block: number, channelMajor: boolean, rows: number,
  offset: (c: number, t: number) => number, weight: (row: number, c: number, t: number) => number,
): TapBlock[] {
  const blocks: TapBlock[] = [];
  for (let c0 = 0; c0 < channels; c0 += block) {
    const width = Math.min(block, channels - c0);
    const L = width * T;
    const bo = new Int32Array(L);
    const A: Float64Array[] = [];
    for (let r0 = 0; r0 < rows; r0 += 4) A.push(new Float64Array(4 * L));
    for (let c = c0; c < c0 + width; c++) {
      for (let t = 0; t < T; t++) {
        const l = channelMajor ? (c - c0) * T + t : t * width + (c - c0);
        bo[l] = offset(c, t);
        for (let r = 0; r < rows; r++) A[r >> 2][4 * l + (r & 3)] = weight(r, c, t);
      }
    }
    blocks.push({ L, bo, A });
  }
  return blocks;
}

/** Row of each tap (c, kh, kw) in an unfolded matrix, in the backend's order (see tapIndex); `channels` is C or CO. */
function tapRows(g: Geometry, channels: number): Int32Array {
  const t = { ...g, C: channels };
  const rows = new Int32Array(channels * g.KH * g.KW);
  for (let c = 0; c < channels; c++) {
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) rows[(c * g.KH + kh) * g.KW + kw] = tapIndex(t, c, kh, kw);
  }
  return rows;
}

// ---------------------------------------------------------------- backward

/** Gradient of the input: per pixel, the taps that read it, in the backend's order. */
function inputGrad(g: Geometry, gv: Storage, w: Storage): Storage {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const f32 = g.dtype === 'float32';
  const gx = allocate(g.dtype, N * C * H * W);
  if (usesIm2col(g) && !g.mkldnn) {
    inputGradNativeProducts(g, gv, w, gx);
    return gx;
  }
  if (usesIm2col(g) && allFinite(w)) {
    if (sh === 1 && sw === 1) inputGradBlocked(g, gv, w, gx);
    else inputGradIm2col(g, gv, w, gx);
    return gx;
  }
  if (!g.mkldnn && dh === 1 && dw === 1) {
    if (f32) inputGradNativeF32(g, gv, w, gx);
    else inputGradNativeF64(g, gv, w, gx);
    return gx;
  }
  const P = OH * OW;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < C; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++, o++) {
          let total = 0;
          if (g.mkldnn) {
            for (let c0 = 0; c0 < CO; c0 += BLOCK) {
              const c1 = Math.min(CO, c0 + BLOCK);
              let acc = 0;
              for (let kh = 0; kh < KH; kh++) {
                const th = ih + ph - kh * dh;
                if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const tw = iw + pw - kw * dw;
                  if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
                  const gBase = n * CO * P + (th / sh) * OW + tw / sw;
                  for (let co = c0; co < c1; co++) {
                    acc = Math.fround(acc + w[((co * C + ci) * KH + kh) * KW + kw] * gv[gBase + co * P]);
                  }
                }
              }
              total = c0 === 0 ? acc : Math.fround(total + acc);
            }
          } else {
            // im2col's transpose: one column value (a sum over out-channels) per (kh, kw), added in turn
            for (let kh = 0; kh < KH; kh++) {
              const th = ih + ph - kh * dh;
              if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const tw = iw + pw - kw * dw;
                if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
                const gBase = n * CO * P + (th / sh) * OW + tw / sw;
                let col = 0;
                for (let co = 0; co < CO; co++) {
                  col = f32 ? Math.fround(col + w[((co * C + ci) * KH + kh) * KW + kw] * gv[gBase + co * P])
                    : col + w[((co * C + ci) * KH + kh) * KW + kw] * gv[gBase + co * P];
                }
                total = f32 ? Math.fround(total + col) : total + col;
              }
            }
          }
          gx[o] = total;
        }
      }
    }
  }
  return gx;
}

/** Gradient of the weight: Σ over samples and output positions of grad × input. */
function weightGrad(g: Geometry, gv: Storage, x: Storage): Storage {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const f32 = g.dtype === 'float32';
  const gw = allocate(g.dtype, CO * C * KH * KW);
  const P = OH * OW;
  // native backend on float32: a BLAS "TN" product per sample, which OpenBLAS may sum over 16 lanes
  const lanes = !g.mkldnn && f32 && tnLanes(true, C * KH * KW, CO, P) ? new Float32Array(16) : null;
  if (lanes === null && usesIm2col(g) && allFinite(gv)) {
    weightGradIm2col(g, gv, x, gw);
    return gw;
  }
  if (!g.mkldnn && lanes === null && dh === 1 && dw === 1) {
    if (f32) weightGradNativeF32(g, gv, x, gw);
    else weightGradNativeF64(g, gv, x, gw);
    return gw;
  }
  let o = 0;
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++, o++) {
          let total = 0;
          let acc = 0;
          for (let n = 0; n < N; n++) {
            if (!g.mkldnn) acc = 0;
            if (lanes) lanes.fill(0);
            const gBase = (n * CO + co) * P;
            const xBase = (n * C + ci) * H * W;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                const term = gv[gBase + oh * OW + ow] * x[xBase + ih * W + iw];
                if (lanes) lanes[(oh * OW + ow) & 15] += term;
                else acc = f32 ? Math.fround(acc + term) : acc + term;
              }
            }
            if (lanes) {
              for (let width = 8; width >= 1; width >>= 1) for (let l = 0; l < width; l++) lanes[l] = lanes[2 * l] + lanes[2 * l + 1];
              acc = lanes[0];
            }
            // native: each sample's product is added into the gradient; oneDNN keeps one running sum
            if (!g.mkldnn) total = f32 ? Math.fround(total + acc) : total + acc;
          }
          gw[o] = g.mkldnn ? acc : total;
        }
      }
    }
  }
  return gw;
}

/*
 * The native backend's backward loops without dilation (the tutorial's case), written out per dtype with no
 * per-tap tests of the backend or dtype; they add in exactly the order of the general loops above.
 */

/** inputGrad, native: per pixel, for each (kh, kw) that reaches it a column Σ over co, added in turn. */
function inputGradNativeF32(g: Geometry, gv: Storage, w: Storage, gx: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  const f = Math.fround;
  const P = OH * OW;
  const wStep = C * KH * KW;
  let o = 0;
  if (sh === 1 && sw === 1) {
    // stride 1: the taps that reach pixel (ih, iw) are the kh with 0 ≤ ih + ph - kh < OH (and likewise kw), a range
    for (let n = 0; n < N; n++) {
      for (let ci = 0; ci < C; ci++) {
        for (let ih = 0; ih < H; ih++) {
          const khLo = Math.max(0, ih + ph - OH + 1);
          const khHi = Math.min(KH, ih + ph + 1);
          for (let iw = 0; iw < W; iw++, o++) {
            const kwLo = Math.max(0, iw + pw - OW + 1);
            const kwHi = Math.min(KW, iw + pw + 1);
            let total = 0;
            for (let kh = khLo; kh < khHi; kh++) {
              for (let kw = kwLo; kw < kwHi; kw++) {
                let gi = n * CO * P + (ih + ph - kh) * OW + iw + pw - kw;
                let wi = (ci * KH + kh) * KW + kw;
                let col = 0;
                for (let co = 0; co < CO; co++, gi += P, wi += wStep) col = f(col + w[wi] * gv[gi]);
                total = f(total + col);
              }
            }
            gx[o] = total;
          }
        }
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < C; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++, o++) {
          let total = 0;
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + ph - kh;
            if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
            for (let kw = 0; kw < KW; kw++) {
              const tw = iw + pw - kw;
              if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
              let gi = n * CO * P + (th / sh) * OW + tw / sw;
              let wi = (ci * KH + kh) * KW + kw;
              let col = 0;
              for (let co = 0; co < CO; co++, gi += P, wi += wStep) col = f(col + w[wi] * gv[gi]);
              total = f(total + col);
            }
          }
          gx[o] = total;
        }
      }
    }
  }
}

function inputGradNativeF64(g: Geometry, gv: Storage, w: Storage, gx: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  const P = OH * OW;
  const wStep = C * KH * KW;
  let o = 0;
  if (sh === 1 && sw === 1) {
    // stride 1: the taps that reach pixel (ih, iw) are the kh with 0 ≤ ih + ph - kh < OH (and likewise kw), a range
    for (let n = 0; n < N; n++) {
      for (let ci = 0; ci < C; ci++) {
        for (let ih = 0; ih < H; ih++) {
          const khLo = Math.max(0, ih + ph - OH + 1);
          const khHi = Math.min(KH, ih + ph + 1);
          for (let iw = 0; iw < W; iw++, o++) {
            const kwLo = Math.max(0, iw + pw - OW + 1);
            const kwHi = Math.min(KW, iw + pw + 1);
            let total = 0;
            for (let kh = khLo; kh < khHi; kh++) {
              for (let kw = kwLo; kw < kwHi; kw++) {
                let gi = n * CO * P + (ih + ph - kh) * OW + iw + pw - kw;
                let wi = (ci * KH + kh) * KW + kw;
                let col = 0;
                for (let co = 0; co < CO; co++, gi += P, wi += wStep) col = col + w[wi] * gv[gi];
                total = total + col;
              }
            }
            gx[o] = total;
          }
        }
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < C; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++, o++) {
          let total = 0;
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + ph - kh;
            if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
            for (let kw = 0; kw < KW; kw++) {
              const tw = iw + pw - kw;
              if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
              let gi = n * CO * P + (th / sh) * OW + tw / sw;
              let wi = (ci * KH + kh) * KW + kw;
              let col = 0;
              for (let co = 0; co < CO; co++, gi += P, wi += wStep) col = col + w[wi] * gv[gi];
              total = total + col;
            }
          }
          gx[o] = total;
        }
      }
    }
  }
}

/**
 * A native weight gradient added into a parameter's .grad (`gw`) from the products when they apply: they form
 * each weight's total exactly as the loops below do, and the total is then added once, as the loops add it.
 */
function addedByProducts(g: Geometry, gv: Storage, x: Storage, gw: Storage): boolean {
  if (!usesIm2col(g) || !allFinite(gv)) return false;
  const total = allocate(g.dtype, gw.length);
  weightGradIm2col(g, gv, x, total);
  for (let i = 0; i < gw.length; i++) gw[i] += total[i];
  return true;
}

/**
 * weightGrad, native without OpenBLAS's lanes: per weight, each sample's sum over (oh, ow), added in turn;
 * `add` adds each result into `gw` (a parameter's .grad) instead of storing it.
 */
function weightGradNativeF32(g: Geometry, gv: Storage, x: Storage, gw: Storage, add = false): void {
  if (add && addedByProducts(g, gv, x, gw)) return;
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  const f = Math.fround;
  const P = OH * OW;
  let o = 0;
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let kh = 0; kh < KH; kh++) {
        // the output rows whose tap kh lands inside the input: ih = oh·sh - ph + kh in [0, H)
        const ohLo = Math.max(0, sh === 1 ? ph - kh : Math.ceil((ph - kh) / sh));
        const ohHi = Math.min(OH, sh === 1 ? H + ph - kh : Math.floor((H - 1 + ph - kh) / sh) + 1);
        for (let kw = 0; kw < KW; kw++, o++) {
          const owLo = Math.max(0, sw === 1 ? pw - kw : Math.ceil((pw - kw) / sw));
          const owHi = Math.min(OW, sw === 1 ? W + pw - kw : Math.floor((W - 1 + pw - kw) / sw) + 1);
          let total = 0;
          for (let n = 0; n < N; n++) {
            let acc = 0;
            const gBase = (n * CO + co) * P;
            const xBase = (n * C + ci) * H * W;
            for (let oh = ohLo; oh < ohHi; oh++) {
              const gRow = gBase + oh * OW;
              const xRow = xBase + (oh * sh - ph + kh) * W - pw + kw;
              for (let ow = owLo; ow < owHi; ow++) {
                const iw = ow * sw;
                acc = f(acc + gv[gRow + ow] * x[xRow + iw]);
              }
            }
            total = f(total + acc);
          }
          if (add) gw[o] += total;
          else gw[o] = total;
        }
      }
    }
  }
}

function weightGradNativeF64(g: Geometry, gv: Storage, x: Storage, gw: Storage, add = false): void {
  if (add && addedByProducts(g, gv, x, gw)) return;
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw } = g;
  const P = OH * OW;
  let o = 0;
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let kh = 0; kh < KH; kh++) {
        // the output rows whose tap kh lands inside the input: ih = oh·sh - ph + kh in [0, H)
        const ohLo = Math.max(0, sh === 1 ? ph - kh : Math.ceil((ph - kh) / sh));
        const ohHi = Math.min(OH, sh === 1 ? H + ph - kh : Math.floor((H - 1 + ph - kh) / sh) + 1);
        for (let kw = 0; kw < KW; kw++, o++) {
          const owLo = Math.max(0, sw === 1 ? pw - kw : Math.ceil((pw - kw) / sw));
          const owHi = Math.min(OW, sw === 1 ? W + pw - kw : Math.floor((W - 1 + pw - kw) / sw) + 1);
          let total = 0;
          for (let n = 0; n < N; n++) {
            let acc = 0;
            const gBase = (n * CO + co) * P;
            const xBase = (n * C + ci) * H * W;
            for (let oh = ohLo; oh < ohHi; oh++) {
              const gRow = gBase + oh * OW;
              const xRow = xBase + (oh * sh - ph + kh) * W - pw + kw;
              for (let ow = owLo; ow < owHi; ow++) {
                const iw = ow * sw;
                acc = acc + gv[gRow + ow] * x[xRow + iw];
              }
            }
            total = total + acc;
          }
          if (add) gw[o] += total;
          else gw[o] = total;
        }
      }
    }
  }
}

/**
 * inputGrad as matrix products per sample over the unfolded output gradient (gcol: one row per (co, kh, kw),
 * one column per input pixel), in inputGrad's order:
 * - oneDNN: per block of 16 out-channels one float32 chain over (kh, kw, co), the blocks' sums then added;
 * - native: per tap (kh, kw) a column Σ over co, the columns added in (kh, kw) order.
 */
function inputGradIm2col(g: Geometry, gv: Storage, w: Storage, gx: Storage): void {
  const { N, C, H, W, CO, KH, KW } = g;
  const f32 = g.dtype === 'float32';
  const Q = H * W;
  const T = KH * KW;
  // native: all of a tap's out-channels together, taps in (kh, kw) order, i.e. row (kh·KW + kw)·CO + co
  const rowOf = g.mkldnn ? tapRows(g, CO) : new Int32Array(CO * T).map((_, i) => (i % T) * CO + Math.floor(i / T));
  const width = g.mkldnn ? BLOCK : CO;
  // one product per group of rows: an out-channel block (oneDNN) or a tap (native)
  const groups: Array<{ j0: number; jb: number; A: Float64Array }> = [];
  const groupRows = g.mkldnn ? undefined : CO;
  for (let j0 = 0; j0 < CO * T;) {
    const jb = groupRows ?? Math.min(width, CO - j0 / T) * T;
    const A = new Float64Array(C * jb);
    groups.push({ j0, jb, A });
    j0 += jb;
  }
  for (let co = 0; co < CO; co++) {
    for (let t = 0; t < T; t++) {
      const row = rowOf[co * T + t];
      const grp = groups.find((x) => row >= x.j0 && row < x.j0 + x.jb) as { j0: number; jb: number; A: Float64Array };
      for (let ci = 0; ci < C; ci++) grp.A[ci * grp.jb + row - grp.j0] = w[(co * C + ci) * T + t];
    }
  }
  const gcol = new Float64Array(CO * T * Q);
  const part = new Float64Array(C * Q);
  const total = new Float64Array(C * Q);
  const r = f32 ? Math.fround : (v: number) => v;
  for (let n = 0; n < N; n++) {
    gradCol(g, gv, n, rowOf, gcol);
    groups.forEach(({ j0, jb, A }, k) => {
      matmul(A, gcol.subarray(j0 * Q, (j0 + jb) * Q), C, jb, Q, part, f32);
      if (k === 0) total.set(part);
      else for (let i = 0; i < C * Q; i++) total[i] = r(total[i] + part[i]);
    });
    gx.set(total, n * C * Q);
  }
}

/**
 * inputGrad, native backend, as products per sample: the columns dcol[(ci, kh, kw), p] = Σ over co of
 * w[co, ci, kh, kw]·go[co, p] (a product of the weights, transposed, and the output gradient), then per pixel the
 * columns of the taps that reach it added in (kh, kw) order — exactly inputGrad's native loop, which skips
 * taps that do not reach (so no finiteness condition here).
 */
function inputGradNativeProducts(g: Geometry, gv: Storage, w: Storage, gx: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const f32 = g.dtype === 'float32';
  const f = Math.fround;
  const T = KH * KW;
  const K = C * T;
  const P = OH * OW;
  const wt = new Float64Array(K * CO);
  for (let co = 0; co < CO; co++) for (let t = 0; t < K; t++) wt[t * CO + co] = w[co * K + t];
  const product = leftProduct(wt, K, CO, P, f32);
  // dcol[(ci, kh, kw), p] is the product's dcol[at + row·S + p]
  const { out: dcol, at, stride: S } = product;
  let o = 0;
  for (let n = 0; n < N; n++) {
    product.run(gv, n * CO * P);
    if (sh === 1 && sw === 1) {
      // Stride 1: tap (kh, kw) reaches the pixels whose ih + ph - kh·dh and iw + pw - kw·dw fall inside the
      // output, a rectangle. Adding each tap's column over its rectangle, taps in (kh, kw) order, into gx (zeros,
      // a store rounding as the direct loop's total does) gives every pixel its taps in the same order.
      for (let ci = 0; ci < C; ci++) {
        const plane = o + ci * H * W;
        for (let kh = 0; kh < KH; kh++) {
          const shiftH = ph - kh * dh;
          const ihLo = Math.max(0, -shiftH);
          const ihHi = Math.min(H, OH - shiftH);
          for (let kw = 0; kw < KW; kw++) {
            const shiftW = pw - kw * dw;
            const iwLo = Math.max(0, -shiftW);
            const iwHi = Math.min(W, OW - shiftW);
            const col = at + ((ci * KH + kh) * KW + kw) * S;
            for (let ih = ihLo; ih < ihHi; ih++) {
              const dst = plane + ih * W;
              const src = col + (ih + shiftH) * OW + shiftW;
              for (let iw = iwLo; iw < iwHi; iw++) gx[dst + iw] += dcol[src + iw];
            }
          }
        }
      }
      o += C * H * W;
      continue;
    }
    for (let ci = 0; ci < C; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++, o++) {
          let total = 0;
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + ph - kh * dh;
            if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
            const row = at + ((ci * KH + kh) * KW) * S + (th / sh) * OW;
            for (let kw = 0; kw < KW; kw++) {
              const tw = iw + pw - kw * dw;
              if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
              const col = dcol[row + kw * S + tw / sw];
              total = f32 ? f(total + col) : total + col;
            }
          }
          gx[o] = total;
        }
      }
    }
  }
}

/**
 * inputGrad, oneDNN backend (float32), stride 1, as register-blocked products over the zero-padded output
 * gradient: per pixel and block of 16 out-channels, one chain over (kh, kw, co), the blocks' sums then added.
 */
function inputGradBlocked(g: Geometry, gv: Storage, w: Storage, gx: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, ph, pw, dh, dw } = g;
  const T = KH * KW;
  // pad the output gradient so that every tap of every pixel reads inside it: row ih + ph - kh·dh + top
  const top = Math.max(0, (KH - 1) * dh - ph);
  const bottom = Math.max(0, H + ph - OH);
  const left = Math.max(0, (KW - 1) * dw - pw);
  const right = Math.max(0, W + pw - OW);
  const Hp = top + OH + bottom;
  const Wp = left + OW + right;
  // blocks of 16 out-channels, taps in (kh, kw, co) order in each
  const blocks = tapBlocks(CO, T, BLOCK, false, C,
    (co, t) => (co * Hp + ph - Math.floor(t / KW) * dh + top) * Wp + pw - (t % KW) * dw + left,
    (ci, co, t) => w[(co * C + ci) * T + t]);
  const pad = { src: gv, channels: CO, H: OH, W: OW, top, left, Hp, Wp };
  blockedProducts(blocks, { rows: C, outRows: H, cols: W, rowStride: Wp, colStride: 1 }, N, pad, gx, false, true);
}

/**
 * weightGrad as matrix products per sample, go[n] (CO × P) times the unfolded input (taps × P) transposed, in
 * weightGrad's order: oneDNN continues one float32 chain over (n, oh, ow); native sums each sample from 0 and
 * adds the samples' sums in turn.
 */
function weightGradIm2col(g: Geometry, gv: Storage, x: Storage, gw: Storage): void {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const f32 = g.dtype === 'float32';
  const T = KH * KW;
  const K = C * T;
  const P = OH * OW;
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  // where each tap (ci, kh, kw), in gw's order, reads the padded input
  const xo = new Int32Array(K);
  for (let t = 0; t < K; t++) {
    const ci = Math.floor(t / T);
    xo[t] = ci * Hp * Wp + Math.floor((t % T) / KW) * dh * Wp + (t % KW) * dw;
  }
  const rs = sh * Wp;
  const pad = { src: x, channels: C, H, W, top: ph, left: pw, Hp, Wp };
  if (weightProductsSimd(gv, N, pad, { CO, K, OH, OW, rs, cs: sw, xo }, g.mkldnn, gw, f32)) return;
  const acc = new Float64Array(CO * K);
  const total = g.mkldnn ? acc : new Float64Array(CO * K);
  const tile = new Float64Array(16);
  const gs = new Float64Array(CO * P); // the sample's output gradient as doubles
  const xp = new Float64Array(C * Hp * Wp); // the sample's padded input (borders stay zero)
  for (let n = 0; n < N; n++) {
    padPlanesInto(pad, n, xp, 0);
    for (let i = 0; i < CO * P; i++) gs[i] = gv[n * CO * P + i];
    if (!g.mkldnn) acc.fill(0);
    for (let co0 = 0; co0 < CO; co0 += 4) {
      const rows = Math.min(4, CO - co0);
      for (let t0 = 0; t0 < K; t0 += 4) {
        const cols = Math.min(4, K - t0);
        if (rows === 4 && cols === 4) {
          for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) tile[4 * j + k] = acc[(co0 + j) * K + t0 + k];
          weightTile4x4(gs, co0 * P, P, xp, xo.subarray(t0, t0 + 4), OH, OW, rs, sw, tile, f32);
          for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) acc[(co0 + j) * K + t0 + k] = tile[4 * j + k];
        } else {
          for (let j = 0; j < rows; j++) {
            for (let k = 0; k < cols; k++) {
              const i = (co0 + j) * K + t0 + k;
              acc[i] = weightElement(gs, (co0 + j) * P, xp, xo[t0 + k], OH, OW, rs, sw, acc[i], f32);
            }
          }
        }
      }
    }
    if (!g.mkldnn) {
      if (f32) for (let i = 0; i < CO * K; i++) total[i] = Math.fround(total[i] + acc[i]);
      else for (let i = 0; i < CO * K; i++) total[i] = total[i] + acc[i];
    }
  }
  gw.set(total);
}

/** Gradient of the bias: the output gradient summed over (n, oh, ow). */
function biasGrad(g: Geometry, gv: Storage): Storage {
  const { N, CO, OH, OW } = g;
  if (!g.mkldnn && CO === 1) {
    // one channel: sumDims would reduce everything
    const gb = allocate(g.dtype, 1);
    gb[0] = sumAll(gv, N * OH * OW);
    return gb;
  }
  if (!g.mkldnn) return sumDims(gv, [N, CO, OH, OW], [true, false, true, true]);
  // oneDNN: per channel one float32 chain over (n, oh, ow); four channels' chains at a time, since each step
  // waits for the rounding of the one before
  const gb = allocate(g.dtype, CO);
  const P = OH * OW;
  const f = Math.fround;
  let co = 0;
  for (; co + 4 <= CO; co += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let n = 0; n < N; n++) {
      const b0 = (n * CO + co) * P;
      const b1 = b0 + P, b2 = b1 + P, b3 = b2 + P;
      for (let p = 0; p < P; p++) {
        a0 = f(a0 + gv[b0 + p]); a1 = f(a1 + gv[b1 + p]); a2 = f(a2 + gv[b2 + p]); a3 = f(a3 + gv[b3 + p]);
      }
    }
    gb[co] = a0; gb[co + 1] = a1; gb[co + 2] = a2; gb[co + 3] = a3;
  }
  for (; co < CO; co++) {
    let acc = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * CO + co) * P;
      for (let p = 0; p < P; p++) acc = f(acc + gv[base + p]);
    }
    gb[co] = acc;
  }
  return gb;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** `conv2d(this, weight, bias, options)`. */
    conv2d(weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor;
  }
}

Tensor.prototype.conv2d = function (this: Tensor, w: Tensor, b?: Tensor | null, o?: Conv2dOptions) { return conv2d(this, w, b, o); };
