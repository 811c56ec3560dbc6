/**
 * Benchmark 3: a batched Conv2d, forward and backward (input, weight and bias gradients), on a realistic shape,
 * in GFLOP/s, against the direct loop of bench/baseline/naive-conv.ts in the same run. The naive loop adds in
 * one fixed order; torchlet adds in PyTorch's order for the backend the call would take (oneDNN's channel
 * blocks for batched float32), so the two agree to rounding: the largest difference, relative to the largest
 * value, is printed beside the speed.
 */
import * as torch from '../src/index.js';
import type { DType } from '../src/index.js';
import { type ConvGeometry, macs, naiveConvBackward, naiveConvForward, outputSize } from './baseline/naive-conv.js';
import { median } from './harness.js';

export interface ConvResult {
  shape: string;
  dtype: DType;
  torchletMs: number;
  naiveMs: number;
  torchletGflops: number;
  naiveGflops: number;
  ratio: number;
  /** max |torchlet − naive| / max |naive| over the output and the three gradients. */
  maxRelDiff: number;
}

export const BENCH_GEOMETRY: ConvGeometry = { N: 64, C: 8, H: 28, W: 28, CO: 16, KH: 3, KW: 3, sh: 1, sw: 1, ph: 1, pw: 1 };

function describe(g: ConvGeometry): string {
  return `N=${g.N}, ${g.C}→${g.CO} ch, ${g.H}×${g.W}, k=${g.KH}, pad ${g.ph}`;
}

function round(acc: Float64Array, dtype: DType): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(acc) : acc;
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export function runConv(dtype: DType, repeats: number, g: ConvGeometry = BENCH_GEOMETRY): ConvResult {
  const { OH, OW } = outputSize(g);
  const gen = new torch.Generator(1);
  const x = torch.rand([g.N, g.C, g.H, g.W], { dtype, generator: gen }).sub(0.5).requiresGrad_();
  const w = torch.rand([g.CO, g.C, g.KH, g.KW], { dtype, generator: gen }).sub(0.5).mul(0.3).requiresGrad_();
  const b = torch.rand([g.CO], { dtype, generator: gen }).requiresGrad_();
  const go = torch.rand([g.N, g.CO, OH, OW], { dtype, generator: gen }).sub(0.5);
  const f32 = dtype === 'float32';

  interface Out { y: ArrayLike<number>; gx: ArrayLike<number>; gw: ArrayLike<number>; gb: ArrayLike<number> }
  const results: { torchlet: Out | null; naive: Out | null } = { torchlet: null, naive: null };
  const torchletOnce = () => {
    x.grad = null;
    w.grad = null;
    b.grad = null;
    const t0 = performance.now();
    const y = torch.nn.functional.conv2d(x, w, b, { stride: [g.sh, g.sw], padding: [g.ph, g.pw] });
    y.backward(go);
    const ms = performance.now() - t0;
    results.torchlet = { y: y.data, gx: x.grad!.data, gw: w.grad!.data, gb: b.grad!.data };
    return ms;
  };
  const naiveOnce = () => {
    const t0 = performance.now();
    const y = f32 ? new Float32Array(g.N * g.CO * OH * OW) : new Float64Array(g.N * g.CO * OH * OW);
    naiveConvForward(x.data, w.data, b.data, g, y, f32);
    const gx = new Float64Array(x.data.length);
    const gw = new Float64Array(w.data.length);
    const gb = new Float64Array(b.data.length);
    naiveConvBackward(x.data, w.data, go.data, g, gx, gw, gb);
    const out = { y, gx: round(gx, dtype), gw: round(gw, dtype), gb: round(gb, dtype) };
    const ms = performance.now() - t0;
    results.naive = out;
    return ms;
  };

  // two warm-up rounds for both: the first compiles, the second lets the optimising tiers (JavaScript's and
  // WebAssembly's, compiled on background threads that a busy 2-core machine starves) take over; a timed
  // repeat still in the first or second tier measures the compiler, not the loops
  for (let r = 0; r < 2; r++) {
    torchletOnce();
    naiveOnce();
  }
  const tt: number[] = [];
  const nt: number[] = [];
  for (let r = 0; r < repeats; r++) {
    tt.push(torchletOnce());
    nt.push(naiveOnce());
  }
  const a = results.torchlet as unknown as Out;
  const n = results.naive as unknown as Out;
  const maxRelDiff = Math.max(relDiff(a.y, n.y), relDiff(a.gx, n.gx), relDiff(a.gw, n.gw), relDiff(a.gb, n.gb));
  const flops = 3 * 2 * macs(g); // forward, input gradient, weight gradient
  const tm = median(tt);
  const nm = median(nt);
  return {
    shape: describe(g), dtype, torchletMs: tm, naiveMs: nm,
    torchletGflops: flops / (tm * 1e6), naiveGflops: flops / (nm * 1e6), ratio: nm / tm, maxRelDiff,
  };
}
