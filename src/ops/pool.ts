import { record } from '../autograd/record.js';
import { allocate } from '../tensor/dtype.js';
import { numelOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { IntPair } from './conv.js';

function pair(v: IntPair, what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x))) throw new RangeError(`max_pool2d: ${what} must be integers, got ${String(v)}`);
  return p;
}

/**
 * 2-D max pooling over NCHW (or unbatched CHW), as `F.max_pool2d(input, kernel_size, stride, padding)`:
 * windows of kernelSize, `stride` apart (default: kernelSize), over the input padded with −∞. The output
 * keeps each window's maximum; its gradient goes to that element — the first maximum on ties, and a NaN
 * (the last one) wins over numbers, as PyTorch's CPU kernel picks them. grad_fn
 * MaxPool2DWithIndicesBackward0; overlapping windows add their gradients.
 *
 * @example
 * maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2);                  // tensor([[[[4.]]]])
 * maxPool2d(zeros([1, 3, 5, 5]), 3, 2, 1).shape;             // [1, 3, 3, 3]
 */
export function maxPool2d(input: Tensor, kernelSize: IntPair, stride?: IntPair | null, padding: IntPair = 0): Tensor {
  const nd = input.shape.length;
  if ((nd !== 3 && nd !== 4) || numelOf(input.shape) === 0) {
    throw new RangeError(`max_pool2d: non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size ${JSON.stringify(input.shape)}`);
  }
  const [kH, kW] = pair(kernelSize, 'kernel_size');
  const [sH, sW] = pair(stride ?? kernelSize, 'stride');
  const [pH, pW] = pair(padding, 'padding');
  if (kH <= 0 || kW <= 0) throw new RangeError(`max_pool2d: kernel size should be greater than zero, but got kH: ${kH} kW: ${kW}`);
  if (sH <= 0 || sW <= 0) throw new RangeError(`max_pool2d: stride should not be zero (got sH: ${sH} sW: ${sW})`);
  if (pH < 0 || pW < 0) throw new RangeError(`max_pool2d: pad must be non-negative, but got pad: (${pH}, ${pW})`);
  if (pH > kH / 2 || pW > kW / 2) {
    throw new RangeError(`max_pool2d: pad should be at most half of kernel size, but got pad=${Math.max(pH, pW)} and kernel_size=${pH > kH / 2 ? kH : kW}`);
  }
  const [N, C, H, W] = nd === 3 ? [1, ...input.shape] : input.shape;
  const OH = Math.floor((H + 2 * pH - kH) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - kW) / sW) + 1;
  if (OH < 1 || OW < 1) {
    throw new RangeError(`max_pool2d: Given input size: (${C}x${H}x${W}). Calculated output size: (${C}x${OH}x${OW}). Output size is too small`);
  }
  const x = input.values();
  const planes = N * C;
  const out = allocate(input.dtype, planes * OH * OW);
  const argmax = new Int32Array(out.length);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sH - pH, 0);
      const h1 = Math.min(oh * sH - pH + kH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sW - pW, 0);
        const w1 = Math.min(ow * sW - pW + kW, W);
        let best = -Infinity;
        let at = base + h0 * W + w0;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const v = x[base + ih * W + iw];
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = base + ih * W + iw;
            }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
  const result = new Tensor(out, nd === 3 ? [C, OH, OW] : [N, C, OH, OW]);
  return record(result, 'MaxPool2DWithIndicesBackward0', [input], (g) => {
    const gv = g.values();
    const gx = allocate(input.dtype, x.length);
    for (let k = 0; k < gv.length; k++) gx[argmax[k]] += gv[k];
    return [new Tensor(gx, input.shape.slice())];
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** `maxPool2d(this, kernelSize, stride, padding)`. */
    maxPool2d(kernelSize: IntPair, stride?: IntPair | null, padding?: IntPair): Tensor;
  }
}

Tensor.prototype.maxPool2d = function (this: Tensor, k: IntPair, s?: IntPair | null, p?: IntPair) { return maxPool2d(this, k, s, p); };
