/**
 * conv2d's direct loops for tiny problems (the tutorial's: a 3×3 image, 2×2 kernels, one channel) as flat
 * "plans": the loops are run once to list, in order, which input and weight elements each result adds, and the
 * plan is kept with the weight tensor (a layer's weight meets the same shapes every step). Running a plan is a
 * single loop over index pairs — the same terms in the same order as the nested loops of conv.ts's native
 * backend, without their seven loop levels of bookkeeping, which cost more than the handful of multiply-adds.
 */
import type { Storage } from '../tensor/dtype.js';
import { sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** The shape of a conv2d call, as conv.ts resolves it. */
export interface TinyGeometry {
  N: number; C: number; H: number; W: number;
  CO: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

/**
 * Plans are made for calls up to `maxMacs` multiply-adds (their index lists hold about twice as many numbers).
 * Tests set it to 0 to compare the plans with the nested loops.
 */
export const convPlans = { maxMacs: 1024 };

export interface ConvPlan<G extends TinyGeometry> {
  /** What the plan was made for (see `findPlan`): checked on every call before the plan is used. */
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly hasBias: boolean;
  readonly dtype: string;
  /** sh, sw, ph, pw, dh, dw */
  readonly options: readonly number[];
  readonly g: G;
  /** The output's shape, shared by every output the plan makes (shapes are never written). */
  readonly outShape: readonly number[];
  /** Forward: for output o, taps fEnd[o-1] … fEnd[o]-1 add x[fx[t]]·w[fw[t]]; its out-channel is fCo[o]. */
  readonly fx: Int32Array;
  readonly fw: Int32Array;
  readonly fEnd: Int32Array;
  readonly fCo: Int32Array;
  /** The taps every output adds when that count is the same for all (no padding reached), else -1. */
  readonly fTaps: number;
  /** Weight gradient: element e, sample n: pairs wEnd[e·N+n-1] … wEnd[e·N+n]-1 add g[wg[t]]·x[wx[t]]. */
  readonly wg: Int32Array;
  readonly wx: Int32Array;
  readonly wEnd: Int32Array;
  /** The pairs every (element, sample) adds when that count is the same for all, else -1. */
  readonly wPairs: number;
  /** Input gradient: pixel q, k-th reaching tap: pairs over out-channels ig/iw, one column per iCol entry. */
  readonly ig: Int32Array;
  readonly iw: Int32Array;
  readonly iColEnd: Int32Array;
  readonly iPixEnd: Int32Array;
}

/** Up to 4 plans per weight (a layer called with a few input sizes in turn keeps one for each). */
const plans = new WeakMap<Tensor, Array<ConvPlan<TinyGeometry>>>();

/**
 * The plan kept for this weight, if it was made for exactly this call: the same input shape, weight shape, bias
 * presence, dtype and stride/padding/dilation (all of which conv.ts validated when it made the plan).
 */
export function findPlan<G extends TinyGeometry>(
  inputShape: readonly number[], dtype: string, weight: Tensor, bias: Tensor | null,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
): ConvPlan<G> | null {
  const list = plans.get(weight);
  if (list === undefined) return null;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const o = p.options;
    if (o[0] !== sh || o[1] !== sw || o[2] !== ph || o[3] !== pw || o[4] !== dh || o[5] !== dw) continue;
    if (p.hasBias !== (bias !== null) || p.dtype !== dtype || weight.dtype !== dtype) continue;
    if (bias !== null && (bias.dtype !== dtype || bias.shape.length !== 1 || bias.shape[0] !== p.weightShape[0])) continue;
    if (!sameShape(p.inputShape, inputShape) || !sameShape(p.weightShape, weight.shape)) continue;
    return p as ConvPlan<G>;
  }
  return null;
}

/** Makes (and keeps with the weight) the plan of a native-backend call, walking conv.ts's loops once. */
export function makePlan<G extends TinyGeometry>(input: Tensor, weight: Tensor, bias: Tensor | null, g: G): ConvPlan<G> {
  const { N, C, H, W, CO, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw } = g;
  const P = OH * OW;
  // forward: outputs in (n, co, oh, ow) order, taps in (ci, kh, kw) order, those inside the input
  const fx: number[] = [];
  const fw: number[] = [];
  const fEnd: number[] = [];
  const fCo: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          for (let ci = 0; ci < C; ci++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                fx.push(((n * C + ci) * H + ih) * W + iw);
                fw.push(((co * C + ci) * KH + kh) * KW + kw);
              }
            }
          }
          fEnd.push(fx.length);
          fCo.push(co);
        }
      }
    }
  }
  // weight gradient: elements in (co, ci, kh, kw) order, per sample the output positions in (oh, ow) order
  const wg: number[] = [];
  const wx: number[] = [];
  const wEnd: number[] = [];
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          for (let n = 0; n < N; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                wg.push((n * CO + co) * P + oh * OW + ow);
                wx.push(((n * C + ci) * H + ih) * W + iw);
              }
            }
            wEnd.push(wg.length);
          }
        }
      }
    }
  }
  // input gradient: pixels in (n, ci, ih, iw) order, the reaching taps in (kh, kw) order, each a column over co
  const ig: number[] = [];
  const iw: number[] = [];
  const iColEnd: number[] = [];
  const iPixEnd: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < C; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let x = 0; x < W; x++) {
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + ph - kh * dh;
            if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
            for (let kw = 0; kw < KW; kw++) {
              const tw = x + pw - kw * dw;
              if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
              for (let co = 0; co < CO; co++) {
                ig.push((n * CO + co) * P + (th / sh) * OW + tw / sw);
                iw.push(((co * C + ci) * KH + kh) * KW + kw);
              }
              iColEnd.push(ig.length);
            }
          }
          iPixEnd.push(iColEnd.length);
        }
      }
    }
  }
  const plan: ConvPlan<G> = {
    fTaps: uniformRun(fEnd), wPairs: uniformRun(wEnd),
    outShape: input.shape.length === 3 ? [CO, g.OH, g.OW] : [N, CO, g.OH, g.OW],
    inputShape: input.shape.slice(), weightShape: weight.shape.slice(), hasBias: bias !== null,
    dtype: input.dtype, options: [sh, sw, ph, pw, dh, dw], g,
    fx: Int32Array.from(fx), fw: Int32Array.from(fw), fEnd: Int32Array.from(fEnd), fCo: Int32Array.from(fCo),
    wg: Int32Array.from(wg), wx: Int32Array.from(wx), wEnd: Int32Array.from(wEnd),
    ig: Int32Array.from(ig), iw: Int32Array.from(iw), iColEnd: Int32Array.from(iColEnd), iPixEnd: Int32Array.from(iPixEnd),
  };
  const list = plans.get(weight) ?? [];
  if (list.length === 4) list.shift();
  list.push(plan as ConvPlan<TinyGeometry>);
  plans.set(weight, list);
  return plan;
}

