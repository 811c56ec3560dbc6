/**
 * A battery of ops, forward and backward, on seeded random inputs (float32 and float64, contiguous and strided,
 * broadcast, with and without padding/stride). bench/golden/check.ts fingerprints every result before and after
 * a change to the engine's hot paths, to show that not one bit moved.
 */
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';

export type Results = Record<string, number[]>;

/** Runs `fn` on fresh leaves built by `make`, backpropagates `gradOut` (or a scalar 1), returns output and grads. */
function fwdBwd(make: () => Tensor[], fn: (xs: Tensor[]) => Tensor, gradOut?: (y: Tensor) => Tensor): number[][] {
  const xs = make();
  const y = fn(xs);
  const parts: number[][] = [y.toArray()];
  if (y.requiresGrad) {
    y.backward(gradOut ? gradOut(y) : y.numel() === 1 ? null : torch.onesLike(y));
    for (const x of xs) if (x.requiresGrad) parts.push(x.grad ? x.grad.toArray() : []);
  }
  return parts;
}

export function goldenCases(): Results {
  const out: Results = {};
  const put = (name: string, parts: number[][]) => { out[name] = parts.flat(); };
  for (const dtype of ['float32', 'float64'] as DType[]) {
    const gen = new torch.Generator(1234);
    const r = (shape: number[], lo = -2, hi = 2, grad = true) => {
      const t = torch.rand(shape, { dtype, generator: gen }).mul(hi - lo).add(lo);
      return grad ? t.requiresGrad_() : t;
    };
    const randGrad = (y: Tensor) => torch.rand(y.shape as number[], { dtype, generator: gen }).sub(0.5);
    const d = dtype;
    // elementwise and broadcasting
    put(`${d} add`, fwdBwd(() => [r([3, 4]), r([4])], ([a, b]) => a.add(b, 0.5), randGrad));
    put(`${d} sub scalar`, fwdBwd(() => [r([2, 3])], ([a]) => a.sub(1.25), randGrad));
    put(`${d} rsub`, fwdBwd(() => [r([5])], ([a]) => a.rsub(3), randGrad));
    put(`${d} mul bcast`, fwdBwd(() => [r([2, 1, 3]), r([4, 1])], ([a, b]) => a.mul(b), randGrad));
    put(`${d} div`, fwdBwd(() => [r([3, 3]), r([3, 3], 0.5, 2)], ([a, b]) => a.div(b), randGrad));
    put(`${d} neg`, fwdBwd(() => [r([4])], ([a]) => a.neg(), randGrad));
    for (const e of [0, 1, 2, 3, 0.5, -0.5, -1, -2, 2.5]) {
      put(`${d} pow ${e}`, fwdBwd(() => [r([6], 0.25, 2)], ([a]) => a.pow(e), randGrad));
    }
    put(`${d} pow tensor`, fwdBwd(() => [r([4], 0.25, 2), r([4])], ([a, b]) => a.pow(b), randGrad));
    put(`${d} exp log sqrt abs`, fwdBwd(() => [r([7], 0.1, 3)], ([a]) => a.exp().log().sqrt().abs(), randGrad));
    put(`${d} clamp`, fwdBwd(() => [r([9])], ([a]) => a.clamp(-0.5, 0.75), randGrad));
    put(`${d} sigmoid`, fwdBwd(() => [r([2, 5], -8, 8)], ([a]) => torch.sigmoid(a), randGrad));
    put(`${d} tanh`, fwdBwd(() => [r([2, 5])], ([a]) => torch.tanh(a), randGrad));
    put(`${d} relu`, fwdBwd(() => [r([2, 5])], ([a]) => torch.relu(a), randGrad));
    put(`${d} leakyRelu`, fwdBwd(() => [r([2, 5])], ([a]) => torch.leakyRelu(a, 0.01), randGrad));
    put(`${d} leakyRelu 0.2`, fwdBwd(() => [r([3])], ([a]) => torch.leakyRelu(a, 0.2), randGrad));
    put(`${d} softmax`, fwdBwd(() => [r([3, 4])], ([a]) => torch.softmax(a, 1), randGrad));
    put(`${d} logSoftmax`, fwdBwd(() => [r([3, 4])], ([a]) => torch.logSoftmax(a, 0), randGrad));
    // reductions
    put(`${d} sum`, fwdBwd(() => [r([3, 4])], ([a]) => a.sum()));
    put(`${d} sum dim keepdim`, fwdBwd(() => [r([3, 4, 2])], ([a]) => a.sum([0, 2], true), randGrad));
    for (const [shape, dims] of [[[1], null], [[4], null], [[9], null], [[1000], null], [[70000], null], [[7, 300], [1]], [[300, 7], [0]],
      [[3, 40, 5], [1]], [[2, 3, 17], [0, 2]], [[1, 1, 2, 2], [0, 2, 3]], [[64, 16, 28, 28], [0, 2, 3]]] as Array<[number[], number[] | null]>) {
      put(`${d} sum ${shape.join('x')} over ${dims ?? 'all'}`, fwdBwd(() => [r(shape, -2, 2, false)], ([a]) => (dims ? a.sum(dims) : a.sum())));
    }
    put(`${d} mean`, fwdBwd(() => [r([5, 3])], ([a]) => a.mean()));
    put(`${d} mean dim`, fwdBwd(() => [r([5, 3])], ([a]) => a.mean(1), randGrad));
    // views
    put(`${d} views`, fwdBwd(() => [r([2, 3, 4])], ([a]) => a.permute(2, 0, 1).contiguous().view(4, 6).t().reshape(-1).mul(2), randGrad));
    put(`${d} transpose mul`, fwdBwd(() => [r([3, 4]), r([4, 3])], ([a, b]) => a.transpose(0, 1).mul(b), randGrad));
    put(`${d} select unsqueeze squeeze`, fwdBwd(() => [r([3, 1, 4])], ([a]) => a.select(0, 1).squeeze().unsqueeze(1).mul(3), randGrad));
    put(`${d} get`, fwdBwd(() => [r([4, 2])], ([a]) => a.get(-1).add(a.get(0)), randGrad));
    put(`${d} expand`, fwdBwd(() => [r([3, 1])], ([a]) => a.expand(2, 3, 4).mul(1.5), randGrad));
    put(`${d} to other`, fwdBwd(() => [r([5])], ([a]) => a.to(d === 'float32' ? 'float64' : 'float32').mul(3), randGrad));
    put(`${d} clone`, fwdBwd(() => [r([5])], ([a]) => a.clone().mul(a), randGrad));
    // linear algebra
    put(`${d} matmul`, fwdBwd(() => [r([3, 4]), r([4, 2])], ([a, b]) => a.matmul(b), randGrad));
    put(`${d} matmul batched`, fwdBwd(() => [r([2, 3, 4]), r([4])], ([a, b]) => a.matmul(b), randGrad));
    put(`${d} linear`, fwdBwd(() => [r([5, 4]), r([3, 4]), r([3])], ([x, w, b]) => torch.nn.functional.linear(x, w, b), randGrad));
    // convolution, pooling
    const convs: Array<[string, number[], number[], number, number, boolean]> = [
      ['tutorial 1', [1, 1, 3, 3], [1, 1, 2, 2], 1, 0, true],
      ['tutorial 2', [1, 1, 2, 2], [1, 1, 2, 2], 1, 0, true],
      ['unbatched', [2, 5, 5], [3, 2, 3, 3], 1, 1, true],
      ['stride 2 pad 1', [2, 3, 7, 6], [4, 3, 3, 3], 2, 1, true],
      ['no bias pad 2', [1, 2, 6, 6], [2, 2, 3, 2], 1, 2, false],
      ['batch 3', [3, 4, 9, 9], [5, 4, 3, 3], 1, 1, true],
      ['stride 3', [2, 2, 10, 11], [3, 2, 4, 3], 3, 0, true],
      // im2col sizes (≥ 2^16 multiply-adds): oneDNN order for batched float32 (two channel blocks), native otherwise
      ['im2col two blocks', [2, 20, 9, 9], [18, 20, 3, 3], 1, 0, true],
      ['im2col stride 2 pad 1', [16, 3, 12, 12], [8, 3, 3, 3], 2, 1, true],
      ['im2col native one sample', [1, 8, 40, 40], [4, 8, 3, 3], 1, 1, true],
      ['im2col 5x5 big image', [1, 8, 60, 60], [4, 8, 5, 5], 1, 2, false],
    ];
    put(`${d} conv2d dilation 2 im2col`, fwdBwd(
      () => [r([4, 6, 20, 20]), r([8, 6, 3, 3], -0.5, 0.5), r([8])],
      ([x, w, b]) => torch.nn.functional.conv2d(x, w, b, { padding: 2, dilation: 2 }),
      randGrad,
    ));
    for (const [name, xs, ws, stride, padding, bias] of convs) {
      put(`${d} conv2d ${name}`, fwdBwd(
        () => [r(xs), r(ws, -0.5, 0.5), ...(bias ? [r([ws[0]])] : [])],
        ([x, w, b]) => torch.nn.functional.conv2d(x, w, b ?? null, { stride, padding }),
        randGrad,
      ));
      put(`${d} conv2d ${name} weight only`, fwdBwd(
        () => [r(xs, -2, 2, false), r(ws, -0.5, 0.5)],
        ([x, w]) => torch.nn.functional.conv2d(x, w, null, { stride, padding }),
        randGrad,
      ));
    }
    // a second backward into the same leaves: gradients accumulate (the tutorial's steps after zeroGrad)
    for (const [name, xs, ws, stride, padding, bias] of convs) {
      const x = r(xs, -2, 2, false);
      const w = r(ws, -0.5, 0.5);
      const b = bias ? r([ws[0]]) : null;
      const parts: number[][] = [];
      for (let k = 0; k < 3; k++) {
        const y = torch.nn.functional.conv2d(x, w, b, { stride, padding });
        y.backward(randGrad(y));
        parts.push(w.grad!.toArray(), b ? b.grad!.toArray() : []);
        if (k === 1) {
          w.grad!.zero_();
          b?.grad!.zero_();
        }
      }
      put(`${d} conv2d ${name} accumulated`, parts);
    }
    put(`${d} maxPool2d`, fwdBwd(() => [r([1, 2, 6, 6])], ([x]) => torch.nn.functional.maxPool2d(x, 2), randGrad));
    // losses
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      put(`${d} bce ${reduction}`, fwdBwd(
        () => [r([2, 3], 0.01, 0.99), r([2, 3], 0, 1)],
        ([p, t]) => torch.nn.functional.binaryCrossEntropy(p, t, { reduction }),
        reduction === 'none' ? randGrad : undefined,
      ));
      put(`${d} mse ${reduction}`, fwdBwd(
        () => [r([2, 3]), r([2, 3])],
        ([p, t]) => torch.nn.functional.mseLoss(p, t, { reduction }),
        reduction === 'none' ? randGrad : undefined,
      ));
    }
    put(`${d} bce tutorial`, fwdBwd(() => [r([1, 1, 1, 1], 0.01, 0.99), r([1, 1, 1, 1], 1, 1, false)], ([p, t]) => torch.nn.functional.binaryCrossEntropy(p, t)));
    put(`${d} crossEntropy`, fwdBwd(() => [r([3, 4])], ([a]) => torch.nn.functional.crossEntropy(a, [1, 0, 3])));
    // a small graph with reuse: gradients summed over two paths, a retained intermediate
    put(`${d} graph reuse`, fwdBwd(() => [r([3]), r([3])], ([a, b]) => {
      const h = a.mul(b).sigmoid();
      h.retainGrad();
      return h.add(h.mul(a)).sum();
    }));
    // accumulation into an existing .grad (no zero_grad)
    {
      const a = r([4]);
      a.mul(2).sum().backward();
      a.mul(a).sum().backward();
      put(`${d} accumulate`, [a.grad!.toArray()]);
    }
  }
  return out;
}

/** FNV-1a over the float64 bits of every number: a compact fingerprint that changes with any bit. */
export function fingerprint(values: readonly number[]): string {
  const buf = new Float64Array(values);
  const bytes = new Uint8Array(buf.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${values.length}:${h.toString(16).padStart(8, '0')}`;
}
