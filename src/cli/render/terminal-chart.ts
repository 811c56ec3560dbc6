import asciichart from 'asciichart';
import { LOG_FLOOR, type LossPoint } from '../../charts/specs.js';

export interface TerminalChartOptions {
  /** Rows of the plot itself (the legend line above and the epoch line below come on top). Default 12, at least 2. */
  height?: number;
  /** At most this many columns of plot: longer curves are resampled. Default 60, at least 2. */
  width?: number;
  /** ANSI colours: loss_true blue, loss_false red. Default false. */
  color?: boolean;
}

// asciichart's symbols, in its order: axis at zero, axis, (2 unused), horizontal, then the corners and vertical.
type Symbols = NonNullable<asciichart.PlotConfig['symbols']>;
const LIGHT: Symbols = ['┼', '┤', '╶', '╴', '─', '╰', '╭', '╮', '╯', '│'];
const HEAVY: Symbols = ['╋', '┫', '╺', '╸', '━', '┗', '┏', '┓', '┛', '┃'];
const LABEL_WIDTH = 8;

/** `width` samples picked evenly from `values` (first and last kept) when there are more; `values` otherwise. */
export function resample<T>(values: readonly T[], width: number): T[] {
  if (values.length <= width) return [...values];
  const out: T[] = [];
  for (let i = 0; i < width; i++) out.push(values[Math.round((i * (values.length - 1)) / (width - 1))]);
  return out;
}

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer of at least ${min}, got ${v}`);
  return v;
}

interface Cell {
  ch: string;
  /** 0: loss_true, 1: loss_false, -1: axis or blank. */
  series: number;
}

/**
 * Draws one series (already in row units, 0 = bottom row, NaN = no value) into `grid`, one asciichart call per
 * run of consecutive values, since asciichart itself cannot skip a missing value. Column c of the plot area
 * joins value c to value c + 1; column -1 is the axis, where a run that starts at the first value is marked.
 */
function drawSeries(grid: Cell[][], axis: Cell[], rows: readonly number[], symbols: Symbols, series: number): void {
  const height = grid.length;
  let i = 0;
  while (i < rows.length) {
    if (Number.isNaN(rows[i])) {
      i++;
      continue;
    }
    const start = i;
    while (i < rows.length && !Number.isNaN(rows[i])) i++;
    const run = rows.slice(start, i);
    // Labels one character wide at offset 2 put the axis in character 1 and the plot from character 2 on.
    const text = asciichart.plot(run, { min: 0, max: height - 1, height: height - 1, offset: 2, symbols, format: () => ' ' });
    const lines = text.split('\n');
    for (let r = 0; r < height; r++) {
      const chars = Array.from(lines[r] ?? '');
      for (let x = 0; x < run.length - 1; x++) {
        const ch = chars[2 + x] ?? ' ';
        if (ch !== ' ') grid[r][start + x] = { ch, series };
      }
    }
    // Where the run begins: on the axis for the first value, else in the empty column before it.
    const r0 = height - 1 - Math.round(run[0]);
    const mark = { ch: symbols[0], series };
    if (start === 0) axis[r0] = mark;
    else if (grid[r0][start - 1].series === -1) grid[r0][start - 1] = mark;
  }
}

function formatLoss(v: number): string {
  return v.toExponential(1).padStart(LABEL_WIDTH);
}

/**
 * The two loss curves as a terminal chart: loss_true drawn with light lines (blue when coloured), loss_false
 * with heavy lines (red), so they can be told apart without colour too, on a log10 axis of the loss so the long
 * tail near zero stays visible. Losses below 1e-12 (BCE can reach 0) are drawn at 1e-12 and the header says so;
 * NaN and ±Infinity leave a gap and are counted in the header. Output: a legend line, `height` rows of plot
 * with y labels, and a line with the first and last epoch.
 */
export function terminalLossChart(points: ReadonlyArray<LossPoint>, opts: TerminalChartOptions = {}): string {
  const height = checkInt('height', opts.height ?? 12, 2);
  const width = checkInt('width', opts.width ?? 60, 2);
  const color = opts.color ?? false;
  const paint = (text: string, series: number) => (!color || series < 0 ? text : `${series === 0 ? asciichart.blue : asciichart.red}${text}${asciichart.reset}`);
  const legend = `${paint('─', 0)} loss_true  ${paint('━', 1)} loss_false`;
  if (points.length === 0) return `BCE loss: no points recorded   ${legend}`;

  let clamped = false;
  let missing = 0;
  const toLog = (v: number): number => {
    if (!Number.isFinite(v)) {
      missing++;
      return NaN;
    }
    if (v < LOG_FLOOR) clamped = true;
    return Math.log10(Math.max(v, LOG_FLOOR));
  };
  const shown = resample(points, width);
  const logs = [shown.map((p) => toLog(p.lossTrue)), shown.map((p) => toLog(p.lossFalse))];
  const finite = logs.flat().filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : -1;
  let hi = finite.length ? Math.max(...finite) : 0;
  if (hi - lo < 1e-9) {
    // A flat curve: half a decade either side so it sits in the middle.
    lo -= 0.5;
    hi += 0.5;
  }
  const toRow = (v: number) => (Number.isNaN(v) ? NaN : ((v - lo) / (hi - lo)) * (height - 1));

  const blank = (): Cell => ({ ch: ' ', series: -1 });
  const grid: Cell[][] = Array.from({ length: height }, () => Array.from({ length: shown.length }, blank));
  const axis: Cell[] = Array.from({ length: height }, () => ({ ch: LIGHT[1], series: -1 }));
  drawSeries(grid, axis, logs[0].map(toRow), LIGHT, 0);
  drawSeries(grid, axis, logs[1].map(toRow), HEAVY, 1); // drawn second, so on top where they cross

  const notes = [
    clamped ? `values below ${LOG_FLOOR} drawn at ${LOG_FLOOR}` : '',
    missing ? `${missing} non-finite value${missing === 1 ? '' : 's'} not drawn` : '',
    shown.length < points.length ? `${points.length} points resampled to ${shown.length}` : '',
  ].filter((s) => s !== '');
  const header = `BCE loss (log scale)${notes.length ? ` (${notes.join('; ')})` : ''}   ${legend}`;

  const lines = grid.map((row, r) => {
    const label = formatLoss(10 ** (hi - (r * (hi - lo)) / (height - 1)));
    let body = '';
    let run = '';
    let runSeries = -1;
    for (const cell of row) {
      if (cell.series !== runSeries) {
        body += paint(run, runSeries);
        run = '';
        runSeries = cell.series;
      }
      run += cell.ch;
    }
    body += paint(run, runSeries);
    return `${label} ${paint(axis[r].ch, axis[r].series)}${body}`.trimEnd();
  });
  const first = String(points[0].epoch);
  const last = String(points[points.length - 1].epoch);
  const span = Math.max(shown.length, first.length + last.length + 1);
  const footer = `${'epoch'.padStart(LABEL_WIDTH)} ${first}${last.padStart(span - first.length)}`;
  return [header, ...lines, points.length > 1 ? footer : `${'epoch'.padStart(LABEL_WIDTH)} ${first}`].join('\n');
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline, one character per value, lowest ▁ to highest █; non-finite values as spaces. */
export function sparkline(values: readonly number[]): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return values.map((v) => {
    if (!Number.isFinite(v)) return ' ';
    const k = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
    return BARS[k];
  }).join('');
}
