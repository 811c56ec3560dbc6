// The shared Vega-Lite specs: they carry the data, the tutorial's colours, and the log scale only when asked.
// Checked on the spec objects (and, for validity, by compiling them with vega-lite).
import { readFileSync } from 'node:fs';
import { compile, type TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import {
  compareCurvesSpec, heatmapSpec, LOG_FLOOR, LOSS_FALSE_COLOR, LOSS_TRUE_COLOR, lineSpec, lossCurveSpec, type LossPoint,
} from '../../src/charts/specs.js';

// Loosely typed views into the spec objects, for reading back what was built.
type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => v as Obj;
const values = (s: TopLevelSpec): Obj[] => o(o(s).data).values as Obj[];
const enc = (s: TopLevelSpec): Obj => o(o(s).encoding);

const POINTS: LossPoint[] = [
  { epoch: 0, lossTrue: 0.69, lossFalse: 0.71 },
  { epoch: 5, lossTrue: 0.3, lossFalse: 0.5 },
  { epoch: 10, lossTrue: 1e-30, lossFalse: 0 },
];

describe('lossCurveSpec', () => {
  it('holds every point of both curves, as a scatter of epoch against loss', () => {
    const s = lossCurveSpec(POINTS);
    expect(o(o(s).mark).type).toBe('point');
    expect(o(enc(s).x).field).toBe('epoch');
    expect(o(enc(s).x).title).toBe('epoch');
    expect(o(enc(s).y).title).toBe('BCE loss');
    const rows = values(s).map((r) => [r.epoch, r.series, r.loss, r.y]);
    expect(rows).toEqual([
      [0, 'loss_true', 0.69, 0.69], [0, 'loss_false', 0.71, 0.71],
      [5, 'loss_true', 0.3, 0.3], [5, 'loss_false', 0.5, 0.5],
      [10, 'loss_true', 1e-30, 1e-30], [10, 'loss_false', 0, 0],
    ]);
  });

  it('colours loss_true blue and loss_false red, with a legend', () => {
    const color = o(enc(lossCurveSpec(POINTS)).color);
    expect(color.field).toBe('series');
    expect(o(color.scale).domain).toEqual(['loss_true', 'loss_false']);
    expect(o(color.scale).range).toEqual([LOSS_TRUE_COLOR, LOSS_FALSE_COLOR]);
    expect(LOSS_TRUE_COLOR).toBe('#1f77b4');
    expect(LOSS_FALSE_COLOR).toBe('#d62728');
    expect(color.legend).not.toBeNull();
  });

  it('is linear unless asked; on a log scale clamps tiny and zero losses to the floor and says so', () => {
    expect(o(enc(lossCurveSpec(POINTS)).y).scale).toBeUndefined();
    const s = lossCurveSpec(POINTS, { logScale: true });
    const y = o(enc(s).y);
    expect(o(y.scale).type).toBe('log');
    expect(y.title).toEqual(['BCE loss (log scale)', `values below ${LOG_FLOOR} drawn at ${LOG_FLOOR}`]);
    const last = values(s).filter((r) => r.epoch === 10);
    expect(last.map((r) => r.y)).toEqual([LOG_FLOOR, LOG_FLOOR]);
    expect(last.map((r) => r.loss)).toEqual([1e-30, 0]); // the tooltip keeps the real value
    // Nothing clamped: no note.
    const plain = lossCurveSpec(POINTS.slice(0, 2), { logScale: true });
    expect(o(enc(plain).y).title).toBe('BCE loss (log scale)');
    // A custom floor.
    const floored = lossCurveSpec(POINTS, { logScale: true, logFloor: 1e-40 });
    expect(values(floored).filter((r) => r.epoch === 10).map((r) => r.y)).toEqual([1e-30, 1e-40]);
  });

  it('leaves out NaN and Infinity and counts them in a subtitle', () => {
    const s = lossCurveSpec([...POINTS, { epoch: 15, lossTrue: NaN, lossFalse: Infinity }, { epoch: 20, lossTrue: 0.1, lossFalse: -Infinity }]);
    expect(values(s)).toHaveLength(7);
    expect(values(s).every((r) => Number.isFinite(r.y))).toBe(true);
    expect(o(o(s).title).subtitle).toBe('3 non-finite values (NaN or Infinity) not drawn');
  });

  it('takes a title, a size and other series names and colours', () => {
    const s = lossCurveSpec(POINTS, { title: 'seed 7', width: 300, height: 200, series: [{ name: 'constant', color: 'blue' }, { name: 'random', color: 'red' }] });
    expect(o(s).title).toBe('seed 7');
    expect([o(s).width, o(s).height]).toEqual([300, 200]);
    expect(o(o(enc(s).color).scale)).toMatchObject({ domain: ['constant', 'random'], range: ['blue', 'red'] });
    expect(new Set(values(s).map((r) => r.series))).toEqual(new Set(['constant', 'random']));
    expect(() => lossCurveSpec(POINTS, { series: [{ name: 'a', color: 'blue' }] })).toThrow(/2 curves/);
    expect(() => lossCurveSpec(POINTS, { width: -1 })).toThrow(/width/);
  });

  it('compiles with vega-lite, empty or not', () => {
    for (const s of [lossCurveSpec(POINTS), lossCurveSpec([], { logScale: true })]) {
      expect(compile(s).spec.marks?.length).toBeGreaterThan(0);
    }
  });
});

describe('compareCurvesSpec', () => {
  const runs = [
    { label: 'with zero_grad', points: POINTS },
    { label: 'without zero_grad', points: POINTS.slice(0, 2) },
  ];
  it('holds each run\'s points, coloured by curve and shaped by run', () => {
    const s = compareCurvesSpec(runs, { logScale: true });
    expect(values(s)).toHaveLength(10);
    expect(values(s).filter((r) => r.run === 'without zero_grad')).toHaveLength(4);
    expect(o(o(enc(s).color).scale).range).toEqual([LOSS_TRUE_COLOR, LOSS_FALSE_COLOR]);
    expect(o(enc(s).shape).field).toBe('run');
    expect(o(o(enc(s).shape).scale).domain).toEqual(['with zero_grad', 'without zero_grad']);
    expect(o(o(enc(s).y).scale).type).toBe('log');
    expect(compile(s).spec.marks?.length).toBeGreaterThan(0);
  });
  it('refuses two runs with one label', () => {
    expect(() => compareCurvesSpec([runs[0], runs[0]])).toThrow(/used twice/);
  });
});

describe('lineSpec', () => {
  const series = [
    { label: 'conv1.weight', values: [{ x: 0, y: 1 }, { x: 1, y: 0.5 }, { x: 2, y: 0 }] },
    { label: 'conv2.weight', values: [{ x: 0, y: 2 }, { x: 1, y: NaN }] },
  ];
  it('draws one line per series with the axis titles', () => {
    const s = lineSpec(series, { xTitle: 'step', yTitle: 'gradient norm' });
    expect(o(o(s).mark).type).toBe('line');
    expect(values(s).map((r) => [r.series, r.x, r.y])).toEqual([
      ['conv1.weight', 0, 1], ['conv1.weight', 1, 0.5], ['conv1.weight', 2, 0], ['conv2.weight', 0, 2],
    ]);
    expect(o(enc(s).x).title).toBe('step');
    expect(o(enc(s).y).title).toBe('gradient norm');
    expect(o(enc(s).y).scale).toBeUndefined();
    expect(o(enc(s).color).field).toBe('series');
    expect(o(o(s).title).subtitle).toMatch(/^1 non-finite value /);
  });
  it('clamps for a log scale and says so', () => {
    const s = lineSpec(series, { xTitle: 'step', yTitle: 'gradient norm', logScale: true });
    expect(o(o(enc(s).y).scale).type).toBe('log');
    expect(o(enc(s).y).title).toEqual(['gradient norm (log scale)', `values below ${LOG_FLOOR} drawn at ${LOG_FLOOR}`]);
    expect(values(s)[2]).toMatchObject({ y: LOG_FLOOR, value: 0 });
    expect(compile(s).spec.marks?.length).toBeGreaterThan(0);
  });
});

describe('heatmapSpec', () => {
  const cells = [
    { row: 'lr 0.5', col: '100', value: 0.25 },
    { row: 'lr 0.5', col: '200', value: 0.75 },
    { row: 'lr 0.1', col: '100', value: 0 },
    { row: 'lr 0.1', col: '200', value: 1 },
  ];
  it('colours the cells by value and writes the value in each', () => {
    const s = heatmapSpec(cells, { rowTitle: 'learning rate', colTitle: 'epochs', valueTitle: 'fraction learned', domain: [0, 1] });
    expect(values(s).map((c) => c.value)).toEqual([0.25, 0.75, 0, 1]);
    const layers = o(s).layer as Obj[];
    expect(layers.map((l) => o(l.mark).type)).toEqual(['rect', 'text']);
    const color = o(o(layers[0].encoding).color);
    expect(color).toMatchObject({ field: 'value', title: 'fraction learned' });
    expect(o(color.scale).domain).toEqual([0, 1]);
    expect(o(o(layers[1].encoding).text)).toMatchObject({ field: 'value', format: '.2f' });
    // Row and column order as given, not sorted.
    expect(o(enc(s).y)).toMatchObject({ title: 'learning rate', sort: ['lr 0.5', 'lr 0.1'] });
    expect(o(enc(s).x)).toMatchObject({ title: 'epochs', sort: ['100', '200'] });
    expect(compile(s).spec.marks?.length).toBeGreaterThan(0);
  });
  it('refuses an empty or reversed domain', () => {
    expect(() => heatmapSpec(cells, { rowTitle: 'r', colTitle: 'c', valueTitle: 'v', domain: [1, 0] })).toThrow(/domain/);
  });
});

describe('specs.ts', () => {
  it('imports vega-lite only as a type (the page bundles no renderer through it)', () => {
    const source = readFileSync(new URL('../../src/charts/specs.ts', import.meta.url), 'utf8');
    const imports = source.split('\n').filter((l) => /^\s*import\b/.test(l));
    expect(imports).toEqual(["import type { TopLevelSpec } from 'vega-lite';"]);
  });
});
