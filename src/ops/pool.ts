import { record } from '../autograd/record.js';
import { allocate } from '../tensor/dtype.js';
import { shapeString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * 2-D max pooling over NCHW (or CHW); the gradient goes to the first maximum of each window, as PyTorch's.
 * @example maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2) // tensor([[[[4.]]]])
 */
export function maxPool2d(input: Tensor, kernelSize: number, stride = kernelSize, padding = 0): Tensor {
  const unbatched = input.shape.length === 3;
  if (!unbatched && input.shape.length !== 4) {
    throw new RangeError(`max_pool2d: Expected 3D or 4D (batch mode) tensor for input, got ${shapeString(input.shape)}`);
  }
  if (padding * 2 > kernelSize) throw new RangeError('max_pool2d: pad should be smaller than or equal to half of kernel size');
  const [N, C, H, W] = unbatched ? [1, ...input.shape] : input.shape;
  const OH = Math.floor((H + 2 * padding - kernelSize) / stride) + 1;
  const OW = Math.floor((W + 2 * padding - kernelSize) / stride) + 1;
  if (OH <= 0 || OW <= 0) throw new RangeError(`max_pool2d: Output size is too small (input ${shapeString(input.shape)})`);
  const x = input.values();
  const out = allocate(input.dtype, N * C * OH * OW);
  const argmax = new Int32Array(out.length);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity;
        let at = -1;
        for (let kh = 0; kh < kernelSize; kh++) {
          const ih = oh * stride - padding + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < kernelSize; kw++) {
            const iw = ow * stride - padding + kw;
            if (iw < 0 || iw >= W) continue;
            const idx = (p * H + ih) * W + iw;
            const v = x[idx];
            if (v > best || Number.isNaN(v) || at < 0) {
              best = v;
              at = idx;
              if (Number.isNaN(v)) break;
            }
          }
        }
        out[o] = best;
        argmax[o++] = at;
      }
    }
  }
  const result = new Tensor(out, unbatched ? [C, OH, OW] : [N, C, OH, OW]);
  return record(result, 'MaxPool2DWithIndicesBackward0', [input], (g) => {
    const gv = g.values();
    const gx = allocate(input.dtype, x.length);
    for (let k = 0; k < gv.length; k++) gx[argmax[k]] += gv[k];
    return [new Tensor(gx, input.shape.slice())];
  });
}
