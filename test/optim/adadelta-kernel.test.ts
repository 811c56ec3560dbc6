// The Adadelta WebAssembly kernel (src/optim/adadelta-simd.ts) called directly, lane by lane against a model of it
// in JavaScript: every word it stores (square_avg, acc_delta, the parameter, and the flags where the gradient
// was) and its result. The model flags a lane exactly where one of its fused multiply-adds fails fmaF32's test
// (the double sum is a float32 midpoint that is not the exact sum, or NaN, or rounds to ±∞); the kernel finds
// those lanes through a cheap prefilter and redoes only the blocks it lets through, so a prefilter that missed
// a case, or a block redone wrongly, shows here as a flag or a word that differs. The values are made to reach
// every such case often: short significands (sums that land exactly on midpoints: ties), values next to 1 and
// 2^23 (midpoints that double rounding gets wrong), float32's subnormal range, sums near overflow, ±0, ±∞, NaN.
import { describe, expect, it } from 'vitest';
import { type Kernel, MODE_DECAY, MODE_MAXIMIZE, reserve, simdKernel } from '../../src/optim/adadelta-simd.js';
import { stream } from '../helpers/stream.js';

const f = Math.fround;
const MAX_F32 = 3.4028234663852886e38;

/** The float32 value the kernel's fma leaves for fmaF32(a, b, c) (the double sum rounded to float32), and whether it flags it. */
function fma(a: number, b: number, c: number): [number, boolean] {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  if (r === s) return [r, false];
  const t = r + 2 * (s - r);
  if (!(f(t) === t || Number.isNaN(t))) return [r, false]; // s is no midpoint, r finite: fmaF32's fast path
  const bv = s - p;
  const err = (p - (s - bv)) + (c - bv);
  stats.suspect++;
  if (Number.isNaN(t)) stats.nonFinite++;
  else if (err === 0) stats.ties++;
  else stats.midpoints++;
  if (s !== 0 && Math.abs(s) < 2 ** -126) stats.tiny++;
  return [r, err !== 0 || Number.isNaN(t)];
}

/** What the model met: lanes that fail fmaF32's first test, by kind; lanes compared; calls per mode. */
const stats = { suspect: 0, ties: 0, midpoints: 0, nonFinite: 0, tiny: 0, lanes: 0, calls: [0, 0, 0, 0] };

interface Scalars { rho: number; keep: number; eps: number; negLr: number; wd: number; mode: number }

/** One lane as adadeltaGroup computes it (fmaF32's fast path): square_avg, acc_delta, the parameter, flagged. */
function lane(k: Scalars, g: number, w: number, sq: number, acc: number): [number, number, number, boolean] {
  let bad = false;
  let gi = k.mode & MODE_MAXIMIZE ? -g : g;
  if (k.mode & MODE_DECAY) {
    const [x, flag] = fma(k.wd, w, gi);
    gi = x;
    bad ||= flag;
  }
  const [s, flagS] = fma(f(k.keep * gi), gi, f(sq * k.rho));
  const delta = f(f(f(Math.sqrt(f(acc + k.eps))) / f(Math.sqrt(f(s + k.eps)))) * gi);
  const [a, flagA] = fma(f(k.keep * delta), delta, f(acc * k.rho));
  const [x, flagW] = fma(k.negLr, delta, w);
  return [s, a, x, bad || flagS || flagA || flagW];
}

/** Equal as the kernel must store them: the same float32 bits, but any NaN for NaN (only flagged lanes hold one). */
const same = (x: number, y: number) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));

