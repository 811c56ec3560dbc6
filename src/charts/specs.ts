import type { TopLevelSpec } from 'vega-lite';

// Vega-Lite specs shared by the CLI (rendered headless to SVG/PNG) and the playground (rendered in the page).
// Pure data: no runtime import of vega here, so the page bundles none of the CLI's renderers.

export interface LossPoint {
  epoch: number;
  lossTrue: number;
  lossFalse: number;
}

/** Name (as shown in the legend) and colour of one of the two curves. */
export interface SeriesStyle {
  name: string;
  color: string;
}

export interface ChartOptions {
  title?: string;
  /** Width of the plotting area in pixels (axes, legend and title come on top, as Vega-Lite's autosize 'pad'). */
  width?: number;
  /** Height of the plotting area in pixels. */
  height?: number;
  logScale?: boolean;
  /** On a log scale, losses below this (including 0) are drawn at it, and the y axis title says so. */
  logFloor?: number;
}

export interface LossChartOptions extends ChartOptions {
  /** The loss_true and loss_false curves' legend names and colours, in that order. */
  series?: ReadonlyArray<SeriesStyle>;
}

export interface LossRun {
  label: string;
  points: ReadonlyArray<LossPoint>;
}

export interface LineSeries {
  label: string;
  values: ReadonlyArray<{ x: number; y: number }>;
}

export interface LineOptions extends ChartOptions {
  xTitle: string;
  yTitle: string;
  /** Draw a dot on each value as well as the line (useful when there are few values). */
  points?: boolean;
}

export interface HeatmapCell {
  row: string;
  col: string;
  value: number;
}

export interface HeatmapOptions {
  rowTitle: string;
  colTitle: string;
  valueTitle: string;
  title?: string;
  /** Colour scale domain; also sets where the cell text turns white. Default: the data's extent. */
  domain?: [number, number];
  /** d3-format of the number written in each cell. Default '.2f'. */
  valueFormat?: string;
  width?: number;
  height?: number;
}

/** Smallest loss drawn on a log axis by default: BCE can reach 0 (or 1e-30), which a log scale cannot place. */
export const LOG_FLOOR = 1e-12;

/** matplotlib's tab:blue and tab:red (its default colour cycle), for loss_true and loss_false. */
export const LOSS_TRUE_COLOR = '#1f77b4';
export const LOSS_FALSE_COLOR = '#d62728';

export const DEFAULT_SERIES: ReadonlyArray<SeriesStyle> = [
  { name: 'loss_true', color: LOSS_TRUE_COLOR },
  { name: 'loss_false', color: LOSS_FALSE_COLOR },
];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
/** matplotlib's default size is 6.4 × 4.8 inches at 100 dpi; this is its plotting area, roughly. */
const DEFAULT_WIDTH = 560;
const DEFAULT_HEIGHT = 360;

