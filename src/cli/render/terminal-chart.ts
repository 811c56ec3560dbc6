import asciichart from 'asciichart';
import type { LossPoint } from '../../charts/specs.js';

function resample(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(values[Math.round((i * (values.length - 1)) / (width - 1))]);
  return out;
}

/**
 * The loss curves as a terminal chart: loss_true (blue) and loss_false (red), on log10 of the loss so the
 * long tail near zero stays visible.
 */
export function terminalLossChart(points: ReadonlyArray<LossPoint>, opts: { height?: number; width?: number; color?: boolean } = {}): string {
  if (points.length === 0) return '(no loss points recorded)';
  const width = opts.width ?? 60;
  const toLog = (v: number) => (Number.isFinite(v) && v > 0 ? Math.max(Math.log10(v), -12) : v === 0 ? -12 : NaN);
  let t = resample(points.map((p) => toLog(p.lossTrue)), width);
  let f = resample(points.map((p) => toLog(p.lossFalse)), width);
  if (t.length === 1) {
    t = [t[0], t[0]];
    f = [f[0], f[0]];
  }
  const color = opts.color ?? false;
  const chart = asciichart.plot([t, f], {
    height: opts.height ?? 12,
    colors: color ? [asciichart.blue, asciichart.red] : undefined,
    format: (x: number) => `1e${x.toFixed(1).padStart(5)}`,
  });
  const first = points[0].epoch;
  const last = points[points.length - 1].epoch;
  const legend = color
    ? `${asciichart.blue}━ loss_true${asciichart.reset}  ${asciichart.red}━ loss_false${asciichart.reset}`
    : 'first line: loss_true, second: loss_false';
  return `BCE loss (log scale), epochs ${first} … ${last}   ${legend}\n${chart}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of values (non-finite values as spaces). */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return ' '.repeat(values.length);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values.map((v) => {
    if (!Number.isFinite(v)) return ' ';
    const k = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
    return BARS[k];
  }).join('');
}
