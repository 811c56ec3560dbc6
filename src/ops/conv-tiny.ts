/**
 * conv2d's direct loops for tiny problems (the tutorial's: a 3×3 image, 2×2 kernels, one channel) as flat
 * "plans": the loops are run once to list, in order, which input and weight elements each result adds, and the
 * plan is kept with the weight tensor (a layer's weight meets the same shapes every step). Running a plan is a
 * single loop over index pairs — the same terms in the same order as the nested loops of conv.ts's native
 * backend, without their seven loop levels of bookkeeping, which cost more than the handful of multiply-adds.
 */
import type { Storage } from '../tensor/dtype.js';
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
  /** Forward: for output o, taps fEnd[o-1] … fEnd[o]-1 add x[fx[t]]·w[fw[t]]; its out-channel is fCo[o]. */
  readonly fx: Int32Array;
  readonly fw: Int32Array;
  readonly fEnd: Int32Array;
  readonly fCo: Int32Array;
  /** Weight gradient: element e, sample n: pairs wEnd[e·N+n-1] … wEnd[e·N+n]-1 add g[wg[t]]·x[wx[t]]. */
  readonly wg: Int32Array;
  readonly wx: Int32Array;
  readonly wEnd: Int32Array;
  /** Input gradient: pixel q, k-th reaching tap: pairs over out-channels ig/iw, one column per iCol entry. */
  readonly ig: Int32Array;
  readonly iw: Int32Array;
  readonly iColEnd: Int32Array;
  readonly iPixEnd: Int32Array;
}

/** Up to 4 plans per weight (a layer called with a few input sizes in turn keeps one for each). */
const plans = new WeakMap<Tensor, Array<ConvPlan<TinyGeometry>>>();

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The plan kept for this weight, if it was made for exactly this call: the same input shape, weight shape, bias
 * presence, dtype and stride/padding/dilation (all of which conv.ts validated when it made the plan).
 */
export function findPlan<G extends TinyGeometry>(
  input: Tensor, weight: Tensor, bias: Tensor | null, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
): ConvPlan<G> | null {
  const list = plans.get(weight);
  if (list === undefined) return null;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const o = p.options;
    if (o[0] !== sh || o[1] !== sw || o[2] !== ph || o[3] !== pw || o[4] !== dh || o[5] !== dw) continue;
    if (p.hasBias !== (bias !== null) || p.dtype !== input.dtype || weight.dtype !== input.dtype) continue;
    if (bias !== null && (bias.dtype !== input.dtype || bias.shape.length !== 1 || bias.shape[0] !== p.weightShape[0])) continue;
    if (!sameShape(p.inputShape, input.shape) || !sameShape(p.weightShape, weight.shape)) continue;
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

/** Forward: each output's taps from 0 (float32: rounded after each), then + bias. */
export function planForward(p: ConvPlan<TinyGeometry>, x: Storage, w: Storage, b: Storage | null, out: Storage, f32: boolean): void {
  const { fx, fw, fEnd, fCo } = p;
  const f = Math.fround;
  let t = 0;
  for (let o = 0; o < fEnd.length; o++) {
    let acc = 0;
    const end = fEnd[o];
    if (f32) {
      for (; t < end; t++) acc = f(acc + w[fw[t]] * x[fx[t]]);
      out[o] = b === null ? acc : f(acc + b[fCo[o]]);
    } else {
      for (; t < end; t++) acc = acc + w[fw[t]] * x[fx[t]];
      out[o] = b === null ? acc : acc + b[fCo[o]];
    }
  }
}

/** Weight gradient: per element, each sample's sum from 0, the samples' sums added in turn; stored or added into gw. */
export function planWeightGrad(p: ConvPlan<TinyGeometry>, gv: Storage, x: Storage, gw: Storage, add: boolean, f32: boolean): void {
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
        for (; t < end; t++) acc = f(acc + gv[wg[t]] * x[wx[t]]);
        total = f(total + acc);
      } else {
        for (; t < end; t++) acc = acc + gv[wg[t]] * x[wx[t]];
        total = total + acc;
      }
    }
    if (add) gw[e] += total;
    else gw[e] = total;
  }
}

/** Input gradient: per pixel, for each reaching tap a column Σ over out-channels from 0, the columns added in turn. */
export function planInputGrad(p: ConvPlan<TinyGeometry>, gv: Storage, w: Storage, gx: Storage, f32: boolean): void {
  const { ig, iw, iColEnd, iPixEnd } = p;
  const f = Math.fround;
  let t = 0;
  let c = 0;
  for (let q = 0; q < iPixEnd.length; q++) {
    let total = 0;
    for (const colsEnd = iPixEnd[q]; c < colsEnd; c++) {
      let col = 0;
      const end = iColEnd[c];
      if (f32) {
        for (; t < end; t++) col = f(col + w[iw[t]] * gv[ig[t]]);
        total = f(total + col);
      } else {
        for (; t < end; t++) col = col + w[iw[t]] * gv[ig[t]];
        total = total + col;
      }
    }
    gx[q] = total;
  }
}
