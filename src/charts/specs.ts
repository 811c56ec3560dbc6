import type { TopLevelSpec } from 'vega-lite';

// Vega-Lite specs shared by the CLI (rendered headless to SVG/PNG) and the playground (rendered in the page).
// Pure data: no runtime import of vega here.

export interface LossPoint {
  epoch: number;
  lossTrue: number;
  lossFalse: number;
}

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
  logScale?: boolean;
}

/** Smallest loss drawn on a log axis: BCE can reach 0 (or 1e-30), which a log scale cannot place. */
export const LOG_FLOOR = 1e-12;

const BLUE = '#1f77b4';
const RED = '#d62728';

function yField(logScale: boolean) {
  return logScale
    ? { field: 'loss', type: 'quantitative' as const, title: `BCE loss (log scale, values below ${LOG_FLOOR} drawn at ${LOG_FLOOR})`, scale: { type: 'log' as const } }
    : { field: 'loss', type: 'quantitative' as const, title: 'BCE loss' };
}

function clampForScale(v: number, logScale: boolean): number | null {
  if (!Number.isFinite(v)) return null;
  return logScale ? Math.max(v, LOG_FLOOR) : v;
}

/**
 * The tutorial's figure: loss_true (blue) and loss_false (red) as scatter points against the epoch.
 * @example lossCurveSpec([{ epoch: 0, lossTrue: 0.69, lossFalse: 0.71 }])
 */
export function lossCurveSpec(points: ReadonlyArray<LossPoint>, opts: ChartOptions = {}): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const values = points.flatMap((p) => [
    { epoch: p.epoch, series: 'loss_true', loss: clampForScale(p.lossTrue, logScale) },
    { epoch: p.epoch, series: 'loss_false', loss: clampForScale(p.lossFalse, logScale) },
  ]).filter((v) => v.loss !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'loss_true (blue) and loss_false (red)',
    width: opts.width ?? 560,
    height: opts.height ?? 320,
    background: 'white',
    data: { values },
    mark: { type: 'point', filled: true, size: 40 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: yField(logScale),
      color: {
        field: 'series', type: 'nominal', title: null,
        scale: { domain: ['loss_true', 'loss_false'], range: [BLUE, RED] },
        legend: { orient: 'top-right' },
      },
      tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'loss', format: '.4g' }],
    },
  } as TopLevelSpec;
}

/** Several runs in one figure (e.g. with and without zero_grad): colour by series, shape by run. */
export function compareCurvesSpec(runs: ReadonlyArray<{ label: string; points: ReadonlyArray<LossPoint> }>, opts: ChartOptions = {}): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const values = runs.flatMap((run) => run.points.flatMap((p) => [
    { epoch: p.epoch, series: 'loss_true', run: run.label, loss: clampForScale(p.lossTrue, logScale) },
    { epoch: p.epoch, series: 'loss_false', run: run.label, loss: clampForScale(p.lossFalse, logScale) },
  ])).filter((v) => v.loss !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'loss_true (blue) and loss_false (red) by run',
    width: opts.width ?? 560,
    height: opts.height ?? 320,
    background: 'white',
    data: { values },
    mark: { type: 'point', filled: true, size: 40 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: yField(logScale),
      color: { field: 'series', type: 'nominal', title: 'series', scale: { domain: ['loss_true', 'loss_false'], range: [BLUE, RED] } },
      shape: { field: 'run', type: 'nominal', title: 'run' },
      tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'loss', format: '.4g' }],
    },
  } as TopLevelSpec;
}

/** Lines, one per series (e.g. gradient norm over steps). */
export function lineSpec(
  series: ReadonlyArray<{ label: string; values: ReadonlyArray<{ x: number; y: number }> }>,
  opts: ChartOptions & { xTitle: string; yTitle: string },
): TopLevelSpec {
  const logScale = opts.logScale ?? false;
  const values = series.flatMap((s) => s.values.map((v) => ({ series: s.label, x: v.x, y: clampForScale(v.y, logScale) }))).filter((v) => v.y !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? '',
    width: opts.width ?? 560,
    height: opts.height ?? 320,
    background: 'white',
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xTitle },
      y: { field: 'y', type: 'quantitative', title: opts.yTitle, ...(logScale ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}

/** A heatmap with the value written in each cell (e.g. the fraction of seeds that learn for each lr × epochs). */
export function heatmapSpec(
  cells: ReadonlyArray<{ row: string; col: string; value: number }>,
  opts: ChartOptions & { rowTitle: string; colTitle: string; valueTitle: string; domain?: [number, number] },
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? '',
    width: opts.width ?? 360,
    height: opts.height ?? 240,
    background: 'white',
    data: { values: cells.map((c) => ({ ...c })) },
    encoding: {
      x: { field: 'col', type: 'ordinal', title: opts.colTitle, sort: null },
      y: { field: 'row', type: 'ordinal', title: opts.rowTitle, sort: null },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'value', type: 'quantitative', title: opts.valueTitle, scale: { scheme: 'blues', ...(opts.domain ? { domain: opts.domain } : {}) } },
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: '.2f' },
          color: { condition: { test: `datum.value > ${opts.domain ? (opts.domain[0] + opts.domain[1]) / 2 : 0.5}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}