/** The common length of the runs that `ends` closes (each end minus the one before), or -1 if they differ. */
function uniformRun(ends: readonly number[]): number {
  const first = ends.length === 0 ? -1 : ends[0];
  for (let i = 1; i < ends.length; i++) if (ends[i] - ends[i - 1] !== first) return -1;
  return first;
}

/** Forward: each output's taps from 0 (float32: rounded after each), then + bias. */
export function planForward(
  p: ConvPlan<TinyGeometry>, x: Storage, w: Storage, b: Storage | null, out: Storage, f32: boolean, xo = 0, oo = 0,
): void {
  if (f32 && p.fTaps > 0) {
    forwardUniformF32(p, x, w, b, out, xo, oo);
    return;
  }
  const { fx, fw, fEnd, fCo } = p;
  const f = Math.fround;
  let t = 0;
  for (let o = 0; o < fEnd.length; o++) {
    let acc = 0;
    const end = fEnd[o];
    if (f32) {
      for (; t < end; t++) acc = f(acc + w[fw[t]] * x[xo + fx[t]]);
      out[oo + o] = b === null ? acc : f(acc + b[fCo[o]]);
    } else {
      for (; t < end; t++) acc = acc + w[fw[t]] * x[xo + fx[t]];
      out[oo + o] = b === null ? acc : acc + b[fCo[o]];
    }
  }
}

/**
 * planForward for float32 when every output adds the same number of taps: four outputs at a time, each its own
 * chain of roundings in the same order. One chain's every step waits for the rounding before it, so a single
 * chain runs at the latency of add-and-round; four independent ones overlap (about twice as fast here).
 */
function forwardUniformF32(p: ConvPlan<TinyGeometry>, x: Storage, w: Storage, b: Storage | null, out: Storage, xo: number, oo: number): void {
  const { fx, fw, fCo } = p;
  const T = p.fTaps;
  const outputs = fCo.length;
  const f = Math.fround;
  let o = 0;
  for (; o + 4 <= outputs; o += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let t = o * T, end = t + T; t < end; t++) {
      a0 = f(a0 + w[fw[t]] * x[xo + fx[t]]);
      a1 = f(a1 + w[fw[t + T]] * x[xo + fx[t + T]]);
      a2 = f(a2 + w[fw[t + 2 * T]] * x[xo + fx[t + 2 * T]]);
      a3 = f(a3 + w[fw[t + 3 * T]] * x[xo + fx[t + 3 * T]]);
    }
    if (b === null) {
      out[oo + o] = a0;
      out[oo + o + 1] = a1;
      out[oo + o + 2] = a2;
      out[oo + o + 3] = a3;
    } else {
      out[oo + o] = f(a0 + b[fCo[o]]);
      out[oo + o + 1] = f(a1 + b[fCo[o + 1]]);
      out[oo + o + 2] = f(a2 + b[fCo[o + 2]]);
      out[oo + o + 3] = f(a3 + b[fCo[o + 3]]);
    }
  }
  for (; o < outputs; o++) {
    let acc = 0;
    for (let t = o * T, end = t + T; t < end; t++) acc = f(acc + w[fw[t]] * x[xo + fx[t]]);
    out[oo + o] = b === null ? acc : f(acc + b[fCo[o]]);
  }
}

