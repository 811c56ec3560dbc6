// conv2d's float32 summation order against PyTorch 1.13 (oneDNN backend: batch > 1) beyond ops.json: more than
// 16 in- and out-channels (two channel blocks), the im2col + blocked-matmul path (≥ 2^16 multiply-adds) and the
// direct path. Inputs are a fixed integer recipe, v_i = f32(((i·7919 + seed) mod 1009) / 1009 · 4 − 2), fed
// to PyTorch (torch.set_num_threads(1)) by the same formula; we keep, per tensor, the float64 sum of all its
// elements in row-major order (any one-ulp difference anywhere changes it) and four sampled elements.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

function gen(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919 + seed) % 1009) / 1009) * 4 - 2;
  return out;
}

interface Summary { sum: number; samples: Array<[number, number]> }
interface Case {
  N: number; C: number; H: number; W: number; CO: number; K: number; stride: number; padding: number;
  y: Summary; gx: Summary; gw: Summary; gb: Summary;
}

const s = (sum: number, samples: Array<[number, number]>): Summary => ({ sum, samples });
const CASES: Case[] = [
  {
    N: 3, C: 20, H: 7, W: 7, CO: 18, K: 3, stride: 1, padding: 1,
    y: s(-106.61100172996521, [[0, 4.991786956787109], [882, -11.198335647583008], [1323, 9.966920852661133], [2645, 5.505975723266602]]),
    gx: s(138.30645021796227, [[0, 16.95810890197754], [980, -14.355668067932129], [1470, 14.165190696716309], [2939, -17.975303649902344]]),
    gw: s(-553.0043807029724, [[0, -37.44969177246094], [1080, 54.031497955322266], [1620, 1.417297124862671], [3239, 62.980472564697266]]),
    gb: s(-4.646187782287598, [[0, -4.029731273651123], [6, 2.475717306137085], [9, -4.271556377410889], [17, 4.402377128601074]]),
  },
  {
    N: 2, C: 20, H: 4, W: 4, CO: 18, K: 2, stride: 1, padding: 0,
    y: s(-36.16105383634567, [[0, 19.00090980529785], [108, -22.222274780273438], [162, -17.649879455566406], [323, 2.392308235168457]]),
    gx: s(-19.917942985892296, [[0, -0.06782186031341553], [213, -5.2036333084106445], [320, -7.382760047912598], [639, 2.3506975173950195]]),
    gw: s(-77.68758241762407, [[0, 12.96574878692627], [480, 5.400245666503906], [720, 6.7512898445129395], [1439, 7.272600173950195]]),
    gb: s(-4.733400046825409, [[0, 0.27750253677368164], [6, -1.2804758548736572], [9, -0.05946505069732666], [17, -2.1367692947387695]]),
  },
  {
    N: 64, C: 8, H: 12, W: 12, CO: 16, K: 3, stride: 1, padding: 0,
    y: s(-3726.3048750068992, [[0, 0.005281329154968262], [34133, -4.522459506988525], [51200, -3.960209369659424], [102399, 5.322329998016357]]),
    gx: s(-31.613055394140247, [[0, -7.5474700927734375], [24576, -12.648801803588867], [36864, -0.08355359733104706], [73727, 1.777626872062683]]),
    gw: s(893.4832919165492, [[0, -19.97012710571289], [384, -1.015365719795227], [576, 33.16522216796875], [1151, 47.492591857910156]]),
    gb: s(-204.0787353515625, [[0, -17.581714630126953], [5, -13.197212219238281], [8, -12.166448593139648], [15, -12.428094863891602]]),
  },
  {
    N: 2, C: 3, H: 9, W: 9, CO: 4, K: 3, stride: 2, padding: 1,
    y: s(140.68243451416492, [[0, -3.943385601043701], [66, -14.331846237182617], [100, 6.543559551239014], [199, 15.898036003112793]]),
    gx: s(-4.74067588429898, [[0, 1.2934608459472656], [162, -1.8642916679382324], [243, 2.1928863525390625], [485, -1.5515464544296265]]),
    gw: s(-8.188238684087992, [[0, -1.0867260694503784], [36, 1.9560716152191162], [54, -3.1465468406677246], [107, 5.8247389793396]]),
    gb: s(1.0029724836349487, [[0, 0.5153621435165405], [1, -1.66105055809021], [2, 4.162537097930908], [3, -2.01387619972229]]),
  },
];

function leaf(data: Float32Array, shape: number[]): Tensor {
  return torch.fromStorage(data, shape).requiresGrad_(true);
}

describe('conv2d float32 order = PyTorch 1.13 oneDNN, bit for bit', () => {
  for (const c of CASES) {
    const macs = c.N * c.CO * c.C * c.K * c.K * Math.floor((c.H + 2 * c.padding - c.K) / c.stride + 1) ** 2;
    it(`N=${c.N} C=${c.C}→${c.CO} ${c.H}×${c.W} k${c.K} stride ${c.stride} padding ${c.padding} (${macs >= 65536 ? 'im2col' : 'direct'} path)`, () => {
      const x = leaf(gen(c.N * c.C * c.H * c.W, 1), [c.N, c.C, c.H, c.W]);
      const w = leaf(gen(c.CO * c.C * c.K * c.K, 2), [c.CO, c.C, c.K, c.K]);
      const b = leaf(gen(c.CO, 3), [c.CO]);
      const y = torch.conv2d(x, w, b, { stride: c.stride, padding: c.padding });
      y.backward(torch.fromStorage(gen(y.numel(), 4), [...y.shape]));
      const check = (t: Tensor, want: Summary, what: string) => {
        const v = t.toArray();
        let sum = 0;
        for (const e of v) sum += e;
        for (const [i, e] of want.samples) expect(v[i], `${what}[${i}]`).toBe(e);
        expect(sum, `${what}: sum of all elements`).toBe(want.sum);
      };
      check(y, c.y, 'output');
      check(x.grad!, c.gx, 'input gradient');
      check(w.grad!, c.gw, 'weight gradient');
      check(b.grad!, c.gb, 'bias gradient');
    });
  }
});
