/**
 * Timing helpers for `npm run bench`. Every benchmark is timed against a baseline in the same process run and
 * reported as a ratio, because absolute times on a shared machine move by tens of percent from run to run.
 */

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A value the optimiser cannot prove unused: benchmarks add their results into it. */
export const sink = { value: 0 };

export interface Timing {
  /** Median over the repeats, in the unit the caller divides by (per call of `fn`, in ns, for `timePerCall`). */
  median: number;
  samples: number[];
}

/**
 * Times `fn` (called `iterations` times per sample): `warmup` untimed samples, then `repeats` timed ones.
 * Returns nanoseconds per call.
 */
export function timePerCall(fn: (i: number) => number, iterations: number, repeats: number, warmup = 2): Timing {
  const samples: number[] = [];
  let acc = 0;
  for (let r = 0; r < warmup + repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) acc += fn(i);
    const t1 = performance.now();
    if (r >= warmup) samples.push(((t1 - t0) * 1e6) / iterations);
  }
  sink.value += acc;
  return { median: median(samples), samples };
}

/**
 * Times two functions in alternation (a, b, a, b, …) so that both see the same machine state; `warmup` rounds
 * of each are discarded. Each function returns the number of units it did (steps, calls); the result is
 * nanoseconds per unit.
 */
export function timePair(a: () => number, b: () => number, repeats: number, warmup = 1): [Timing, Timing] {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let r = 0; r < warmup + repeats; r++) {
    let t0 = performance.now();
    const na = a();
    let t1 = performance.now();
    if (r >= warmup) sa.push(((t1 - t0) * 1e6) / na);
    t0 = performance.now();
    const nb = b();
    t1 = performance.now();
    if (r >= warmup) sb.push(((t1 - t0) * 1e6) / nb);
  }
  return [{ median: median(sa), samples: sa }, { median: median(sb), samples: sb }];
}

/** A row of a results table. */
export type Row = Record<string, string | number>;

/** Formats rows as a GitHub-flavoured Markdown table (columns in the first row's key order). */
export function markdownTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) => (v === undefined ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** `x` with `digits` significant digits, as a string. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - mag);
  return x.toFixed(Math.min(decimals, 6));
}