/** Weight gradient: per element, each sample's sum from 0, the samples' sums added in turn; stored or added into gw. */
export function planWeightGrad(
  p: ConvPlan<TinyGeometry>, gv: Storage, x: Storage, gw: Storage, add: boolean, f32: boolean, xo = 0,
): void {
  if (f32 && p.wPairs > 0) {
    weightGradUniformF32(p, gv, x, gw, add, xo);
    return;
  }
  const { wg, wx, wEnd } = p;
  const N = p.g.N;
  const f = Math.fround;
  let t = 0;
  let k = 0;
  for (let e = 0; e < gw.length; e++) {
    let total = 0;
    for (let n = 0; n < N; n++, k++) {
      let acc = 0;
      const end = wEnd[k];
      if (f32) {
        for (; t < end; t++) acc = f(acc + gv[wg[t]] * x[xo + wx[t]]);
        total = f(total + acc);
      } else {
        for (; t < end; t++) acc = acc + gv[wg[t]] * x[xo + wx[t]];
        total = total + acc;
      }
    }
    if (add) gw[e] += total;
    else gw[e] = total;
  }
}

/** planWeightGrad for float32 when every (element, sample) adds the same number of pairs: four elements at a time. */
function weightGradUniformF32(p: ConvPlan<TinyGeometry>, gv: Storage, x: Storage, gw: Storage, add: boolean, xo: number): void {
  const { wg, wx } = p;
  const U = p.wPairs;
  const N = p.g.N;
  const stride = N * U; // pairs of one element, all samples
  const elements = gw.length;
  const f = Math.fround;
  let e = 0;
  for (; e + 4 <= elements; e += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let n = 0; n < N; n++) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = e * stride + n * U, end = t + U; t < end; t++) {
        a0 = f(a0 + gv[wg[t]] * x[xo + wx[t]]);
        a1 = f(a1 + gv[wg[t + stride]] * x[xo + wx[t + stride]]);
        a2 = f(a2 + gv[wg[t + 2 * stride]] * x[xo + wx[t + 2 * stride]]);
        a3 = f(a3 + gv[wg[t + 3 * stride]] * x[xo + wx[t + 3 * stride]]);
      }
      s0 = f(s0 + a0);
      s1 = f(s1 + a1);
      s2 = f(s2 + a2);
      s3 = f(s3 + a3);
    }
    if (add) {
      gw[e] += s0;
      gw[e + 1] += s1;
      gw[e + 2] += s2;
      gw[e + 3] += s3;
    } else {
      gw[e] = s0;
      gw[e + 1] = s1;
      gw[e + 2] = s2;
      gw[e + 3] = s3;
    }
  }
  for (; e < elements; e++) {
    let total = 0;
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let t = e * stride + n * U, end = t + U; t < end; t++) acc = f(acc + gv[wg[t]] * x[xo + wx[t]]);
      total = f(total + acc);
    }
    if (add) gw[e] += total;
    else gw[e] = total;
  }
}

/** Input gradient: per pixel, for each reaching tap a column Σ over out-channels from 0, the columns added in turn. */
export function planInputGrad(p: ConvPlan<TinyGeometry>, gv: Storage, w: Storage, gx: Storage, f32: boolean): void {
  if (f32) {
    inputGradF32(p, gv, w, gx);
    return;
  }
  const { ig, iw, iColEnd, iPixEnd } = p;
  let t = 0;
  let c = 0;
  for (let q = 0; q < iPixEnd.length; q++) {
    let total = 0;
    for (const colsEnd = iPixEnd[q]; c < colsEnd; c++) {
      let col = 0;
      for (const end = iColEnd[c]; t < end; t++) col = col + w[iw[t]] * gv[ig[t]];
      total = total + col;
    }
    gx[q] = total;
  }
}

/** planInputGrad for float32, apart so that its loops carry no dtype test: each step rounded as PyTorch's. */
function inputGradF32(p: ConvPlan<TinyGeometry>, gv: Storage, w: Storage, gx: Storage): void {
  const { ig, iw, iColEnd, iPixEnd } = p;
  const f = Math.fround;
  let t = 0;
  let c = 0;
  for (let q = 0; q < iPixEnd.length; q++) {
    let total = 0;
    for (const colsEnd = iPixEnd[q]; c < colsEnd; c++) {
      let col = 0;
      for (const end = iColEnd[c]; t < end; t++) col = f(col + w[iw[t]] * gv[ig[t]]);
      total = f(total + col);
    }
    gx[q] = total;
  }
}
