import { record } from '../autograd/record.js';
import { allocate } from '../tensor/dtype.js';
import { shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
}

function pair(v: number | readonly [number, number] | undefined, fallback: number, what: string): [number, number] {
  const p: [number, number] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= 0)) throw new RangeError(`conv2d: ${what} must be non-negative integers, got ${String(v)}`);
  return p;
}

/**
 * 2-D cross-correlation over NCHW input (or unbatched CHW), as `torch.nn.functional.conv2d`.
 * float32 sums accumulate tap by tap (in-channel, kernel row, kernel column) in float32, then add the bias,
 * as PyTorch's CPU kernel does for these sizes.
 *
 * @example
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
 * conv2d(x, ones([1, 1, 2, 2]), tensor([0.5])) // tensor([[[[12.5000, 16.5000], [24.5000, 28.5000]]]])
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const unbatched = input.shape.length === 3;
  if (!unbatched && input.shape.length !== 4) {
    throw new RangeError(`conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${shapeString(input.shape)}`);
  }
  if (weight.shape.length !== 4) {
    throw new RangeError(`conv2d: weight should be 4D [out_channels, in_channels, kH, kW], got ${shapeString(weight.shape)}`);
  }
  const [sh, sw] = pair(options.stride, 1, 'stride');
  const [ph, pw] = pair(options.padding, 0, 'padding');
  if (sh === 0 || sw === 0) throw new RangeError('conv2d: non-positive stride is not supported');
  const [N, C, H, W] = unbatched ? [1, ...input.shape] : input.shape;
  const [CO, CI, KH, KW] = weight.shape;
  if (CI !== C) {
    throw new RangeError(
      `conv2d: Given groups=1, weight of size ${shapeString(weight.shape)}, expected input${shapeString(input.shape)} to have ${CI} channels, but got ${C} channels instead`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== CO)) {
    throw new RangeError(`conv2d: bias should have shape [${CO}], got ${shapeString(bias.shape)}`);
  }
  if (bias && bias.dtype !== input.dtype || weight.dtype !== input.dtype) {
    throw new TypeError(`conv2d: expected input, weight and bias of one dtype, got ${input.dtype}, ${weight.dtype}${bias ? `, ${bias.dtype}` : ''}`);
  }
  const OH = Math.floor((H + 2 * ph - KH) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - KW) / sw) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new RangeError(
      `conv2d: Calculated padded input size per channel: (${H + 2 * ph} x ${W + 2 * pw}). Kernel size: (${KH} x ${KW}). Kernel size can't be greater than actual input size`,
    );
  }
  const x = input.values();
  const w = weight.values();
  const b = bias ? bias.values() : null;
  const out = allocate(input.dtype, N * CO * OH * OW);
  const f32 = input.dtype === 'float32';
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
  const outShape = unbatched ? [CO, OH, OW] : [N, CO, OH, OW];
  const result = new Tensor(out, outShape);
  return record(result, 'ConvolutionBackward0', [input, weight, bias ?? null], (g) => {
    const gv = g.values();
    const gx = input.requiresGrad ? new Float64Array(x.length) : null;
    const gw = weight.requiresGrad ? new Float64Array(w.length) : null;
    const gb = bias?.requiresGrad ? new Float64Array(CO) : null;
    let k = 0;
    for (let n = 0; n < N; n++) {
      for (let co = 0; co < CO; co++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const gk = gv[k++];
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
    const pack = (acc: Float64Array | null, shape: readonly number[]) => {
      if (!acc) return null;
      const s = allocate(input.dtype, acc.length);
      s.set(acc);
      return new Tensor(s, shape.slice());
    };
    return [pack(gx, input.shape), pack(gw, weight.shape), pack(gb, [CO])];
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    conv2d(weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor;
  }
}

Tensor.prototype.conv2d = function (this: Tensor, w: Tensor, b?: Tensor | null, o?: Conv2dOptions) { return conv2d(this, w, b, o); };