describe('the Adadelta kernel, lane by lane, against its model', () => {
  const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];

  /**
   * A float32 value of one of the kinds described at the top, with probability `wild` a subnormal, huge or special
   * one (NaN spreads through a lane's fmas, and sends its block to the kernel's exact path: calls with few or none
   * keep most blocks on the fast path); `positive` for state (square_avg, acc_delta).
   */
  function value(next: () => number, wild: number, positive: boolean): number {
    const sign = positive || next() < 0.5 ? 1 : -1;
    let x: number;
    if (next() < wild) {
      const kind = next();
      if (kind < 0.4) x = Math.floor(next() * 256) * 2 ** -(140 + Math.floor(next() * 10)); // float32 subnormals
      else if (kind < 0.55) x = next() * 2 ** -(120 + Math.floor(next() * 30));
      else if (kind < 0.8) x = (1 + next()) * 2 ** (100 + Math.floor(next() * 28)); // near overflow
      else x = pick(next, [0, -0, Infinity, -Infinity, NaN, MAX_F32, 2 ** -149]);
    } else {
      const kind = next();
      if (kind < 0.35) x = Math.floor(next() * 256) * 2 ** Math.floor(next() * 20 - 10); // short: exact sums, ties
      else if (kind < 0.6) x = pick(next, [1, 2 ** 23, 0.5, 2 ** -24]) * (1 + Math.floor(next() * 7 - 3) * 2 ** -23);
      else x = next() * pick(next, [1, 1e-3, 1e-6, 10]);
    }
    return f(sign * x);
  }

  /** Random planes of n elements (plus the last block's leftovers), stepped once; everything compared. */
  function check(kernel: Kernel, next: () => number, n: number): void {
    const rho = f(pick(next, [0.9, 0.5, 0, 1, 0.99, 0.123, 0.75]));
    const k: Scalars = {
      rho,
      keep: f(1 - rho),
      eps: f(pick(next, [1e-6, 0, 0, 1e-40, 1, 2 ** -20])),
      negLr: f(-pick(next, [0.5, 1, 2 ** -24 * (1 + 2 ** -23), 2 ** -10, 1e30, 3 * 2 ** -30, 0, 0.1, 2 ** -23])),
      wd: f(pick(next, [0.5 * (1 + 2 ** -23), 0.01, 2, 1e-50, 2 ** -3, 0])),
      mode: Math.floor(next() * 4),
    };
    const wild = pick(next, [0, 0.02, 0.3]);
    const plane = (n + 3) & ~3;
    expect(reserve(kernel, 4 * plane)).toBe(true);
    const m = kernel.floats;
    for (let i = 0; i < plane; i++) {
      m[i] = value(next, wild, false);
      m[plane + i] = value(next, wild, false);
      m[2 * plane + i] = value(next, wild, true);
      // now and then acc_delta = the new square_avg, so that delta = grad (rho = 1, eps = 0: the fmas' operands
      // are then the values above, and reach their midpoints)
      m[3 * plane + i] = next() < 0.3 ? m[2 * plane + i] : value(next, wild, true);
    }
    const before = Float32Array.from(m.subarray(0, 4 * plane));
    const flagged = kernel.step(n, 4 * plane, k.rho, k.keep, k.eps, k.negLr, k.wd, k.mode);
    const m2 = kernel.floats;
    const flags = kernel.flags;
    let any = false;
    for (let i = 0; i < plane; i++) {
      const [s, a, w, bad] = lane(k, before[plane + i], before[i], before[2 * plane + i], before[3 * plane + i]);
      const where = `n = ${n}, lane ${i}, ${JSON.stringify(k)}, inputs ${[0, 1, 2, 3].map((j) => before[j * plane + i])}`;
      if (!same(m2[2 * plane + i], s)) expect(m2[2 * plane + i], `square_avg, ${where}`).toBe(s);
      if (!same(m2[3 * plane + i], a)) expect(m2[3 * plane + i], `acc_delta, ${where}`).toBe(a);
      if (!same(m2[i], w)) expect(m2[i], `param, ${where}`).toBe(w);
      const flag = i < n && bad ? -1 : 0;
      if (flags[plane + i] !== flag) expect(flags[plane + i], `flag, ${where}`).toBe(flag);
      any ||= flag !== 0;
      if (i < n) stats.lanes++;
    }
    expect(flagged, `result, n = ${n}`).toBe(any ? 1 : 0);
    stats.calls[k.mode]++;
  }

  it('a midpoint in float32\'s subnormal range that double rounding gets wrong is flagged', () => {
    // a·b = 2^-150 + 2^-180 ((2^30 + 1) = 80581 · 13325, scaled), c = ±2^-127: the exact sum is 2^-127 + 2^-150 +
    // 2^-180, whose double is the float32 midpoint 2^-127 + 2^-150 (2^-180 is half its ulp, the tie going to even).
    // There, float32's spacing is 2^-149 whatever the exponent, so the midpoint has no telltale low bits.
    const kernel = simdKernel();
    if (kernel === null) return;
    const a = 80581 * 2 ** -90;
    const b = 13325 * 2 ** -90;
    const c = 2 ** -127;
    const cases: Array<[string, Scalars, number[]]> = [
      // grad.add(param, alpha=weight_decay): wd·w + g
      ['weight decay', { rho: 0.5, keep: 0.5, eps: 1e-6, negLr: -0.5, wd: a, mode: MODE_DECAY }, [0.25, b, c, 0.5, 0.5]],
      ['weight decay, maximize', { rho: 0.5, keep: 0.5, eps: 1e-6, negLr: -0.5, wd: a, mode: 3 }, [0.25, b, -c, 0.5, 0.5]],
      // param.add_(delta, alpha=-lr) with delta = grad (rho = 1, eps = 0, acc_delta = square_avg)
      ['param.add_', { rho: 1, keep: 0, eps: 0, negLr: -a, wd: 0, mode: 0 }, [0.25, -c, b, 1, 1]],
    ];
    for (const [label, k, [w0, w, g, sq, acc]] of cases) {
      const m = kernel.floats;
      // element 1 of a block of four, between ordinary ones
      m.set([w0, w, -w0, 0.5, 0.1, g, 0.2, -0.1, sq, sq, sq, sq, acc, acc, acc, acc]);
      expect(lane(k, g, w, sq, acc)[3], label).toBe(true); // the model flags it
      const flagged = kernel.step(4, 16, f(k.rho), f(k.keep), f(k.eps), f(k.negLr), f(k.wd), k.mode);
      expect([flagged, ...kernel.flags.subarray(4, 8)], label).toEqual([1, 0, -1, 0, 0]);
    }
  });

  it('every stored word, flag and result, in every mode, for random values of every kind', () => {
    const kernel = simdKernel();
    if (kernel === null) return; // no WebAssembly SIMD here: nothing to compare
    const next = stream(20261129);
    for (let call = 0; call < 6000; call++) check(kernel, next, 1 + Math.floor(next() * 13));
    // every kind of lane the prefilter must let through came up, many times
    expect(stats.ties).toBeGreaterThan(300);
    expect(stats.midpoints).toBeGreaterThan(100);
    expect(stats.nonFinite).toBeGreaterThan(300);
    expect(stats.tiny).toBeGreaterThan(10);
    expect(Math.min(...stats.calls)).toBeGreaterThan(500);
  });
});
