/**
 * The textbook direct convolution: for every output element, a loop over input channels and kernel taps, with a
 * bounds test per tap for the padding. It is the baseline of the batched Conv2d benchmark and the reference of
 * the conv kernel tests, so it does exactly the arithmetic torchlet promises (and did with this very loop before
 * the im2col kernels):
 *
 * - forward: taps summed in (in-channel, kernel row, kernel column) order, in float32 rounded after every
 *   multiply and add for float32 data (plain double arithmetic for float64), then the bias added;
 * - backward: every gradient element summed in double in the loop order below, rounded once at the end.
 */
export interface ConvGeometry {
  N: number; C: number; H: number; W: number;
  CO: number; KH: number; KW: number;
  sh: number; sw: number; ph: number; pw: number;
}

export function outputSize(g: ConvGeometry): { OH: number; OW: number } {
  return { OH: Math.floor((g.H + 2 * g.ph - g.KH) / g.sh) + 1, OW: Math.floor((g.W + 2 * g.pw - g.KW) / g.sw) + 1 };
}

/** Multiply-adds of the forward pass (the backward's two products each do as many). */
export function macs(g: ConvGeometry): number {
  const { OH, OW } = outputSize(g);
  return g.N * g.CO * OH * OW * g.C * g.KH * g.KW;
}

type Data = Float32Array | Float64Array;

/** out[N, CO, OH, OW] = conv(x[N, C, H, W], w[CO, C, KH, KW]) + b[CO]; `f32` rounds as float32 arithmetic does. */
export function naiveConvForward(x: Data, w: Data, b: Data | null, g: ConvGeometry, out: Data, f32: boolean): void {
  const { N, C, H, W, CO, KH, KW, sh, sw, ph, pw } = g;
  const { OH, OW } = outputSize(g);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let ci = 0; ci < C; ci++) {
            const xBase = (n * C + ci) * H;
            const wBase = (co * C + ci) * KH;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh;
              if (ih < 0 || ih >= H) continue;
              const xRow = (xBase + ih) * W;
              const wRow = (wBase + kh) * KW;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw;
                if (iw < 0 || iw >= W) continue;
                acc = f32 ? Math.fround(acc + Math.fround(w[wRow + kw] * x[xRow + iw])) : acc + w[wRow + kw] * x[xRow + iw];
              }
            }
          }
          out[o++] = b ? acc + b[co] : acc;
        }
      }
    }
  }
}

/**
 * Gradients of the forward above for the output gradient `go` [N, CO, OH, OW], summed in double into the given
 * (zeroed) arrays; pass null for a gradient that is not wanted.
 */
export function naiveConvBackward(
  x: Data, w: Data, go: Data, g: ConvGeometry,
  gx: Float64Array | null, gw: Float64Array | null, gb: Float64Array | null,
): void {
  const { N, C, H, W, CO, KH, KW, sh, sw, ph, pw } = g;
  const { OH, OW } = outputSize(g);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const gk = go[k++];
          if (gb) gb[co] += gk;
          for (let ci = 0; ci < C; ci++) {
            const xBase = (n * C + ci) * H;
            const wBase = (co * C + ci) * KH;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw;
                if (iw < 0 || iw >= W) continue;
                const xi = (xBase + ih) * W + iw;
                const wi = (wBase + kh) * KW + kw;
                if (gx) gx[xi] += gk * w[wi];
                if (gw) gw[wi] += gk * x[xi];
              }
            }
          }
        }
      }
    }
  }
}