function checkSize(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number of pixels, got ${v}`);
  return v;
}

function checkFloor(floor: number | undefined): number {
  const f = floor ?? LOG_FLOOR;
  if (!Number.isFinite(f) || f <= 0) throw new RangeError(`logFloor must be a positive finite number, got ${f}`);
  return f;
}

function checkSeries(series: ReadonlyArray<SeriesStyle> | undefined): [SeriesStyle, SeriesStyle] {
  const s = series ?? DEFAULT_SERIES;
  if (s.length !== 2) throw new RangeError(`series must name the 2 curves (loss_true, loss_false), got ${s.length}`);
  if (s[0].name === s[1].name) throw new RangeError(`the two series need different names, both are '${s[0].name}'`);
  return [s[0], s[1]];
}

/** How a value is placed on the y axis: null when it cannot be drawn (NaN, ±Infinity). */
function placed(v: number, logScale: boolean, floor: number): { y: number; clamped: boolean } | null {
  if (!Number.isFinite(v)) return null;
  if (logScale && v < floor) return { y: floor, clamped: true };
  return { y: v, clamped: false };
}

/** The y axis title; on a log scale with clamped values, a second line says where they were drawn. */
function yTitle(base: string, logScale: boolean, floor: number, clamped: boolean): string | string[] {
  if (!logScale) return base;
  return clamped ? [`${base} (log scale)`, `values below ${floor} drawn at ${floor}`] : `${base} (log scale)`;
}

/** Title plus, when some values could not be drawn, a subtitle saying how many. */
function titleOf(text: string, dropped: number): string | { text: string; subtitle: string } {
  if (dropped === 0) return text;
  return { text, subtitle: `${dropped} non-finite value${dropped === 1 ? '' : 's'} (NaN or Infinity) not drawn` };
}

interface LossRow {
  epoch: number;
  series: string;
  run?: string;
  /** The loss as recorded (shown in the tooltip). */
  loss: number;
  /** Where it is drawn (the loss, or the floor on a log scale). */
  y: number;
}

function lossRows(points: ReadonlyArray<LossPoint>, names: [string, string], logScale: boolean, floor: number, run?: string) {
  const rows: LossRow[] = [];
  let dropped = 0;
  let clamped = false;
  for (const p of points) {
    const pairs: Array<[string, number]> = [[names[0], p.lossTrue], [names[1], p.lossFalse]];
    for (const [series, loss] of pairs) {
      const at = Number.isFinite(p.epoch) ? placed(loss, logScale, floor) : null;
      if (at === null) {
        dropped++;
        continue;
      }
      clamped ||= at.clamped;
      rows.push(run === undefined ? { epoch: p.epoch, series, loss, y: at.y } : { epoch: p.epoch, series, run, loss, y: at.y });
    }
  }
  return { rows, dropped, clamped };
}

/**
 * The tutorial's figure: loss_true (blue) and loss_false (red) as scatter points against the epoch,
 * with a legend. On a log scale, losses below `logFloor` (BCE reaches 0) are drawn at the floor and the
 * axis title says so; NaN and ±Infinity are left out and a subtitle counts them.
 * @example lossCurveSpec([{ epoch: 0, lossTrue: 0.69, lossFalse: 0.71 }], { logScale: true })
 */
export function lossCurveSpec(points: ReadonlyArray<LossPoint>, opts: LossChartOptions = {}): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const floor = checkFloor(opts.logFloor);
  const [t, f] = checkSeries(opts.series);
  const { rows, dropped, clamped } = lossRows(points, [t.name, f.name], logScale, floor);
  return {
    $schema: SCHEMA,
    title: titleOf(opts.title ?? `${t.name} and ${f.name}`, dropped),
    width: checkSize('width', opts.width, DEFAULT_WIDTH),
    height: checkSize('height', opts.height, DEFAULT_HEIGHT),
    background: 'white',
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 36, opacity: 1 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'y', type: 'quantitative', title: yTitle('BCE loss', logScale, floor, clamped), ...(logScale ? { scale: { type: 'log' } } : {}) },
      color: {
        field: 'series', type: 'nominal', title: null,
        scale: { domain: [t.name, f.name], range: [t.color, f.color] },
        legend: { orient: 'top-right', symbolType: 'circle' },
      },
      tooltip: [{ field: 'epoch', type: 'quantitative' }, { field: 'series', type: 'nominal' }, { field: 'loss', type: 'quantitative', format: '.6g' }],
    },
  };
}

/**
 * Several runs in one figure (e.g. with and without zero_grad): colour by curve (loss_true blue,
 * loss_false red), shape by run. Same log-scale and non-finite handling as lossCurveSpec.
 */
export function compareCurvesSpec(runs: ReadonlyArray<LossRun>, opts: LossChartOptions = {}): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const floor = checkFloor(opts.logFloor);
  const [t, f] = checkSeries(opts.series);
  const labels = runs.map((r) => r.label);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) throw new RangeError(`each run needs its own label, '${twice}' is used twice`);
  const rows: LossRow[] = [];
  let dropped = 0;
  let clamped = false;
  for (const run of runs) {
    const r = lossRows(run.points, [t.name, f.name], logScale, floor, run.label);
    rows.push(...r.rows);
    dropped += r.dropped;
    clamped ||= r.clamped;
  }
  return {
    $schema: SCHEMA,
    title: titleOf(opts.title ?? `${t.name} and ${f.name} by run`, dropped),
    width: checkSize('width', opts.width, DEFAULT_WIDTH),
    height: checkSize('height', opts.height, DEFAULT_HEIGHT),
    background: 'white',
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 36, opacity: 0.85 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'y', type: 'quantitative', title: yTitle('BCE loss', logScale, floor, clamped), ...(logScale ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: 'curve', scale: { domain: [t.name, f.name], range: [t.color, f.color] } },
      shape: { field: 'run', type: 'nominal', title: 'run', scale: { domain: labels } },
      tooltip: [
        { field: 'run', type: 'nominal' }, { field: 'epoch', type: 'quantitative' }, { field: 'series', type: 'nominal' },
        { field: 'loss', type: 'quantitative', format: '.6g' },
      ],
    },
  };
}

/** Lines, one per series (e.g. gradient norm over steps), coloured with matplotlib's default cycle. */
export function lineSpec(series: ReadonlyArray<LineSeries>, opts: LineOptions): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const floor = checkFloor(opts.logFloor);
  const rows: Array<{ series: string; x: number; y: number; value: number }> = [];
  let dropped = 0;
  let clamped = false;
  for (const s of series) {
    for (const v of s.values) {
      const at = Number.isFinite(v.x) ? placed(v.y, logScale, floor) : null;
      if (at === null) {
        dropped++;
        continue;
      }
      clamped ||= at.clamped;
      rows.push({ series: s.label, x: v.x, y: at.y, value: v.y });
    }
  }
  return {
    $schema: SCHEMA,
    title: titleOf(opts.title ?? '', dropped),
    width: checkSize('width', opts.width, DEFAULT_WIDTH),
    height: checkSize('height', opts.height, DEFAULT_HEIGHT),
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', point: opts.points ?? false },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xTitle },
      y: { field: 'y', type: 'quantitative', title: yTitle(opts.yTitle, logScale, floor, clamped), ...(logScale ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null, sort: null, scale: { scheme: 'category10' } },
      tooltip: [{ field: 'series', type: 'nominal' }, { field: 'x', type: 'quantitative' }, { field: 'value', type: 'quantitative', format: '.6g' }],
    },
  };
}

/**
 * A heatmap with the value written in each cell (e.g. the fraction of seeds that learn for each lr × epochs).
 * Rows and columns keep the order in which they first appear in `cells`.
 */
export function heatmapSpec(cells: ReadonlyArray<HeatmapCell>, opts: HeatmapOptions): TopLevelSpec {
  if (opts.domain && !(opts.domain[0] < opts.domain[1])) {
    throw new RangeError(`domain must be [low, high] with low < high, got [${opts.domain.join(', ')}]`);
  }
  const finite = cells.map((c) => c.value).filter(Number.isFinite);
  const [lo, hi] = opts.domain ?? (finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1]);
  const mid = (lo + hi) / 2;
  const rows = [...new Set(cells.map((c) => c.row))];
  const cols = [...new Set(cells.map((c) => c.col))];
  const format = opts.valueFormat ?? '.2f';
  return {
    $schema: SCHEMA,
    title: opts.title ?? '',
    background: 'white',
    width: opts.width !== undefined ? checkSize('width', opts.width, 0) : { step: 56 },
    height: opts.height !== undefined ? checkSize('height', opts.height, 0) : { step: 32 },
    data: { values: cells.map((c) => ({ row: c.row, col: c.col, value: Number.isFinite(c.value) ? c.value : null })) },
    encoding: {
      x: { field: 'col', type: 'ordinal', title: opts.colTitle, sort: cols, axis: { labelAngle: 0 } },
      y: { field: 'row', type: 'ordinal', title: opts.rowTitle, sort: rows },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'value', type: 'quantitative', title: opts.valueTitle, legend: { titleLimit: 400 },
            scale: { scheme: 'blues', ...(opts.domain ? { domain: opts.domain } : {}) },
          },
          tooltip: [{ field: 'row', type: 'ordinal', title: opts.rowTitle }, { field: 'col', type: 'ordinal', title: opts.colTitle },
            { field: 'value', type: 'quantitative', title: opts.valueTitle, format }],
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format },
          color: { condition: { test: `datum.value > ${mid}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
