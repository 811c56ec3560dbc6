/**
 * Benchmark 2: single ops on the tutorial's tiny float32 tensors, each against a plain Float32Array loop doing the
 * same arithmetic (and allocating its result, as an op must). The ratio is the engine's overhead per op: shape
 * checks, the Tensor object, the graph record, the engine's bookkeeping.
 */
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { type ConvGeometry, naiveConvBackward, naiveConvForward } from './baseline/naive-conv.js';
import { timePerCall } from './harness.js';

export interface MicroCase {
  name: string;
  /** What the plain loop does, in a few words. */
  baseline: string;
  torchlet: (i: number) => number;
  plain: (i: number) => number;
  iterations: number;
}

export interface MicroResult {
  name: string;
  baseline: string;
  torchletNs: number;
  plainNs: number;
  ratio: number;
}

const f = Math.fround;
const fmaF32 = torch.optim.fmaF32;

function sigmoidF32(v: number): number {
  return 1 / f(1 + f(Math.exp(-v)));
}

export function microCases(): MicroCase[] {
  const F = torch.nn.functional;
  // the tutorial's shapes: a [1,1,3,3] sample, [1,1,2,2] weights and hidden map, a [1,1,1,1] output
  const set = torch.rand([100, 1, 1, 3, 3], { dtype: 'float64' });
  const setData = set.data;
  const x9 = torch.rand([1, 1, 3, 3]);
  const a4 = torch.rand([1, 1, 2, 2]);
  const b4 = torch.rand([1, 1, 2, 2]);
  const a4d = a4.data as Float32Array;
  const b4d = b4.data as Float32Array;
  const src9 = new Float32Array(9).fill(0.5);
  const w = torch.rand([1, 1, 2, 2]).requiresGrad_();
  const bias = torch.rand([1]).requiresGrad_();
  const wPlain = torch.rand([1, 1, 2, 2]);
  const bPlain = torch.rand([1]);
  const ones4 = torch.ones([1, 1, 2, 2]);
  const geom: ConvGeometry = { N: 1, C: 1, H: 3, W: 3, CO: 1, KH: 2, KW: 2, sh: 1, sw: 1, ph: 0, pw: 0 };
  const xd = x9.data as Float32Array;
  const wd = wPlain.data as Float32Array;
  const bd = bPlain.data as Float32Array;
  const p = torch.tensor([[[[0.7]]]]).requiresGrad_();
  const target = torch.ones([1, 1, 1, 1]);
  const leaf = torch.tensor([0.5]).requiresGrad_();
  const CHAIN = 8;
  // the tutorial's optimiser: Adadelta(lr=0.5) over its four parameters (10 numbers), and the same 10 numbers as
  // one Float32Array each for the plain loop; a pseudo-gradient stands in for backward on both sides
  const gen = new torch.Generator(3);
  const optParams = [[1, 1, 2, 2], [1], [1, 1, 2, 2], [1]].map((s) => torch.rand(s, { generator: gen }).requiresGrad_());
  for (const q of optParams) q.grad = torch.zeros([...q.shape]);
  const adadelta = new torch.optim.Adadelta(optParams, { lr: 0.5 });
  const optGrads = optParams.map((q) => (q.grad as Tensor).data);
  const fakeGrad = new Float32Array(1024).map((_, k) => Math.sin(k * 1.7) * 0.3);
  const w10 = Float32Array.from(optParams.flatMap((q) => q.toArray()));
  const g10 = new Float32Array(10);
  const sq10 = new Float32Array(10);
  const acc10 = new Float32Array(10);

  return [
    {
      name: 'tensor(Float32Array(9))',
      baseline: 'copy into a new Float32Array',
      iterations: 200_000,
      torchlet: () => torch.tensor(src9).data[0],
      plain: () => {
        const o = new Float32Array(9);
        o.set(src9);
        return o[0];
      },
    },
    {
      name: 'zeros([1,1,2,2])',
      baseline: 'new Float32Array(4)',
      iterations: 200_000,
      torchlet: () => torch.zeros([1, 1, 2, 2]).data.length,
      plain: () => new Float32Array(4).length,
    },
    {
      name: 'set.get(i).to(float32)',
      baseline: 'copy 9 doubles into a new Float32Array',
      iterations: 200_000,
      torchlet: (i) => set.get(i % 100).to('float32').data[0],
      plain: (i) => {
        const o = new Float32Array(9);
        const base = (i % 100) * 9;
        for (let k = 0; k < 9; k++) o[k] = setData[base + k];
        return o[0];
      },
    },
    {
      name: 'add [1,1,2,2]',
      baseline: 'a[i] + b[i] into a new Float32Array',
      iterations: 200_000,
      torchlet: () => a4.add(b4).data[0],
      plain: () => {
        const o = new Float32Array(4);
        for (let k = 0; k < 4; k++) o[k] = a4d[k] + b4d[k];
        return o[0];
      },
    },
    {
      name: 'mul by a number [1,1,2,2]',
      baseline: 'a[i] * 2.5 into a new Float32Array',
      iterations: 200_000,
      torchlet: () => a4.mul(2.5).data[0],
      plain: () => {
        const o = new Float32Array(4);
        for (let k = 0; k < 4; k++) o[k] = a4d[k] * 2.5;
        return o[0];
      },
    },
    {
      name: 'sigmoid [1,1,2,2]',
      baseline: 'the same float32 formula',
      iterations: 200_000,
      torchlet: () => torch.sigmoid(a4).data[0],
      plain: () => {
        const o = new Float32Array(4);
        for (let k = 0; k < 4; k++) o[k] = sigmoidF32(a4d[k]);
        return o[0];
      },
    },
    {
      name: 'leakyRelu [1,1,2,2]',
      baseline: 'v > 0 ? v : v * slope',
      iterations: 200_000,
      torchlet: () => F.leakyRelu(a4).data[0],
      plain: () => {
        const o = new Float32Array(4);
        const slope = f(0.01);
        for (let k = 0; k < 4; k++) {
          const v = a4d[k];
          o[k] = v > 0 ? v : v * slope;
        }
        return o[0];
      },
    },
    {
      name: 'conv2d forward 3×3 ⊛ 2×2',
      baseline: 'direct loop (bench/baseline/naive-conv.ts)',
      iterations: 200_000,
      torchlet: () => F.conv2d(x9, wPlain, bPlain).data[0],
      plain: () => {
        const o = new Float32Array(4);
        naiveConvForward(xd, wd, bd, geom, o, true);
        return o[0];
      },
    },
    {
      name: 'conv2d forward+backward (w, b grads)',
      baseline: 'direct loops, fresh gradient arrays',
      iterations: 100_000,
      torchlet: () => {
        const y = F.conv2d(x9, w, bias);
        y.backward(ones4);
        return y.data[0];
      },
      plain: () => {
        const o = new Float32Array(4);
        naiveConvForward(xd, wd, bd, geom, o, true);
        const gw = new Float64Array(4);
        const gb = new Float64Array(1);
        naiveConvBackward(xd, wd, ones4.data, geom, null, gw, gb);
        const gwf = Float32Array.from(gw);
        const gbf = Float32Array.from(gb);
        return o[0] + gwf[0] + gbf[0];
      },
    },
    {
      name: 'binaryCrossEntropy forward+backward',
      baseline: 'the same float32 formulas',
      iterations: 200_000,
      torchlet: () => {
        const l = F.binaryCrossEntropy(p, target);
        l.backward();
        return l.data[0];
      },
      plain: () => {
        const x = p.data[0];
        const t = 1;
        const loss = new Float32Array(1);
        loss[0] = f(f(f(t - 1) * Math.max(f(Math.log(f(1 - x))), -100)) - f(t * Math.max(f(Math.log(x)), -100)));
        const g = new Float32Array(1);
        g[0] = f(f(1 * f(x - t)) / Math.max(f(f(1 - x) * x), 1e-12));
        return loss[0] + g[0];
      },
    },
    {
      name: `backward through ${CHAIN} neg nodes`,
      baseline: `${CHAIN} negations forward and back, a new array each`,
      iterations: 100_000,
      torchlet: () => {
        let y: Tensor = leaf;
        for (let k = 0; k < CHAIN; k++) y = y.neg();
        y.backward();
        return y.data[0];
      },
      plain: () => {
        let v = new Float32Array(1);
        v[0] = 0.5;
        for (let k = 0; k < CHAIN; k++) {
          const o = new Float32Array(1);
          o[0] = -v[0];
          v = o;
        }
        let g = new Float32Array(1);
        g[0] = 1;
        for (let k = 0; k < CHAIN; k++) {
          const o = new Float32Array(1);
          o[0] = -g[0];
          g = o;
        }
        return v[0] + g[0];
      },
    },
    {
      name: "Adadelta zeroGrad+step, tutorial's 4 params",
      baseline: 'fill(0), then the same float32 Adadelta on 10 numbers in one loop',
      iterations: 200_000,
      torchlet: (i) => {
        adadelta.zeroGrad();
        let k = (i * 10) & 1008;
        for (let j = 0; j < 4; j++) {
          const g = optGrads[j];
          for (let e = 0; e < g.length; e++) g[e] += fakeGrad[k++];
        }
        adadelta.step();
        return optGrads[0][0];
      },
      plain: (i) => {
        g10.fill(0);
        const k = (i * 10) & 1008;
        for (let e = 0; e < 10; e++) g10[e] += fakeGrad[k + e];
        const rhoF = f(0.9);
        const keepF = f(1 - 0.9);
        const epsF = f(1e-6);
        const negLrF = f(-0.5);
        for (let e = 0; e < 10; e++) {
          const gi = g10[e];
          const s = fmaF32(f(keepF * gi), gi, f(sq10[e] * rhoF));
          sq10[e] = s;
          const delta = f(f(f(Math.sqrt(f(acc10[e] + epsF))) / f(Math.sqrt(f(s + epsF)))) * gi);
          acc10[e] = fmaF32(f(keepF * delta), delta, f(acc10[e] * rhoF));
          w10[e] = fmaF32(negLrF, delta, w10[e]);
        }
        return g10[0];
      },
    },
  ];
}

export function runMicro(repeats: number, scale = 1): MicroResult[] {
  const results: MicroResult[] = [];
  for (const c of microCases()) {
    const n = Math.max(1000, Math.round(c.iterations * scale));
    // alternate the two sides so both see the same machine state
    const t: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < repeats; r++) {
      t.push(timePerCall(c.torchlet, n, 1, r === 0 ? 2 : 0).median);
      b.push(timePerCall(c.plain, n, 1, r === 0 ? 2 : 0).median);
    }
    t.sort((x, y) => x - y);
    b.sort((x, y) => x - y);
    const tm = t[t.length >> 1];
    const bm = b[b.length >> 1];
    results.push({ name: c.name, baseline: c.baseline, torchletNs: tm, plainNs: bm, ratio: tm / bm });
  }
  return results;
}
